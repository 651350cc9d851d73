/* procfs.c - see procfs.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "pathsafe.h"
#include "../util/cleanup.h"
#include "../util/fs.h"

/* No symlink (so no "self" either: see self_prefix), no magic link, and no
 * mount point crossed: a bind over /proc/sys or over one proc file stops the
 * walk with EXDEV. */
#define PROC_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

static bool
on_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int
procfs_open (const char *path, ocirt_error_t *err)
{
  cleanup_close int fd = pathsafe_openat2 (AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC,
                                           RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return make_error (err, errno, "open \"%s\"", path);
  if (!on_procfs (fd))
    return make_error (err, 0, "\"%s\" is not a procfs mount", path);
  return steal_fd (&fd);
}

/* "self" and "thread-self" are symlinks, which PROC_RESOLVE refuses: name
 * what they point to ("<pid>", "<pid>/task/<tid>") in this procfs's pid
 * namespace instead. */
static int
resolve_self (int proc, const char *rel, char *buf, size_t size)
{
  static const char *const links[] = { "self", "thread-self" };
  char target[64];
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    {
      size_t len = strlen (links[i]);
      if (strncmp (rel, links[i], len) != 0 || rel[len] != '/')
        continue;
      ssize_t n = readlinkat (proc, links[i], target, sizeof target - 1);
      if (n <= 0)
        return -1;
      target[n] = '\0';
      return snprintf (buf, size, "%s%s", target, rel + len) < (int) size ? 0 : (errno = ENAMETOOLONG, -1);
    }
  return snprintf (buf, size, "%s", rel) < (int) size ? 0 : (errno = ENAMETOOLONG, -1);
}

int
procfs_open_file (int proc, const char *rel, int flags, const char *shown, ocirt_error_t *err)
{
  char path[4096];
  if (resolve_self (proc, rel, path, sizeof path) < 0)
    return make_error (err, errno, "open \"%s\"", shown);
  cleanup_close int fd = pathsafe_openat2 (proc, path, (uint64_t) (flags | O_CLOEXEC), PROC_RESOLVE);
  if (fd < 0 && (errno == EXDEV || errno == ELOOP))
    return make_error (err, errno, "open \"%s\": not on procfs (a symlink or a mount redirects it)", shown);
  if (fd < 0)
    return make_error (err, errno, "open \"%s\"", shown);
  if (!on_procfs (fd))
    return make_error (err, 0, "open \"%s\": not on procfs", shown);
  return steal_fd (&fd);
}

int
procfs_write_file (int proc, const char *rel, const char *buf, size_t len, const char *shown,
                   ocirt_error_t *err)
{
  cleanup_close int fd = procfs_open_file (proc, rel, O_WRONLY, shown, err);
  if (fd < 0)
    return -1;
  return write_whole (fd, buf, len, shown, err);
}

int
procfs_check_self_fd (ocirt_error_t *err)
{
  cleanup_close int proc = procfs_open ("/proc", err);
  if (proc < 0)
    return -1;
  cleanup_close int fd = procfs_open_file (proc, "self/fd", O_PATH | O_DIRECTORY, "/proc/self/fd", err);
  return fd < 0 ? -1 : 0;
}
