/* exec.c - see exec.h. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../oci/config.h"
#include "../linux/capabilities.h"
#include "../linux/cgroup.h"
#include "../linux/idmap.h"
#include "../linux/lsm.h"
#include "../linux/namespaces.h"
#include "../linux/procfs.h"
#include "../linux/resctrl.h"
#include "../linux/seccomp.h"
#include "../linux/terminal.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/signals.h"
#include "../util/sync.h"
#include "init.h"

/* Everything exec holds; released by exec_release. */
struct exec_ctx
{
  struct container_state st;
  struct oci_config *cfg;
  struct oci_process *file_process;   /* parsed --process */
  struct oci_process process;         /* a view: points into cfg, opts or file_process */
  struct oci_capabilities caps_view;
  char **env;                         /* owned array of borrowed strings */
  char **cap_lists[5];                /* owned arrays of borrowed strings */
  struct ns_plan ns;
  struct caps_set caps;
  bool has_caps;
  scmp_filter_ctx seccomp;
  char **cgroup_paths;                /* --cgroup, resolved; one per o->cgroups */
};

static void
exec_release (struct exec_ctx *x)
{
  state_clear (&x->st);
  if (x->cfg)
    oci_config_free (x->cfg);
  oci_process_free (x->file_process);
  free (x->env);
  for (int i = 0; i < 5; i++)
    free (x->cap_lists[i]);
  ns_plan_close (&x->ns);
  cleanup_strvp (&x->cgroup_paths);
  if (x->seccomp)
    seccomp_release (x->seccomp);
}

static int
load_container (const struct runtime_ctx *ctx, const struct exec_opts *o, struct exec_ctx *x,
                ocirt_error_t *err)
{
  const char *id = o->id;
  enum container_status status;
  cleanup_close int root_fd = -1;
  cleanup_close int dir_fd = -1;
  cleanup_free char *json = NULL;
  size_t len = 0;

  if (container_load (ctx, id, &x->st, &status, err) < 0)
    return -1;
  /* runc's wording. With --ignore-paused the process joins the frozen
   * cgroup and exec waits until the container is resumed. */
  if (status == STATUS_PAUSED && !o->ignore_paused)
    return make_error (err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
  if (status != STATUS_RUNNING && status != STATUS_CREATED && status != STATUS_PAUSED)
    return make_error (err, 0, "cannot exec in a stopped container");
  root_fd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dir_fd = root_fd < 0 ? -1 : openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || read_file_at (dir_fd, STATE_CONFIG_COPY, 64 << 20, &json, &len, err) < 0)
    return make_error (err, errno, "read the config of container \"%s\"", id);
  x->cfg = oci_config_parse (json, len, STATE_CONFIG_COPY, err);
  return x->cfg ? 0 : -1;
}

/* Parse "uid[:gid]". */
static int
parse_user (const char *s, struct oci_user *u, ocirt_error_t *err)
{
  char *end;
  unsigned long uid = strtoul (s, &end, 10);
  if (end == s || (*end && *end != ':'))
    return make_error (err, 0, "--user \"%s\": expected uid[:gid] (numeric)", s);
  u->uid = (uint32_t) uid;
  if (*end == ':')
    {
      const char *g = end + 1;
      unsigned long gid = strtoul (g, &end, 10);
      if (end == g || *end)
        return make_error (err, 0, "--user \"%s\": expected uid[:gid] (numeric)", s);
      u->gid = (uint32_t) gid;
    }
  return 0;
}

/* The container's env with -e entries added; an entry replaces one with
 * the same name. */
static char **
merge_env (const struct oci_process *base, const struct exec_opts *o, size_t *n)
{
  char **env = calloc (base->n_env + o->n_env + 1, sizeof *env);
  size_t m = 0;
  if (env == NULL)
    return NULL;
  for (size_t i = 0; i < base->n_env; i++)
    env[m++] = base->env[i];
  for (size_t i = 0; i < o->n_env; i++)
    {
      size_t klen = strcspn (o->env[i], "=");
      size_t j;
      for (j = 0; j < m; j++)
        if (strncmp (env[j], o->env[i], klen) == 0 && env[j][klen] == '=')
          break;
      env[j] = o->env[i];
      if (j == m)
        m++;
    }
  *n = m;
  return env;
}

static char **
append_caps (char **list, size_t n, const struct exec_opts *o, size_t *out_n)
{
  char **all = calloc (n + o->n_caps + 1, sizeof *all);
  if (all == NULL)
    return NULL;
  memcpy (all, list, n * sizeof *all);
  memcpy (all + n, o->caps, o->n_caps * sizeof *all);
  *out_n = n + o->n_caps;
  return all;
}

