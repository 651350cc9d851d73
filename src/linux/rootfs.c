/* rootfs.c - the container's filesystem view. See rootfs.h.
 *
 * Owns: the order of the steps (propagation of "/", the bind of the rootfs
 * onto itself, the config mounts, /dev), pivot_root or MS_MOVE+chroot, and
 * after the pivot the read-only paths, masked paths, root.readonly and the
 * final propagation of "/". The mounts themselves are in mounts.c, /dev in
 * devices.c.
 *
 * Never: resolve a path inside the container by its string (see mounts.c),
 * or print: failures go up through *err with the path involved.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "mounts.h"

/* ---- propagation ----------------------------------------------------- */

/* A rootfs under a shared mount would carry the rootfs bind and every
 * container mount to the host's peer group, and pivot_root refuses a new
 * root whose parent is shared: make the mount holding the rootfs private
 * when it is shared (runc). Only needed when "/" was not made rslave. */
static int
make_parent_private (const char *rootfs, ocirt_error_t *err)
{
  cleanup_free char *mi = mounts_read_proc_file ("/proc/self/mountinfo");
  const char *best = NULL;
  size_t best_len = 0;
  bool best_shared = false;

  if (mi == NULL)
    return make_error (err, errno, "read /proc/self/mountinfo");
  /* id parent major:minor root mountpoint options [optional...] - ... */
  for (char *line = mi, *next; *line; line = next)
    {
      char *mp = line, *sep;
      next = strchrnul (line, '\n');
      if (*next)
        *next++ = '\0';
      sep = strstr (line, " - ");
      for (int i = 0; i < 4 && mp; i++)
        mp = strchr (mp, ' ') ? strchr (mp, ' ') + 1 : NULL;
      if (mp == NULL || sep == NULL)
        continue;
      size_t len = strcspn (mp, " ");
      bool prefix = (len == 1 && mp[0] == '/')
                    || (strncmp (rootfs, mp, len) == 0 && (rootfs[len] == '/' || rootfs[len] == '\0'));
      if (prefix && len >= best_len)
        {
          *sep = '\0';
          mp[len] = '\0';
          best = mp;
          best_len = len;
          best_shared = strstr (mp + len + 1, " shared:") != NULL;
        }
    }
  if (best && best_shared && mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return make_error (err, errno, "make \"%s\" private", best);
  return 0;
}

static int
root_propagation (const struct oci_config *cfg, unsigned long *prop, ocirt_error_t *err)
{
  const char *name = cfg->linux_ ? cfg->linux_->rootfs_propagation : NULL;

  *prop = 0;
  if (name == NULL || name[0] == '\0')
    return 0;
  *prop = mounts_propagation (name);
  if (*prop == 0)
    return make_error (err, EINVAL, "rootfsPropagation \"%s\"", name);
  return 0;
}

/* ---- the three steps ------------------------------------------------- */

/* process.cwd is created when missing, as runc does: containerd's
 * `ctr run --cwd` and a CRI workingDir that the image lacks rely on it.
 * Inside the root and after the mounts, so that a cwd in a volume is made
 * in the volume; a cwd that is not a directory fails the create here. */
static int
make_cwd (struct rootfs_ctx *c, const char *cwd, ocirt_error_t *err)
{
  cleanup_free char *rel = NULL;
  cleanup_close int fd = -1;

  if (cwd == NULL || *cwd == '\0')
    return 0;
  rel = mounts_clean_path (cwd);
  if (rel == NULL)
    return make_error (err, errno, "process.cwd \"%s\"", cwd);
  if (strcmp (rel, ".") == 0)
    return 0;
  fd = mounts_open_in_root (c->rootfd, rel, CREATE_DIR, O_DIRECTORY);
  if (fd < 0)
    return make_error (err, errno, "create process.cwd \"%s\"", cwd);
  return 0;
}

int
rootfs_prepare (const struct oci_config *cfg, const char *rootfs, ocirt_error_t *err)
{
  struct rootfs_ctx c = { .rootfs = rootfs, .rootfd = -1 };
  cleanup_close int rootfd = -1;
  unsigned long prop;

  if (root_propagation (cfg, &prop, err) < 0)
    return -1;
  /* runc's default: receive host mount events, never send any back.
   * "unbindable" would forbid the bind of the rootfs below: until the pivot
   * it is "private", rootfs_finalize sets the real value on the new "/".
   * Without a mount namespace of its own, "/" is the caller's, and its
   * propagation is not ours to change (runc changes it). */
  if (prop & MS_UNBINDABLE)
    prop = (prop & ~MS_UNBINDABLE) | MS_PRIVATE;
  if (oci_config_namespace (cfg, OCI_NS_MOUNT)
      && mount (NULL, "/", NULL, prop ? prop : MS_SLAVE | MS_REC, NULL) < 0)
    return make_error (err, errno, "set propagation of \"/\"");
  if (prop && make_parent_private (rootfs, err) < 0)
    return -1;
  /* pivot_root needs the new root to be a mount point. */
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return make_error (err, errno, "mount \"%s\" on \"%s\"", rootfs, rootfs);
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return make_error (err, errno, "open rootfs \"%s\"", rootfs);
  c.rootfd = rootfd;

  for (size_t i = 0; cfg->linux_ && i < cfg->linux_->n_namespaces; i++)
    if (cfg->linux_->namespaces[i].type == OCI_NS_CGROUP)
      c.has_cgroupns = true;

  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (mounts_apply (&c, &cfg->mounts[i], err) < 0)
      return -1;

  if (!c.dev_is_bind && devices_setup (&c, cfg, err) < 0)
    return -1;
  if (cfg->process && make_cwd (&c, cfg->process->cwd, err) < 0)
    return -1;
  return 0;
}

int
rootfs_pivot (const char *rootfs, bool no_pivot, ocirt_error_t *err)
{
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (newroot < 0)
    return make_error (err, errno, "open rootfs \"%s\"", rootfs);
  if (fchdir (newroot) < 0)
    return make_error (err, errno, "chdir to rootfs \"%s\"", rootfs);
  if (no_pivot)
    {
      /* "." is the rootfs mount: rootfs itself may be relative. */
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return make_error (err, errno, "move rootfs \"%s\" to \"/\"", rootfs);
      if (chroot (".") < 0)
        return make_error (err, errno, "chroot to rootfs \"%s\"", rootfs);
    }
  else
    {
      /* pivot_root(".", "."): the old root ends up stacked on the new one
       * at cwd; make it a slave so that detaching it (and all of the host
       * mounts under it) does not propagate to the host. */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return make_error (err, errno, "pivot_root to rootfs \"%s\"", rootfs);
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return make_error (err, errno, "make the old root of rootfs \"%s\" a slave", rootfs);
      if (umount2 (".", MNT_DETACH) < 0)
        return make_error (err, errno, "unmount the old root of rootfs \"%s\"", rootfs);
    }
  if (chdir ("/") < 0)
    return make_error (err, errno, "chdir to \"/\" of rootfs \"%s\"", rootfs);
  return 0;
}

int
rootfs_chroot (const char *rootfs, ocirt_error_t *err)
{
  if (chdir (rootfs) < 0)
    return make_error (err, errno, "chdir to rootfs \"%s\"", rootfs);
  if (chroot (".") < 0)
    return make_error (err, errno, "chroot to rootfs \"%s\"", rootfs);
  if (chdir ("/") < 0)
    return make_error (err, errno, "chdir to \"/\" of rootfs \"%s\"", rootfs);
  return 0;
}

/* A masked file gets /dev/null bound over it, a masked directory an empty
 * read-only tmpfs. A missing path is not an error (runc). */
static int
mask_path (int rootfd, const char *path, ocirt_error_t *err)
{
  cleanup_free char *rel = mounts_clean_path (path);
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];

  if (rel == NULL)
    return make_error (err, errno, "masked path \"%s\"", path);
  fd = mounts_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0)
    return errno == ENOENT ? 0 : make_error (err, errno, "masked path \"%s\"", path);
  mounts_proc_fd_path (t, fd);
  if (mount ("/dev/null", t, NULL, MS_BIND, NULL) == 0)
    return 0;
  if (errno == ENOTDIR && mount ("tmpfs", t, "tmpfs", MS_RDONLY, NULL) == 0)
    return 0;
  return make_error (err, errno, "mask \"%s\"", path);
}

