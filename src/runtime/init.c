/* init.c - see init.h.
 *
 * The privileged steps, in order (bubblewrap-style: short and auditable):
 *   1. wait for the parent's go (cgroup joined, id maps written)
 *   2. join namespaces given by path; unshare cgroup/time namespaces (all
 *      new ones when the user namespace was joined, then fork the init)
 *   3. become root of the user namespace; new session
 *   4. oom_score_adj (needs the host /proc, so before the mounts)
 *   5. rootfs: mounts, /dev, hostname, pivot_root, sysctl, masked/ro paths
 *   6. environment, rlimits, the AppArmor profile and SELinux exec label
 *   7. runc's final sequence: fds marked close-on-exec, cwd (as root, and
 *      again as the user if root could not), seccomp when it needs
 *      CAP_SYS_ADMIN, user, capabilities, no_new_privs, the executable
 *      resolved in cwd as the user, seccomp (the last setup syscall)
 *   8. tell the parent we are ready; block on the exec fifo until `start`;
 *      startContainer hooks (under the filter, as in runc); exec
 * Steps 1-7 report failures to the parent; after 8 the parent has gone, so
 * failures go to the container's stderr.
 *
 * `ocirt exec` (exec_init) runs the same sequence with every namespace
 * joined, no step 5, and no fifo: its parent waits for the sync socket to
 * close at execve. Both paths share take_over_process, prepare_process (step
 * 6 and 7) and exec_program.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../linux/keyring.h"
#include "../linux/lsm.h"
#include "../linux/process.h"
#include "hooks.h"
#include "container.h"
#include "../linux/rlimits.h"
#include "../linux/rootfs.h"
#include "../linux/scheduling.h"
#include "../linux/terminal.h"
#include "../linux/seccomp.h"
#include "../util/cleanup.h"
#include "../util/signals.h"
#include "../util/sync.h"

/* A pid namespace we unshared holds only our children: fork the init, tell
 * the parent its pid, and go. The init goes on with the sync socket. */
static int
fork_init_into_pid_namespace (const struct init_args *a, ocirt_error_t *err)
{
  pid_t pid = fork ();

  if (pid < 0)
    return make_error (err, errno, "fork the init into its new pid namespace");
  if (pid == 0)
    return 0;
  _exit (sync_send (a->sync_fd, SYNC_PID, (int32_t) pid, NULL, err) < 0 ? 1 : 0);
}

/* Until now we kept the host uid; become the namespace's root so the steps
 * below (mounts, the keyring, the final sequence) have its capabilities. */