/* A process.json is small; a larger input is a mistake (or /dev/zero). */
#define MAX_PROCESS_FILE (4u << 20)

/* --process FILE: opened once and read to EOF, so that a pipe works as
 * well as a file (`-p /dev/stdin`, `-p <(jq ...)`): no stat by path, no
 * second open, no mmap. Blocking, as a FIFO has to wait for its writer.
 * A device or a directory is refused. */
static char *
read_process_file (const char *path, size_t *out_len, ocirt_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  cleanup_free char *buf = NULL;
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    {
      make_error (err, errno, "open %s", path);
      return NULL;
    }
  if (!S_ISREG (st.st_mode) && !S_ISFIFO (st.st_mode) && !S_ISSOCK (st.st_mode))
    {
      make_error (err, 0, "%s: not a file or a pipe", path);
      return NULL;
    }
  if (read_fd_all (fd, 4096, MAX_PROCESS_FILE, &buf, out_len) < 0)
    {
      if (errno == EFBIG)
        make_error (err, EFBIG, "%s: over %u MiB", path, MAX_PROCESS_FILE >> 20);
      else
        make_error (err, errno, "read %s", path);
      return NULL;
    }
  return steal_pointer (&buf);
}

static int
build_process (struct exec_ctx *x, const struct exec_opts *o, ocirt_error_t *err)
{
  if (o->process_file)
    {
      size_t len = 0;
      cleanup_free char *json = read_process_file (o->process_file, &len, err);
      if (json == NULL)
        return -1;
      x->file_process = oci_process_parse (json, len, o->process_file, err);
      if (x->file_process == NULL)
        return -1;
      x->process = *x->file_process;
      if (x->process.n_args == 0)
        return make_error (err, 0, "%s: .args: the process needs a command", o->process_file);
      for (size_t i = 0; i < x->process.n_env; i++)
        if (oci_env_entry_problem (x->process.env[i]))
          return make_error (err, 0, "%s: .env[%zu]: %s: \"%s\"", o->process_file, i,
                             oci_env_entry_problem (x->process.env[i]), x->process.env[i]);
      /* A process.json without them runs under the container's profile
       * and label (runc's newInitConfig), never unconfined. */
      if (x->cfg->process && (x->process.apparmor_profile == NULL || *x->process.apparmor_profile == '\0'))
        x->process.apparmor_profile = x->cfg->process->apparmor_profile;
      if (x->cfg->process && (x->process.selinux_label == NULL || *x->process.selinux_label == '\0'))
        x->process.selinux_label = x->cfg->process->selinux_label;
      return 0;
    }
  if (x->cfg->process == NULL)
    return make_error (err, 0, "the container's config has no process to base the exec on");
  if (o->n_args == 0)
    return make_error (err, 0, "exec: a command is required (or --process FILE)");
  for (size_t i = 0; i < o->n_env; i++)
    if (oci_env_entry_problem (o->env[i]))
      return make_error (err, 0, "--env: %s: \"%s\"", oci_env_entry_problem (o->env[i]), o->env[i]);
  x->process = *x->cfg->process;
  x->process.args = o->args;
  x->process.n_args = o->n_args;
  x->process.terminal = o->tty;
  if (o->cwd)
    x->process.cwd = (char *) o->cwd;
  x->env = merge_env (x->cfg->process, o, &x->process.n_env);
  if (x->env == NULL)
    return make_error (err, errno, "exec: environment");
  x->process.env = x->env;
  if (o->user && parse_user (o->user, &x->process.user, err) < 0)
    return -1;
  if (o->n_additional_gids > NGROUPS_MAX)
    return make_error (err, 0, "--additional-gids: more than NGROUPS_MAX (65536) groups");
  if (o->n_additional_gids)
    {
      x->process.user.additional_gids = o->additional_gids;
      x->process.user.n_additional_gids = o->n_additional_gids;
    }
  if (o->no_new_privs)
    x->process.no_new_privileges = true;
  if (o->apparmor)
    x->process.apparmor_profile = (char *) o->apparmor;
  if (o->process_label)
    x->process.selinux_label = (char *) o->process_label;
  if (o->n_caps)
    {
      /* --cap adds to the bounding, effective, permitted and ambient sets,
       * as runc's exec does; not to the inheritable set (CVE-2022-29162:
       * an inheritable cap survives the exec of a file that carries it),
       * so an ambient cap the spec's inheritable set lacks is not raised. */
      const struct oci_capabilities *c = x->cfg->process->capabilities;
      static const struct oci_capabilities none;
      if (c == NULL)
        c = &none;
      struct oci_capabilities *v = &x->caps_view;
      if (!(x->cap_lists[0] = v->bounding = append_caps (c->bounding, c->n_bounding, o, &v->n_bounding))
          || !(x->cap_lists[1] = v->effective = append_caps (c->effective, c->n_effective, o, &v->n_effective))
          || !(x->cap_lists[3] = v->permitted = append_caps (c->permitted, c->n_permitted, o, &v->n_permitted))
          || !(x->cap_lists[4] = v->ambient = append_caps (c->ambient, c->n_ambient, o, &v->n_ambient)))
        return make_error (err, errno, "exec: capabilities");
      v->inheritable = c->inheritable;
      v->n_inheritable = c->n_inheritable;
      x->process.capabilities = v;
    }
  return 0;
}

