/* container.c - see container.h.
 *
 * create, as a sequence (each step undone by launch_abort on failure):
 *   validate id and config -> state dir (exclusive, locked) -> initial state
 *   -> exec fifo -> cgroup + resources -> clone the init into its namespaces
 *   (v2: straight into its cgroup; v1: moved in after) -> id maps -> "go"
 *   -> wait for "ready" -> pid file -> final state.
 * The init is our child only until we exit; then the nearest subreaper
 * (a manager such as conmon or containerd-shim) adopts it.
 */
#include "container.h"
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../../oci/config.h"
#include "../linux/capabilities.h"
#include "../linux/cgroup.h"
#include "../linux/cgroup_systemd.h"
#include "../linux/idmap.h"
#include "../linux/lsm.h"
#include "../linux/netdev.h"
#include "../linux/monitor.h"
#include "../linux/scheduling.h"
#include "../linux/sysctl_check.h"
#include "../linux/terminal.h"
#include "../net/net_state.h"
#include "../linux/namespaces.h"
#include "../linux/procfs.h"
#include "../linux/resctrl.h"
#include "../linux/seccomp.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/signals.h"
#include "../util/sync.h"
#include "hooks.h"
#include "init.h"

/* How long delete waits for a killed init to exit. */
#define KILL_WAIT_MS 10000

