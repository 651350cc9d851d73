/* test_terminal.c - process.terminal support (src/linux/terminal.c), as a
 * specification.
 *
 * Ptys are made in the test process (posix_openpt) and programs run on them
 * in forked children; the test's own stdio is swapped only around a call to
 * terminal_proxy and never becomes anyone's controlling terminal. The
 * in-container allocation runs in a child with a private mount namespace,
 * a tmpfs /dev and its own devpts instance, as a container init sees them:
 * that needs root. Children report through their exit status and explain
 * failures on stderr; they never call cmocka asserts.
 *
 * Build: gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -I/usr/include/yajl \
 *   -o tests/unit/test_terminal tests/unit/test_terminal.c \
 *   src/linux/terminal.c src/util/error.c -lcmocka
 * (or `make tests/unit/test_terminal`).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/linux/terminal.h"
#include "../../src/util/cleanup.h"

/* ---- helpers ------------------------------------------------------------ */

static int
open_pty (int *slave)
{
  int m = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  assert_true (m >= 0);
  assert_int_equal (grantpt (m), 0);
  assert_int_equal (unlockpt (m), 0);
  *slave = open (ptsname (m), O_RDWR | O_NOCTTY | O_CLOEXEC);
  assert_true (*slave >= 0);
  return m;
}

/* Run `sh -c script` in a child whose session, controlling tty and stdio
 * are the slave of a new pty; returns the master and sets *pid. */
static int
spawn_on_pty (const char *script, pid_t *pid)
{
  int slave;
  int master = open_pty (&slave);

  *pid = fork ();
  assert_true (*pid >= 0);
  if (*pid == 0)
    {
      if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
        _exit (126);
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      execl ("/bin/sh", "sh", "-c", script, (char *) NULL);
      _exit (127);
    }
  close (slave);
  return master;
}

/* A pidfd for pid, or -1 where pidfd_open is missing (valgrind 3.19 does
 * not know it): the proxy then runs until the slave closes. */
static int
pidfd_of (pid_t pid)
{
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  assert_true (fd >= 0 || errno == ENOSYS);
  return fd;
}

static int
exit_status_of (pid_t pid)
{
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* Run terminal_proxy with fds 0 and 1 replaced by in_fd and out_fd, and put
 * the test's own stdio back afterwards. */
static int
proxy_with_stdio (int master, int pidfd, int in_fd, int out_fd, ocirt_error_t *err)
{
  int saved_in = dup (0), saved_out = dup (1);
  assert_true (saved_in >= 0 && saved_out >= 0);
  fflush (stdout);
  assert_true (dup2 (in_fd, 0) == 0 && dup2 (out_fd, 1) == 1);
  int r = terminal_proxy (master, pidfd, err);
  dup2 (saved_in, 0);
  dup2 (saved_out, 1);
  close (saved_in);
  close (saved_out);
  return r;
}

/* Everything written to a memfd, NUL-terminated, without CRs. */
static char *
memfd_text (int fd)
{
  struct stat st;
  assert_int_equal (fstat (fd, &st), 0);
  char *s = calloc (1, (size_t) st.st_size + 1);
  assert_non_null (s);
  assert_int_equal (pread (fd, s, (size_t) st.st_size, 0), st.st_size);
  char *w = s;
  for (char *r = s; *r; r++)
    if (*r != '\r')
      *w++ = *r;
  *w = '\0';
  return s;
}

static void
same_file (int a, int b)
{
  struct stat sa, sb;
  assert_int_equal (fstat (a, &sa), 0);
  assert_int_equal (fstat (b, &sb), 0);
  assert_int_equal (sa.st_dev, sb.st_dev);
  assert_int_equal (sa.st_ino, sb.st_ino);
}

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- window size -------------------------------------------------------- */

static void
set_size_is_seen_on_the_slave (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int slave = -1;
  cleanup_close int master = open_pty (&slave);
  struct winsize ws;

  assert_int_equal (terminal_set_size (master, 33, 101, &err), 0);
  assert_int_equal (ioctl (slave, TIOCGWINSZ, &ws), 0);
  assert_int_equal (ws.ws_row, 33);
  assert_int_equal (ws.ws_col, 101);
}

static void
set_size_on_a_non_tty_fails (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);

  assert_int_equal (terminal_set_size (fd, 24, 80, &err), -1);
  assert_string_equal (err->message, "set console size 24x80: inappropriate ioctl for device");
}