/* Join every namespace the container has, through a pidfd of its init.
 * The status check that load_container made is only a look at the pid:
 * the init may die and its pid go to any host process before we join, and
 * the files in /proc/<pid>/ns would then be that process's namespaces. A pidfd is
 * bound to one process: once its start time is the recorded one, every
 * setns through it reaches the init, or fails (ESRCH) if it has died. */
static int
plan_namespaces (struct exec_ctx *x, const char *id, ocirt_error_t *err)
{
  const struct oci_linux *lx = x->cfg->linux_;
  cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, x->st.pid, 0);
  if (pidfd < 0 && errno != ESRCH)
    return make_error (err, errno, "open the init of container \"%s\" (pid %d)", id, (int) x->st.pid);
  if (pidfd < 0 || proc_start_time (x->st.pid) != x->st.start_time)
    return make_error (err, 0, "container not running");
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    {
      enum oci_namespace_type t = lx->namespaces[i].type;
      if (x->ns.join_fd[t] >= 0)
        continue;
      x->ns.join_fd[t] = fcntl (pidfd, F_DUPFD_CLOEXEC, 0);
      if (x->ns.join_fd[t] < 0)
        return make_error (err, errno, "dup the pidfd of container \"%s\"", id);
    }
  return 0;
}

static int
prepare_security (struct exec_ctx *x, const struct runtime_ctx *ctx, ocirt_error_t *err)
{
  cleanup_strv char **warnings = NULL;
  if (lsm_check (&x->process, NULL, err) < 0)
    return -1;
  if (x->process.capabilities)
    {
      if (caps_parse (x->process.capabilities, &x->caps, &warnings, err) < 0)
        return -1;
      x->has_caps = true;
    }
  if (x->cfg->linux_ && x->cfg->linux_->seccomp
      && seccomp_prepare (x->cfg->linux_->seccomp, &x->seccomp, &warnings, err) < 0)
    return -1;
  for (char **w = warnings; w && *w; w++)
    log_write (ctx->log, "warning", "%s", *w);
  return 0;
}

/* base/sub with "." and ".." resolved lexically, as runc's path.Join; NULL
 * with *err when the result is not base or below it: --cgroup may only name
 * a cgroup inside the container's own. */
static char *
sub_cgroup_path (const char *base, const char *sub, ocirt_error_t *err)
{
  cleanup_free char *joined = NULL;
  cleanup_free char *out = NULL;
  size_t len = 0, base_len = strlen (base);
  char *save = NULL;

  if (asprintf (&joined, "%s/%s", base, sub) < 0 || (out = malloc (strlen (joined) + 2)) == NULL)
    abort ();
  out[0] = '\0';
  for (char *c = strtok_r (joined, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
          out[len] = '\0';
          continue;
        }
      len += (size_t) sprintf (out + len, "/%s", c);
    }
  if (strncmp (out, base, base_len) != 0 || (out[base_len] != '\0' && out[base_len] != '/'))
    {
      make_error (err, 0, "%s is not a sub cgroup path", sub);
      return NULL;
    }
  return steal_pointer (&out);
}

