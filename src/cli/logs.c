/* logs.c - `ocirt logs`: the output a shim recorded for a container. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../shim/logfile.h"
#include "cli.h"

static const struct option logs_options[] = {
  { "follow", no_argument, NULL, 'f' },
  { "tail", required_argument, NULL, 'n' },
  { "timestamps", no_argument, NULL, 't' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Following stops once the shim has exited: the log is then complete. */
static bool
shim_gone (void *opaque)
{
  const struct container_state *st = opaque;
  return !state_process_alive (st->shim_pid, st->shim_start_time);
}

/* A container that has stopped may still have its last output in the shim,
 * which drains the pipes and then exits: wait for it (bounded), so that
 * `logs` right after the container's exit prints all of it. */
static void
wait_for_drained_log (const struct container_state *st, enum container_status status)
{
  const struct timespec step = { 0, 2 * 1000 * 1000 };

  if (status != STATUS_STOPPED || st->shim_pid <= 0)
    return;
  for (int i = 0; i < 2500 && !shim_gone ((void *) st); i++)
    nanosleep (&step, NULL);
}

static int
run_logs (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct logfile_print_opts o = { .tail = -1 };
  struct container_state st = { 0 };
  enum container_status status;
  char *end;
  int c;

  while ((c = cli_getopt (&verb_logs, argc, argv, "+fn:th", logs_options, err)) != -1)
    switch (c)
      {
      case 'f':
        o.follow = true;
        break;
      case 'n':
        o.tail = strtol (optarg, &end, 10);
        if (*optarg == '\0' || *end || o.tail < 0)
          return make_error (err, 0, "--tail: invalid number \"%s\"", optarg);
        break;
      case 't':
        o.timestamps = true;
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_logs, argc, argv, 1, 1, err) < 0)
    return -1;
  if (container_load (&g->ctx, argv[optind], &st, &status, err) < 0)
    return -1;
  int r;
  if (st.shim_log == NULL)
    r = make_error (err, 0, "container \"%s\" has no log: it was created without a shim (under a manager, "
                    "or with --shim never)", argv[optind]);
  else
    {
      /* A reader that went away (| head) is not an error worth a message. */
      signal (SIGPIPE, SIG_IGN);
      if (!o.follow)
        wait_for_drained_log (&st, status);
      o.stop = shim_gone;
      o.stop_opaque = &st;
      r = logfile_print (st.shim_log, &o, STDOUT_FILENO, err);
    }
  state_clear (&st);
  return r < 0 ? -1 : 0;
}

const struct cli_verb verb_logs = {
  .name = "logs",
  .run = run_logs,
  .usage = "logs [options] <container-id>",
  .summary = "print the output of a container started with a shim",
  .help = "   --follow, -f              keep printing new output until the container's shim exits\n"
          "   --tail N, -n N            only the last N lines\n"
          "   --timestamps, -t          prefix each line with the time it was read\n",
};