/* ---- fd passing --------------------------------------------------------- */

static void
fd_send_recv_carry_the_fd_and_payload (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cleanup_close int a = sv[0];
  cleanup_close int b = sv[1];
  cleanup_close int sent = memfd_create ("sent", MFD_CLOEXEC);
  cleanup_close int got = -1;
  cleanup_free char *payload = NULL;

  assert_int_equal (fd_send (a, sent, "/dev/pts/7", &err), 0);
  /* A message sent after it is not merged into the fd's message. */
  assert_int_equal (write (a, "next", 4), 4);
  assert_int_equal (fd_recv (b, &got, &payload, &err), 0);
  assert_string_equal (payload, "/dev/pts/7");
  same_file (sent, got);
  assert_true (fcntl (got, F_GETFD) & FD_CLOEXEC);
  char next[8] = "";
  assert_int_equal (read (b, next, sizeof next), 4);
  assert_memory_equal (next, "next", 4);
}

static void
fd_send_refuses_an_empty_payload (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cleanup_close int a = sv[0];
  cleanup_close int b = sv[1];

  assert_int_equal (fd_send (a, 0, "", &err), -1);
  assert_string_equal (err->message, "send fd: empty payload: invalid argument");
  assert_int_equal (fd_send (a, 0, NULL, &err), -1);
}

/* Send fd (or none if fd < 0) with len bytes of data, bypassing fd_send. */
static void
raw_send (int sock, int fd, const char *data, size_t len)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  memset (&ctl, 0, sizeof ctl);
  if (fd >= 0)
    {
      msg.msg_control = ctl.buf;
      msg.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof fd);
    }
  assert_int_equal (sendmsg (sock, &msg, 0), (ssize_t) len);
}

static void
fd_recv_refuses_an_empty_payload_and_closes_the_fd (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  int sv[2];
  /* Only a datagram socket can carry an fd with no data. */
  assert_int_equal (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
  cleanup_close int a = sv[0];
  cleanup_close int b = sv[1];
  int fd = -1;
  char *payload = NULL;

  int before = dup (0);
  close (before);
  raw_send (a, 0, "", 0);
  assert_int_equal (fd_recv (b, &fd, &payload, &err), -1);
  assert_string_equal (err->message, "receive fd: empty payload");
  assert_int_equal (fd, -1);
  assert_null (payload);
  /* The received fd was closed: the lowest free fd is the same again. */
  int after = dup (0);
  close (after);
  assert_int_equal (after, before);
}

static void
fd_recv_refuses_a_message_without_fd (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cleanup_close int a = sv[0];
  cleanup_close int b = sv[1];
  int fd = -1;
  char *payload = NULL;

  raw_send (a, -1, "/dev/pts/0", 10);
  assert_int_equal (fd_recv (b, &fd, &payload, &err), -1);
  assert_string_equal (err->message, "receive fd: message carries no file descriptor");

  close (steal_fd (&a));
  assert_int_equal (fd_recv (b, &fd, &payload, &err), -1);
  assert_string_equal (err->message, "receive fd: peer closed the connection");
}

/* ---- console socket ----------------------------------------------------- */

static int
listen_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true (s >= 0);
  if (strlen (path) < sizeof addr.sun_path)
    {
      strcpy (addr.sun_path, path);
      assert_int_equal (bind (s, (struct sockaddr *) &addr, sizeof addr), 0);
    }
  else
    {
      /* Bind a long path from inside its directory. */
      char *dir = strdup (path);
      *strrchr (dir, '/') = '\0';
      int cwd = open (".", O_PATH | O_CLOEXEC);
      assert_int_equal (chdir (dir), 0);
      strcpy (addr.sun_path, strrchr (path, '/') + 1);
      assert_int_equal (bind (s, (struct sockaddr *) &addr, sizeof addr), 0);
      assert_int_equal (fchdir (cwd), 0);
      close (cwd);
      free (dir);
    }
  assert_int_equal (listen (s, 1), 0);
  return s;
}

