/* terminal.c - see terminal.h. */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "pathsafe.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* The longest payload (a pty name) fd_recv accepts, as runc's MaxNameLen. */
#define FD_PAYLOAD_MAX 4096

/* After the process exited, the master counts as drained once it has been
 * quiet this long (the kernel moves pty data through a work queue, so an
 * empty read right after the exit does not yet mean "no more output"), or
 * at the latest this long after the exit, if something keeps writing. */
#define DRAIN_QUIET_MS 100
#define DRAIN_MAX_MS 2000

int
terminal_open_in_container (int *master_fd, char **slave_name, ocirt_error_t *err)
{
  int unlock = 0;
  unsigned int n;
  char *name = NULL;

  /* /dev/ptmx is the container's own pts/ptmx (runtime-linux.md), so the pty
   * is allocated in the container's devpts instance, not the host's. */
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return make_error (err, errno, "open \"/dev/ptmx\"");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return make_error (err, errno, "unlock pty (TIOCSPTLCK)");
  if (ioctl (master, TIOCGPTN, &n) < 0)
    return make_error (err, errno, "get pty number (TIOCGPTN)");
  if (asprintf (&name, "/dev/pts/%u", n) < 0)
    abort ();
  cleanup_free char *name_owned = name;

  /* TIOCGPTPEER opens the slave that belongs to this very master, with no
   * path lookup that a process in the container could redirect. Kernels
   * before 4.13 lack it: fall back to the name. */
  cleanup_close int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
    slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return make_error (err, errno, "open pty slave \"%s\"", name);

  *master_fd = steal_fd (&master);
  *slave_name = steal_pointer (&name_owned);
  return steal_fd (&slave);
}

int
terminal_setup_stdio (int slave_fd, ocirt_error_t *err)
{
  if (ioctl (slave_fd, TIOCSCTTY, 0) < 0)
    return make_error (err, errno, "set controlling terminal (TIOCSCTTY)");
  for (int i = 0; i <= 2; i++)
    if (slave_fd != i && dup2 (slave_fd, i) < 0)
      return make_error (err, errno, "dup2 terminal onto fd %d", i);
  return 0;
}

/* An O_PATH fd of /dev/console to mount the pty on, made (an empty file,
 * mode 0666) when missing. /dev is resolved inside the root, as every
 * mount destination is; console itself may not be a symlink: the rootfs is
 * untrusted, and a symlink there would carry the mount onto, say, a procfs
 * file. A symlink found in place is replaced. */
static int
open_console_target (ocirt_error_t *err)
{
  static const char console[] = "/dev/console";
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dev = root < 0 ? -1 : pathsafe_openat2 (root, "dev", O_PATH | O_DIRECTORY | O_CLOEXEC, IN_ROOT);
  struct stat st;

  if (dev < 0)
    return make_error (err, errno, "open \"/dev\" for \"%s\"", console);
  for (int attempt = 0; attempt < 2; attempt++)
    {
      cleanup_close int fd = openat (dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd >= 0)
        {
          /* The umask must not narrow what the spec's /dev/console gets. */
          if (fchmod (fd, 0666) < 0)
            return make_error (err, errno, "chmod \"%s\"", console);
          close (steal_fd (&fd));
        }
      else if (errno != EEXIST)
        return make_error (err, errno, "create \"%s\"", console);
      fd = openat (dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || fstat (fd, &st) < 0)
        return make_error (err, errno, "open \"%s\"", console);
      if (S_ISREG (st.st_mode) || S_ISCHR (st.st_mode))
        return steal_fd (&fd);
      if (unlinkat (dev, "console", 0) < 0)
        return make_error (err, errno, "remove \"%s\"", console);
    }
  return make_error (err, EEXIST, "create \"%s\"", console);
}

int
terminal_bind_console (int slave_fd, ocirt_error_t *err)
{
  cleanup_close int target = open_console_target (err);

  if (target < 0)
    return -1;
  /* From the slave fd itself, not from "/dev/pts/N": a /dev/pts that the
   * container controls could turn that name into a symlink to a procfs
   * file, which would then be bound writable on /dev/console, before the
   * read-only and masked paths are applied (CVE-2025-52565). */
  if (pathsafe_bind_fd (slave_fd, target, false) < 0)
    return make_error (err, errno, "bind the console pty on \"/dev/console\"");
  return 0;
}

int
terminal_chown_slave (int slave_fd, uid_t uid, ocirt_error_t *err)
{
  /* As runc: the uid only (devpts picks the gid, e.g. tty's), and a uid or
   * gid the user namespace cannot map, or a read-only /dev, leaves the pty
   * as it is rather than failing the container. */
  if (fchown (slave_fd, uid, (gid_t) -1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
    return make_error (err, errno, "chown the console pty to uid %u", (unsigned) uid);
  return 0;
}

int
terminal_set_size (int fd, unsigned rows, unsigned cols, ocirt_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

  if (rows > 0xffff || cols > 0xffff)
    return make_error (err, EINVAL, "set console size %ux%u", rows, cols);
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return make_error (err, errno, "set console size %ux%u", rows, cols);
  return 0;
}

int
fd_send (int sock, int fd, const char *payload, ocirt_error_t *err)
{
  size_t len = payload ? strlen (payload) : 0;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = (void *) payload, .iov_len = len };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
  };
  struct cmsghdr *c;
  ssize_t n;

  if (len == 0)
    return make_error (err, EINVAL, "send fd: empty payload");
  memset (&ctl, 0, sizeof ctl);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return make_error (err, errno, "send fd");
  if ((size_t) n != len)
    return make_error (err, 0, "send fd: short write (%zd of %zu bytes)", n, len);
  return 0;
}

