/* devices.c - /dev inside the rootfs. See mounts.h.
 *
 * Owns: the default devices of config-linux.md, linux.devices (anywhere in
 * the rootfs, parents created in-root), the /dev/fd and /dev/std* symlinks
 * of runtime-linux.md, and /dev/ptmx as a symlink to the container's own
 * devpts instance. In a user namespace, where mknod is refused, the host
 * node is bound onto an empty file instead (as runc does).
 *
 * Never: create a node by a path string: always relative to an fd that was
 * resolved inside the rootfs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util/cleanup.h"

/* ---- /dev ------------------------------------------------------------ */

struct dev_ctx
{
  bool bind_nodes;    /* mknod refused (user namespace): bind host nodes */
};

/* No CAP_MKNOD in a user namespace: bind the host node onto a file. */
static int
bind_host_device (struct rootfs_ctx *c, int dirfd, const char *name, const char *path,
                  ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];

  if (mknodat (dirfd, name, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
    return make_error (err, errno, "create \"%s%s\"", c->rootfs, path);
  fd = pathsafe_openat2 (dirfd, name, O_PATH | O_CLOEXEC, BENEATH);
  if (fd < 0)
    return make_error (err, errno, "open \"%s%s\"", c->rootfs, path);
  if (mount (path, pathsafe_proc_fd_path (t, fd), NULL, MS_BIND, NULL) < 0)
    return make_error (err, errno, "mount \"%s\" on \"%s%s\"", path, c->rootfs, path);
  return 0;
}

/* Create one node in dirfd (under umask 0). `path` is its container path,
 * also the host node to bind when mknod is refused. */
static int
make_device (struct rootfs_ctx *c, struct dev_ctx *d, int dirfd, const char *name,
             const char *path, mode_t type, mode_t mode, dev_t dev,
             const struct oci_device *cfg, ocirt_error_t *err)
{
  struct stat st;

  /* A FIFO needs no privilege, so it never falls back to a bind. */
  if (d->bind_nodes && type != S_IFIFO)
    return bind_host_device (c, dirfd, name, path, err);
  if (mknodat (dirfd, name, type | mode, dev) < 0)
    {
      if (errno == EPERM && type != S_IFIFO)
        {
          d->bind_nodes = true;
          return bind_host_device (c, dirfd, name, path, err);
        }
      if (errno != EEXIST)
        return make_error (err, errno, "mknod \"%s%s\"", c->rootfs, path);
      /* The spec: an existing file that is not this device is an error. */
      if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return make_error (err, errno, "device \"%s\"", path);
      if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != dev))
        return make_error (err, EEXIST, "device \"%s\": a different file is in the way", path);
      return 0;
    }
  if (cfg && ((cfg->has_uid && cfg->uid) || (cfg->has_gid && cfg->gid))
      && fchownat (dirfd, name, cfg->has_uid ? cfg->uid : 0, cfg->has_gid ? cfg->gid : 0,
                   AT_SYMLINK_NOFOLLOW) < 0)
    return make_error (err, errno, "chown \"%s%s\"", c->rootfs, path);
  return 0;
}

