/* hooks.c - running the OCI lifecycle hooks of config.json.
 *
 * Owns: one hook process at a time, from fork to reaping; see hooks.h for
 * the contract. The parent side is a single poll loop over three fds: the
 * hook's pidfd (readable when it exits), the write end of its stdin pipe and
 * the read end of its output pipe. The timeout is the poll timeout, so no
 * SIGALRM and no global state. Where pidfd_open() is refused, the loop
 * polls in short ticks and checks for the exit with waitid(WNOWAIT). The loop ends on the hook's exit, not on EOF
 * of its output: a hook that leaves a daemon holding the pipe must not hang
 * the runtime.
 *
 * SIGPIPE is blocked around the call (a hook may exit without reading its
 * stdin), and a SIGPIPE that our own writes raised is consumed before the
 * caller's mask is restored, so the caller's signal state is unchanged.
 */
#include "hooks.h"

#include "../util/signals.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../util/cleanup.h"

/* The last HOOKS_OUTPUT_TAIL bytes a hook wrote to stdout or stderr. */
struct output_tail
{
  char buf[HOOKS_OUTPUT_TAIL];
  size_t len;
};

static void
tail_append (struct output_tail *t, const char *data, size_t n)
{
  if (n >= sizeof t->buf)
    {
      memcpy (t->buf, data + n - sizeof t->buf, sizeof t->buf);
      t->len = sizeof t->buf;
      return;
    }
  if (t->len + n > sizeof t->buf)
    {
      size_t drop = t->len + n - sizeof t->buf;
      memmove (t->buf, t->buf + drop, t->len - drop);
      t->len -= drop;
    }
  memcpy (t->buf + t->len, data, n);
  t->len += n;
}

/* The tail as a C string without surrounding white space, in `out`. */
static const char *
tail_trimmed (struct output_tail *t, char out[HOOKS_OUTPUT_TAIL + 1])
{
  size_t start = 0, end = t->len;
  while (start < end && strchr (" \t\r\n", t->buf[start]))
    start++;
  while (end > start && strchr (" \t\r\n", t->buf[end - 1]))
    end--;
  memcpy (out, t->buf + start, end - start);
  out[end - start] = '\0';
  return out;
}

/* Read what is available without blocking. Returns false at EOF or error,
 * when the fd is of no further use. */
static bool
drain_output (int fd, struct output_tail *t)
{
  char chunk[4096];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n > 0)
        {
          tail_append (t, chunk, (size_t) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      return n < 0 && errno == EAGAIN;
    }
}

/* Move a new fd above 2, so that dup2() onto 0-2 in the child cannot
 * clobber another pipe end (the caller may run with stdio closed). */
static int
fd_above_stdio (int fd)
{
  if (fd > 2)
    return fd;
  int moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  int saved = errno;
  close (fd);
  errno = saved;
  return moved;
}

static int
make_pipe (int fds[2])
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -1;
  fds[0] = fd_above_stdio (fds[0]);
  fds[1] = fd_above_stdio (fds[1]);
  if (fds[0] < 0 || fds[1] < 0)
    {
      int saved = errno;
      if (fds[0] >= 0)
        close (fds[0]);
      if (fds[1] >= 0)
        close (fds[1]);
      errno = saved;
      return -1;
    }
  return 0;
}

