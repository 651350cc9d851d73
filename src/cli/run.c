/* run.c - `ocirt run`: create and start, and in the foreground wait. */
#include <stddef.h>

#include "cli.h"

static int
run_run (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct create_opts o = { 0 };
  bool detach = false;
  int code = 0;
  int r = cli_parse_create_options (&verb_run, argc, argv, &o, &detach, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  log_debug (&g->log, "run container %s from bundle %s%s", o.id, o.bundle ? o.bundle : ".",
             detach ? ", detached" : "");
  if (container_run (&g->ctx, &o, detach, &code, err) < 0)
    return -1;
  if (!detach)
    log_debug (&g->log, "container %s exited with code %d", o.id, code);
  return code;
}

const struct cli_verb verb_run = {
  .name = "run",
  .run = run_run,
  .enters_container = true,
  .usage = "run [options] <container-id>",
  .summary = "create and start a container; in the foreground, exit with its exit code",
  .help = "   --bundle DIR, -b DIR      bundle directory (default: current directory)\n"
          "   --detach, -d              do not wait for the container to exit\n"
          "   --keep                    do not delete the container after it exits (it stays\n"
          "                             stopped, with its state and cgroup, until delete)\n"
          "   --pid-file FILE           write the container process's host pid to FILE\n"
          "   --console-socket SOCKET   unix socket that receives the pty master\n"
          "   --no-pivot                use MS_MOVE and chroot instead of pivot_root\n"
          "   --preserve-fds N          pass N extra fds (from fd 3) to the container\n"
          "   --no-new-keyring          keep the caller's session keyring (default: a new one)\n"
          "   --no-subreaper            in the foreground, leave the container's orphans to the\n"
          "                             host's reaper (runc's flag; ocirt still waits for an\n"
          "                             init forked into a joined pid namespace)\n"
          "   --shim auto|always|never  with -d, leave a shim that logs output and records the exit\n"
          "                             status (auto: unless the caller is a subreaper)\n"
          "   --log-path FILE           the shim's log (default: <root>/<id>/container.log)\n"
};