int
fd_recv (int sock, int *fd, char **payload, ocirt_error_t *err)
{
  cleanup_free char *data = malloc (FD_PAYLOAD_MAX + 1);
  union
  {
    /* Room for a few fds, so that extra ones are received and closed
     * instead of truncated away unnoticed. */
    char buf[CMSG_SPACE (4 * sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = data, .iov_len = FD_PAYLOAD_MAX };
  struct msghdr msg = {
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
  };
  cleanup_close int got = -1;
  int extra = 0;
  ssize_t n;

  if (data == NULL)
    abort ();
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return make_error (err, errno, "receive fd");

  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t count = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < count; i++)
        {
          int f;
          memcpy (&f, CMSG_DATA (c) + i * sizeof (int), sizeof f);
          if (got < 0)
            got = f;
          else
            {
              close (f);
              extra++;
            }
        }
    }

  if (n == 0 && got < 0)
    return make_error (err, 0, "receive fd: peer closed the connection");
  if (got < 0)
    return make_error (err, 0, "receive fd: message carries no file descriptor");
  if (extra || (msg.msg_flags & MSG_CTRUNC))
    return make_error (err, 0, "receive fd: message carries more than one file descriptor");
  if (msg.msg_flags & MSG_TRUNC)
    return make_error (err, 0, "receive fd: payload longer than %d bytes", FD_PAYLOAD_MAX);
  if (n == 0)
    return make_error (err, 0, "receive fd: empty payload");
  data[n] = '\0';
  *fd = steal_fd (&got);
  *payload = steal_pointer (&data);
  return 0;
}

/* connect() to a unix socket path; one longer than sun_path is reached
 * through an O_PATH fd of its directory. */