static int
readonly_path (int rootfd, const char *path, ocirt_error_t *err)
{
  cleanup_free char *rel = mounts_clean_path (path);
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];

  if (rel == NULL)
    return make_error (err, errno, "readonly path \"%s\"", path);
  fd = mounts_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0)
    return errno == ENOENT ? 0 : make_error (err, errno, "readonly path \"%s\"", path);
  mounts_proc_fd_path (t, fd);
  if (mount (t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
    return make_error (err, errno, "bind readonly path \"%s\"", path);
  close (fd);
  fd = mounts_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0 || mounts_remount_bind (fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
    return make_error (err, errno, "remount readonly path \"%s\"", path);
  return 0;
}

int
rootfs_finalize (const struct oci_config *cfg, ocirt_error_t *err)
{
  const struct oci_linux *l = cfg->linux_;
  cleanup_close int rootfd = -1;
  unsigned long prop;

  if (root_propagation (cfg, &prop, err) < 0)
    return -1;

  if (cfg->root.readonly)
    {
      unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
      struct statvfs sv;
      if (mount (NULL, "/", NULL, flags, NULL) < 0
          && (errno != EPERM || statvfs ("/", &sv) < 0
              || mount (NULL, "/", NULL,
                        flags | (sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)), NULL) < 0))
        return make_error (err, errno, "remount \"/\" read-only");
    }

  if (l && (l->n_readonly_paths || l->n_masked_paths))
    {
      rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0)
        return make_error (err, errno, "open \"/\"");
      for (size_t i = 0; i < l->n_readonly_paths; i++)
        if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
          return -1;
      for (size_t i = 0; i < l->n_masked_paths; i++)
        if (mask_path (rootfd, l->masked_paths[i], err) < 0)
          return -1;
    }

  /* Set again now that the rootfs is "/" (runc), and last, because the
   * binds of the read-only paths need "/" to be still bindable. */
  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return make_error (err, errno, "set propagation of \"/\"");
  return 0;
}
