/* start.c - `ocirt start`: let a created container run its process. */
#include <stddef.h>

#include "cli.h"

static const struct option start_options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_start (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  int c;
  while ((c = cli_getopt (&verb_start, argc, argv, "+h", start_options, err)) != -1)
    return c == 'h' ? 0 : -1;
  if (cli_require_args (&verb_start, argc, argv, 1, 1, err) < 0)
    return -1;
  log_debug (&g->log, "start container %s", argv[optind]);
  if (container_start (&g->ctx, argv[optind], err) < 0)
    return -1;
  log_debug (&g->log, "container %s started", argv[optind]);
  return 0;
}

const struct cli_verb verb_start = {
  .name = "start",
  .run = run_start,
  .usage = "start <container-id>",
  .summary = "start the process of a created container",
  .help = "",
};