static int
connect_unix (int sock, const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_free char *dir_copy = NULL;
  cleanup_free char *base_copy = NULL;
  cleanup_close int dirfd = -1;

  if (strlen (path) < sizeof addr.sun_path)
    memcpy (addr.sun_path, path, strlen (path) + 1);
  else
    {
      dir_copy = strdup (path);
      base_copy = strdup (path);
      if (dir_copy == NULL || base_copy == NULL)
        abort ();
      dirfd = open (dirname (dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return -1;
      if (snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd,
                    basename (base_copy)) >= (int) sizeof addr.sun_path)
        {
          errno = ENAMETOOLONG;
          return -1;
        }
    }
  int r;
  do
    r = connect (sock, (struct sockaddr *) &addr, sizeof addr);
  while (r < 0 && errno == EINTR);
  return r;
}

int
console_socket_send (const char *socket_path, int master_fd, const char *pty_name,
                     ocirt_error_t *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return make_error (err, errno, "console socket");
  if (connect_unix (sock, socket_path) < 0)
    return make_error (err, errno, "connect to console socket \"%s\"", socket_path);
  if (fd_send (sock, master_fd, pty_name, err) < 0)
    return wrap_error (err, "console socket \"%s\"", socket_path);
  return 0;
}

/* ---- foreground proxy --------------------------------------------------- */

/* What terminal_proxy changes and must put back on every return path. */
struct proxy_restore
{
  int tty_fd;               /* >= 0: restore tty_saved on it */
  struct termios tty_saved;
  int master_fd;            /* >= 0: restore master_flags on it */
  int master_flags;
  bool mask_changed;
  sigset_t saved_mask;
};

static void
proxy_restorep (struct proxy_restore *r)
{
  int saved = errno;
  if (r->tty_fd >= 0)
    tcsetattr (r->tty_fd, TCSANOW, &r->tty_saved);
  if (r->master_fd >= 0)
    fcntl (r->master_fd, F_SETFL, r->master_flags);
  if (r->mask_changed)
    sigprocmask (SIG_SETMASK, &r->saved_mask, NULL);
  errno = saved;
}

/* Our tty whose size the master mirrors: the first of stdin, stdout and
 * stderr that is one (as runc's console.Current()), or -1. */
static int
our_tty (void)
{
  for (int i = 0; i <= 2; i++)
    if (isatty (i))
      return i;
  return -1;
}

static void
copy_window_size (int from, int to)
{
  struct winsize ws;
  /* Best effort, as in runc: a size that cannot be read or set changes
   * nothing the process relies on. */
  if (from >= 0 && ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Write all of buf to fd, waiting for POLLOUT if fd is non-blocking. */
static int
write_all_polling (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            {
              struct pollfd p = { .fd = fd, .events = POLLOUT };
              if (poll (&p, 1, -1) < 0 && errno != EINTR)
                return -1;
              continue;
            }
          return -1;
        }
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

static int
proxy_prepare (struct proxy_restore *r, int master_fd, int *sigfd, ocirt_error_t *err)
{
  sigset_t winch, current;

  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  if (sigprocmask (SIG_BLOCK, NULL, &current) < 0)
    return make_error (err, errno, "sigprocmask");
  if (!sigismember (&current, SIGWINCH))
    {
      if (sigprocmask (SIG_BLOCK, &winch, &r->saved_mask) < 0)
        return make_error (err, errno, "block SIGWINCH");
      r->mask_changed = true;
    }
  *sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  if (*sigfd < 0)
    return make_error (err, errno, "signalfd SIGWINCH");

  int flags = fcntl (master_fd, F_GETFL);
  if (flags < 0)
    return make_error (err, errno, "fcntl terminal master");
  /* Non-blocking, so that input the container does not read can never stop
   * us from copying its output (which would deadlock both). */
  if (fcntl (master_fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return make_error (err, errno, "fcntl terminal master");
  r->master_fd = master_fd;
  r->master_flags = flags;

  copy_window_size (our_tty (), master_fd);
  if (isatty (STDIN_FILENO))
    {
      struct termios raw;
      if (tcgetattr (STDIN_FILENO, &r->tty_saved) < 0)
        return make_error (err, errno, "get terminal attributes of stdin");
      raw = r->tty_saved;
      cfmakeraw (&raw);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) < 0)
        return make_error (err, errno, "set stdin to raw mode");
      r->tty_fd = STDIN_FILENO;
    }
  return 0;
}

int
terminal_proxy (int master_fd, int pidfd, ocirt_error_t *err)
{
  __attribute__ ((cleanup (proxy_restorep))) struct proxy_restore restore = {
    .tty_fd = -1, .master_fd = -1,
  };
  cleanup_close int sigfd = -1;
  char buf[8192];
  char in[4096];
  size_t in_len = 0, in_off = 0;
  bool stdin_open = true;
  long exited_at = -1, last_output = 0;

  if (proxy_prepare (&restore, master_fd, &sigfd, err) < 0)
    return -1;

  for (;;)
    {
      enum { P_SIG, P_MASTER, P_STDIN, P_PID, P_N };
      struct pollfd p[P_N] = {
        [P_SIG] = { .fd = sigfd, .events = POLLIN },
        [P_MASTER] = { .fd = master_fd, .events = POLLIN | (in_len ? POLLOUT : 0) },
        [P_STDIN] = { .fd = stdin_open && in_len == 0 ? STDIN_FILENO : -1, .events = POLLIN },
        [P_PID] = { .fd = exited_at < 0 ? pidfd : -1, .events = POLLIN },
      };
      int timeout = -1;

      if (exited_at >= 0)
        {
          long now = now_ms ();
          long quiet_left = last_output + DRAIN_QUIET_MS - now;
          long max_left = exited_at + DRAIN_MAX_MS - now;
          long left = quiet_left < max_left ? quiet_left : max_left;
          if (left <= 0)
            return 0;
          timeout = (int) left;
        }
      if (poll (p, P_N, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          return make_error (err, errno, "poll terminal");
        }

      /* Before stdin: a resize that came before a keystroke reaches the
       * container first. */
      if (p[P_SIG].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sigfd, &si, sizeof si) == sizeof si)
            ;
          copy_window_size (our_tty (), master_fd);
        }

      if (p[P_PID].revents)
        {
          exited_at = last_output = now_ms ();
          /* Nobody is left to read what we would type. */
          stdin_open = false;
        }

      if (p[P_MASTER].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (master_fd, buf, sizeof buf);
          if (n > 0)
            {
              if (write_all_polling (STDOUT_FILENO, buf, (size_t) n) < 0)
                return make_error (err, errno, "write terminal output to stdout");
              last_output = now_ms ();
            }
          else if (n == 0 || errno == EIO)
            return 0;   /* every slave is closed and the data read */
          else if (errno != EAGAIN && errno != EINTR)
            return make_error (err, errno, "read terminal master");
        }

      if ((p[P_MASTER].revents & POLLOUT) && in_len)
        {
          ssize_t n = write (master_fd, in + in_off, in_len - in_off);
          if (n > 0)
            {
              in_off += (size_t) n;
              if (in_off == in_len)
                in_len = in_off = 0;
            }
          else if (n < 0 && errno == EIO)
            in_len = in_off = 0; /* the slave is gone: output ends next */
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return make_error (err, errno, "write to terminal master");
        }

      if (p[P_STDIN].revents & POLLNVAL)
        stdin_open = false;
      else if (p[P_STDIN].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (STDIN_FILENO, in, sizeof in);
          if (n > 0)
            in_len = (size_t) n;
          else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            stdin_open = false; /* EOF (or a hung-up tty): keep copying output */
        }
    }
}
