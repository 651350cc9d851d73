/* state.c - `ocirt state`: the runc-shaped state of one container. */
#include <stdio.h>
#include <stdlib.h>

#include <stddef.h>

#include "cli.h"

static const struct option state_options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_state (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct container_state st = { 0 };
  enum container_status status;
  int c;

  while ((c = cli_getopt (&verb_state, argc, argv, "+h", state_options, err)) != -1)
    return c == 'h' ? 0 : -1;
  if (cli_require_args (&verb_state, argc, argv, 1, 1, err) < 0)
    return -1;
  if (container_load (&g->ctx, argv[optind], &st, &status, err) < 0)
    return -1;
  char *json = container_state_json (&st, status);
  state_clear (&st);
  if (json == NULL)
    return make_error (err, 0, "format state");
  fputs (json, stdout);
  free (json);
  return 0;
}

const struct cli_verb verb_state = {
  .name = "state",
  .run = run_state,
  .usage = "state <container-id>",
  .summary = "print the state of a container as JSON",
  .help = "",
};