static void
console_socket_delivers (const char *dir, const char *path)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int slave = -1;
  cleanup_close int master = open_pty (&slave);
  cleanup_close int lst = -1;
  cleanup_close int conn = -1;
  cleanup_close int got = -1;
  cleanup_free char *payload = NULL;

  assert_true (mkdir (dir, 0700) == 0 || errno == EEXIST);
  lst = listen_unix (path);
  assert_int_equal (console_socket_send (path, master, ptsname (master), &err), 0);
  conn = accept4 (lst, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  assert_int_equal (fd_recv (conn, &got, &payload, &err), 0);
  assert_string_equal (payload, ptsname (master));
  same_file (master, got);
  /* It is the master: what is written to the slave comes out of it. */
  assert_int_equal (write (slave, "x", 1), 1);
  char c = 0;
  assert_int_equal (read (got, &c, 1), 1);
  assert_int_equal (c, 'x');
  unlink (path);
}

static void
console_socket_send_delivers_master_and_name (void **state)
{
  (void) state;
  char dir[] = "/tmp/test_terminal.XXXXXX";
  assert_non_null (mkdtemp (dir));
  cleanup_free char *path = NULL;
  assert_true (asprintf (&path, "%s/console.sock", dir) > 0);

  console_socket_delivers (dir, path);
  rmdir (dir);
}

static void
console_socket_send_reaches_a_path_longer_than_sun_path (void **state)
{
  (void) state;
  char dir[] = "/tmp/test_terminal.XXXXXX";
  assert_non_null (mkdtemp (dir));
  cleanup_free char *sub = NULL;
  cleanup_free char *path = NULL;
  assert_true (asprintf (&sub, "%s/%0120d", dir, 0) > 0);
  assert_true (asprintf (&path, "%s/console.sock", sub) > 0);
  assert_true (strlen (path) > sizeof ((struct sockaddr_un *) 0)->sun_path);

  console_socket_delivers (sub, path);
  rmdir (sub);
  rmdir (dir);
}

static void
console_socket_send_to_a_missing_socket_names_it (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int slave = -1;
  cleanup_close int master = open_pty (&slave);
  char dir[] = "/tmp/test_terminal.XXXXXX";
  assert_non_null (mkdtemp (dir));
  cleanup_free char *path = NULL;
  cleanup_free char *want = NULL;
  assert_true (asprintf (&path, "%s/missing.sock", dir) > 0);
  assert_true (asprintf (&want, "connect to console socket \"%s\": no such file or directory", path) > 0);

  assert_int_equal (console_socket_send (path, master, "/dev/pts/0", &err), -1);
  assert_string_equal (err->message, want);
  assert_int_equal (err->errno_value, ENOENT);
  rmdir (dir);
}

/* ---- foreground proxy --------------------------------------------------- */

static void
proxy_copies_output_until_the_slave_closes (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  pid_t pid;
  cleanup_close int master = spawn_on_pty ("echo hi; sleep 0.2; echo late; exit 3", &pid);
  cleanup_close int pidfd = pidfd_of (pid);
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  cleanup_close int out = memfd_create ("out", MFD_CLOEXEC);

  /* stdin at EOF at once: output is still copied to the end. */
  assert_int_equal (proxy_with_stdio (master, pidfd, in, out, &err), 0);
  cleanup_free char *text = memfd_text (out);
  assert_string_equal (text, "hi\nlate\n");
  assert_int_equal (exit_status_of (pid), 3);
  assert_false (fcntl (master, F_GETFL) & O_NONBLOCK);
}