static const char *const status_names[] = {
  [STATUS_CREATING] = "creating", [STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
  [STATUS_PAUSED] = "paused",     [STATUS_STOPPED] = "stopped",
};

const char *
container_status_name (enum container_status s)
{
  return status_names[s];
}

/* Everything create holds while it builds a container. */
struct launch
{
  struct oci_config *cfg;
  char *config_json;              /* the bytes, copied into the state dir */
  size_t config_len;
  char *bundle;
  char *rootfs;
  char *cgroup_path;
  struct ns_plan ns;
  struct rootfs_sources sources;  /* with a user namespace: bind sources */
  struct caps_set caps;
  bool has_caps;
  scmp_filter_ctx seccomp;
  int root_fd;
  int dir_fd;
  int fifo_fd;
  int proc_fd;
  int sync_fd;
  pid_t pid;
  int pidfd;
  const int *stdio;               /* the shim's pipes for the init, or NULL */
  const char *console_socket;     /* where the pty master goes, or NULL */
  int preserve_fds;               /* --preserve-fds plus LISTEN_FDS */
  pid_t cli_pid;                  /* the ocirt the caller started (not the
                                     shim it forks): LISTEN_PID names it */
  bool tty_proxy;                 /* run in the foreground: keep the master */
  int tty_master;                 /* kept for the proxy, or -1 */
  bool cgroup_made;
  bool cgroup_existed;            /* found, not made: never removed */
  struct resctrl rdt;             /* linux.intelRdt: the resctrl mount */
  bool rdt_apply;                 /* intelRdt is applied (resctrl_check) */
  bool rdt_joined;                /* the group is in use: remove it on abort */
  int cgroup_fd;                  /* v2: the cgroup for CLONE_INTO_CGROUP */
  bool cloned_into_cgroup;
  struct systemd_unit sd;         /* --systemd-cgroup: its unit (sd.name) */
  struct container_state st;
};

static void
launch_init (struct launch *l)
{
  memset (l, 0, sizeof *l);
  l->cli_pid = getpid ();
  l->root_fd = l->dir_fd = l->fifo_fd = l->proc_fd = l->sync_fd = l->pidfd = l->tty_master = l->cgroup_fd = -1;
  l->rdt.root_fd = -1;
  for (int i = 0; i < OCI_NS_COUNT; i++)
    l->ns.join_fd[i] = -1;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Release memory and fds; the container itself is left alone. */
static void
launch_release (struct launch *l)
{
  if (l->cfg)
    oci_config_free (l->cfg);
  free (l->config_json);
  if (l->seccomp)
    seccomp_release (l->seccomp);
  ns_plan_close (&l->ns);
  rootfs_sources_close (&l->sources);
  free (l->bundle);
  free (l->rootfs);
  free (l->cgroup_path);
  systemd_unit_clear (&l->sd);
  close_fd (&l->fifo_fd);
  close_fd (&l->proc_fd);
  close_fd (&l->sync_fd);
  close_fd (&l->pidfd);
  close_fd (&l->tty_master);
  close_fd (&l->cgroup_fd);
  resctrl_close (&l->rdt);
  close_fd (&l->dir_fd);
  close_fd (&l->root_fd);
  state_clear (&l->st);
  memset (l, 0, sizeof *l);
}

/* Whether the container has a pid namespace of its own: then its init's
 * death ended every process of it. Without one, runc signals everything
 * its cgroup holds, as nothing else tells the container's processes apart. */
static bool
has_own_pid_namespace (const struct oci_config *cfg)
{
  const struct oci_namespace *ns = cfg ? oci_config_namespace (cfg, OCI_NS_PID) : NULL;
  return ns && ns->path == NULL;
}

/* Whether the init joins a pid namespace by path: it must then fork to be
 * in it, and the init proper is the runtime's grandchild. */
static bool
joins_pid_namespace (const struct oci_config *cfg)
{
  const struct oci_namespace *ns = oci_config_namespace (cfg, OCI_NS_PID);
  return ns && ns->path != NULL;
}

/* The end of the container's cgroup: removed if ocirt made it; if it was
 * found (cgroupsPath naming an existing cgroup, maybe a host service's, or
 * one shared with another container), nothing is removed, and its
 * processes are killed only when the container has no pid namespace of its
 * own (its init is already dead otherwise). */
static int
remove_cgroup (const char *path, bool existed, char *const *made_in, const struct oci_config *cfg,
               ocirt_error_t *err)
{
  return existed ? cgroup_release (path, !has_own_pid_namespace (cfg), made_in, err)
                 : cgroup_destroy (path, err);
}

/* The end of a systemd driver's cgroup, as runc's: kill what is left
 * (systemd's stop would SIGTERM it and wait up to TimeoutStopSec), stop
 * the unit, and remove the directories systemd does not own (v1
 * hierarchies without systemd accounting, a container's own sub-cgroups). */
static int
remove_systemd_cgroup (const char *path, const char *unit, bool user, ocirt_error_t *err)
{
  cleanup_error ocirt_error_t ignored = NULL;

  cgroup_kill_all (path, SIGKILL, &ignored);
  if (systemd_unit_stop (unit, user, err) < 0)
    return -1;
  return cgroup_destroy (path, err);
}

static void run_poststop (const struct runtime_ctx *ctx, int dir_fd,
                          const struct container_state *st);

/* Undo a failed create: nothing may be left behind (process, cgroup,
 * state). As runc's destroy, a create that got as far as its state runs
 * the poststop hooks, in runtime.md's order for a failed prestart,
 * createRuntime or createContainer hook: stop, delete, poststop. They
 * undo what the earlier hooks set up (a CNI network, say). */
static void
launch_abort (const struct runtime_ctx *ctx, struct launch *l, const char *id)
{
  ocirt_error_t ignored = NULL;
  if (l->pid > 0)
    {
      kill (l->pid, SIGKILL);
      waitpid (l->pid, NULL, 0);
    }
  if (l->cgroup_made && l->cgroup_path && l->sd.name && !l->cgroup_existed)
    remove_systemd_cgroup (l->cgroup_path, l->sd.name, l->sd.user, &ignored);
  else if (l->cgroup_made && l->cgroup_path)
    remove_cgroup (l->cgroup_path, l->cgroup_existed, l->st.cgroup_made_in, l->cfg, &ignored);
  error_release (&ignored);
  if (l->rdt_joined)
    resctrl_remove (&l->rdt, l->cfg->linux_->intel_rdt, id, &ignored);
  error_release (&ignored);
  if (l->dir_fd >= 0)
    {
      run_poststop (ctx, l->dir_fd, &l->st);
      state_dir_remove (l->root_fd, id, &ignored);
    }
  error_release (&ignored);
  launch_release (l);
}

static int
load_bundle (struct launch *l, const struct create_opts *o, ocirt_error_t *err)
{
  cleanup_free char *config_path = NULL;

  l->bundle = realpath (o->bundle ? o->bundle : ".", NULL);
  if (l->bundle == NULL)
    return make_error (err, errno, "bundle \"%s\"", o->bundle ? o->bundle : ".");
  if (asprintf (&config_path, "%s/config.json", l->bundle) < 0)
    return make_error (err, errno, "bundle");
  l->config_json = oci_read_json_file (config_path, &l->config_len, err);
  if (l->config_json == NULL)
    return -1;
  l->cfg = oci_config_parse (l->config_json, l->config_len, config_path, err);
  if (l->cfg == NULL || oci_config_validate (l->cfg, config_path, err) < 0)
    return -1;
  if (l->cfg->process == NULL)
    return make_error (err, 0, "%s: .process: a process is required to create a container", config_path);

  cleanup_free char *root = NULL;
  const char *rp = l->cfg->root.path;
  if (rp[0] != '/' && asprintf (&root, "%s/%s", l->bundle, rp) < 0)
    return make_error (err, errno, "rootfs");
  l->rootfs = realpath (root ? root : rp, NULL);
  if (l->rootfs == NULL)
    return make_error (err, errno, "rootfs \"%s\"", root ? root : rp);
  if (o->console_socket && !l->cfg->process->terminal)
    return make_error (err, 0, "cannot use console socket if the process does not use a terminal");
  /* The master must go somewhere that outlives this command. */
  if (l->cfg->process->terminal && !o->console_socket && !l->tty_proxy)
    return make_error (err, 0, "cannot allocate tty if ocirt will detach without setting console socket");
  l->console_socket = o->console_socket;
  return 0;
}

/* A relative mount destination is deprecated but still valid (it is taken
 * from the container's "/"): say so in runc 1.1's own words, on stderr or
 * in the --log file, so that a bundle's author hears of it from either. */
static void
warn_relative_mounts (const struct launch *l, const struct runtime_ctx *ctx)
{
  for (size_t i = 0; i < l->cfg->n_mounts; i++)
    if (l->cfg->mounts[i].destination[0] != '/')
      log_write (ctx->log, "warning",
                 "mount destination %s is not absolute. Support for non-absolute mount destinations will be "
                 "removed in a future release.",
                 l->cfg->mounts[i].destination);
}

/* linux.intelRdt, before anything exists: the resctrl mount, and runc's
 * refusal of a schema this host cannot apply. Without resctrl, a config
 * that needs none of it runs without it, as with runc, with a warning. */
static int
prepare_rdt (struct launch *l, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  const struct oci_intel_rdt *rdt = l->cfg->linux_ ? l->cfg->linux_->intel_rdt : NULL;
  const char *warning;

  if (rdt == NULL)
    return 0;
  if (resctrl_open (&l->rdt, err) < 0 || resctrl_check (&l->rdt, rdt, &l->rdt_apply, &warning, err) < 0)
    return -1;
  if (warning)
    log_write (ctx->log, "warning", "%s", warning);
  return 0;
}

/* systemd socket activation, as runc passes it on: LISTEN_FDS=N with
 * LISTEN_PID naming us (the ocirt process the caller started, also when a
 * shim forked from it does the create) (the protocol's guard against inherited variables)
 * means fds 3..3+N-1 are sockets for the container, which sees them with
 * LISTEN_FDS=N and LISTEN_PID=1 (it is its own pid 1). */
static int
pass_listen_fds (struct launch *l, const struct create_opts *o, ocirt_error_t *err)
{
  const char *v = getenv ("LISTEN_FDS");
  const char *for_pid = getenv ("LISTEN_PID");
  char *end;
  l->preserve_fds = o->preserve_fds;
  if (v == NULL || *v == '\0' || for_pid == NULL || strtol (for_pid, NULL, 10) != (long) l->cli_pid)
    return 0;
  long n = strtol (v, &end, 10);
  if (*end || n <= 0 || n > 65536)
    return 0;
  l->preserve_fds += (int) n;
  struct oci_process *p = l->cfg->process;
  char **env = realloc (p->env, (p->n_env + 3) * sizeof *env);
  if (env == NULL)
    return make_error (err, errno, "LISTEN_FDS");
  p->env = env;
  if (asprintf (&env[p->n_env], "LISTEN_FDS=%ld", n) < 0 || (env[p->n_env + 1] = strdup ("LISTEN_PID=1")) == NULL)
    return make_error (err, ENOMEM, "LISTEN_FDS");
  p->n_env += 2;
  env[p->n_env] = NULL;
  return 0;
}

/* Parse what can be parsed before clone, so its errors need no sync. */
static int
prepare_security (struct launch *l, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  const struct oci_process *p = l->cfg->process;
  const struct oci_linux *lx = l->cfg->linux_;

  if (lsm_check (p, lx, err) < 0 || sysctl_validate (l->cfg, err) < 0 || scheduling_validate (p, lx, err) < 0
      || netdev_validate (l->cfg, err) < 0)
    return -1;
  if (p->capabilities)
    {
      cleanup_strv char **warnings = NULL;
      if (caps_parse (p->capabilities, &l->caps, &warnings, err) < 0)
        return -1;
      for (char **w = warnings; w && *w; w++)
        log_write (ctx->log, "warning", "%s", *w);
      l->has_caps = true;
    }
  if (lx && lx->seccomp)
    {
      cleanup_strv char **warnings = NULL;
      if (seccomp_prepare (lx->seccomp, &l->seccomp, &warnings, err) < 0)
        return -1;
      for (char **w = warnings; w && *w; w++)
        log_write (ctx->log, "warning", "%s", *w);
    }
  return 0;
}

/* exec and delete read the config from here, never from the bundle, which
 * may have changed or gone since create. */
static int
write_config_copy (struct launch *l, ocirt_error_t *err)
{
  cleanup_close int fd = openat (l->dir_fd, STATE_CONFIG_COPY, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error (err, errno, "write %s", STATE_CONFIG_COPY);
  if (write_all (fd, l->config_json, l->config_len) < 0)
    return make_error (err, errno, "write %s", STATE_CONFIG_COPY);
  return 0;
}

static int
write_initial_state (struct launch *l, const struct create_opts *o, ocirt_error_t *err)
{
  struct container_state *st = &l->st;
  const struct oci_config *cfg = l->cfg;

  st->oci_version = strdup (cfg->oci_version);
  st->id = strdup (o->id);
  st->bundle = strdup (l->bundle);
  st->rootfs = strdup (l->rootfs);
  st->created = rfc3339_now ();
  st->owner = strdup ("");
  st->cgroup_path = strdup (l->cgroup_path);
  if (l->sd.name)
    st->systemd_unit = strdup (l->sd.name);
  st->systemd_user = l->sd.user;
  st->no_pivot = o->no_pivot;
  st->no_new_keyring = o->no_new_keyring;
  if (cfg->n_annotations)
    {
      st->annotation_keys = calloc (cfg->n_annotations, sizeof (char *));
      st->annotation_values = calloc (cfg->n_annotations, sizeof (char *));
      if (st->annotation_keys == NULL || st->annotation_values == NULL)
        return make_error (err, errno, "state");
      for (size_t i = 0; i < cfg->n_annotations; i++)
        {
          st->annotation_keys[i] = strdup (cfg->annotations[i].key);
          st->annotation_values[i] = strdup (cfg->annotations[i].value);
        }
      st->n_annotations = cfg->n_annotations;
    }
  if (write_config_copy (l, err) < 0)
    return -1;
  return state_write (l->dir_fd, st, err);
}

static int
make_exec_fifo (struct launch *l, ocirt_error_t *err)
{
  /* 0622: the init may run as a mapped, unprivileged uid and still has to
   * open it for writing; only root (the state dir is 0700) can read it. */
  if (mkfifoat (l->dir_fd, STATE_EXEC_FIFO, 0622) < 0 || fchmodat (l->dir_fd, STATE_EXEC_FIFO, 0622, 0) < 0)
    return make_error (err, errno, "create exec fifo");
  l->fifo_fd = openat (l->dir_fd, STATE_EXEC_FIFO, O_PATH | O_CLOEXEC);
  if (l->fifo_fd < 0)
    return make_error (err, errno, "open exec fifo");
  return 0;
}

static int
spawn_init (struct launch *l, const struct runtime_ctx *ctx, const struct create_opts *o,
            ocirt_error_t *err)
{
  int sv[2];

  /* The host /proc, checked once: the id maps, oom_score_adj and the exec
   * fifo are reached through it, never through a path string. */
  l->proc_fd = procfs_open ("/proc", err);
  if (l->proc_fd < 0)
    return -1;
  /* Where the init will be root of a user namespace only, it may not
   * reach what the runtime can: take the bind sources now. An
   * unprivileged runtime reaches no more than its init, and could not
   * clone a mount tree (open_tree) anyway: its init binds by path. */
  bool userns = l->ns.clone_flags & CLONE_NEWUSER || l->ns.join_fd[OCI_NS_USER] >= 0;
  bool all_sources = userns && !idmap_unprivileged ();
  /* Idmapped mounts are cloned here too, user namespace or not: only a
   * detached clone can get an idmap. */
  if ((all_sources || rootfs_has_idmapped_mounts (l->cfg))
      && rootfs_sources_open (l->cfg, l->bundle, !all_sources, l->ns.join_fd[OCI_NS_USER],
                              l->proc_fd, &l->sources, err) < 0)
    return -1;
  /* Decided here, not in the child: once we have written its uid map, the
   * child's geteuid() is 0 and it would take itself for privileged (and
   * turn non-dumpable while we still write its gid map). */
  bool maps_by_parent = (l->ns.clone_flags & CLONE_NEWUSER) && idmap_unprivileged ();
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return make_error (err, errno, "socketpair");
  /* runc's name for this stage, which its debug tests look for. */
  log_debug (ctx->log, "nsexec container setup: cloning the init of container %s", o->id);
  pid_t pid = ns_clone_init (&l->ns, &l->pidfd, l->cgroup_fd, &l->cloned_into_cgroup, err);
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return -1;
    }
  if (pid == 0)
    {
      close (sv[0]);
      struct init_args a = {
        .cfg = l->cfg, .id = o->id, .process = l->cfg->process, .rootfs = l->rootfs, .bundle = l->bundle, .ns = &l->ns, .sync_fd = sv[1],
        .sources = l->sources.fds ? &l->sources : NULL,
        .fifo_fd = l->fifo_fd, .proc_fd = l->proc_fd, .no_pivot = o->no_pivot, .no_new_keyring = o->no_new_keyring,
        .preserve_fds = l->preserve_fds, .caps = l->has_caps ? &l->caps : NULL,
        .seccomp = l->seccomp, .stdio = l->stdio,
        .dumpable_until_go = maps_by_parent, .log = ctx->log,
      };
      container_init (&a);
    }
  close (sv[1]);
  l->sync_fd = sv[0];
  l->pid = pid;
  return 0;
}

/* The init's pty master: to --console-socket, or kept for our own proxy. */
int
receive_terminal (int sync_fd, const char *console_socket, int *keep, ocirt_error_t *err)
{
  cleanup_close int master = -1;
  cleanup_free char *name = NULL;
  if (fd_recv (sync_fd, &master, &name, err) < 0)
    return wrap_error (err, "receive the terminal");
  if (console_socket == NULL)
    {
      /* Our proxy will relay our terminal: start with its size. */
      struct winsize ws;
      for (int fd = 0; fd < 3; fd++)
        if (ioctl (fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
          {
            ioctl (master, TIOCSWINSZ, &ws);
            break;
          }
      *keep = steal_fd (&master);
    }
  else if (console_socket_send (console_socket, master, name, err) < 0)
    return -1;
  return sync_send (sync_fd, SYNC_TERMINAL_DONE, 0, NULL, err);
}

/* The state document handed to hooks that run on the host side. */
static char *
hook_state (const struct launch *l, enum container_status status)
{
  struct container_state st = l->st;
  st.pid = status == STATUS_STOPPED ? 0 : l->pid;
  return container_state_json (&st, status);
}

/* linux.netDevices into the init's network namespace (new or joined),
 * which exists by now. */
static int
move_net_devices (struct launch *l, ocirt_error_t *err)
{
  const struct oci_linux *lx = l->cfg->linux_;
  char rel[64];

  if (lx == NULL || lx->n_net_devices == 0)
    return 0;
  snprintf (rel, sizeof rel, "%d/ns/net", (int) l->pid);
  cleanup_close int netns = openat (l->proc_fd, rel, O_RDONLY | O_CLOEXEC);
  if (netns < 0)
    return make_error (err, errno, "linux.netDevices: open /proc/%s", rel);
  return netdev_move_all (lx, netns, l->proc_fd, err);
}

/* The network devices first, so that these hooks see them; then prestart
 * (deprecated, same moment) and createRuntime: the init's namespaces
 * exist, its rootfs is not set up yet. */
static int
run_runtime_hooks (struct launch *l, ocirt_error_t *err)
{
  if (move_net_devices (l, err) < 0)
    return -1;
  cleanup_free char *json = hook_state (l, STATUS_CREATING);
  if (json == NULL)
    return make_error (err, ENOMEM, "hooks: state");
  if (hooks_run (&l->cfg->hooks.prestart, "prestart", json, err) < 0)
    return -1;
  return hooks_run (&l->cfg->hooks.create_runtime, "createRuntime", json, err);
}

/* --rootless, with auto resolved as runc's shouldUseRootlessCgroupManager:
 * not root, or root of a user namespace only. */
static bool
rootless_cgroups (const struct runtime_ctx *ctx)
{
  if (ctx->rootless >= 0)
    return ctx->rootless;
  return geteuid () != 0 || idmap_in_user_namespace ();
}

/* runc's rootless rule: a container whose cgroup the caller may not make
 * (cgroup v1, or v2 without a delegated subtree) runs in the caller's
 * cgroup, unless it asks for limits, which would then silently not hold.
 * Device rules do not count (see cgroup_first_limit). A cgroupsPath the
 * config names is not dropped: that cgroup was asked for. */
static int
rootless_without_cgroup (struct launch *l, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  const struct oci_linux *lx = l->cfg->linux_;
  int e = (*err)->errno_value;

  if (!rootless_cgroups (ctx) || (lx && lx->cgroups_path && *lx->cgroups_path)
      || (e != EACCES && e != EPERM && e != EROFS))
    return -1;
  const char *limit = cgroup_first_limit (lx ? lx->resources : NULL);
  if (limit)
    {
      error_release (err);
      return make_error (err, 0, "cannot set %s limit: container could not join or create cgroup",
                         limit);
    }
  error_release (err);
  free (l->cgroup_path);
  free (l->st.cgroup_path);
  l->cgroup_path = l->st.cgroup_path = NULL;
  return 0;
}

/* The container's cgroup, with its limits, exists before its init: the
 * init never runs unlimited, and on v2 it is cloned straight into it.
 * A cgroup that already holds processes (another container's, as in pods
 * that share one) is used with runc 1.1's warning; it is then not this
 * container's to kill or remove, neither on a failed create nor on delete. */
static int
prepare_cgroup (struct launch *l, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  const struct oci_linux *lx = l->cfg->linux_;
  size_t procs = 0;

  if (lx && cgroup_kmem_ignored (lx->resources, false))
    log_write (ctx->log, "warning", "%s", CGROUP_KMEM_IGNORED);
  /* systemd makes the cgroup around the init (join_systemd_unit). */
  if (l->sd.name)
    return 0;

  if (cgroup_create_for_init (l->cgroup_path, lx ? lx->resources : NULL, &l->cgroup_fd,
                              &l->cgroup_existed, &l->st.cgroup_made_in, &procs, err) < 0)
    return rootless_without_cgroup (l, ctx, err);
  /* runc 1.1 goes on; the cgroup was there before, so it is recorded as
   * not ocirt's (cgroup_existed) and never removed or killed wholesale. */
  if (procs > 0)
    log_write (ctx->log, "warning", "container's cgroup is not empty: %zu process(es) found",
               procs);
  l->cgroup_made = true;
  l->st.cgroup_existed = l->cgroup_existed;
  return 0;
}

/* The child forked the real init into the pid namespace it made (see
 * namespaces.h) and exits: from now on, the init is that grandchild. It is
 * in the cgroup already (forked after "go"). Whoever is the nearest child
 * subreaper reaps it: the shim, a manager, or `run` in the foreground. */
static int
adopt_forked_init (struct launch *l, pid_t init, ocirt_error_t *err)
{
  if (init <= 0)
    return make_error (err, EPROTO, "sync: the forked init has pid %d", (int) init);
  int pidfd = (int) syscall (SYS_pidfd_open, init, 0);
  if (pidfd < 0)
    return make_error (err, errno, "open the forked init (pid %d)", (int) init);
  waitpid (l->pid, NULL, 0);
  close_fd (&l->pidfd);
  l->pidfd = pidfd;
  l->pid = init;
  return 0;
}

/* The init's filter is in: its SCMP_ACT_NOTIFY listener goes to the agent,
 * with the state as runc sends it (status "creating", the host pid). */
static int
forward_seccomp_listener (struct launch *l, int remote_fd, ocirt_error_t *err)
{
  struct container_state st = l->st;
  st.pid = l->pid;
  cleanup_free char *json = container_state_json (&st, STATUS_CREATING);
  if (json == NULL)
    return make_error (err, ENOMEM, "seccomp listener: state");
  if (seccomp_forward_listener (l->pidfd, remote_fd, l->cfg->linux_->seccomp, l->pid, json, err) < 0)
    return -1;
  return sync_send (l->sync_fd, SYNC_SECCOMP_DONE, 0, NULL, err);
}

/* The systemd driver: a scope can only be started with a process in it,
 * so the init (still waiting for "go") goes into a transient unit, and the
 * limits follow: unit properties, then the cgroup files on its path as
 * with cgroupfs (hierarchies systemd left out on v1 are made here). */
static int
join_systemd_unit (struct launch *l, const struct runtime_ctx *ctx, pid_t pid, ocirt_error_t *err)
{
  const struct oci_linux *lx = l->cfg->linux_;
  size_t procs = 0;

  if (systemd_unit_start (&l->sd, pid, &l->cgroup_existed, err) < 0)
    return -1;
  l->cgroup_made = true;
  l->st.cgroup_existed = l->cgroup_existed;
  /* Another container's live unit: shared as a found cgroupfs cgroup is
   * (never stopped or removed by this container), with the limits set on
   * it too, as runc 1.1 does. */
  if (l->cgroup_existed && lx && systemd_unit_update (l->sd.name, l->sd.user, lx->resources, err) < 0)
    return -1;
  if (cgroup_create_and_enter (l->cgroup_path, pid, &procs, err) < 0
      || (lx && cgroup_apply_resources (l->cgroup_path, lx->resources, err) < 0))
    return wrap_error (err, "systemd unit \"%s\"", l->sd.name);
  if (l->cgroup_existed && procs > 0)
    log_write (ctx->log, "warning", "container's cgroup is not empty: %zu process(es) found", procs);
  return 0;
}

/* The container's first process (the init, or criu that restores it) goes
 * into a transient unit, or into the cgroup prepare_cgroup made (unless
 * clone3 put it there). */
static int
place_in_cgroup (struct launch *l, const struct runtime_ctx *ctx, pid_t pid, ocirt_error_t *err)
{
  if (l->sd.name)
    return join_systemd_unit (l, ctx, pid, err);
  if (l->cloned_into_cgroup || l->cgroup_path == NULL)
    return 0;
  return cgroup_enter (l->cgroup_path, pid, err);
}

/* Then its resctrl group, which what it forks inherits, as runc puts it
 * there after the cgroup. */
static int
place_in_groups (struct launch *l, const struct runtime_ctx *ctx, pid_t pid, ocirt_error_t *err)
{
  if (place_in_cgroup (l, ctx, pid, err) < 0)
    return -1;
  if (!l->rdt_apply)
    return 0;
  if (resctrl_join (&l->rdt, l->cfg->linux_->intel_rdt, l->st.id, pid, err) < 0)
    return -1;
  l->rdt_joined = true;
  return 0;
}

/* A map that cannot be written because the init is gone (its /proc files
 * are root's once it has exited) says so, with how it ended: a permission
 * error alone would point at the mapping. */
static int
init_died_first (struct launch *l, ocirt_error_t *err)
{
  siginfo_t info = { 0 };
  if (waitid (P_PID, (id_t) l->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid != l->pid)
    return -1;
  if (info.si_code == CLD_EXITED)
    return wrap_error (err, "container init (pid %d) exited with status %d before its id maps were written",
                       (int) l->pid, info.si_status);
  return wrap_error (err, "container init (pid %d) was killed by signal %d before its id maps were written",
                     (int) l->pid, info.si_status);
}

/* Parent's half of the handshake: put the init in its cgroup and give it
 * its uid/gid maps, then let it set itself up and wait for its verdict. */
static int
configure_init (struct launch *l, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  const struct oci_linux *lx = l->cfg->linux_;

  if (place_in_groups (l, ctx, l->pid, err) < 0)
    return -1;
  if ((l->ns.clone_flags & CLONE_NEWUSER) && idmap_write (l->pid, lx, l->proc_fd, err) < 0)
    return init_died_first (l, err);
  if (sync_send (l->sync_fd, SYNC_GO, 0, NULL, err) < 0)
    return -1;
  for (;;)
    {
      struct sync_msg msg;
      cleanup_free char *payload = NULL;
      if (sync_recv (l->sync_fd, &msg, &payload, err) < 0)
        return -1;
      switch (msg.type)
        {
        case SYNC_READY:
          return 0;
        case SYNC_PID:
          if (adopt_forked_init (l, msg.value, err) < 0)
            return -1;
          break;
        case SYNC_HOOKS:
          if (run_runtime_hooks (l, err) < 0 || sync_send (l->sync_fd, SYNC_HOOKS_DONE, 0, NULL, err) < 0)
            return -1;
          break;
        case SYNC_TERMINAL:
          if (receive_terminal (l->sync_fd, l->console_socket, &l->tty_master, err) < 0)
            return -1;
          break;
        case SYNC_SECCOMP:
          if (forward_seccomp_listener (l, msg.value, err) < 0)
            return -1;
          break;
        case SYNC_ERROR:
          make_error (err, 0, "%s", payload);
          (*err)->errno_value = msg.value;
          return -1;
        default:
          return make_error (err, EPROTO, "sync: unexpected message %u", msg.type);
        }
    }
}

/* A relative --pid-file is relative to where ocirt was started, which is
 * not the bundle that launch() moves into. */
static char *
absolute_path (const char *path, ocirt_error_t *err)
{
  char *abs = NULL;
  if (path[0] == '/')
    return strdup (path);
  cleanup_free char *cwd = getcwd (NULL, 0);
  if (cwd == NULL || asprintf (&abs, "%s/%s", cwd, path) < 0)
    make_error (err, errno, "path \"%s\"", path);
  return abs;
}

/* `run` starts at once: wait until the init has exec'd (its sync socket
 * closes; a failure after "ready" arrives as a message instead), then run
 * the poststart hooks. */
static int
started_hooks (struct launch *l, ocirt_error_t *err)
{
  struct sync_msg msg;
  cleanup_free char *payload = NULL;
  ocirt_error_t eof = NULL;
  if (sync_recv (l->sync_fd, &msg, &payload, &eof) == 0 && msg.type == SYNC_ERROR)
    {
      make_error (err, 0, "%s", payload);
      (*err)->errno_value = msg.value;
      return -1;
    }
  error_release (&eof);
  if (l->cfg->hooks.poststart.n_hooks == 0)
    return 0;
  cleanup_free char *json = hook_state (l, STATUS_RUNNING);
  return hooks_run (&l->cfg->hooks.poststart, "poststart", json, err);
}

/* Before anything exists: an unprivileged caller gets root only in a user
 * namespace, and may map only the ids it owns (idmap.h). */
static int
check_rootless (struct launch *l, ocirt_error_t *err)
{
  if (!idmap_unprivileged ())
    return 0;
  if (!(l->ns.clone_flags & CLONE_NEWUSER) && l->ns.join_fd[OCI_NS_USER] < 0)
    return make_error (err, 0, "rootless container requires user namespaces");
  if (l->ns.clone_flags & CLONE_NEWUSER)
    return idmap_check (l->cfg->linux_, err);
  return 0;
}

struct restore_place
{
  struct launch *l;
  const struct runtime_ctx *ctx;
};

static int
place_criu (pid_t pid, void *data, ocirt_error_t *err)
{
  struct restore_place *p = data;
  return place_in_groups (p->l, p->ctx, pid, err);
}

/* restore: the init comes from criu's images instead of a clone, as our
 * child (the shim's in standalone use). criu is put where a cloned init
 * would be (with --systemd-cgroup, the unit is started with criu's pid, as
 * runc does) and restores the tasks into that cgroup. */
static int
restore_init (struct launch *l, const struct runtime_ctx *ctx, const struct create_opts *o,
              ocirt_error_t *err)
{
  struct restore_place place = { .l = l, .ctx = ctx };
  struct criu_restore_target t = { .cfg = l->cfg, .rootfs = l->rootfs, .cgroup_path = l->cgroup_path,
                                   .place = place_criu, .place_data = &place,
                                   .dir_fd = l->dir_fd, .stdio = l->stdio };
  pid_t pid = criu_restore (o->restore, &t, err);
  if (pid < 0)
    return -1;
  l->pid = pid;
  l->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (l->pidfd < 0)
    return make_error (err, errno, "open the restored init (pid %d)", (int) pid);
  return 0;
}

static int
launch (const struct runtime_ctx *ctx, const struct create_opts *o, bool wait_for_start,
        const char *shim_log, struct launch *l, ocirt_error_t *err)
{
  cleanup_free char *pid_file = NULL;
  if (o->pid_file && (pid_file = absolute_path (o->pid_file, err)) == NULL)
    return -1;
  if (state_validate_id (o->id, err) < 0 || load_bundle (l, o, err) < 0)
    return -1;
  warn_relative_mounts (l, ctx);
  if (o->no_subreaper && joins_pid_namespace (l->cfg))
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (pass_listen_fds (l, o, err) < 0 || prepare_security (l, ctx, err) < 0 || prepare_rdt (l, ctx, err) < 0
      || ns_plan_build (l->cfg->linux_, &l->ns, err) < 0)
    return -1;
  /* Hooks run in the bundle, as runc's do. */
  if (chdir (l->bundle) < 0)
    return make_error (err, errno, "chdir to bundle \"%s\"", l->bundle);
  if (check_rootless (l, err) < 0)
    return -1;
  const struct oci_linux *lx = l->cfg->linux_;
  const char *cgroups_path = lx ? lx->cgroups_path : NULL;
  if (ctx->systemd_cgroup)
    {
      /* All of it before the state dir: a bad path or annotation, or no
       * systemd, leaves nothing behind. */
      if (systemd_unit_prepare (cgroups_path, o->id, lx ? lx->resources : NULL,
                                l->cfg->annotations, l->cfg->n_annotations,
                                rootless_cgroups (ctx), &l->sd, err) < 0)
        return -1;
      l->cgroup_path = strdup (l->sd.path);
    }
  else
    l->cgroup_path = (cgroups_path == NULL || *cgroups_path == '\0') && rootless_cgroups (ctx)
                       ? cgroup_rootless_default_path (o->id, err)
                       : cgroup_resolve_path (cgroups_path, o->id, err);
  if (l->cgroup_path == NULL)
    return -1;
  l->root_fd = state_root_open (ctx->root, err);
  if (l->root_fd < 0)
    return -1;
  l->dir_fd = state_dir_create (l->root_fd, o->id, err);
  if (l->dir_fd < 0)
    return -1;
  /* The shim's log exists before the lock is released, so a delete that
   * races the shim never sees a file appear in the directory it empties. */
  if (shim_log)
    {
      int fd = open (shim_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0)
        return make_error (err, errno, "create the log \"%s\"", shim_log);
      close (fd);
    }
  if (write_initial_state (l, o, err) < 0 || (wait_for_start && make_exec_fifo (l, err) < 0)
      || prepare_cgroup (l, ctx, err) < 0)
    return -1;
  if (o->restore ? restore_init (l, ctx, o, err) < 0
                 : spawn_init (l, ctx, o, err) < 0 || configure_init (l, ctx, err) < 0)
    return -1;
  if (pid_file && write_pid_file (pid_file, l->pid, err) < 0)
    return -1;
  struct monitor_limits limits;
  if (monitor_limits_from_config (l->cfg, &limits, err))
    {
      /* The monitor's device is root's: rootless, the cgroup (if any)
       * enforces the limits alone. */
      if (monitor_register (ctx->log, l->pid, o->id, &limits, err) < 0)
        {
          if (((*err)->errno_value != EACCES && (*err)->errno_value != EPERM) || !rootless_cgroups (ctx))
            return -1;
          error_release (err);
        }
    }
  else if (*err)
    return -1;
  l->st.pid = l->pid;
  l->st.start_time = proc_start_time (l->pid);
  l->st.created_done = true;
  if (!wait_for_start && !o->restore && started_hooks (l, err) < 0)
    return -1;
  if (shim_log)
    {
      l->st.shim_pid = getpid ();
      l->st.shim_start_time = proc_start_time (l->st.shim_pid);
      l->st.shim_log = strdup (shim_log);
    }
  return state_write (l->dir_fd, &l->st, err);
}

/* The log file of a shim: --log-path, or container.log in the state dir.
 * Absolute, because `logs` reads it from wherever it is run. */
static char *
shim_log_path (const struct runtime_ctx *ctx, const struct create_opts *o, ocirt_error_t *err)
{
  char *path = NULL;
  if (o->log_path && o->log_path[0] == '/')
    return strdup (o->log_path);
  cleanup_free char *cwd = getcwd (NULL, 0);
  if (cwd == NULL)
    {
      make_error (err, errno, "getcwd");
      return NULL;
    }
  int r = o->log_path ? asprintf (&path, "%s/%s", cwd, o->log_path)
          : ctx->root[0] == '/' ? asprintf (&path, "%s/%s/%s", ctx->root, o->id, SHIM_LOG_FILE)
                                : asprintf (&path, "%s/%s/%s/%s", cwd, ctx->root, o->id, SHIM_LOG_FILE);
  if (r < 0)
    {
      make_error (err, errno, "log path");
      return NULL;
    }
  return path;
}

/* create, or run -d: the container outlives this invocation. In standalone
 * use the shim does the create, so that it is the init's parent, and this
 * process only waits for its verdict. */
static int
create_detached (const struct runtime_ctx *ctx, const struct create_opts *o, bool wait_for_start,
                 ocirt_error_t *err)
{
  struct launch l;
  struct shim s;
  cleanup_free char *log_path = NULL;

  launch_init (&l);
  if (!shim_wanted (o->shim))
    {
      if (launch (ctx, o, wait_for_start, NULL, &l, err) < 0)
        {
          launch_abort (ctx, &l, o->id);
          return -1;
        }
      launch_release (&l);
      return 0;
    }
  log_path = shim_log_path (ctx, o, err);
  if (log_path == NULL)
    return -1;
  pid_t shim = shim_fork (&s, err);
  if (shim < 0)
    return -1;
  if (shim > 0)
    return shim_wait_report (s.report_fd, err);

  /* In the shim. It re-executes itself lean (shim.h), which starts the log
   * pump before the verdict: if it cannot, the create fails instead of the
   * container writing into a closed pipe. */
  l.stdio = s.stdio;
  /* Opened before `start`, so no event of this container can be missed. */
  int monitor_fd = -1;
  if (launch (ctx, o, wait_for_start, log_path, &l, err) == 0)
    {
      monitor_fd = monitor_open_events ();
      shim_exec_lean (&s, ctx->root, o->id, log_path, l.pid, monitor_fd, err);
    }
  launch_abort (ctx, &l, o->id);
  shim_report (&s, *err);
  _exit (1);
}

void
container_lean_shim_main (int argc, char **argv)
{
  struct shim s;
  struct shim_lean_args a;
  ocirt_error_t err = NULL;

  /* What loading ocirt faulted in (the dynamic loader, libc's symbol
   * tables) is of no more use: dropped before the pump starts, it never
   * adds to the shim's peak. */
  shim_shed_code ();
  if (shim_lean_parse (argc, argv, &s, &a) < 0)
    _exit (2);
  if (shim_start_logging (&s, a.root, a.id, a.log_path, &err) < 0)
    {
      struct log_sink no_log = { .fd = -1 };
      struct runtime_ctx ctx = { .root = a.root, .log = &no_log };
      ocirt_error_t ignored = NULL;
      /* As launch_abort: the failed create leaves nothing behind. */
      kill (a.init, SIGKILL);
      waitpid (a.init, NULL, 0);
      container_delete (&ctx, a.id, true, &ignored);
      error_release (&ignored);
      shim_report (&s, err);
      _exit (1);
    }
  shim_report (&s, NULL);
  shim_serve (&s, a.init, a.monitor_fd);
}

int
container_create (const struct runtime_ctx *ctx, const struct create_opts *o, ocirt_error_t *err)
{
  if (create_detached (ctx, o, true, err) < 0)
    return wrap_error (err, "create container \"%s\"", o->id);
  return 0;
}

struct oci_config *
container_read_config (int dir_fd, ocirt_error_t *err)
{
  cleanup_free char *json = NULL;
  size_t len = 0;
  if (read_file_at (dir_fd, STATE_CONFIG_COPY, 64 << 20, &json, &len, err) < 0)
    {
      wrap_error (err, "read the container's config");
      return NULL;
    }
  return oci_config_parse (json, len, STATE_CONFIG_COPY, err);
}

/* ---- status ------------------------------------------------------------ */

/* A create holds the directory's exclusive lock until it has written its
 * final state, and a killed one has lost it. A caller that holds any lock
 * itself knows no create is running; a reader without a lock asks the lock,
 * through its own open file so that nothing it holds is converted. */
static bool
create_in_progress (int dir_fd, bool locked)
{
  if (locked)
    return false;
  cleanup_close int probe = openat (dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (probe < 0)
    return true;
  return flock (probe, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static enum container_status
derive_status (int dir_fd, const struct container_state *st, bool locked)
{
  if (!st->created_done)
    return create_in_progress (dir_fd, locked) ? STATUS_CREATING : STATUS_STOPPED;
  if (st->pid <= 0 || !state_process_alive (st->pid, st->start_time))
    return STATUS_STOPPED;
  /* Frozen first, as runc: a created container can be paused too, and
   * then start must refuse it instead of waiting on a frozen init. */
  if (st->cgroup_path && cgroup_is_frozen (st->cgroup_path))
    return STATUS_PAUSED;
  if (faccessat (dir_fd, STATE_EXEC_FIFO, F_OK, 0) == 0)
    return STATUS_CREATED;
  return STATUS_RUNNING;
}

static int
open_container (const struct runtime_ctx *ctx, const char *id, int lock_op, int *root_fd,
                int *dir_fd, ocirt_error_t *err)
{
  if (state_validate_id (id, err) < 0)
    return -1;
  *root_fd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*root_fd < 0)
    {
      if (errno == ENOENT)
        {
          make_error (err, 0, "container does not exist");
          (*err)->errno_value = ENOENT;
          return -1;
        }
      return make_error (err, errno, "open state root \"%s\"", ctx->root);
    }
  *dir_fd = state_dir_open (*root_fd, id, lock_op, err);
  return *dir_fd < 0 ? -1 : 0;
}

int
container_load (const struct runtime_ctx *ctx, const char *id, struct container_state *st,
                enum container_status *status, ocirt_error_t *err)
{
  cleanup_close int root_fd = -1;
  cleanup_close int dir_fd = -1;
  /* No lock: state and list must answer at once, even while a create runs
   * slow hooks (rename keeps each read whole). */
  if (open_container (ctx, id, 0, &root_fd, &dir_fd, err) < 0)
    return -1;
  if (state_read (dir_fd, st, err) < 0)
    {
      /* No state file: a create still writing its first one holds the
       * lock (it locks its private directory before the rename), while
       * the remnant of a killed create or delete does not, and is stopped
       * until delete --force removes it. */
      if ((*err)->errno_value != ENOENT)
        return -1;
      error_release (err);
      state_clear (st);
      st->id = strdup (id);
      st->oci_version = strdup (OCI_VERSION);
      *status = create_in_progress (dir_fd, false) ? STATUS_CREATING : STATUS_STOPPED;
      return 0;
    }
  *status = derive_status (dir_fd, st, false);
  return 0;
}

/* ---- start ------------------------------------------------------------- */

/* Open the fifo for reading, which releases the init blocked in its open for
 * writing, and wait for its byte. The pidfd catches an init that died. */
static int
release_init (int dir_fd, int pidfd, ocirt_error_t *err)
{
  char verdict[4096];
  size_t len = 0;
  cleanup_close int fifo = openat (dir_fd, STATE_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return make_error (err, errno, "open exec fifo");
  /* The init answers "0" (go) or "E<message>" (a startContainer hook
   * failed), and its end closes at execve: read until EOF, so `start`
   * returns once the user's program runs. The pidfd catches an init that
   * died without a word. */
  struct pollfd fds[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      int n = poll (fds, 2, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return make_error (err, errno, "wait for the container init");
      if (fds[0].revents & (POLLIN | POLLHUP))
        {
          ssize_t r = read (fifo, verdict + len, sizeof verdict - 1 - len);
          if (r > 0)
            {
              len += (size_t) r;
              if (len < sizeof verdict - 1)
                continue;
            }
          if (r < 0 && errno == EAGAIN)
            continue;
          break;
        }
      if ((fds[1].revents & POLLIN) && len == 0)
        return make_error (err, 0, "container init exited before it was started");
      if (fds[1].revents & POLLIN)
        break;
    }
  verdict[len] = '\0';
  if (unlinkat (dir_fd, STATE_EXEC_FIFO, 0) < 0)
    return make_error (err, errno, "remove exec fifo");
  if (len == 0)
    return make_error (err, 0, "container init exited before it was started");
  if (verdict[0] == 'E')
    return make_error (err, 0, "%s", verdict + 1);
  /* "0" then "E<message>": released, but the process could not be run. */
  if (verdict[1] == 'E')
    return make_error (err, 0, "%s", verdict + 2);
  return 0;
}

/* A pidfd that is proven to refer to the container's init: opened first,
 * then checked against the recorded start time, so a recycled pid is never
 * signalled. */
static int
open_init_pidfd (const struct container_state *st)
{
  int fd = (int) syscall (SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return -1;
  if (!state_process_alive (st->pid, st->start_time))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}

/* poststart: in the runtime namespace, once the user's program runs. A
 * failure is an error and stops the container (runtime.md, step 9). */
static int
run_poststart (int dir_fd, struct container_state *st, int pidfd, ocirt_error_t *err)
{
  cleanup_config struct oci_config *cfg = NULL;
  if (faccessat (dir_fd, STATE_CONFIG_COPY, F_OK, 0) < 0)
    return 0;
  cfg = container_read_config (dir_fd, err);
  if (cfg == NULL)
    return -1;
  if (cfg->hooks.poststart.n_hooks == 0)
    return 0;
  cleanup_free char *json = container_state_json (st, STATUS_RUNNING);
  if (st->bundle && chdir (st->bundle) < 0)
    return make_error (err, errno, "chdir to bundle \"%s\"", st->bundle);
  if (hooks_run (&cfg->hooks.poststart, "poststart", json, err) < 0)
    {
      syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
      return -1;
    }
  return 0;
}

int
container_start (const struct runtime_ctx *ctx, const char *id, ocirt_error_t *err)
{
  cleanup_close int root_fd = -1;
  cleanup_close int dir_fd = -1;
  cleanup_close int pidfd = -1;
  struct container_state st = { 0 };
  int ret = -1;

  if (open_container (ctx, id, LOCK_EX, &root_fd, &dir_fd, err) < 0 || state_read (dir_fd, &st, err) < 0)
    goto out;
  switch (derive_status (dir_fd, &st, true))
    {
    case STATUS_CREATED:
      break;
    case STATUS_STOPPED:
      make_error (err, 0, "cannot start a container that has stopped");
      goto out;
    case STATUS_RUNNING:
      make_error (err, 0, "cannot start an already running container");
      goto out;
    case STATUS_PAUSED:
      make_error (err, 0, "cannot start a container in the paused state");
      goto out;
    case STATUS_CREATING:
      make_error (err, 0, "cannot start a container that is still being created");
      goto out;
    }
  pidfd = open_init_pidfd (&st);
  if (pidfd < 0)
    {
      make_error (err, 0, "cannot start a container that has stopped");
      goto out;
    }
  ret = release_init (dir_fd, pidfd, err);
  if (ret == 0)
    ret = run_poststart (dir_fd, &st, pidfd, err);
out:
  state_clear (&st);
  return ret;
}

/* poststop: after the container is gone. Each failure is a warning and
 * the remaining hooks still run (runtime.md, step 13). */
static void
run_poststop (const struct runtime_ctx *ctx, int dir_fd, const struct container_state *st)
{
  ocirt_error_t err = NULL;
  cleanup_config struct oci_config *cfg = NULL;
  if (faccessat (dir_fd, STATE_CONFIG_COPY, F_OK, 0) < 0)
    return;
  cfg = container_read_config (dir_fd, &err);
  if (cfg == NULL || cfg->hooks.poststop.n_hooks == 0)
    {
      if (err)
        log_write (ctx->log, "warning", "poststop hooks: %s", err->message);
      error_release (&err);
      return;
    }
  cleanup_free char *json = container_state_json (st, STATUS_STOPPED);
  if (st->bundle && chdir (st->bundle) < 0)
    log_write (ctx->log, "warning", "poststop hooks: chdir to bundle \"%s\": %s", st->bundle, errno_text (errno));
  for (size_t i = 0; i < cfg->hooks.poststop.n_hooks; i++)
    if (hooks_run_one (&cfg->hooks.poststop.hooks[i], "poststop", i, json, &err) < 0)
      {
        log_write (ctx->log, "warning", "%s", err->message);
        error_release (&err);
      }
}

/* ---- run --------------------------------------------------------------- */

static void
destroy_launched (const struct runtime_ctx *ctx, struct launch *l, const char *id)
{
  ocirt_error_t ignored = NULL;
  if (l->cgroup_path && l->sd.name && !l->cgroup_existed)
    remove_systemd_cgroup (l->cgroup_path, l->sd.name, l->sd.user, &ignored);
  else if (l->cgroup_path)
    remove_cgroup (l->cgroup_path, l->cgroup_existed, l->st.cgroup_made_in, l->cfg, &ignored);
  error_release (&ignored);
  if (l->rdt_joined)
    resctrl_remove (&l->rdt, l->cfg->linux_->intel_rdt, id, &ignored);
  error_release (&ignored);
  run_poststop (ctx, l->dir_fd, &l->st);
  state_dir_remove (l->root_fd, id, &ignored);
  error_release (&ignored);
}

int
container_run (const struct runtime_ctx *ctx, const struct create_opts *o, bool detach,
               int *exit_code, ocirt_error_t *err)
{
  struct launch l;
  sigset_t all, old;

  *exit_code = 0;
  if (detach)
    {
      /* No exec fifo: the init is started as soon as it is ready. */
      if (create_detached (ctx, o, false, err) < 0)
        return wrap_error (err, "%s container \"%s\"", o->restore ? "restore" : "run", o->id);
      return 0;
    }
  /* In the foreground ocirt itself is the init's parent: it forwards
   * signals and reaps, so no shim is needed. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  /* As runc, a subreaper for what the container orphans (without a pid
   * namespace of its own they would reach the host's init), unless
   * --no-subreaper. The init may also be our grandchild (forked into a
   * joined pid namespace, adopt_forked_init): then launch makes us one
   * anyway, since only a subreaper can wait for it. */
  if (!o->no_subreaper)
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  launch_init (&l);
  l.tty_proxy = o->console_socket == NULL;
  if (launch (ctx, o, false, NULL, &l, err) < 0)
    {
      launch_abort (ctx, &l, o->id);
      sigprocmask (SIG_SETMASK, &old, NULL);
      return wrap_error (err, "%s container \"%s\"", o->restore ? "restore" : "run", o->id);
    }
  /* Drop the lock while the container runs, so that state, kill and exec
   * from other invocations are not blocked. */
  flock (l.dir_fd, LOCK_UN);
  int status = 0;
  if (l.tty_master >= 0)
    {
      /* With a terminal, keys (^C included) reach the container through the
       * pty; the proxy returns once the container has gone. */
      ocirt_error_t perr = NULL;
      if (terminal_proxy (l.tty_master, l.pidfd, &perr) < 0)
        log_write (ctx->log, "warning", "%s", perr->message);
      error_release (&perr);
      waitpid (l.pid, &status, 0);
    }
  else
    status = wait_forwarding_signals (l.pid, &all);
  sigprocmask (SIG_SETMASK, &old, NULL);
  flock (l.dir_fd, LOCK_EX);
  /* --keep: the state, cgroup and poststop hooks wait for `delete`. */
  if (!o->keep)
    destroy_launched (ctx, &l, o->id);
  launch_release (&l);
  *exit_code = exit_code_of (status);
  return 0;
}

/* ---- kill / delete ----------------------------------------------------- */

int
signal_parse (const char *s)
{
  char *end;
  long n = strtol (s, &end, 10);
  /* 0 sends nothing and only asks whether the process exists: a liveness
   * probe, as with kill(1). */
  if (*s && *end == '\0')
    return n >= 0 && n < NSIG ? (int) n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (int sig = 1; sig < NSIG; sig++)
    {
      const char *abbrev = sigabbrev_np (sig);
      if (abbrev && strcasecmp (abbrev, s) == 0)
        return sig;
    }
  /* glibc names 29 POLL and 6 ABRT; runc knows 29 as IO (Go's name), and
   * kill(1) takes IOT and CLD too. */
  static const struct
  {
    const char *name;
    int sig;
  } aliases[] = { { "IO", SIGIO }, { "IOT", SIGABRT }, { "CLD", SIGCHLD } };
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcasecmp (aliases[i].name, s) == 0)
      return aliases[i].sig;
  if (strncasecmp (s, "RTMIN+", 6) == 0)
    {
      n = strtol (s + 6, &end, 10);
      if (*end == '\0' && SIGRTMIN + n <= SIGRTMAX)
        return (int) (SIGRTMIN + n);
    }
  return -1;
}

/* After SIGKILL: a frozen task acts on it only once thawed (v1), so a
 * paused container is thawed, as runc does; it is stopping anyway. */
static void
thaw_after_kill (const struct container_state *st)
{
  cleanup_error ocirt_error_t ignored = NULL;

  if (st->cgroup_path && cgroup_is_frozen (st->cgroup_path))
    cgroup_freeze (st->cgroup_path, false, &ignored);
}

int
container_kill (const struct runtime_ctx *ctx, const char *id, int sig, bool all, ocirt_error_t *err)
{
  cleanup_close int root_fd = -1;
  cleanup_close int dir_fd = -1;
  cleanup_close int pidfd = -1;
  struct container_state st = { 0 };
  int ret = -1;

  if (open_container (ctx, id, LOCK_SH, &root_fd, &dir_fd, err) < 0 || state_read (dir_fd, &st, err) < 0)
    goto out;
  /* --all reaches whatever is left in the cgroup, in any status, as runc's
   * does: when the first process of a container without its own pid
   * namespace exits, its children live on, and containerd's shim kills
   * them with `kill --all ID KILL` on the stopped container. */
  if (all && st.cgroup_path)
    {
      ret = cgroup_kill_all (st.cgroup_path, sig, err);
      goto out;
    }
  /* --all for a rootless container without a cgroup: its init is all that
   * can be told apart (runc fails with "lstat : no such file or
   * directory"), and, as with a cgroup, a stopped one is no error. */
  enum container_status status = derive_status (dir_fd, &st, true);
  if (status == STATUS_STOPPED || status == STATUS_CREATING)
    {
      if (all)
        ret = 0;
      else
        make_error (err, 0, "container not running");
      goto out;
    }
  pidfd = open_init_pidfd (&st);
  if (pidfd < 0 || syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    {
      if (all && errno == ESRCH)
        ret = 0;
      else if (errno == ESRCH)
        make_error (err, 0, "container not running");
      else
        make_error (err, errno, "kill container \"%s\"", id);
      goto out;
    }
  if (sig == SIGKILL)
    thaw_after_kill (&st);
  ret = 0;
out:
  state_clear (&st);
  return ret;
}

/* SIGKILL the init and wait (bounded) until it has exited. */
static int
kill_and_wait (const struct container_state *st, ocirt_error_t *err)
{
  cleanup_close int pidfd = open_init_pidfd (st);
  if (pidfd < 0)
    return 0;
  if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return make_error (err, errno, "kill container init %d", (int) st->pid);
  /* A paused init would otherwise never exit, and stay behind frozen. */
  thaw_after_kill (st);
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  if (poll (&p, 1, KILL_WAIT_MS) == 0)
    return make_error (err, ETIMEDOUT, "wait for container init %d to exit", (int) st->pid);
  return 0;
}

/* The container's resctrl group, by the config copy (update may have added
 * intelRdt to it). Gone with the resctrl mount, there is nothing to do. */
static int
remove_rdt_group (int dir_fd, const char *id, ocirt_error_t *err)
{
  cleanup_error ocirt_error_t ignored = NULL;
  cleanup_config struct oci_config *cfg = container_read_config (dir_fd, &ignored);
  struct resctrl r;
  int ret;

  if (cfg == NULL || cfg->linux_ == NULL || cfg->linux_->intel_rdt == NULL)
    return 0;
  if (resctrl_open (&r, err) < 0)
    return -1;
  ret = r.root_fd < 0 ? 0 : resctrl_remove (&r, cfg->linux_->intel_rdt, id, err);
  resctrl_close (&r);
  return ret;
}

int
container_delete (const struct runtime_ctx *ctx, const char *id, bool force, ocirt_error_t *err)
{
  cleanup_close int root_fd = -1;
  cleanup_close int dir_fd = -1;
  struct container_state st = { 0 };
  int ret = -1;

  if (open_container (ctx, id, LOCK_EX, &root_fd, &dir_fd, err) < 0)
    {
      /* containerd and podman delete --force what may already be gone. */
      if (force && (*err)->errno_value == ENOENT)
        {
          error_release (err);
          return 0;
        }
      return -1;
    }
  if (state_read (dir_fd, &st, err) < 0)
    {
      if (!force)
        goto out;
      /* A corrupt state file must not make a container undeletable. */
      error_release (err);
      ret = state_dir_remove (root_fd, id, err);
      goto out;
    }
  enum container_status status = derive_status (dir_fd, &st, true);
  if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force)
    {
      make_error (err, 0, "cannot delete container %s that is not stopped: %s", id,
                  container_status_name (status));
      goto out;
    }
  if (status != STATUS_STOPPED && kill_and_wait (&st, err) < 0)
    goto out;
  if (st.pid > 0)
    monitor_unregister (st.pid);
  if (st.cgroup_path && st.systemd_unit && !st.cgroup_existed)
    {
      if (remove_systemd_cgroup (st.cgroup_path, st.systemd_unit, st.systemd_user, err) < 0)
        goto out;
    }
  else if (st.cgroup_path && st.cgroup_existed)
    {
      /* Only a found cgroup needs the config; one that cannot be read
       * kills nothing that may not be the container's. */
      cleanup_error ocirt_error_t ignored = NULL;
      cleanup_config struct oci_config *cfg = container_read_config (dir_fd, &ignored);
      bool own_pidns = cfg == NULL || has_own_pid_namespace (cfg);

      if (cgroup_release (st.cgroup_path, !own_pidns, st.cgroup_made_in, err) < 0)
        goto out;
    }
  else if (st.cgroup_path && cgroup_destroy (st.cgroup_path, err) < 0)
    goto out;
  if (remove_rdt_group (dir_fd, id, err) < 0)
    goto out;
  run_poststop (ctx, dir_fd, &st);
  ret = state_dir_remove (root_fd, id, err);
out:
  state_clear (&st);
  return ret;
}

/* ---- state document ---------------------------------------------------- */

char *
container_state_json (const struct container_state *st, enum container_status status)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (g == NULL)
    return NULL;
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "ociVersion", st->oci_version);
  json_gen_kv_string (g, "id", st->id);
  yajl_gen_string (g, (const unsigned char *) "pid", 3);
  /* runc reports pid 0 once the container has stopped. */
  yajl_gen_integer (g, status == STATUS_STOPPED ? 0 : st->pid);
  json_gen_kv_string (g, "status", container_status_name (status));
  json_gen_kv_string (g, "bundle", st->bundle);
  json_gen_kv_string (g, "rootfs", st->rootfs);
  json_gen_kv_string (g, "created", st->created);
  json_gen_kv_string (g, "owner", st->owner);
  /* ocirt's own keys: the address ocirt-net gave it, if it has one... */
  cleanup_free char *address = st->id ? net_state_address (st->id) : NULL;
  if (address)
    {
      yajl_gen_string (g, (const unsigned char *) "network", 7);
      yajl_gen_map_open (g);
      json_gen_kv_string (g, "address", address);
      yajl_gen_map_close (g);
    }
  /* ...and how the init ended, as recorded by the shim. */
  if (status == STATUS_STOPPED && st->has_exit)
    {
      yajl_gen_string (g, (const unsigned char *) "exitCode", 8);
      yajl_gen_integer (g, st->exit_code);
      if (st->exit_signal)
        {
          yajl_gen_string (g, (const unsigned char *) "exitSignal", 10);
          yajl_gen_integer (g, st->exit_signal);
        }
      if (st->monitor_killed)
        json_gen_kv_string (g, "killedBy", "container_monitor");
    }
  if (st->n_annotations)
    {
      yajl_gen_string (g, (const unsigned char *) "annotations", 11);
      yajl_gen_map_open (g);
      for (size_t i = 0; i < st->n_annotations; i++)
        json_gen_kv_string (g, st->annotation_keys[i], st->annotation_values[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  /* Beautified yajl output already ends in a newline. */
  if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok
      && asprintf (&out, "%.*s%s", (int) len, buf, len && buf[len - 1] == '\n' ? "" : "\n") < 0)
    out = NULL;
  yajl_gen_free (g);
  return out;
}
