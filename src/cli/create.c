/* create.c - `ocirt create`, and the flags it shares with `run`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum
{
  OPT_BUNDLE = 'b',
  OPT_PID_FILE = 256,
  OPT_CONSOLE_SOCKET,
  OPT_NO_PIVOT,
  OPT_PRESERVE_FDS,
  OPT_NO_NEW_KEYRING,
  OPT_SHIM,
  OPT_LOG_PATH,
  OPT_KEEP,
  OPT_NO_SUBREAPER,
  OPT_DETACH = 'd',
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "detach", no_argument, NULL, OPT_DETACH },
  { "shim", required_argument, NULL, OPT_SHIM },
  { "log-path", required_argument, NULL, OPT_LOG_PATH },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
cli_parse_create_options (const struct cli_verb *v, int argc, char **argv, struct create_opts *o,
                          bool *detach, ocirt_error_t *err)
{
  int c;
  char *end;
  while ((c = cli_getopt (v, argc, argv, detach ? "+b:dh" : "+b:h", create_options, err)) != -1)
    switch (c)
      {
      case OPT_BUNDLE:
        o->bundle = optarg;
        break;
      case OPT_PID_FILE:
        o->pid_file = optarg;
        break;
      case OPT_CONSOLE_SOCKET:
        o->console_socket = optarg;
        break;
      case OPT_NO_PIVOT:
        o->no_pivot = true;
        break;
      case OPT_PRESERVE_FDS:
        o->preserve_fds = (int) strtol (optarg, &end, 10);
        if (*optarg == '\0' || *end || o->preserve_fds < 0 || o->preserve_fds > 65536)
          return make_error (err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
        break;
      case OPT_NO_NEW_KEYRING:
        o->no_new_keyring = true;
        break;
      case OPT_SHIM:
        if (shim_mode_parse (optarg, &o->shim) < 0)
          return make_error (err, 0, "--shim: \"%s\" is not one of auto, always, never", optarg);
        break;
      case OPT_LOG_PATH:
        o->log_path = optarg;
        break;
      case OPT_KEEP:
        if (detach == NULL)
          return make_error (err, 0, "%s: unknown option \"--keep\"", v->name);
        o->keep = true;
        break;
      case OPT_NO_SUBREAPER:
        if (detach == NULL)
          return make_error (err, 0, "%s: unknown option \"--no-subreaper\"", v->name);
        o->no_subreaper = true;
        break;
      case OPT_DETACH:
        if (detach == NULL)
          return make_error (err, 0, "%s: unknown option \"--detach\"", v->name);
        *detach = true;
        break;
      case 'h':
        return 1;
      default:
        return -1;
      }
  if (cli_require_args (v, argc, argv, 1, 1, err) < 0)
    return -1;
  o->id = argv[optind];
  return 0;
}

static int
run_create (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct create_opts o = { 0 };
  int r = cli_parse_create_options (&verb_create, argc, argv, &o, NULL, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  log_debug (&g->log, "create container %s from bundle %s", o.id, o.bundle ? o.bundle : ".");
  if (container_create (&g->ctx, &o, err) < 0)
    return -1;
  log_debug (&g->log, "container %s created", o.id);
  return 0;
}

const struct cli_verb verb_create = {
  .name = "create",
  .run = run_create,
  .enters_container = true,
  .usage = "create [options] <container-id>",
  .summary = "create a container, stopped before its process runs",
  .help = "   --bundle DIR, -b DIR      bundle directory (default: current directory)\n"
          "   --pid-file FILE           write the container process's host pid to FILE\n"
          "   --console-socket SOCKET   unix socket that receives the pty master\n"
          "   --no-pivot                use MS_MOVE and chroot instead of pivot_root\n"
          "   --preserve-fds N          pass N extra fds (from fd 3) to the container\n"
          "   --no-new-keyring          keep the caller's session keyring (default: a new one)\n"
          "   --shim auto|always|never  leave a shim that logs output and records the exit\n"
          "                             status (auto: unless the caller is a subreaper)\n"
          "   --log-path FILE           the shim's log (default: <root>/<id>/container.log)\n"
};
