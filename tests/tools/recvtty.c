/* recvtty.c - a --console-socket receiver for tests, like runc's recvtty.
 *
 *   recvtty [--mode single|null] [--out FILE] [--pty-name-file F] SOCKET_PATH
 *   recvtty --many SOCKET_PATH
 *
 * Listens on SOCKET_PATH, accepts one connection and receives the pty master
 * the runtime sends there (one SCM_RIGHTS message whose payload, the pty's
 * name, must be non-empty). The name goes to --pty-name-file. Then:
 *   single (default): copy the master's output to stdout (or --out FILE)
 *                     and stdin, if any, to the master;
 *   null:             hold the master and discard its output;
 * until the master reports EOF/EIO (every slave closed). Exits 0; protocol
 * errors (no fd, empty payload, ...) go to stderr with a non-zero exit.
 *
 * --many, as runc's recvtty in its null mode: take any number of
 * connections, hold every master received and discard its output, until
 * killed; the socket stays. runc's own tests run several containers on one.
 *
 * SOCKET_PATH appears only once it accepts connections (it is bound under a
 * temporary name and renamed), so a test may wait for the file, and it is
 * removed once the connection is accepted.
 *
 * Build (the integrator adds a Makefile rule; error.c needs _GNU_SOURCE):
 *   gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -o tests/tools/recvtty \
 *       tests/tools/recvtty.c src/linux/terminal.c src/util/error.c src/util/fs.c
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../src/linux/terminal.h"
#include "../../src/util/cleanup.h"
#include "../../src/util/fs.h"

static void
usage (void)
{
  fprintf (stderr, "usage: recvtty [--mode single|null] [--out FILE] [--pty-name-file F] SOCKET_PATH\n"
                   "       recvtty --many SOCKET_PATH\n");
  exit (2);
}

static int
die (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, errno_text (errno));
  return 1;
}

/* Listen on path, race-free for a client that waits for the file: bind a
 * temporary name, listen, then rename it into place. */
static int
listen_at (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_free char *tmp = NULL;

  if (asprintf (&tmp, "%s.%d.tmp", path, (int) getpid ()) < 0)
    abort ();
  if (strlen (tmp) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (addr.sun_path, tmp);
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return -1;
  unlink (tmp);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (sock, 16) < 0
      || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      errno = saved;
      return -1;
    }
  return steal_fd (&sock);
}

/* Copy master -> out (out < 0: discard) and stdin -> master until the
 * master reports EOF or EIO. */
static int
copy_master (int master, int out, bool use_stdin)
{
  char buf[8192];

  for (;;)
    {
      struct pollfd p[2] = {
        { .fd = master, .events = POLLIN },
        { .fd = use_stdin ? STDIN_FILENO : -1, .events = POLLIN },
      };
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return die ("poll");
        }
      if (p[0].revents)
        {
          ssize_t n = read (master, buf, sizeof buf);
          if (n == 0 || (n < 0 && errno == EIO))
            return 0;
          if (n < 0 && errno != EINTR && errno != EAGAIN)
            return die ("read pty master");
          if (n > 0 && out >= 0 && write_all (out, buf, (size_t) n) < 0)
            return die ("write output");
        }
      if (p[1].revents)
        {
          ssize_t n = read (STDIN_FILENO, buf, sizeof buf);
          if (n <= 0)
            use_stdin = false;
          else if (write_all (master, buf, (size_t) n) < 0)
            use_stdin = false;
        }
    }
}

/* --many: accept on sock for ever; drain (and hold) every master received.
 * A master whose slaves are all closed (EOF, EIO) is let go. */
static int
serve_many (int sock)
{
  struct pollfd p[256] = { { .fd = sock, .events = POLLIN } };
  nfds_t n = 1;
  char buf[8192];

  for (;;)
    {
      if (poll (p, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return die ("poll");
        }
      for (nfds_t i = n; i-- > 1;)
        if (p[i].revents)
          {
            ssize_t r = read (p[i].fd, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
              {
                close (p[i].fd);
                p[i] = p[--n];
              }
          }
      if (!(p[0].revents & POLLIN))
        continue;
      cleanup_close int conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
      cleanup_error ocirt_error_t err = NULL;
      cleanup_free char *name = NULL;
      int master = -1;
      if (conn < 0)
        continue;
      if (fd_recv (conn, &master, &name, &err) < 0)
        fprintf (stderr, "recvtty: %s\n", err->message);
      else if (n == sizeof p / sizeof p[0])
        close (master);
      else
        p[n++] = (struct pollfd) { .fd = master, .events = POLLIN };
    }
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "mode", required_argument, NULL, 'm' },
    { "out", required_argument, NULL, 'o' },
    { "pty-name-file", required_argument, NULL, 'n' },
    { "many", no_argument, NULL, 'M' },
    { NULL, 0, NULL, 0 },
  };
  const char *mode = "single", *out_path = NULL, *name_path = NULL;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int out = STDOUT_FILENO;
  bool many = false;
  int c;

  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1)
    switch (c)
      {
      case 'M': many = true; break;
      case 'm': mode = optarg; break;
      case 'o': out_path = optarg; break;
      case 'n': name_path = optarg; break;
      default: usage ();
      }
  if (optind != argc - 1 || (strcmp (mode, "single") != 0 && strcmp (mode, "null") != 0))
    usage ();
  const char *socket_path = argv[optind];

  if (out_path)
    {
      out = open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0)
        return die (out_path);
    }

  cleanup_close int sock = listen_at (socket_path);
  if (sock < 0)
    return die (socket_path);
  if (many)
    return serve_many (sock);
  cleanup_close int conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
  unlink (socket_path);
  if (conn < 0)
    return die ("accept");

  cleanup_close int master = -1;
  cleanup_free char *name = NULL;
  if (fd_recv (conn, &master, &name, &err) < 0)
    {
      fprintf (stderr, "recvtty: %s\n", err->message);
      return 1;
    }
  if (name_path)
    {
      cleanup_close int f = open (name_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (f < 0 || write_all (f, name, strlen (name)) < 0)
        return die (name_path);
    }

  bool use_stdin = strcmp (mode, "single") == 0;
  return copy_master (master, strcmp (mode, "null") == 0 ? -1 : out, use_stdin);
}