static int
set_nonblock (int fd)
{
  int flags = fcntl (fd, F_GETFL);
  if (flags < 0)
    return -1;
  return fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

/* In the forked child: become the hook. Only async-signal-safe calls, as
 * the caller may be multi-threaded. On failure the errno goes to the parent
 * through `exec_err_fd` (close-on-exec, so a successful execve closes it). */
static void __attribute__ ((noreturn))
exec_hook (const struct oci_hook *hook, char *const argv[], char *const envp[],
           int stdin_fd, int output_fd, int exec_err_fd)
{
  int e;

  if (dup2 (stdin_fd, 0) < 0 || dup2 (output_fd, 1) < 0
      || dup2 (output_fd, 2) < 0)
    goto fail;
  /* Only stdio reaches the hook: state-dir locks, sync sockets and the
   * container's fds are none of its business. exec_err_fd is needed until
   * execve, so close around it and rely on its close-on-exec flag. */
  if (exec_err_fd > 3)
    syscall (SYS_close_range, 3U, (unsigned int) exec_err_fd - 1, 0U);
  syscall (SYS_close_range, (unsigned int) exec_err_fd + 1, ~0U, 0U);

  /* A hook starts from a clean signal state, not from the runtime's
   * (ignored signals and the mask survive execve). */
  signals_reset_for_exec ();

  execve (hook->path, argv, envp);
fail:
  e = errno;
  while (write (exec_err_fd, &e, sizeof e) < 0 && errno == EINTR)
    ;
  _exit (127);
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The parent's view of one running hook. */
struct hook_run
{
  pid_t pid;
  int pidfd;
  int stdin_fd;    /* write end; -1 once all is written or the hook closed it */
  int output_fd;   /* read end; -1 at EOF */
  const char *input;
  size_t input_left;
  struct output_tail output;
};

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Write what the pipe takes now. EPIPE means the hook closed its stdin or
 * exited without reading it: that is its right, not an error. */
static int
feed_stdin (struct hook_run *r)
{
  while (r->input_left > 0)
    {
      ssize_t n = write (r->stdin_fd, r->input, r->input_left);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            return 0;
          if (errno == EPIPE)
            break;
          return -1;
        }
      r->input += n;
      r->input_left -= (size_t) n;
    }
  close_fd (&r->stdin_fd);
  return 0;
}

/* Without a pidfd (pidfd_open refused by an outer seccomp filter, or under
 * valgrind), poll in ticks this long and ask waitid() between them. */
#define EXIT_POLL_TICK_MS 10

static bool
has_exited (const struct hook_run *r)
{
  siginfo_t info = { 0 };
  /* WNOWAIT: the zombie stays, so the pid cannot be reused before reap(). */
  return waitid (P_PID, (id_t) r->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0
         && info.si_pid == r->pid;
}

/* Poll until the hook exits or `deadline_ms` (-1: none) passes. Returns 1
 * when it exited, 0 on timeout, -1 with errno on a system error. */
static int
wait_hook (struct hook_run *r, int64_t deadline_ms)
{
  for (;;)
    {
      struct pollfd p[3] = {
        { .fd = r->pidfd, .events = POLLIN },
        { .fd = r->stdin_fd, .events = POLLOUT },
        { .fd = r->output_fd, .events = POLLIN },
      };
      int timeout = r->pidfd < 0 ? EXIT_POLL_TICK_MS : -1;
      if (deadline_ms >= 0)
        {
          int64_t left = deadline_ms - now_ms ();
          if (left <= 0)
            return 0;
          if (timeout < 0 || left < timeout)
            timeout = left > INT_MAX ? INT_MAX : (int) left;
        }
      /* poll() ignores entries whose fd is negative. */
      int n = poll (p, 3, timeout);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (p[1].revents & (POLLOUT | POLLERR | POLLHUP))
        if (feed_stdin (r) < 0)
          return -1;
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
        if (!drain_output (r->output_fd, &r->output))
          close_fd (&r->output_fd);
      if (r->pidfd >= 0 ? (p[0].revents & POLLIN) != 0 : has_exited (r))
        return 1;
    }
}

static int
reap (pid_t pid, int *status)
{
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

/* Block SIGPIPE for the call; `was_pending` tells whether one was already
 * pending for the caller, which must then be left for it. */
struct sigpipe_guard
{
  sigset_t old_mask;
  bool was_pending;
};

static void
sigpipe_block (struct sigpipe_guard *g)
{
  sigset_t pipe_set, pending;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  g->was_pending = sigismember (&pending, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &g->old_mask);
}

static void
sigpipe_restore (struct sigpipe_guard *g)
{
  sigset_t pipe_set, pending;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  if (!g->was_pending && sigismember (&pending, SIGPIPE))
    {
      const struct timespec zero = { 0, 0 };
      int saved = errno;
      sigtimedwait (&pipe_set, NULL, &zero);
      errno = saved;
    }
  sigprocmask (SIG_SETMASK, &g->old_mask, NULL);
}

/* NULL-terminated copy of a counted string array (the strings are shared). */
static char **
to_argv (char **items, size_t n, const char *fallback)
{
  size_t count = n > 0 ? n : (fallback ? 1 : 0);
  char **v = calloc (count + 1, sizeof *v);
  if (v == NULL)
    return NULL;
  if (n > 0)
    memcpy (v, items, n * sizeof *v);
  else if (fallback)
    v[0] = (char *) fallback;
  return v;
}

/* Everything after the fork: feed, wait, time out, reap, report. */
static int
supervise (struct hook_run *r, const struct oci_hook *hook, const char *what,
           int exec_err_fd, ocirt_error_t *err)
{
  int64_t deadline = hook->has_timeout && hook->timeout > 0
                       ? now_ms () + (int64_t) hook->timeout * 1000
                       : -1;
  int status = 0, exec_errno = 0;
  int exited = wait_hook (r, deadline);
  int wait_errno = errno;

  if (exited <= 0)
    /* Timed out, or we can no longer watch it: never leave it running.
     * It is not reaped yet, so the pid is still the hook's. */
    kill (r->pid, SIGKILL);
  if (reap (r->pid, &status) < 0)
    return make_error (err, errno, "%s: wait", what);
  if (exited < 0)
    return make_error (err, wait_errno, "%s: wait", what);
  if (exited == 0)
    return make_error (err, 0, "%s: timed out after %ds", what, hook->timeout);

  if (r->output_fd >= 0)
    drain_output (r->output_fd, &r->output);
  if (read (exec_err_fd, &exec_errno, sizeof exec_errno) == sizeof exec_errno)
    return make_error (err, exec_errno, "%s: exec", what);

  char text[HOOKS_OUTPUT_TAIL + 1];
  const char *out = tail_trimmed (&r->output, text);
  if (WIFSIGNALED (status))
    {
      /* The signal's description as runc (Go) words it: "bad system call"
       * for a seccomp kill, which runc's tests look for. */
      char desc[64];
      snprintf (desc, sizeof desc, "%s", strsignal (WTERMSIG (status)));
      desc[0] = (char) tolower ((unsigned char) desc[0]);
      return make_error (err, 0, "%s: killed by signal %d (%s)%s%s", what, WTERMSIG (status), desc,
                         *out ? ": " : "", out);
    }
  if (WEXITSTATUS (status) != 0)
    return make_error (err, 0, "%s: exit status %d%s%s", what,
                       WEXITSTATUS (status), *out ? ": " : "", out);
  return 0;
}

int
hooks_run_one (const struct oci_hook *hook, const char *kind, size_t index,
               const char *state_json, ocirt_error_t *err)
{
  cleanup_free char *what = NULL;
  cleanup_free char **argv = NULL;
  cleanup_free char **envp = NULL;
  cleanup_close int stdin_r = -1, stdin_w = -1;
  cleanup_close int out_r = -1, out_w = -1;
  cleanup_close int exec_err_r = -1, exec_err_w = -1;
  cleanup_close int pidfd = -1;
  int fds[2];

  /* "error running hook": runc's words, which its hook tests look for. */
  if (asprintf (&what, "%s: error running hook #%zu \"%s\"", kind, index, hook->path) < 0)
    return make_error (err, ENOMEM, "%s hook #%zu", kind, index);
  argv = to_argv (hook->args, hook->n_args, hook->path);
  envp = to_argv (hook->env, hook->n_env, NULL);
  if (argv == NULL || envp == NULL)
    return make_error (err, ENOMEM, "%s", what);

  if (make_pipe (fds) < 0)
    return make_error (err, errno, "%s: pipe", what);
  stdin_r = fds[0], stdin_w = fds[1];
  if (make_pipe (fds) < 0)
    return make_error (err, errno, "%s: pipe", what);
  out_r = fds[0], out_w = fds[1];
  if (make_pipe (fds) < 0)
    return make_error (err, errno, "%s: pipe", what);
  exec_err_r = fds[0], exec_err_w = fds[1];
  if (set_nonblock (stdin_w) < 0 || set_nonblock (out_r) < 0
      || set_nonblock (exec_err_r) < 0)
    return make_error (err, errno, "%s: pipe", what);

  struct sigpipe_guard guard;
  sigpipe_block (&guard);
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      sigpipe_restore (&guard);
      return make_error (err, saved, "%s: fork", what);
    }
  if (pid == 0)
    /* No "env" at all: the runtime's own environment, as runc's hooks get
     * (Go's exec.Cmd with a nil Env) and crun's. */
    exec_hook (hook, argv, hook->has_env ? envp : environ, stdin_r, out_w, exec_err_w);

  /* Only the child's copies of these must stay open: EOF on the output
   * and on the exec-error pipe depend on it. */
  close_fd (&stdin_r);
  close_fd (&out_w);
  close_fd (&exec_err_w);

  /* -1 is fine: wait_hook() then polls with waitid(). */
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);

  struct hook_run run = {
    .pid = pid,
    .pidfd = pidfd,
    .stdin_fd = steal_fd (&stdin_w),
    .output_fd = steal_fd (&out_r),
    .input = state_json ? state_json : "",
    .input_left = state_json ? strlen (state_json) : 0,
  };
  int ret = supervise (&run, hook, what, exec_err_r, err);
  close_fd (&run.stdin_fd);
  close_fd (&run.output_fd);
  sigpipe_restore (&guard);
  return ret;
}

int
hooks_run (const struct oci_hook_list *list, const char *kind,
           const char *state_json, ocirt_error_t *err)
{
  if (list == NULL)
    return 0;
  for (size_t i = 0; i < list->n_hooks; i++)
    if (hooks_run_one (&list->hooks[i], kind, i, state_json, err) < 0)
      return -1;
  return 0;
}