static int
resolve_cgroups (struct exec_ctx *x, const struct exec_opts *o, ocirt_error_t *err)
{
  if (o->n_cgroups == 0)
    return 0;
  if (x->st.cgroup_path == NULL)
    return make_error (err, 0, "--cgroup: cgroups not configured for container");
  x->cgroup_paths = calloc (o->n_cgroups + 1, sizeof *x->cgroup_paths);
  if (x->cgroup_paths == NULL)
    abort ();
  for (size_t i = 0; i < o->n_cgroups; i++)
    if ((x->cgroup_paths[i] = sub_cgroup_path (x->st.cgroup_path, o->cgroups[i].path, err)) == NULL)
      return -1;
  return 0;
}

/* The cgroup the process is cloned or moved into: a --cgroup PATH without
 * a controller replaces the container's in every hierarchy. */
static const char *
exec_cgroup (const struct exec_ctx *x, const struct exec_opts *o)
{
  for (size_t i = 0; i < o->n_cgroups; i++)
    if (o->cgroups[i].controller == NULL)
      return x->cgroup_paths[i];
  return x->st.cgroup_path;
}

/* v1: then each --cgroup CTRL:PATH moves it in that controller's hierarchy. */
static int
enter_cgroups (const struct exec_ctx *x, const struct exec_opts *o, pid_t pid, bool in_cgroup,
               ocirt_error_t *err)
{
  if (!in_cgroup && exec_cgroup (x, o) && cgroup_enter (exec_cgroup (x, o), pid, err) < 0)
    return -1;
  for (size_t i = 0; i < o->n_cgroups; i++)
    if (o->cgroups[i].controller
        && cgroup_enter_controller (x->cgroup_paths[i], o->cgroups[i].controller, pid, err) < 0)
      return -1;
  return 0;
}

/* runc puts an exec'd process in the container's resctrl group too. */
static int
enter_rdt_group (const struct exec_ctx *x, const char *id, pid_t pid, ocirt_error_t *err)
{
  const struct oci_intel_rdt *rdt = x->cfg->linux_ ? x->cfg->linux_->intel_rdt : NULL;
  struct resctrl r;
  int ret;

  if (rdt == NULL)
    return 0;
  if (resctrl_open (&r, err) < 0)
    return -1;
  ret = r.root_fd < 0 ? 0 : resctrl_add_process (&r, rdt, id, pid, err);
  resctrl_close (&r);
  return ret;
}

/* The exec'd process's filter is in: its SCMP_ACT_NOTIFY listener goes to
 * the agent from here, where listenerPath is the host's path (runc sends
 * the state of the running container with the new process's pid). */
static int
forward_seccomp_listener (struct exec_ctx *x, pid_t pid, int pidfd, int remote_fd, int sync_fd,
                          ocirt_error_t *err)
{
  cleanup_close int own = pidfd < 0 ? (int) syscall (SYS_pidfd_open, pid, 0) : -1;
  struct container_state st = x->st;
  st.pid = pid;
  cleanup_free char *json = container_state_json (&st, STATUS_RUNNING);
  if (json == NULL)
    return make_error (err, ENOMEM, "seccomp listener: state");
  if (seccomp_forward_listener (pidfd >= 0 ? pidfd : own, remote_fd, x->cfg->linux_->seccomp, pid, json, err) < 0)
    return -1;
  return sync_send (sync_fd, SYNC_SECCOMP_DONE, 0, NULL, err);
}

/* Clone the process that joins the container; wait until it has exec'd
 * (the sync socket closes) or reports why it could not. With a terminal,
 * the pty master arrives first: it goes to --console-socket, or into
 * *tty_master for our own proxy. */
