/* restore.c - `ocirt restore`: a container from a checkpoint (runc's flags
 * and defaults): a create whose init comes from criu's images, with a shim
 * in standalone use, or in the foreground until it exits as `run`. */
#include <stddef.h>
#include <string.h>

#include "../runtime/criu.h"
#include "cli.h"

enum
{
  OPT_CONSOLE_SOCKET = 256,
  OPT_IMAGE_PATH,
  OPT_WORK_PATH,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_BUNDLE,
  OPT_PID_FILE,
  OPT_NO_SUBREAPER,
  OPT_NO_PIVOT,
  OPT_EMPTY_NS,
  OPT_AUTO_DEDUP,
  OPT_LAZY_PAGES,
  OPT_LSM_PROFILE,
  OPT_LSM_MOUNT_CONTEXT,
};

static const struct option restore_options[] = {
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "empty-ns", required_argument, NULL, OPT_EMPTY_NS },
  { "auto-dedup", no_argument, NULL, OPT_AUTO_DEDUP },
  { "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES },
  { "lsm-profile", required_argument, NULL, OPT_LSM_PROFILE },
  { "lsm-mount-context", required_argument, NULL, OPT_LSM_MOUNT_CONTEXT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_restore (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct criu_opts c_opts = { .criu = g->criu };
  struct create_opts o = { .restore = &c_opts };
  bool detach = false;
  int c, code = 0;
  while ((c = cli_getopt (&verb_restore, argc, argv, "+b:dh", restore_options, err)) != -1)
    switch (c)
      {
      case OPT_CONSOLE_SOCKET:
        o.console_socket = optarg;
        break;
      case OPT_IMAGE_PATH:
        c_opts.image_path = optarg;
        break;
      case OPT_WORK_PATH:
        c_opts.work_path = optarg;
        break;
      case OPT_TCP_ESTABLISHED:
        c_opts.tcp_established = true;
        break;
      case OPT_EXT_UNIX_SK:
        c_opts.ext_unix_sk = true;
        break;
      case OPT_SHELL_JOB:
        c_opts.shell_job = true;
        break;
      case OPT_FILE_LOCKS:
        c_opts.file_locks = true;
        break;
      case OPT_MANAGE_CGROUPS_MODE:
        c_opts.manage_cgroups_mode = optarg;
        break;
      case 'b':
      case OPT_BUNDLE:
        o.bundle = optarg;
        break;
      case 'd':
        detach = true;
        break;
      case OPT_PID_FILE:
        o.pid_file = optarg;
        break;
      case OPT_NO_SUBREAPER:
        /* ocirt's foreground restore is the init's parent already. */
        break;
      case OPT_NO_PIVOT:
        o.no_pivot = true;
        break;
      case OPT_EMPTY_NS:
        c_opts.empty_ns = optarg;
        break;
      case OPT_AUTO_DEDUP:
        c_opts.auto_dedup = true;
        break;
      case OPT_LSM_PROFILE:
        c_opts.lsm_profile = optarg;
        break;
      case OPT_LSM_MOUNT_CONTEXT:
        c_opts.lsm_mount_context = optarg;
        break;
      case OPT_LAZY_PAGES:
        return make_error (err, 0, "restore: --lazy-pages is not supported by ocirt");
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_restore, argc, argv, 1, 1, err) < 0)
    return -1;
  o.id = argv[optind];
  if (criu_check_cgroups_mode (c_opts.manage_cgroups_mode, err) < 0 || criu_check_empty_ns (c_opts.empty_ns, err) < 0)
    return -1;
  log_debug (&g->log, "restore container %s%s", o.id, detach ? ", detached" : "");
  if (container_run (&g->ctx, &o, detach, &code, err) < 0)
    return -1;
  return code;
}

const struct cli_verb verb_restore = {
  .name = "restore",
  .run = run_restore,
  .usage = "restore [options] <container-id>",
  .summary = "restore a container from a previous checkpoint (with criu)",
  .help = "   --image-path DIR             path to criu image files for restoring (default: ./checkpoint)\n"
          "   --work-path DIR              path for saving work files and logs (default: the image path)\n"
          "   --bundle DIR, -b DIR         bundle directory (default: current directory)\n"
          "   --detach, -d                 detach from the container's process\n"
          "   --pid-file FILE              write the container process's host pid to FILE\n"
          "   --console-socket SOCKET      unix socket that receives the pty master\n"
          "   --no-pivot                   accepted (criu restores the mount namespace)\n"
          "   --no-subreaper               accepted (ocirt is the init's parent)\n"
          "   --tcp-established            allow open tcp connections\n"
          "   --ext-unix-sk                allow external unix sockets\n"
          "   --shell-job                  allow shell jobs\n"
          "   --file-locks                 handle file locks, for safety\n"
          "   --manage-cgroups-mode MODE   cgroups mode: soft (default), full, strict or ignore\n"
          "   --empty-ns NS                create a namespace, but don't restore its properties\n"
          "   --auto-dedup                 enable auto deduplication of memory images\n"
          "   --lsm-profile TYPE:NAME      LSM profile to restore with\n"
          "   --lsm-mount-context CTX      LSM mount context to restore with\n"
          "   --lazy-pages                 accepted by runc, refused here\n",
};
