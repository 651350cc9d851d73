/* checkpoint.c - `ocirt checkpoint`: save a running container with criu
 * (runc's flags and defaults; see src/runtime/criu.h). */
#include <stddef.h>
#include <string.h>

#include "../runtime/criu.h"
#include "cli.h"

enum
{
  OPT_IMAGE_PATH = 256,
  OPT_WORK_PATH,
  OPT_PARENT_PATH,
  OPT_LEAVE_RUNNING,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_LAZY_PAGES,
  OPT_STATUS_FD,
  OPT_PAGE_SERVER,
  OPT_FILE_LOCKS,
  OPT_PRE_DUMP,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_EMPTY_NS,
  OPT_AUTO_DEDUP,
};

static const struct option checkpoint_options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "parent-path", required_argument, NULL, OPT_PARENT_PATH },
  { "leave-running", no_argument, NULL, OPT_LEAVE_RUNNING },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "lazy-pages", no_argument, NULL, OPT_LAZY_PAGES },
  { "status-fd", required_argument, NULL, OPT_STATUS_FD },
  { "page-server", required_argument, NULL, OPT_PAGE_SERVER },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "pre-dump", no_argument, NULL, OPT_PRE_DUMP },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "empty-ns", required_argument, NULL, OPT_EMPTY_NS },
  { "auto-dedup", no_argument, NULL, OPT_AUTO_DEDUP },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_checkpoint (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  struct criu_opts o = { .criu = g->criu };
  int c;
  while ((c = cli_getopt (&verb_checkpoint, argc, argv, "+h", checkpoint_options, err)) != -1)
    switch (c)
      {
      case OPT_IMAGE_PATH:
        o.image_path = optarg;
        break;
      case OPT_WORK_PATH:
        o.work_path = optarg;
        break;
      case OPT_PARENT_PATH:
        o.parent_path = optarg;
        break;
      case OPT_LEAVE_RUNNING:
        o.leave_running = true;
        break;
      case OPT_TCP_ESTABLISHED:
        o.tcp_established = true;
        break;
      case OPT_EXT_UNIX_SK:
        o.ext_unix_sk = true;
        break;
      case OPT_SHELL_JOB:
        o.shell_job = true;
        break;
      case OPT_FILE_LOCKS:
        o.file_locks = true;
        break;
      case OPT_PRE_DUMP:
        o.pre_dump = true;
        break;
      case OPT_MANAGE_CGROUPS_MODE:
        o.manage_cgroups_mode = optarg;
        break;
      case OPT_EMPTY_NS:
        o.empty_ns = optarg;
        break;
      case OPT_AUTO_DEDUP:
        o.auto_dedup = true;
        break;
      case OPT_LAZY_PAGES:
      case OPT_STATUS_FD:
      case OPT_PAGE_SERVER:
        return make_error (err, 0, "checkpoint: %s is not supported by ocirt", argv[optind - 1]);
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_checkpoint, argc, argv, 1, 1, err) < 0)
    return -1;
  log_debug (&g->log, "checkpoint container %s", argv[optind]);
  return container_checkpoint (&g->ctx, argv[optind], &o, err) < 0 ? -1 : 0;
}

const struct cli_verb verb_checkpoint = {
  .name = "checkpoint",
  .run = run_checkpoint,
  .usage = "checkpoint [options] <container-id>",
  .summary = "checkpoint a running container (with criu)",
  .help = "   --image-path DIR             path for saving criu image files (default: ./checkpoint)\n"
          "   --work-path DIR              path for saving work files and logs (default: the image path)\n"
          "   --parent-path DIR            path for previous criu image files in pre-dump\n"
          "   --leave-running              leave the process running after checkpointing\n"
          "   --tcp-established            allow open tcp connections\n"
          "   --ext-unix-sk                allow external unix sockets\n"
          "   --shell-job                  allow shell jobs\n"
          "   --file-locks                 handle file locks, for safety\n"
          "   --pre-dump                   dump container's memory information only, leave the\n"
          "                                container running after this\n"
          "   --manage-cgroups-mode MODE   cgroups mode: soft (default), full, strict or ignore\n"
          "   --empty-ns NS                create a namespace, but don't restore its properties\n"
          "   --auto-dedup                 enable auto deduplication of memory images\n"
          "   --lazy-pages, --status-fd, --page-server  accepted by runc, refused here\n",
};
