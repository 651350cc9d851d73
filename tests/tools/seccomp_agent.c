/* seccomp_agent.c - a seccomp agent for tests (linux.seccomp.listenerPath).
 *
 *   seccomp_agent [--deny NR] [--log FILE] [--state FILE] SOCKET_PATH
 *
 * Listens on SOCKET_PATH. For every connection (one per container process a
 * runtime starts under a filter with SCMP_ACT_NOTIFY) it receives the
 * container process state (JSON) with the listener fd attached, as the
 * runtime spec and runc define it, and appends the state as one line to
 * --state FILE. It then answers every notification of every listener:
 * "continue" (the syscall runs as if unfiltered), or EPERM for syscall
 * number NR (--deny). Each notification appends "<pid> <nr>" to --log FILE.
 * It runs until killed.
 *
 * SOCKET_PATH appears only once it accepts connections (bound under a
 * temporary name and renamed), so a test may wait for the file.
 *
 * Build: cc -O2 -Wall -o tests/tools/seccomp_agent tests/tools/seccomp_agent.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTENERS 64

static const char *log_file, *state_file;
static long deny_nr = -1;

static void
die (const char *what)
{
  fprintf (stderr, "seccomp_agent: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
append_line (const char *file, const char *line)
{
  FILE *f;
  if (file == NULL || (f = fopen (file, "a")) == NULL)
    return;
  fprintf (f, "%s\n", line);
  fclose (f);
}

static int
listen_at (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char tmp[sizeof addr.sun_path];
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    die ("socket");
  if (snprintf (tmp, sizeof tmp, "%s.%d.tmp", path, (int) getpid ()) >= (int) sizeof tmp)
    {
      errno = ENAMETOOLONG;
      die (path);
    }
  strcpy (addr.sun_path, tmp);
  unlink (tmp);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 16) < 0)
    die ("bind");
  if (rename (tmp, path) < 0)
    die ("rename");
  return fd;
}

/* True once buf holds a whole JSON object. runc 1.1 does not close its
 * connection after sending (it closes a dup of it), so EOF cannot be the
 * end of the state. */
static int
json_complete (const char *buf, size_t len)
{
  int depth = 0, in_string = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (in_string)
        {
          if (buf[i] == '\\')
            i++;
          else if (buf[i] == '"')
            in_string = 0;
        }
      else if (buf[i] == '"')
        in_string = 1;
      else if (buf[i] == '{')
        depth++;
      else if (buf[i] == '}' && --depth == 0)
        return 1;
    }
  return 0;
}

/* One connection: the state, with the listener fd in the first message. */
static int
receive_listener (int conn)
{
  char buf[65536];
  size_t len = 0;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  int fd = -1;
  ssize_t n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);

  if (n < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (&fd, CMSG_DATA (c), sizeof fd);
  len = (size_t) n;
  while (!json_complete (buf, len) && len < sizeof buf - 1 && (n = read (conn, buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t) n;
  buf[len] = '\0';
  append_line (state_file, buf);
  return fd;
}

/* Answer one notification; false once the listener has no process left. */
static int
answer (int fd)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  char line[64];

  memset (&req, 0, sizeof req);
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return errno == EINTR || errno == ENOENT ? 0 : -1;
  snprintf (line, sizeof line, "%u %d", req.pid, req.data.nr);
  append_line (log_file, line);
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  if (req.data.nr == deny_nr)
    resp.error = -EPERM;
  else
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  /* ENOENT: the process died (or the call was interrupted) meanwhile. */
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "deny", required_argument, NULL, 'd' },
    { "log", required_argument, NULL, 'l' },
    { "state", required_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  struct pollfd p[MAX_LISTENERS + 1];
  int n = 1, c;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'd': deny_nr = strtol (optarg, NULL, 10); break;
      case 'l': log_file = optarg; break;
      case 's': state_file = optarg; break;
      default: return 2;
      }
  if (optind != argc - 1)
    {
      fprintf (stderr, "usage: seccomp_agent [--deny NR] [--log FILE] [--state FILE] SOCKET_PATH\n");
      return 2;
    }
  p[0] = (struct pollfd) { .fd = listen_at (argv[optind]), .events = POLLIN };
  for (;;)
    {
      if (poll (p, (nfds_t) n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      for (int i = n - 1; i >= 1; i--)
        {
          if (p[i].revents & POLLIN)
            answer (p[i].fd);
          else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
            {
              close (p[i].fd);
              p[i] = p[--n];
            }
        }
      if (p[0].revents & POLLIN)
        {
          int conn = accept4 (p[0].fd, NULL, NULL, SOCK_CLOEXEC);
          if (conn < 0)
            continue;
          int fd = receive_listener (conn);
          close (conn);
          if (fd >= 0 && n <= MAX_LISTENERS)
            p[n++] = (struct pollfd) { .fd = fd, .events = POLLIN };
          else if (fd >= 0)
            close (fd);
        }
    }
}
