/* exec.c - `ocirt exec`: run another process in a container. */
#include <stdlib.h>
#include <string.h>

#include "../runtime/exec.h"
#include "cli.h"

/* runc's exit code for a process that could not be started. */
#define EXEC_FAILED 255

enum
{
  OPT_PROCESS = 'p',
  OPT_TTY = 't',
  OPT_ENV = 'e',
  OPT_USER = 'u',
  OPT_GIDS = 'g',
  OPT_CAP = 'c',
  OPT_DETACH = 'd',
  OPT_CONSOLE_SOCKET = 256,
  OPT_CWD,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_PID_FILE,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
  OPT_APPARMOR,
  OPT_PROCESS_LABEL,
};

static const struct option exec_options[] = {
  { "process", required_argument, NULL, OPT_PROCESS },
  { "tty", no_argument, NULL, OPT_TTY },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, OPT_ENV },
  { "user", required_argument, NULL, OPT_USER },
  { "additional-gids", required_argument, NULL, OPT_GIDS },
  { "cap", required_argument, NULL, OPT_CAP },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "detach", no_argument, NULL, OPT_DETACH },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Append to a growing array; the arrays live until the process exits. */
static void *
push (void *array, size_t *n, size_t size, const void *item)
{
  char *a = realloc (array, (*n + 2) * size);
  if (a == NULL)
    abort ();
  memcpy (a + *n * size, item, size);
  memset (a + (*n + 1) * size, 0, size);
  (*n)++;
  return a;
}

/* --cgroup [CTRL[,CTRL...]:]PATH, as runc's getSubCgroupPaths: a
 * controller may be named once; a PATH without one (every controller) is
 * only allowed as the single --cgroup. */
static int
add_cgroup (struct exec_opts *o, char *arg, ocirt_error_t *err)
{
  char *colon = strchr (arg, ':');
  if (colon == NULL)
    {
      struct exec_cgroup c = { .controller = NULL, .path = arg };
      o->cgroups = push (o->cgroups, &o->n_cgroups, sizeof c, &c);
      return 0;
    }
  *colon = '\0';
  for (char *save = NULL, *ctrl = strtok_r (arg, ",", &save); ctrl; ctrl = strtok_r (NULL, ",", &save))
    {
      for (size_t i = 0; i < o->n_cgroups; i++)
        if (o->cgroups[i].controller && strcmp (o->cgroups[i].controller, ctrl) == 0)
          return make_error (err, 0, "controller %s specified multiple times", ctrl);
      struct exec_cgroup c = { .controller = ctrl, .path = colon + 1 };
      o->cgroups = push (o->cgroups, &o->n_cgroups, sizeof c, &c);
    }
  return 0;
}

static int
check_cgroups (const struct exec_opts *o, ocirt_error_t *err)
{
  for (size_t i = 0; i < o->n_cgroups; i++)
    if (o->cgroups[i].controller == NULL && o->n_cgroups > 1)
      return make_error (err, 0,
                         "--cgroup argument %s has no controller prefix (only allowed as a single argument)",
                         o->cgroups[i].path);
  return 0;
}

static int
parse (int argc, char **argv, struct exec_opts *o, ocirt_error_t *err)
{
  int c;
  char *end;
  while ((c = cli_getopt (&verb_exec, argc, argv, "+p:te:u:g:c:dh", exec_options, err)) != -1)
    switch (c)
      {
      case OPT_PROCESS:
        o->process_file = optarg;
        break;
      case OPT_TTY:
        o->tty = true;
        break;
      case OPT_CONSOLE_SOCKET:
        o->console_socket = optarg;
        break;
      case OPT_CWD:
        o->cwd = optarg;
        break;
      case OPT_ENV:
        /* Checked with the rest of the process (exit 255, as runc). */
        o->env = push (o->env, &o->n_env, sizeof (char *), &optarg);
        break;
      case OPT_USER:
        o->user = optarg;
        break;
      case OPT_GIDS:
        {
          unsigned long g = strtoul (optarg, &end, 10);
          uint32_t gid = (uint32_t) g;
          if (*optarg == '\0' || *end)
            return make_error (err, 0, "--additional-gids \"%s\": expected a number", optarg);
          o->additional_gids = push (o->additional_gids, &o->n_additional_gids, sizeof gid, &gid);
        }
        break;
      case OPT_CAP:
        o->caps = push (o->caps, &o->n_caps, sizeof (char *), &optarg);
        break;
      case OPT_NO_NEW_PRIVS:
        o->no_new_privs = true;
        break;
      case OPT_PRESERVE_FDS:
        o->preserve_fds = (int) strtol (optarg, &end, 10);
        if (*optarg == '\0' || *end || o->preserve_fds < 0)
          return make_error (err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
        break;
      case OPT_DETACH:
        o->detach = true;
        break;
      case OPT_PID_FILE:
        o->pid_file = optarg;
        break;
      case OPT_CGROUP:
        if (add_cgroup (o, optarg, err) < 0)
          return -1;
        break;
      case OPT_IGNORE_PAUSED:
        o->ignore_paused = true;
        break;
      case OPT_APPARMOR:
        o->apparmor = optarg;
        break;
      case OPT_PROCESS_LABEL:
        o->process_label = optarg;
        break;
      case 'h':
        return 1;
      default:
        return -1;
      }
  if (check_cgroups (o, err) < 0 || cli_require_args (&verb_exec, argc, argv, 1, -1, err) < 0)
    return -1;
  o->id = argv[optind];
  o->args = argv + optind + 1;
  o->n_args = (size_t) (argc - optind - 1);
  return 0;
}

static int
run_exec (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct exec_opts o = { 0 };
  int code = 0;
  int r = parse (argc, argv, &o, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  log_debug (&g->log, "exec in container %s: %s", o.id,
             o.process_file ? o.process_file : o.n_args ? o.args[0] : "(no command)");
  if (container_exec (&g->ctx, &o, &code, err) < 0)
    return -EXEC_FAILED;
  log_debug (&g->log, "exec in container %s: %s with exit code %d", o.id,
             o.detach ? "detached" : "process ended", code);
  return code;
}

const struct cli_verb verb_exec = {
  .name = "exec",
  .run = run_exec,
  .enters_container = true,
  .usage = "exec [command options] <container-id> <command> [args...]  || -p process.json <container-id>",
  .summary = "run a new process in a running container",
  .help = "   --process FILE, -p FILE   the process as a JSON process object (overrides the rest)\n"
          "   --tty, -t                 allocate a terminal\n"
          "   --console-socket SOCKET   unix socket that receives the pty master\n"
          "   --cwd DIR                 working directory in the container\n"
          "   --env KEY=VALUE, -e ...   add or replace an environment variable\n"
          "   --user UID[:GID], -u ...  run as this user\n"
          "   --additional-gids GID, -g supplementary group (repeatable)\n"
          "   --cap CAP, -c CAP         add a capability (repeatable)\n"
          "   --no-new-privs            set no_new_privs\n"
          "   --preserve-fds N          pass N extra fds (from fd 3) to the process\n"
          "   --detach, -d              do not wait for the process\n"
          "   --pid-file FILE           write the process's host pid to FILE\n"
          "   --cgroup [CTRL:]PATH      run in this existing sub-cgroup of the container's\n"
          "                             (v1: of controller CTRL only; repeatable with CTRL)\n"
          "   --ignore-paused           exec in a paused container (waits for resume)\n"
          "   --apparmor PROFILE        AppArmor profile (default: the container's)\n"
          "   --process-label LABEL     SELinux label (default: the container's)\n",
  .keep_arg_order = true,
};