static int
spawn (const struct runtime_ctx *ctx, struct exec_ctx *x, const struct exec_opts *o, pid_t *out_pid, int *out_pidfd, int *tty_master,
       ocirt_error_t *err)
{
  int sv[2];
  int pidfd = -1;
  cleanup_close int proc_fd = procfs_open ("/proc", err);
  if (proc_fd < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return make_error (err, errno, "socketpair");
  if ((idmap_unprivileged () && ns_join_user_for_children (&x->ns, err) < 0)
      || ns_join_pid_for_children (&x->ns, err) < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return -1;
    }
  /* v2: straight into the container's cgroup; v1: moved in below. */
  cleanup_close int cgroup_fd = -1;
  bool in_cgroup = false;
  if (exec_cgroup (x, o) && cgroup_detect_mode () == CGROUP_MODE_V2)
    {
      cgroup_fd = cgroup_open_unified (exec_cgroup (x, o), err);
      if (cgroup_fd < 0)
        {
          close (sv[0]);
          close (sv[1]);
          return -1;
        }
    }
  /* runc's name for this stage, which its debug tests look for. */
  log_debug (ctx->log, "nsexec container setup: cloning a process into container %s", o->id);
  pid_t pid = ns_clone (0, &pidfd, cgroup_fd, &in_cgroup);
  if (pid < 0)
    {
      int saved = errno;
      close (sv[0]);
      close (sv[1]);
      return make_error (err, saved, "clone the exec process");
    }
  if (pid == 0)
    {
      close (sv[0]);
      struct init_args a = {
        .cfg = x->cfg, .id = o->id, .process = &x->process, .ns = &x->ns,
        .sync_fd = sv[1], .fifo_fd = -1, .proc_fd = proc_fd, .preserve_fds = o->preserve_fds,
        .caps = x->has_caps ? &x->caps : NULL, .seccomp = x->seccomp, .no_new_keyring = x->st.no_new_keyring,
        .log = ctx->log,
      };
      exec_init (&a);
    }
  close (sv[1]);
  cleanup_close int sync_fd = sv[0];

  int r = enter_cgroups (x, o, pid, in_cgroup, err);
  if (r == 0)
    r = enter_rdt_group (x, o->id, pid, err);
  if (r == 0)
    r = sync_send (sync_fd, SYNC_GO, 0, NULL, err);
  while (r == 0)
    {
      struct sync_msg msg;
      cleanup_free char *payload = NULL;
      ocirt_error_t eof = NULL;
      /* EOF is success: the socket is close-on-exec. */
      if (sync_recv (sync_fd, &msg, &payload, &eof) < 0)
        {
          error_release (&eof);
          break;
        }
      if (msg.type == SYNC_TERMINAL)
        r = receive_terminal (sync_fd, o->console_socket, tty_master, err);
      else if (msg.type == SYNC_SECCOMP)
        r = forward_seccomp_listener (x, pid, pidfd, msg.value, sync_fd, err);
      else if (msg.type == SYNC_ERROR)
        {
          make_error (err, 0, "%s", payload);
          (*err)->errno_value = msg.value;
          r = -1;
        }
      else
        r = make_error (err, EPROTO, "sync: unexpected message %u", msg.type);
    }
  if (r < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      close (pidfd);
      return -1;
    }
  *out_pid = pid;
  *out_pidfd = pidfd;
  return 0;
}

int
container_exec (const struct runtime_ctx *ctx, const struct exec_opts *o, int *exit_code, ocirt_error_t *err)
{
  struct exec_ctx x;
  sigset_t all, old;
  pid_t pid = 0;
  cleanup_close int pidfd = -1;
  cleanup_close int tty_master = -1;
  int ret = -1;

  memset (&x, 0, sizeof x);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    x.ns.join_fd[i] = -1;
  *exit_code = 0;
  if (state_validate_id (o->id, err) < 0 || load_container (ctx, o, &x, err) < 0
      || build_process (&x, o, err) < 0 || prepare_security (&x, ctx, err) < 0
      || plan_namespaces (&x, o->id, err) < 0 || resolve_cgroups (&x, o, err) < 0)
    goto out;
  if (x.process.terminal && !o->console_socket && o->detach)
    {
      make_error (err, 0, "cannot allocate tty if ocirt will detach without setting console socket");
      goto out;
    }
  if (o->console_socket && !x.process.terminal)
    {
      make_error (err, 0, "cannot use console socket if the process does not use a terminal");
      goto out;
    }
  sigfillset (&all);
  if (!o->detach)
    sigprocmask (SIG_BLOCK, &all, &old);
  if (spawn (ctx, &x, o, &pid, &pidfd, &tty_master, err) < 0
      || (o->pid_file && write_pid_file (o->pid_file, pid, err) < 0))
    {
      if (!o->detach)
        sigprocmask (SIG_SETMASK, &old, NULL);
      goto out;
    }
  log_debug (ctx->log, "exec in container %s: pid %d started", o->id, (int) pid);
  if (!o->detach && tty_master >= 0)
    {
      int status = 0;
      ocirt_error_t perr = NULL;
      if (terminal_proxy (tty_master, pidfd, &perr) < 0)
        log_write (ctx->log, "warning", "%s", perr->message);
      error_release (&perr);
      waitpid (pid, &status, 0);
      *exit_code = exit_code_of (status);
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
  else if (!o->detach)
    {
      *exit_code = exit_code_of (wait_forwarding_signals (pid, &all));
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
  ret = 0;
out:
  exec_release (&x);
  if (ret < 0)
    wrap_error (err, "exec in container \"%s\"", o->id);
  return ret;
}
