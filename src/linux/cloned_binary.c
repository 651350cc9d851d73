/* cloned_binary.c - see cloned_binary.h.
 *
 * Why a re-exec rather than a copy per container: runc 1.1's memfd copy of
 * its binary was charged to every container's memory and OOM-killed small
 * ones; runc 1.2 and crun moved to a read-only view of the binary instead.
 * Here that view is an overlayfs with only lower layers (read-only by
 * construction, whatever the mount flags say) made with the new mount API
 * and never attached: no mountinfo churn on the host, nothing to unmount,
 * and the superblock goes away with the last process that runs from it.
 * The memfd copy is only the fallback for a kernel without overlayfs.
 */
#include "cloned_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"

extern char **environ;

/* Set across our own re-exec: if the new image is still not protected,
 * fail instead of re-executing forever. */
#define REEXEC_ENV "_OCIRT_CLONED_BINARY"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* /proc/self/exe cannot be written: it sits on a read-only mount (our
 * overlay, or an install on a read-only /usr), or it is a sealed memfd. */
static bool
self_exe_is_protected (void)
{
  struct statvfs sfs;
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstatvfs (fd, &sfs) < 0)
    return false;
  if (sfs.f_flag & ST_RDONLY)
    return true;
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

/* lowerdir takes a list separated by ':' with ',' ending the option:
 * escape both (and the escape character) with a backslash. */
static char *
escape_lowerdir (const char *dir)
{
  char *out = malloc (strlen (dir) * 2 + 1);
  char *p = out;
  if (out == NULL)
    return NULL;
  for (; *dir; dir++)
    {
      if (*dir == ':' || *dir == ',' || *dir == '\\')
        *p++ = '\\';
      *p++ = *dir;
    }
  *p = '\0';
  return out;
}

/* Overlayfs without an upper layer needs two lower ones, which must not
 * overlap (the same directory twice is ELOOP): the binary's directory and
 * this empty one, made once and kept. */
#define EMPTY_LAYER "/run/ocirt-empty"

/* A read-only fd of our binary through a detached overlay of its
 * directory. */
static int
open_through_overlay (ocirt_error_t *err)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return make_error (err, errno, "readlink /proc/self/exe");
  self[n] = '\0';
  char *slash = strrchr (self, '/');
  if (self[0] != '/' || slash == NULL || strstr (self, " (deleted)"))
    return make_error (err, ENOENT, "the ocirt binary \"%s\" is not a path", self);
  *slash = '\0';
  cleanup_free char *dir = escape_lowerdir (self[0] ? self : "/");
  cleanup_free char *lower = NULL;
  if (dir == NULL || asprintf (&lower, "%s:" EMPTY_LAYER, dir) < 0)
    return make_error (err, ENOMEM, "overlay of \"%s\"", self);
  if (mkdir (EMPTY_LAYER, 0755) < 0 && errno != EEXIST)
    return make_error (err, errno, "mkdir \"" EMPTY_LAYER "\"");

  cleanup_close int fs = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    return make_error (err, errno, "fsopen overlay");
  if (fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0
      || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return make_error (err, errno, "overlay of \"%s\"", self);
  cleanup_close int mnt = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mnt < 0)
    return make_error (err, errno, "mount the overlay of \"%s\"", self);
  int fd = openat (mnt, slash + 1, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open \"%s\" in its overlay", slash + 1);
  return fd;
}

/* A sealed memfd copy: costs the binary's size in memory per process. */
static int
open_sealed_copy (ocirt_error_t *err)
{
  cleanup_close int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return make_error (err, errno, "open /proc/self/exe");
  struct stat st;
  if (fstat (src, &st) < 0)
    return make_error (err, errno, "stat /proc/self/exe");
  cleanup_close int fd = memfd_create ("ocirt_cloned:/proc/self/exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return make_error (err, errno, "memfd_create");
  for (off_t done = 0; done < st.st_size;)
    {
      ssize_t w = sendfile (fd, src, NULL, (size_t) (st.st_size - done));
      if (w <= 0)
        return make_error (err, w < 0 ? errno : EIO, "copy /proc/self/exe");
      done += w;
    }
  if (fcntl (fd, F_ADD_SEALS, SEALS) < 0)
    return make_error (err, errno, "seal the copy of /proc/self/exe");
  return steal_fd (&fd);
}

int
cloned_binary_ensure (char **argv, ocirt_error_t *err)
{
  bool reexeced = getenv (REEXEC_ENV) != NULL;
  if (reexeced)
    unsetenv (REEXEC_ENV);
  if (self_exe_is_protected ())
    return 0;
  if (reexeced)
    return make_error (err, 0, "the re-executed ocirt still runs from a writable binary");

  ocirt_error_t overlay_err = NULL;
  cleanup_close int fd = -1;
  /* Mounting an overlay takes CAP_SYS_ADMIN in the initial namespaces:
   * an unprivileged caller goes straight to the sealed copy. */
  if (geteuid () == 0)
    fd = open_through_overlay (&overlay_err);
  if (fd < 0)
    fd = open_sealed_copy (err);
  if (fd < 0)
    {
      if (overlay_err)
        wrap_error (err, "protect the ocirt binary (%s)", overlay_err->message);
      error_release (&overlay_err);
      return -1;
    }
  error_release (&overlay_err);
  if (setenv (REEXEC_ENV, "1", 1) < 0)
    return make_error (err, errno, "setenv");
  fexecve (fd, argv, environ);
  int saved = errno;
  unsetenv (REEXEC_ENV);
  return make_error (err, saved, "re-execute ocirt from its read-only copy");
}
