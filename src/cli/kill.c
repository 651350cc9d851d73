/* kill.c - `ocirt kill`: send a signal to the container. */
#include <signal.h>

#include <stddef.h>

#include "cli.h"

static const struct option kill_options[] = {
  { "all", no_argument, NULL, 'a' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_kill (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  bool all = false;
  int c;
  while ((c = cli_getopt (&verb_kill, argc, argv, "+ah", kill_options, err)) != -1)
    {
      if (c != 'a')
        return c == 'h' ? 0 : -1;
      all = true;
    }
  if (cli_require_args (&verb_kill, argc, argv, 1, 2, err) < 0)
    return -1;
  int sig = SIGTERM;
  if (argc - optind == 2)
    {
      sig = signal_parse (argv[optind + 1]);
      if (sig < 0)
        return make_error (err, 0, "unknown signal \"%s\"", argv[optind + 1]);
    }
  return container_kill (&g->ctx, argv[optind], sig, all, err) < 0 ? -1 : 0;
}

const struct cli_verb verb_kill = {
  .name = "kill",
  .run = run_kill,
  .usage = "kill [options] <container-id> [signal]",
  .summary = "send a signal (name or number, default TERM) to the container's init",
  .help = "   --all, -a                 send it to every process left in the container's\n"
          "                             cgroup, in any status (created, running, paused or\n"
          "                             stopped; an empty cgroup is not an error), with the\n"
          "                             cgroup frozen meanwhile and thawed after (a paused\n"
          "                             container runs again). Without it the signal goes\n"
          "                             to the init, and a stopped container is an error\n"
          "                             (\"container not running\"). Signal 0 sends nothing:\n"
          "                             it checks that the container is alive.\n",
};