static int
become_userns_root (const struct init_args *a, ocirt_error_t *err)
{
  if (!(a->ns->clone_flags & CLONE_NEWUSER) && a->ns->join_fd[OCI_NS_USER] < 0)
    return 0;
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return make_error (err, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
  return 0;
}

/* The caller's session keyring holds the caller's secrets: the container
 * gets its own (in its user namespace, so after joining that), made with
 * the process's SELinux label, as runc makes it. */
static int
join_session_keyring (const struct init_args *a, ocirt_error_t *err)
{
  ocirt_error_t reset_err = NULL;
  if (a->no_new_keyring)
    return 0;
  if (lsm_keyring_label (a->proc_fd, a->process, true, err) < 0)
    return -1;
  int r = keyring_join_session (a->id, err);
  /* Later keys are not the container's: back to the default label. runc
   * ignores a failure here too, since the keyring already has its label. */
  if (lsm_keyring_label (a->proc_fd, a->process, false, &reset_err) < 0)
    error_release (&reset_err);
  return r;
}

static int
init_enter_namespaces (const struct init_args *a, ocirt_error_t *err)
{
  if (ns_join_and_unshare (a->ns, a->cfg->linux_, a->proc_fd, err) < 0)
    return -1;
  if (ns_unshared_pid (a->ns) && fork_init_into_pid_namespace (a, err) < 0)
    return -1;
  if (become_userns_root (a, err) < 0)
    return -1;
  /* A session of its own, as runc's init has: a signal to the caller's
   * process group must not reach the container. */
  if (setsid () < 0)
    return make_error (err, errno, "setsid");
  return join_session_keyring (a, err);
}

/* Every namespace already exists: join them all. No fork here, even into a
 * pid namespace: the parent waits for this very process. */
static int
exec_enter_namespaces (const struct init_args *a, ocirt_error_t *err)
{
  if (ns_join_and_unshare (a->ns, a->cfg->linux_, a->proc_fd, err) < 0)
    return -1;
  if (become_userns_root (a, err) < 0)
    return -1;
  /* An exec'd process stays in the caller's session, as runc's does, unless
   * it gets a terminal, which needs a session to be its controlling one. */
  if (a->process->terminal && setsid () < 0)
    return make_error (err, errno, "setsid");
  return join_session_keyring (a, err);
}

/* The state a hook run by the init reads: the container as it sees
 * itself (pid 1 in its own pid namespace). */
static int
run_container_hooks (const struct init_args *a, const struct oci_hook_list *hooks, const char *kind,
                     enum container_status status, ocirt_error_t *err)
{
  if (hooks->n_hooks == 0)
    return 0;
  struct container_state st = {
    .oci_version = a->cfg->oci_version, .id = (char *) a->id, .pid = getpid (),
    .bundle = (char *) a->bundle, .rootfs = (char *) a->rootfs,
  };
  cleanup_free char *json = container_state_json (&st, status);
  if (json == NULL)
    return make_error (err, ENOMEM, "%s hooks: state", kind);
  return hooks_run (hooks, kind, json, err);
}

/* prestart and createRuntime run in the runtime namespace: ask the parent,
 * now that our namespaces exist and before the rootfs is set up. The
 * parent moves linux.netDevices into our network namespace at the same
 * moment. */
static int
request_runtime_hooks (const struct init_args *a, ocirt_error_t *err)
{
  if (a->cfg->hooks.prestart.n_hooks == 0 && a->cfg->hooks.create_runtime.n_hooks == 0
      && (a->cfg->linux_ == NULL || a->cfg->linux_->n_net_devices == 0))
    return 0;
  if (sync_send (a->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0)
    return -1;
  return sync_expect (a->sync_fd, SYNC_HOOKS_DONE, NULL, err);
}

/* process.terminal: a pty from the container's own devpts. The master goes
 * to the parent (for --console-socket or its proxy) and is closed here, so
 * the container never holds it; the slave becomes stdio and the
 * controlling terminal. */
static int
setup_terminal (const struct init_args *a, bool bind_console, ocirt_error_t *err)
{
  const struct oci_process *p = a->process;
  cleanup_free char *name = NULL;
  cleanup_close int master = -1;
  if (!p->terminal)
    return 0;
  cleanup_close int slave = terminal_open_in_container (&master, &name, err);
  if (slave < 0)
    return -1;
  if (p->has_console_size && terminal_set_size (master, p->console_height, p->console_width, err) < 0)
    return -1;
  if (bind_console && terminal_bind_console (slave, err) < 0)
    return -1;
  /* The pty was made by (namespaced) root: only another user needs it. */
  if (p->user.uid != 0 && terminal_chown_slave (slave, p->user.uid, err) < 0)
    return -1;
  /* Wait until the parent has placed (and, for its proxy, sized) the
   * master, so that the program never sees a 0x0 terminal. */
  if (sync_send (a->sync_fd, SYNC_TERMINAL, 0, NULL, err) < 0 || fd_send (a->sync_fd, master, name, err) < 0
      || sync_expect (a->sync_fd, SYNC_TERMINAL_DONE, NULL, err) < 0)
    return -1;
  return terminal_setup_stdio (slave, err);
}

static int
build_root (const struct init_args *a, ocirt_error_t *err)
{
  const struct oci_config *cfg = a->cfg;
  cleanup_close int null_tree = -1;

  /* Relative bind-mount sources are relative to the bundle, as in runc. */
  if (chdir (a->bundle) < 0)
    return make_error (err, errno, "chdir to bundle \"%s\"", a->bundle);
  if (rootfs_prepare (cfg, a->rootfs, a->sources, &null_tree, err) < 0)
    return -1;
  /* createContainer: in the container's namespaces, mounts done, before
   * pivot_root (so its path still resolves in the runtime's view), with
   * the rootfs as its cwd, as runc runs it. */
  if (cfg->hooks.create_container.n_hooks && chdir (a->rootfs) < 0)
    return make_error (err, errno, "chdir to rootfs \"%s\"", a->rootfs);
  if (run_container_hooks (a, &cfg->hooks.create_container, "createContainer", STATUS_CREATING, err) < 0)
    return -1;
  if (process_set_hostname (cfg, err) < 0)
    return -1;
  if ((oci_config_namespace (cfg, OCI_NS_MOUNT) ? rootfs_pivot (a->rootfs, a->no_pivot, err)
                                                : rootfs_chroot (a->rootfs, err)) < 0)
    return -1;
  /* Before /dev and / may become read-only: /dev/console is bound here. */
  if (setup_terminal (a, true, err) < 0)
    return -1;
  if (rootfs_reopen_dev_null (err) < 0)
    return -1;
  /* sysctl writes go to the container's own /proc, and must precede the
   * read-only remount of /proc/sys in rootfs_finalize. */
  if (process_apply_sysctl (cfg->linux_, err) < 0)
    return -1;
  return rootfs_finalize (cfg, null_tree, err);
}

/* Block until `ocirt start` opens the fifo for reading. The fifo was opened
 * O_PATH before pivot_root; it is reopened, as runc does, through the
 * container's own /proc (the host's is closed by now), which a process may
 * always do for its own fds, with any uid the fifo's mode (0622) allows.
 * This runs under the seccomp filter: open, write and close are calls every
 * profile allows. */
static int
wait_for_start (const struct init_args *a, int *start_fd, ocirt_error_t *err)
{
  char path[64];
  /* `run` has no fifo: it starts at once, so startContainer runs now. */
  if (a->fifo_fd < 0)
    return run_container_hooks (a, &a->cfg->hooks.start_container, "startContainer", STATUS_CREATED, err);
  struct stat want, got;
  snprintf (path, sizeof path, "/proc/self/fd/%d", a->fifo_fd);
  /* A magic link in a /proc the container could have covered: check that
   * it led to our fifo (CVE-2025-52881). */
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open exec fifo");
  if (fstat (a->fifo_fd, &want) < 0 || fstat (fd, &got) < 0 || !S_ISFIFO (got.st_mode)
      || want.st_dev != got.st_dev || want.st_ino != got.st_ino)
    return make_error (err, 0, "open exec fifo: \"%s\" is not the exec fifo", path);
  /* startContainer runs once `start` has been called, in the container, and
   * its verdict goes back to `start` through the fifo: "0" to go on, or
   * "E<message>". The fifo closes at execve, which `start` waits for. */
  if (run_container_hooks (a, &a->cfg->hooks.start_container, "startContainer", STATUS_CREATED, err) < 0)
    {
      cleanup_free char *msg = NULL;
      if (asprintf (&msg, "E%s", (*err)->message) > 0 && write (fd, msg, strlen (msg)) < 0)
        return -1;
      return -1;
    }
  if (write (fd, "0", 1) != 1)
    return make_error (err, errno, "write exec fifo");
  /* Left open on purpose: it is close-on-exec, so its closing tells
   * `start` that the user's program has been executed, and until then a
   * failure can still be written to `start` (see fail). */
  *start_fd = steal_fd (&fd);
  return 0;
}

/* Load the filter. With SCMP_ACT_NOTIFY, its listener goes to the agent
 * the way runc's does: we name the fd to the parent (a write, which is why
 * NOTIFY may not name write), the parent takes it with pidfd_getfd and sends
 * it to listenerPath as the host sees it, and says so (a read the agent can
 * now answer). */
static int
load_seccomp (const struct init_args *a, ocirt_error_t *err)
{
  int notify_fd = -1;
  if (seccomp_install (a->seccomp, a->cfg->linux_->seccomp, &notify_fd, err) < 0)
    return -1;
  if (notify_fd < 0)
    return 0;
  int r = sync_send_filtered (a->sync_fd, SYNC_SECCOMP, notify_fd, err) < 0
          || sync_expect (a->sync_fd, SYNC_SECCOMP_DONE, NULL, err) < 0 ? -1 : 0;
  close (notify_fd);
  return r;
}

static int
switch_user (const struct init_args *a, ocirt_error_t *err)
{
  /* Keep the permitted set across setuid, so the configured capabilities can
   * still be applied to a non-root user afterwards. */
  if (a->caps && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (process_set_user (&a->process->user, err) < 0)
    return -1;
  if (a->caps)
    {
      if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return make_error (err, errno, "prctl PR_SET_KEEPCAPS");
      if (caps_apply (a->caps, NULL, err) < 0)
        return -1;
    }
  return 0;
}

/* Everything between the finished rootfs and the wait for `start`, in
 * runc's order. Every call a profile might not allow (close_range, getcwd,
 * the executable's stat and access checks) is made before the filter: with
 * no_new_privs it is the last setup syscall; without, it must precede the
 * capability drop (loading needs CAP_SYS_ADMIN then), and only a cwd that
 * needs the user's second try and the executable's lookup follow it, as in
 * runc. */
static int
finish_process (const struct init_args *a, char **path, ocirt_error_t *err)
{
  const struct oci_process *p = a->process;
  bool nnp = p->no_new_privileges;
  bool cwd_again = false;

  /* The host's /proc must be gone before anything is resolved against the
   * container's cwd: a cwd of /proc/self/fd/<this fd> would otherwise put
   * the process in the host's /proc (the CVE-2024-21626 class). */
  if (a->proc_fd >= 0)
    close (a->proc_fd);
  if (scheduling_apply (p, err) < 0
      || personality_apply (a->cfg->linux_ ? a->cfg->linux_->personality : NULL, err) < 0
      || memory_policy_apply (a->cfg->linux_ ? a->cfg->linux_->memory_policy : NULL, err) < 0)
    return -1;
  if (process_close_leaked_fds (a->preserve_fds, err) < 0)
    return -1;
  /* As root first: a cwd only root can enter still works for the user. */
  if (process_enter_cwd (p, &cwd_again, err) < 0)
    return -1;
  if (a->seccomp && !nnp && load_seccomp (a, err) < 0)
    return -1;
  if (switch_user (a, err) < 0)
    return -1;
  if (cwd_again && process_enter_cwd (p, NULL, err) < 0)
    return -1;
  if (nnp && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return make_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  /* In cwd and as the user, as runc: a relative command is found in the
   * working directory, and one the user cannot run fails here, where the
   * error still reaches the caller. */
  if (process_find_executable (p, path, err) < 0)
    return -1;
  if (a->seccomp && nnp && load_seccomp (a, err) < 0)
    return -1;
  return 0;
}

__attribute__ ((noreturn)) static void
fail (const struct init_args *a, bool parent_waiting, int start_fd, ocirt_error_t err)
{
  if (parent_waiting)
    sync_send_error (a->sync_fd, err);
  else
    {
      /* `start` waits on the fifo until execve: after its "0", an
       * "E<message>" tells it the process never ran (an argument list too
       * long, a refused setuid...). */
      if (start_fd >= 0 && dprintf (start_fd, "E%s", err->message) < 0)
        {
          /* best effort: stderr below still has it */
        }
      /* `start` has returned already; the container's stderr is the only
       * place left that someone reads. */
      dprintf (STDERR_FILENO, "ocirt: %s\n", err->message);
      /* A run in the foreground still listens on the socket. */
      sync_send_error (a->sync_fd, err);
    }
  _exit (err->errno_value == ENOENT ? 127 : err->errno_value == EACCES ? 126 : 255);
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Close every inherited fd the init does not need, now rather than at exec:
 * the init may wait for `start` a long time, and meanwhile it must not hold
 * the state dir's flock (a lock belongs to the open file, which the clone
 * shares) nor a caller's pipe whose reader waits for EOF. */
static void
close_inherited_fds (const struct init_args *a, int debug_fd)
{
  size_t n_sources = a->sources ? a->sources->n : 0;
  int keep[OCI_NS_COUNT + 5 + n_sources];
  int n = 0;
  for (size_t i = 0; i < n_sources; i++)
    keep[n++] = a->sources->fds[i];
  keep[n++] = a->sync_fd;
  keep[n++] = debug_fd;
  keep[n++] = a->fifo_fd;
  keep[n++] = a->proc_fd;
  for (int i = 0; i < OCI_NS_COUNT; i++)
    keep[n++] = a->ns->join_fd[i];
  qsort (keep, (size_t) n, sizeof keep[0], cmp_int);
  unsigned int from = 3 + (unsigned int) a->preserve_fds;
  for (int i = 0; i < n; i++)
    {
      if (keep[i] < (int) from)
        continue;
      if ((unsigned int) keep[i] > from)
        syscall (SYS_close_range, from, (unsigned int) keep[i] - 1, 0);
      from = (unsigned int) keep[i] + 1;
    }
  syscall (SYS_close_range, from, ~0U, 0);
}

/* With --debug, the child logs its stages where the runtime logs, as
 * runc's init does, under runc's names for them (which tools reading runc's
 * debug output, and runc's own tests, look for). The line goes to a copy of
 * the runtime's log fd (its --log file, or its stderr) taken before the
 * stdio is replaced; close-on-exec, and closed once the runtime has been
 * told the container is ready, so that the init waiting for `start` holds
 * no caller's pipe. Returns -1 without --debug. */
static int
debug_log_open (const struct init_args *a)
{
  if (a->log == NULL || !a->log->debug)
    return -1;
  return fcntl (a->log->fd >= 0 ? a->log->fd : STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
}

static void __attribute__ ((format (printf, 3, 4)))
debug_log (const struct init_args *a, int debug_fd, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  int r;

  if (debug_fd < 0)
    return;
  va_start (ap, fmt);
  r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r < 0)
    return;
  struct log_sink sink = { .fd = debug_fd, .format = a->log->format, .debug = true };
  log_write (&sink, "debug", "%s", msg);
}

/* The first steps of either child, while every fd is still open. */
static void
take_over_process (const struct init_args *a, int debug_fd)
{
  /* The shim hands over the pipes. */
  for (int i = 0; a->stdio && i < 3; i++)
    if (dup2 (a->stdio[i], i) < 0)
      _exit (255);
  close_inherited_fds (a, debug_fd);
  /* A process that joins the container is, until execve, an image of ocirt
   * inside the container's pid namespace: not dumpable, so the container
   * cannot open it through /proc/<pid>/exe (the CVE-2019-5736 class).
   * An init whose maps an unprivileged parent writes waits for them
   * first (see ns_clone). */
  if (!a->dumpable_until_go)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Steps 6 and 7, shared by both children, up to and including the filter,
 * while the parent still waits for a failure. rlimits here, as runc sets them at its ready handshake: a limit the kernel
 * refuses fails `create` (podman maps its "operation not permitted" to 126),
 * not the container after `start`. HOME comes from the container's
 * /etc/passwd, read while still root. */
static int
prepare_process (const struct init_args *a, char ***env, char **path, ocirt_error_t *err)
{
  if ((*env = process_build_env (a->process, err)) == NULL)
    return -1;
  if (rlimits_apply (a->process->rlimits, a->process->n_rlimits, err) < 0)
    return -1;
  /* The AppArmor profile and SELinux label take effect at execve. Written
   * here, through the host /proc that finish_process closes, while the
   * parent still waits (a profile that is not loaded fails `create`, as in
   * runc), and before no_new_privs, the capability drop and the filter,
   * which might deny the open and write. */
  if (lsm_apply_exec (a->proc_fd, a->process, err) < 0)
    return -1;
  return finish_process (a, path, err);
}

/* The last step of either child, under the filter loaded in finish_process.
 * A failure goes where someone still listens (see fail): the parent when it
 * waits, else `start` through the fifo and the container's stderr. */
__attribute__ ((noreturn)) static void
exec_program (const struct init_args *a, const char *path, char **env, bool parent_waiting, int start_fd)
{
  ocirt_error_t err = NULL;

  signals_reset_for_exec ();
  execve (path, a->process->args, env);
  make_error (&err, errno, "exec %s", path);
  fail (a, parent_waiting, start_fd, err);
}

/* See catch_signals_until_exec. Its disposition reset and the signal unblocked on
 * entry (SA_RESETHAND, SA_NODEFER), raise ends a process that is not
 * pid 1 of its namespace by the signal itself; pid 1 ignores it even so
 * (the kernel shields an init from what it does not catch), and exits. */
static void
die_of_signal (int sig)
{
  raise (sig);
  _exit (128 + sig);
}

/* See catch_signals_until_exec: what Go's runtime does with a signal it
 * was not asked to deliver and does not end on. SA_RESTART, so that the
 * open of the exec fifo the init waits in goes on. */
static void
ignore_signal (int sig)
{
  (void) sig;
}

/* runc's init waits for `start` as a Go program, and Go's runtime catches
 * every signal. HUP, INT and TERM end it, as do QUIT, ABRT, ILL, TRAP,
 * BUS, FPE, SEGV, STKFLT and SYS (a crash dump and exit 2): a created
 * container that gets one stops (podman's stop of a container never
 * started sends TERM, then waits out its timeout before KILL). USR1, USR2,
 * PIPE, ALRM, XCPU, XFSZ, VTALRM, PROF, IO, PWR and the real-time signals
 * are caught and do nothing, even without a pid namespace of its own,
 * where their default would end the init. As pid 1 of its namespace this
 * init would ignore every signal it has no handler for, so it catches
 * both sets until execve, which gives the program the default
 * dispositions back. */
static void
catch_signals_until_exec (void)
{
  static const int ending[] = { SIGHUP, SIGINT,  SIGTERM, SIGQUIT, SIGABRT,   SIGILL,
                                SIGTRAP, SIGBUS, SIGFPE,  SIGSEGV, SIGSTKFLT, SIGSYS };
  static const int ignored[] = { SIGUSR1, SIGUSR2,   SIGPIPE, SIGALRM, SIGXCPU,
                                 SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR };
  struct sigaction end = { .sa_handler = die_of_signal, .sa_flags = SA_RESETHAND | SA_NODEFER };
  struct sigaction ign = { .sa_handler = ignore_signal, .sa_flags = SA_RESTART };

  sigemptyset (&end.sa_mask);
  sigemptyset (&ign.sa_mask);
  for (size_t i = 0; i < sizeof ending / sizeof ending[0]; i++)
    sigaction (ending[i], &end, NULL);
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
    sigaction (ignored[i], &ign, NULL);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    sigaction (sig, &ign, NULL);
}

void
container_init (const struct init_args *a)
{
  ocirt_error_t err = NULL;
  cleanup_free char *path = NULL;
  char **env = NULL;
  int start_fd = -1;
  int debug_fd = debug_log_open (a);

  take_over_process (a, debug_fd);
  debug_log (a, debug_fd, "child process in init(): setting up container %s", a->id);
  catch_signals_until_exec ();
  if (sync_expect (a->sync_fd, SYNC_GO, NULL, &err) < 0)
    _exit (255);
  if (a->dumpable_until_go)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (init_enter_namespaces (a, &err) < 0 || request_runtime_hooks (a, &err) < 0)
    fail (a, true, -1, err);
  /* oom_score_adj through the host /proc, so before build_root hides it. */
  if (process_set_oom_score_adj (a->process, a->proc_fd, &err) < 0 || build_root (a, &err) < 0)
    fail (a, true, -1, err);
  if (prepare_process (a, &env, &path, &err) < 0)
    fail (a, true, -1, err);
  debug_log (a, debug_fd, "init: closing the pipe to signal completion");
  if (debug_fd >= 0)
    close (debug_fd);
  if (sync_send_filtered (a->sync_fd, SYNC_READY, 0, &err) < 0)
    _exit (255);
  /* From here the parent has gone: failures reach `start` or stderr. */
  if (wait_for_start (a, &start_fd, &err) < 0)
    fail (a, false, start_fd, err);
  exec_program (a, path, env, false, start_fd);
}

void
exec_init (const struct init_args *a)
{
  ocirt_error_t err = NULL;
  cleanup_free char *path = NULL;
  char **env = NULL;
  int debug_fd = debug_log_open (a);

  take_over_process (a, debug_fd);
  debug_log (a, debug_fd, "child process in init(): joining container %s", a->id);
  /* execCPUAffinity (exec only; the spec exempts the init): "initial"
   * while the process is still the runtime's, "final" once the parent has
   * moved it into the container's cgroup, whose cpuset may narrow it. */
  if (cpu_affinity_apply (a->process->exec_cpu_affinity_initial, &err) < 0)
    fail (a, true, -1, err);
  if (sync_expect (a->sync_fd, SYNC_GO, NULL, &err) < 0)
    _exit (255);
  if (cpu_affinity_apply (a->process->exec_cpu_affinity_final, &err) < 0)
    fail (a, true, -1, err);
  if (exec_enter_namespaces (a, &err) < 0 || setup_terminal (a, false, &err) < 0)
    fail (a, true, -1, err);
  if (prepare_process (a, &env, &path, &err) < 0)
    fail (a, true, -1, err);
  /* The debug fd closes at execve, with the sync socket. */
  debug_log (a, debug_fd, "setns_init: about to exec %s", path);
  /* No fifo: the parent waits for the sync socket to close at execve. */
  exec_program (a, path, env, true, -1);
}