static void
proxy_returns_when_the_process_exits_though_a_child_holds_the_slave (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  pid_t pid;
  cleanup_close int master = spawn_on_pty ("sleep 30 & echo hi; exit 3", &pid);
  cleanup_close int pidfd = pidfd_of (pid);
  if (pidfd < 0)
    {
      kill (-pid, SIGKILL);
      exit_status_of (pid);
      skip ();
    }
  cleanup_close int in = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  cleanup_close int out = memfd_create ("out", MFD_CLOEXEC);

  long t0 = now_ms ();
  assert_int_equal (proxy_with_stdio (master, pidfd, in, out, &err), 0);
  assert_true (now_ms () - t0 < 5000);
  cleanup_free char *text = memfd_text (out);
  assert_string_equal (text, "hi\n");
  assert_int_equal (exit_status_of (pid), 3);
  /* The background sleep is in the child's session and process group. */
  kill (-pid, SIGKILL);
}

static bool
same_termios (const struct termios *a, const struct termios *b)
{
  return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag
         && a->c_lflag == b->c_lflag && memcmp (a->c_cc, b->c_cc, sizeof a->c_cc) == 0;
}

static void
proxy_forwards_input_and_window_size_and_restores_the_tty (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  pid_t pid, helper;
  cleanup_close int our_slave = -1;
  /* Our "terminal": stdin is the slave of a second pty, typed on through
   * its master. */
  cleanup_close int our_master = open_pty (&our_slave);
  cleanup_close int master
    = spawn_on_pty ("read a; echo \"got $a\"; stty size; read b; echo \"got $b\"; stty size", &pid);
  cleanup_close int pidfd = pidfd_of (pid);
  cleanup_close int out = memfd_create ("out", MFD_CLOEXEC);
  struct termios before, after;
  sigset_t mask;

  assert_int_equal (terminal_set_size (our_master, 33, 77, &err), 0);
  assert_int_equal (tcgetattr (our_slave, &before), 0);
  /* Typed before the proxy starts: the size is copied before input. */
  assert_int_equal (write (our_master, "one\n", 4), 4);
  helper = fork ();
  assert_true (helper >= 0);
  if (helper == 0)
    {
      /* Resize our terminal, signal as the kernel would for a
       * controlling tty, then type the second line. */
      usleep (700 * 1000);
      struct winsize ws = { .ws_row = 40, .ws_col = 100 };
      ioctl (our_master, TIOCSWINSZ, &ws);
      kill (getppid (), SIGWINCH);
      usleep (300 * 1000);
      _exit (write (our_master, "two\n", 4) == 4 ? 0 : 1);
    }

  assert_int_equal (proxy_with_stdio (master, pidfd, our_slave, out, &err), 0);
  assert_int_equal (exit_status_of (helper), 0);
  assert_int_equal (exit_status_of (pid), 0);
  cleanup_free char *text = memfd_text (out);
  /* The container's tty echoes the input. */
  assert_string_equal (text, "one\ngot one\n33 77\ntwo\ngot two\n40 100\n");

  assert_int_equal (tcgetattr (our_slave, &after), 0);
  assert_true (same_termios (&before, &after));
  /* SIGWINCH was not blocked here, so the proxy unblocked it again. */
  assert_int_equal (sigprocmask (SIG_BLOCK, NULL, &mask), 0);
  assert_false (sigismember (&mask, SIGWINCH));
}

/* ---- inside the container ----------------------------------------------- */

static int
child_fail (int errfd, const char *what, ocirt_error_t err)
{
  dprintf (errfd, "open_in_container child: %s%s%s (errno %d)\n", what, err ? ": " : "",
           err ? err->message : "", errno);
  return 1;
}

/* A container's /dev: private mounts, tmpfs /dev, its own devpts, and
 * /dev/ptmx -> pts/ptmx. Then allocate, make it the stdio, bind it on
 * /dev/console. */