static const struct
{
  const char *name;
  unsigned int major, minor;
} default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct
{
  const char *target, *name;
} dev_symlinks[] = {
  { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

static int
configured_device (const struct oci_config *cfg, const char *path)
{
  const struct oci_linux *l = cfg->linux_;
  for (size_t i = 0; l && i < l->n_devices; i++)
    if (l->devices[i].path && strcmp (l->devices[i].path, path) == 0)
      return 1;
  return 0;
}

static int
device_type (const char *t, mode_t *type)
{
  if (t == NULL || t[0] == '\0' || t[1] != '\0')
    return -1;
  switch (t[0])
    {
    case 'c':
    case 'u':
      *type = S_IFCHR;
      return 0;
    case 'b':
      *type = S_IFBLK;
      return 0;
    case 'p':
      *type = S_IFIFO;
      return 0;
    }
  return -1;
}

static int
setup_config_devices (struct rootfs_ctx *c, struct dev_ctx *d, int devfd,
                      const struct oci_linux *l, ocirt_error_t *err)
{
  for (size_t i = 0; l && i < l->n_devices; i++)
    {
      const struct oci_device *dv = &l->devices[i];
      cleanup_free char *rel = NULL;
      cleanup_close int pfd = -1;
      char *slash, *name, path[4096];
      mode_t type;

      if (dv->path == NULL || device_type (dv->type, &type) < 0)
        return make_error (err, EINVAL, "device \"%s\": invalid type \"%s\"",
                           dv->path ? dv->path : "", dv->type ? dv->type : "");
      rel = pathsafe_clean_path (dv->path);
      if (rel == NULL)
        return make_error (err, errno, "device \"%s\"", dv->path);
      if (strcmp (rel, ".") == 0 || snprintf (path, sizeof path, "/%s", rel) >= (int) sizeof path)
        return make_error (err, EINVAL, "device \"%s\": invalid path", dv->path);
      slash = strrchr (rel, '/');
      if (slash)
        {
          *slash = '\0';
          name = slash + 1;
        }
      else
        name = rel;
      if (slash && strcmp (rel, "dev") != 0)
        {
          pfd = pathsafe_open_in_root (c->rootfd, rel, CREATE_DIR, O_DIRECTORY);
          if (pfd < 0)
            return make_error (err, errno, "device \"%s\"", dv->path);
        }
      if (make_device (c, d, pfd >= 0 ? pfd : slash ? devfd : c->rootfd, name, path, type,
                       dv->has_file_mode ? dv->file_mode & 07777 : 0666,
                       makedev ((unsigned int) dv->major, (unsigned int) dv->minor), dv, err) < 0)
        return -1;
    }
  return 0;
}

/* The default devices, linux.devices, the /dev/fd links and /dev/ptmx. */
int
devices_setup (struct rootfs_ctx *c, const struct oci_config *cfg, ocirt_error_t *err)
{
  cleanup_close int devfd = -1;
  struct dev_ctx d = { false };
  mode_t old_umask;
  int ret = 0;

  devfd = pathsafe_open_in_root (c->rootfd, "dev", CREATE_DIR, O_DIRECTORY);
  if (devfd < 0)
    return make_error (err, errno, "open \"%s/dev\"", c->rootfs);

  old_umask = umask (0);
  for (size_t i = 0; ret == 0 && i < sizeof default_devices / sizeof default_devices[0]; i++)
    {
      char path[32];
      snprintf (path, sizeof path, "/dev/%s", default_devices[i].name);
      if (!configured_device (cfg, path))
        ret = make_device (c, &d, devfd, default_devices[i].name, path, S_IFCHR, 0666,
                           makedev (default_devices[i].major, default_devices[i].minor), NULL, err);
    }
  if (ret == 0)
    ret = setup_config_devices (c, &d, devfd, cfg->linux_, err);
  umask (old_umask);
  if (ret < 0)
    return ret;

  /* runtime-linux.md: only when the source exists after the mounts. */
  for (size_t i = 0; c->has_proc && i < sizeof dev_symlinks / sizeof dev_symlinks[0]; i++)
    if (symlinkat (dev_symlinks[i].target, devfd, dev_symlinks[i].name) < 0 && errno != EEXIST)
      return make_error (err, errno, "symlink \"%s/dev/%s\"", c->rootfs, dev_symlinks[i].name);

  /* /dev/ptmx must be the container's own devpts instance, never a host
   * node: replace whatever is there, as runc does. */
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0
      && (errno != EEXIST || unlinkat (devfd, "ptmx", 0) < 0
          || symlinkat ("pts/ptmx", devfd, "ptmx") < 0))
    return make_error (err, errno, "symlink \"%s/dev/ptmx\"", c->rootfs);
  return 0;
}
