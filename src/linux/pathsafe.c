/* pathsafe.c - see pathsafe.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pathsafe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"

int
pathsafe_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
  struct open_how how = { .flags = flags, .resolve = resolve };
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}

const char *
pathsafe_proc_fd_path (char buf[PROC_FD_PATH_MAX], int fd)
{
  snprintf (buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

/* Lexically clean a container path into a relative one: no leading "/",
 * no "." or ".." or empty components (".." at the top stays at the top, as
 * filepath.Join("/", dest) does in runc). The root itself becomes ".". */
char *
pathsafe_clean_path (const char *path)
{
  size_t len = strlen (path);
  char *out = malloc (len + 2);
  size_t n = 0;

  if (out == NULL)
    return NULL;
  for (const char *p = path; *p;)
    {
      const char *end = strchrnul (p, '/');
      size_t clen = (size_t) (end - p);
      if (clen == 0 || (clen == 1 && p[0] == '.'))
        ;
      else if (clen == 2 && p[0] == '.' && p[1] == '.')
        {
          while (n > 0 && out[n - 1] != '/')
            n--;
          if (n > 0)
            n--;
        }
      else
        {
          if (n > 0)
            out[n++] = '/';
          memcpy (out + n, p, clen);
          n += clen;
        }
      p = *end ? end + 1 : end;
    }
  if (n == 0)
    out[n++] = '.';
  out[n] = '\0';
  return out;
}


/* Create rel (missing) inside the root: find the deepest existing ancestor
 * by in-root resolution, then create each missing component relative to
 * its parent's fd, refusing symlinks in what it walks through. */
int
pathsafe_create_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags)
{
  cleanup_free char *buf = strdup (rel);
  cleanup_close int parent = -1;
  char *comp;

  if (buf == NULL)
    return -1;
  /* Walk up until an ancestor exists. */
  for (char *slash = strrchr (buf, '/');; slash = strrchr (buf, '/'))
    {
      if (slash == NULL)
        {
          comp = buf;
          break;
        }
      *slash = '\0';
      parent = pathsafe_openat2 (rootfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC, IN_ROOT);
      if (parent >= 0)
        {
          comp = slash + 1;
          break;
        }
      if (errno != ENOENT)
        return -1;
    }
  /* Undo the truncations after comp and create the rest downwards. */
  for (char *p = comp; p < buf + strlen (rel); p++)
    if (*p == '\0')
      *p = '/';

  for (;;)
    {
      char *slash = strchr (comp, '/');
      bool last = slash == NULL;
      int dfd = parent >= 0 ? parent : rootfd;
      int fd;

      if (!last)
        *slash = '\0';
      if (last && kind == CREATE_FILE)
        {
          if (mknodat (dfd, comp, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
            return -1;
        }
      else if (mkdirat (dfd, comp, 0755) < 0 && errno != EEXIST)
        return -1;
      fd = pathsafe_openat2 (dfd, comp, O_PATH | O_CLOEXEC | (last ? oflags : O_DIRECTORY), BENEATH);
      if (fd < 0 || last)
        return fd;
      if (parent >= 0)
        close (parent);
      parent = fd;
      comp = slash + 1;
    }
}

/* Open a container path (cleaned, relative) inside the root as O_PATH,
 * following symlinks only within the root. */
int
pathsafe_open_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags)
{
  int fd = pathsafe_openat2 (rootfd, rel, O_PATH | O_CLOEXEC | oflags, IN_ROOT);
  if (fd >= 0 || errno != ENOENT || kind == CREATE_NONE)
    return fd;
  return pathsafe_create_in_root (rootfd, rel, kind, oflags);
}

int
pathsafe_move_tree (int tree, int dst)
{
  return move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int
pathsafe_bind_fd (int src, int dst, bool recursive)
{
  cleanup_close int tree = open_tree (src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                                                   | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return -1;
  return pathsafe_move_tree (tree, dst);
}
