/* pause.c - `ocirt pause` and `ocirt resume`: freeze and thaw the cgroup. */
#include <stddef.h>

#include "../linux/cgroup.h"
#include "cli.h"

static const struct option pause_options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
freeze (const struct cli_verb *v, struct cli_globals *g, int argc, char **argv, bool frozen,
        ocirt_error_t *err)
{
  struct container_state st = { 0 };
  enum container_status status;
  int c;
  while ((c = cli_getopt (v, argc, argv, "+h", pause_options, err)) != -1)
    return c == 'h' ? 0 : -1;
  if (cli_require_args (v, argc, argv, 1, 1, err) < 0)
    return -1;
  if (container_load (&g->ctx, argv[optind], &st, &status, err) < 0)
    return -1;
  int r;
  if (frozen && status != STATUS_RUNNING && status != STATUS_CREATED)
    r = make_error (err, 0, "container not running");
  else if (!frozen && status != STATUS_PAUSED)
    r = make_error (err, 0, "container not paused");
  else if (st.cgroup_path == NULL)
    /* A rootless container that could not get a cgroup (runc's words). */
    r = make_error (err, 0, "cannot toggle freezer: cgroups not configured for container");
  else
    r = cgroup_freeze (st.cgroup_path, frozen, err);
  state_clear (&st);
  return r < 0 ? -1 : 0;
}

static int
run_pause (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  return freeze (&verb_pause, g, argc, argv, true, err);
}

static int
run_resume (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  return freeze (&verb_resume, g, argc, argv, false, err);
}

const struct cli_verb verb_pause = {
  .name = "pause",
  .run = run_pause,
  .usage = "pause <container-id>",
  .summary = "freeze every process of a container",
  .help = "",
};

const struct cli_verb verb_resume = {
  .name = "resume",
  .run = run_resume,
  .usage = "resume <container-id>",
  .summary = "thaw a paused container",
  .help = "",
};
