/* fs.c - see fs.h. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int
write_whole (int fd, const char *s, size_t len, const char *name, ocirt_error_t *err)
{
  ssize_t w = write (fd, s, len);
  if (w < 0)
    return make_error (err, errno, "write \"%s\"", name);
  if ((size_t) w != len)
    return make_error (err, EIO, "short write to \"%s\"", name);
  return 0;
}

int
write_file_at (int dirfd, const char *name, const char *s, size_t len, ocirt_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open \"%s\"", name);
  return write_whole (fd, s, len, name, err);
}

int
read_file_at (int dirfd, const char *name, size_t max, char **out, size_t *len,
              ocirt_error_t *err)
{
  struct stat st;
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return make_error (err, errno, "open \"%s\"", name);
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "stat \"%s\"", name);
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "\"%s\": not a regular file", name);
  if ((size_t) st.st_size > max)
    return make_error (err, EFBIG, "read \"%s\"", name);
  /* procfs and sysfs report size 0, so read until EOF within the cap. */
  if (read_fd_all (fd, st.st_size > 0 ? (size_t) st.st_size + 1 : 4096, max, out, len) < 0)
    return make_error (err, errno, "read \"%s\"", name);
  return 0;
}

int
read_fd_all (int fd, size_t hint, size_t max, char **out, size_t *len)
{
  size_t cap = hint ? hint : 1, used = 0;
  cleanup_free char *buf = malloc (cap + 1);

  if (buf == NULL)
    return -1;
  for (;;)
    {
      if (used == cap)
        {
          if (cap >= max)
            {
              errno = EFBIG;
              return -1;
            }
          cap = cap * 2 > max ? max : cap * 2;
          char *n = realloc (buf, cap + 1);
          if (n == NULL)
            return -1;
          buf = n;
        }
      ssize_t r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      used += (size_t) r;
    }
  buf[used] = '\0';
  *out = steal_pointer (&buf);
  if (len)
    *len = used;
  return 0;
}

int
write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                   ocirt_error_t *err)
{
  cleanup_free char *tmp = NULL;
  if (asprintf (&tmp, "%s.tmp-%d", path, (int) getpid ()) < 0)
    return make_error (err, errno, "write \"%s\"", path);
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return make_error (err, errno, "create \"%s\"", tmp);
  if (write_all (fd, data, len) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return make_error (err, saved, "write \"%s\"", tmp);
    }
  /* Atomic for readers through rename; no fsync, for the reason given in
   * state.c's state_write: nothing here has to survive a power loss. */
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return make_error (err, saved, "write \"%s\"", path);
    }
  return 0;
}

int
write_pid_file (const char *path, pid_t pid, ocirt_error_t *err)
{
  char buf[16];
  int len = snprintf (buf, sizeof buf, "%d", (int) pid);
  return write_file_atomic (path, buf, (size_t) len, 0644, err);
}