static int
open_in_container_child (void)
{
  ocirt_error_t err = NULL;
  int errfd = dup (2);
  int master = -1;
  char *name = NULL;
  struct stat st_console, st_slave;

  if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "", MS_REC | MS_PRIVATE, NULL) < 0)
    return child_fail (errfd, "private mount namespace", NULL);
  if (mount ("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755") < 0 || mkdir ("/dev/pts", 0755) < 0
      || mount ("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620") < 0
      || symlink ("pts/ptmx", "/dev/ptmx") < 0)
    return child_fail (errfd, "container /dev", NULL);

  int slave = terminal_open_in_container (&master, &name, &err);
  if (slave < 0)
    return child_fail (errfd, "terminal_open_in_container", err);
  if (strcmp (name, "/dev/pts/0") != 0)
    return child_fail (errfd, name, NULL);
  if (!(fcntl (slave, F_GETFD) & FD_CLOEXEC) || !(fcntl (master, F_GETFD) & FD_CLOEXEC))
    return child_fail (errfd, "fds are not O_CLOEXEC", NULL);

  /* A /dev/console that leads elsewhere is replaced, never mounted through. */
  if (symlink ("../etc/passwd", "/dev/console") < 0)
    return child_fail (errfd, "symlink /dev/console", NULL);
  if (terminal_bind_console (slave, &err) < 0)
    return child_fail (errfd, "terminal_bind_console", err);
  struct stat st_link;
  if (lstat ("/dev/console", &st_link) < 0 || S_ISLNK (st_link.st_mode))
    return child_fail (errfd, "/dev/console is still a symlink", NULL);
  if (stat ("/dev/console", &st_console) < 0 || fstat (slave, &st_slave) < 0
      || !S_ISCHR (st_console.st_mode) || st_console.st_rdev != st_slave.st_rdev)
    return child_fail (errfd, "/dev/console is not the pty", NULL);

  if (terminal_set_size (master, 25, 90, &err) < 0)
    return child_fail (errfd, "terminal_set_size", err);
  if (setsid () < 0)
    return child_fail (errfd, "setsid", NULL);
  if (terminal_setup_stdio (slave, &err) < 0)
    return child_fail (errfd, "terminal_setup_stdio", err);
  struct winsize ws;
  if (!isatty (0) || !isatty (1) || !isatty (2) || tcgetpgrp (0) != getpid ()
      || ioctl (0, TIOCGWINSZ, &ws) < 0 || ws.ws_row != 25 || ws.ws_col != 90)
    return child_fail (errfd, "stdio is not the controlling tty", NULL);
  char *tty = ttyname (1);
  if (tty == NULL || strcmp (tty, "/dev/pts/0") != 0)
    return child_fail (errfd, "ttyname", NULL);
  char buf[8] = "";
  if (write (1, "ping", 4) != 4 || read (master, buf, sizeof buf) != 4 || memcmp (buf, "ping", 4))
    return child_fail (errfd, "slave output does not reach the master", NULL);
  free (name);
  return 0;
}

static void
open_in_container_allocates_from_the_containers_devpts (void **state)
{
  (void) state;
  if (geteuid () != 0)
    skip ();
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (open_in_container_child ());
  assert_int_equal (exit_status_of (pid), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (set_size_is_seen_on_the_slave),
    cmocka_unit_test (set_size_on_a_non_tty_fails),
    cmocka_unit_test (fd_send_recv_carry_the_fd_and_payload),
    cmocka_unit_test (fd_send_refuses_an_empty_payload),
    cmocka_unit_test (fd_recv_refuses_an_empty_payload_and_closes_the_fd),
    cmocka_unit_test (fd_recv_refuses_a_message_without_fd),
    cmocka_unit_test (console_socket_send_delivers_master_and_name),
    cmocka_unit_test (console_socket_send_reaches_a_path_longer_than_sun_path),
    cmocka_unit_test (console_socket_send_to_a_missing_socket_names_it),
    cmocka_unit_test (proxy_copies_output_until_the_slave_closes),
    cmocka_unit_test (proxy_returns_when_the_process_exits_though_a_child_holds_the_slave),
    cmocka_unit_test (proxy_forwards_input_and_window_size_and_restores_the_tty),
    cmocka_unit_test (open_in_container_allocates_from_the_containers_devpts),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
