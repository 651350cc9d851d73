/* delete.c - `ocirt delete`: remove a container and what it holds. */
#include <stddef.h>

#include "cli.h"

static const struct option delete_options[] = {
  { "force", no_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_delete (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  bool force = false;
  int c;
  while ((c = cli_getopt (&verb_delete, argc, argv, "+fh", delete_options, err)) != -1)
    {
      if (c != 'f')
        return c == 'h' ? 0 : -1;
      force = true;
    }
  if (cli_require_args (&verb_delete, argc, argv, 1, 1, err) < 0)
    return -1;
  return container_delete (&g->ctx, argv[optind], force, err) < 0 ? -1 : 0;
}

const struct cli_verb verb_delete = {
  .name = "delete",
  .run = run_delete,
  .usage = "delete [options] <container-id>",
  .summary = "delete a stopped (or, with --force, any) container",
  .help = "   --force, -f               kill a running container first; a missing one is not an error\n",
};
