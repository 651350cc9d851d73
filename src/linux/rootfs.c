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
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/mountinfo.h"
#include "idmap.h"
#include "lsm.h"
#include "mounts.h"
#include "procfs.h"

/* ---- propagation ----------------------------------------------------- */

/* A rootfs under a shared mount would carry the rootfs bind and every
 * container mount to the host's peer group, and pivot_root refuses a new
 * root whose parent is shared: make the mount holding the rootfs private
 * when it is shared (runc). Only needed when "/" was not made rslave. */
static int
make_parent_private (const char *rootfs, ocirt_error_t *err)
{
  cleanup_free char *mi = NULL;
  const char *best = NULL;
  size_t best_len = 0;
  bool best_shared = false;
  struct mountinfo_entry e;

  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", PROC_FILE_MAX, &mi, NULL, err) < 0)
    return -1;
  /* The last, longest mount point that is the rootfs or above it. */
  for (char *cur = mi; mountinfo_next (&cur, &e);)
    {
      const char *mp = e.mount_point;
      size_t len = strlen (mp);
      bool prefix = strcmp (mp, "/") == 0
                    || (strncmp (rootfs, mp, len) == 0 && (rootfs[len] == '/' || rootfs[len] == '\0'));
      if (prefix && len >= best_len)
        {
          best = mp;
          best_len = len;
          best_shared = strstr (e.optional, "shared:") != NULL;
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
  rel = pathsafe_clean_path (cwd);
  if (rel == NULL)
    return make_error (err, errno, "process.cwd \"%s\"", cwd);
  if (strcmp (rel, ".") == 0)
    return 0;
  fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_DIR, O_DIRECTORY);
  if (fd < 0)
    return make_error (err, errno, "create process.cwd \"%s\"", cwd);
  return 0;
}

/* Is fd the null device, on a mount that lets it be opened? */
static bool
is_usable_null (int fd)
{
  struct stat st;
  struct statvfs sv;
  return fstat (fd, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3)
         && fstatvfs (fd, &sv) == 0 && !(sv.f_flag & ST_NODEV);
}

/* What masked files get bound from: the host's /dev/null, taken now,
 * while the host's root is still ours, as a detached clone of its mount.
 * After pivot_root "/dev/null" is whatever the container's /dev holds: a
 * regular file or a symlink there would be bound over /proc/kcore and the
 * other masked files, unmasking them or worse (CVE-2025-31133). -1 when
 * nothing is masked, or when the host's /dev/null is not usable (nodev, as
 * in some nested set-ups): mask_path then checks the container's own. */
static int
open_host_null (const struct oci_config *cfg, int *tree, ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  *tree = -1;
  if (cfg->linux_ == NULL || cfg->linux_->n_masked_paths == 0)
    return 0;
  fd = open_tree (AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open the host's \"/dev/null\" for the masked paths");
  if (is_usable_null (fd))
    *tree = steal_fd (&fd);
  return 0;
}

void
rootfs_sources_close (struct rootfs_sources *s)
{
  for (size_t i = 0; s->fds && i < s->n; i++)
    if (s->fds[i] >= 0)
      close (s->fds[i]);
  free (s->fds);
  s->fds = NULL;
  s->n = 0;
}

bool
rootfs_has_idmapped_mounts (const struct oci_config *cfg)
{
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (mounts_is_idmapped (&cfg->mounts[i]))
      return true;
  return false;
}

/* The user namespace whose maps mounts[i] is idmapped through: its own
 * mappings, else the container's, else the one the container joins. */
static int
mount_userns (const struct oci_config *cfg, size_t i, int join_userns_fd, int proc_fd,
              ocirt_error_t *err)
{
  const struct oci_mount *m = &cfg->mounts[i];
  const struct oci_linux *lx = cfg->linux_;
  char field[32];

  snprintf (field, sizeof field, "mounts[%zu]", i);
  if (m->n_uid_mappings || m->n_gid_mappings)
    return idmap_new_userns (field, m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
                             m->n_gid_mappings, proc_fd, err);
  if (lx && (lx->n_uid_mappings || lx->n_gid_mappings))
    return idmap_new_userns (field, lx->uid_mappings, lx->n_uid_mappings, lx->gid_mappings,
                             lx->n_gid_mappings, proc_fd, err);
  if (join_userns_fd >= 0)
    {
      int fd = fcntl (join_userns_fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0)
        return make_error (err, errno, "%s: idmap: dup the joined user namespace", field);
      return fd;
    }
  return make_error (err, EINVAL, "%s: idmap without uidMappings and gidMappings needs the "
                     "container's user namespace", field);
}

int
rootfs_sources_open (const struct oci_config *cfg, const char *bundle, bool idmapped_only,
                     int join_userns_fd, int proc_fd, struct rootfs_sources *s,
                     ocirt_error_t *err)
{
  cleanup_close int bundle_fd = -1;

  s->n = 0;
  s->fds = calloc (cfg->n_mounts ? cfg->n_mounts : 1, sizeof *s->fds);
  if (s->fds == NULL)
    return make_error (err, errno, "open the bind mount sources");
  for (size_t i = 0; i < cfg->n_mounts; i++)
    s->fds[i] = -1;
  s->n = cfg->n_mounts;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      const char *src = cfg->mounts[i].source;
      bool idmapped = mounts_is_idmapped (&cfg->mounts[i]);
      cleanup_close int userns_fd = -1;

      if (idmapped_only && !idmapped)
        continue;
      if (src && src[0] != '/' && bundle_fd < 0)
        {
          bundle_fd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (bundle_fd < 0)
            return make_error (err, errno, "open bundle \"%s\"", bundle);
        }
      if (idmapped)
        {
          userns_fd = mount_userns (cfg, i, join_userns_fd, proc_fd, err);
          if (userns_fd < 0)
            return -1;
        }
      if (mounts_open_bind_source (&cfg->mounts[i], bundle_fd, userns_fd, &s->fds[i], err) < 0)
        return -1;
    }
  return 0;
}

/* linux.mountLabel, when set: fresh filesystems get it as context=. */
static const char *
rootfs_mount_label (const struct oci_config *cfg)
{
  const char *label = cfg->linux_ ? cfg->linux_->mount_label : NULL;
  return label && *label ? label : NULL;
}

int
rootfs_prepare (const struct oci_config *cfg, const char *rootfs, const struct rootfs_sources *sources,
                int *null_tree, ocirt_error_t *err)
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
  c.mount_label = rootfs_mount_label (cfg);

  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (mounts_apply (&c, &cfg->mounts[i], sources && i < sources->n ? sources->fds[i] : -1, err) < 0)
      return -1;

  if (!c.dev_is_bind && devices_setup (&c, cfg, err) < 0)
    return -1;
  if (cfg->process && make_cwd (&c, cfg->process->cwd, err) < 0)
    return -1;
  return open_host_null (cfg, null_tree, err);
}

/* --no-pivot leaves the host's mounts under the chroot, in the container's
 * mount namespace. The kernel lets a new user namespace mount a fresh proc
 * or sysfs only where a full one is already visible in its mount namespace,
 * and the host's are, although the chroot hides them: with `unshare -mrpf`
 * a container could mount a bare /proc, without its masked paths. As runc
 * does, detach every full proc and sysfs mount outside the rootfs first,
 * or cover it with a tmpfs where detaching is refused. cwd is the rootfs. */
static int
hide_host_pseudo_fs (ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  char rootfs[PATH_MAX];
  size_t len = 0, rl;
  struct mountinfo_entry e;

  if (getcwd (rootfs, sizeof rootfs) == NULL)
    return make_error (err, errno, "getcwd of the rootfs");
  rl = strlen (rootfs);
  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", 64 << 20, &text, &len, err) < 0)
    return -1;
  for (char *cursor = text; mountinfo_next (&cursor, &e);)
    {
      bool pseudo = strcmp (e.fstype, "proc") == 0 || strcmp (e.fstype, "sysfs") == 0;
      bool inside = strncmp (e.mount_point, rootfs, rl) == 0
                    && (e.mount_point[rl] == '/' || e.mount_point[rl] == '\0' || rl == 1);
      if (!pseudo || strcmp (e.root, "/") != 0 || inside)
        continue;
      /* Not to the host: the detach must stay in this namespace. */
      if (mount (NULL, e.mount_point, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT) /* under one detached already */
            continue;
          return make_error (err, errno, "make \"%s\" a slave", e.mount_point);
        }
      if (umount2 (e.mount_point, MNT_DETACH) == 0)
        continue;
      if ((errno != EINVAL && errno != EPERM) || mount ("tmpfs", e.mount_point, "tmpfs", 0, NULL) < 0)
        return make_error (err, errno, "hide the host's \"%s\" from the container", e.mount_point);
    }
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
      if (hide_host_pseudo_fs (err) < 0)
        return wrap_error (err, "--no-pivot");
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

/* What masked files are bound from: the host's /dev/null taken by
 * rootfs_prepare, attached by the first masked file and cloned from there
 * for the others (a detached mount can be moved only once). Without it, the
 * container's /dev/null, but only if it is the null device. */
struct null_source
{
  int tree;       /* detached, then attached, clone of /dev/null; or -1 */
  bool attached;
  int own;        /* the container's /dev/null when opened here; or -1 */
};

static int
bind_null (int rootfd, struct null_source *n, int target, const char *path, ocirt_error_t *err)
{
  if (n->tree < 0)
    {
      n->own = pathsafe_openat2 (rootfd, "dev/null", O_PATH | O_CLOEXEC, IN_ROOT);
      if (n->own < 0)
        return make_error (err, errno, "mask \"%s\": open \"/dev/null\"", path);
      if (!is_usable_null (n->own))
        return make_error (err, 0, "mask \"%s\": \"/dev/null\" is not the null device (char 1:3)", path);
      n->tree = n->own;
      n->attached = true;
    }
  if (n->attached ? pathsafe_bind_fd (n->tree, target, false) < 0 : pathsafe_move_tree (n->tree, target) < 0)
    return make_error (err, errno, "mask \"%s\"", path);
  n->attached = true;
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

/* Past pivot_root, the mounts below name their targets by
 * "/proc/self/fd/N" in the container's /proc, which the config mounted and
 * may have covered (CVE-2025-52881): check it, once, before the first one
 * (not before: a container without /proc and nothing to mask is fine). */
static int
check_proc_once (bool *checked, const char *what, const char *path, ocirt_error_t *err)
{
  if (*checked)
    return 0;
  if (procfs_check_self_fd (err) < 0)
    return wrap_error (err, "%s \"%s\"", what, path);
  *checked = true;
  return 0;
}

/* A masked file gets /dev/null bound over it, a masked directory an empty
 * read-only tmpfs. A missing path is not an error (runc). */
static int
mask_path (int rootfd, const char *path, struct null_source *n, bool *proc_checked,
           const char *label, ocirt_error_t *err)
{
  cleanup_free char *rel = pathsafe_clean_path (path);
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];
  struct stat st;

  if (rel == NULL)
    return make_error (err, errno, "masked path \"%s\"", path);
  fd = pathsafe_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0)
    return errno == ENOENT ? 0 : make_error (err, errno, "masked path \"%s\"", path);
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "masked path \"%s\"", path);
  if (S_ISDIR (st.st_mode))
    {
      if (check_proc_once (proc_checked, "masked path", path, err) < 0)
        return -1;
      /* runc labels this tmpfs with linux.mountLabel too. */
      cleanup_free char *data = label ? lsm_mount_data (NULL, label) : NULL;
      if (label && data == NULL)
        return make_error (err, ENOMEM, "mask \"%s\"", path);
      if (mount ("tmpfs", pathsafe_proc_fd_path (t, fd), "tmpfs", MS_RDONLY, data) < 0)
        return data ? (make_error (err, errno, "mask \"%s\" with a tmpfs with data %s", path, data),
                       lsm_mount_error_hint (err))
                    : make_error (err, errno, "mask \"%s\"", path);
      return 0;
    }
  return bind_null (rootfd, n, fd, path, err);
}

static int
readonly_path (int rootfd, const char *path, bool *proc_checked, ocirt_error_t *err)
{
  cleanup_free char *rel = pathsafe_clean_path (path);
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];

  if (rel == NULL)
    return make_error (err, errno, "readonly path \"%s\"", path);
  fd = pathsafe_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0)
    return errno == ENOENT ? 0 : make_error (err, errno, "readonly path \"%s\"", path);
  if (check_proc_once (proc_checked, "readonly path", path, err) < 0)
    return -1;
  pathsafe_proc_fd_path (t, fd);
  if (mount (t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
    return make_error (err, errno, "bind readonly path \"%s\"", path);
  close (fd);
  fd = pathsafe_open_in_root (rootfd, rel, CREATE_NONE, 0);
  if (fd < 0 || mounts_remount_bind (fd, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
    return make_error (err, errno, "remount readonly path \"%s\"", path);
  return 0;
}

/* A caller (conmon, a shim, a shell with </dev/null) may give the init
 * the host's /dev/null as stdio. As runc does after pivot_root, such fds
 * are pointed at the container's own /dev/null: the host's device node
 * lives on a mount the container does not have, which criu cannot dump
 * ("Can't lookup mount"), and its inode is not the container's. */
int
rootfs_reopen_dev_null (ocirt_error_t *err)
{
  struct stat st[3], null_st;
  bool any = false;

  /* The common case (pipes, a pty) costs three fstat calls: /dev/null is
   * opened only when one of the fds is a null device. */
  for (int i = 0; i < 3; i++)
    if (fstat (i, &st[i]) == 0 && S_ISCHR (st[i].st_mode) && st[i].st_rdev == makedev (1, 3))
      any = true;
    else
      st[i].st_mode = 0;
  if (!any)
    return 0;
  cleanup_close int fd = open ("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || fstat (fd, &null_st) < 0 || !S_ISCHR (null_st.st_mode))
    return 0;   /* no /dev/null in this rootfs: nothing to point at */
  for (int i = 0; i < 3; i++)
    if (S_ISCHR (st[i].st_mode) && st[i].st_rdev == null_st.st_rdev
        && (st[i].st_dev != null_st.st_dev || st[i].st_ino != null_st.st_ino) && dup3 (fd, i, 0) < 0)
      return make_error (err, errno, "reopen /dev/null inside the container as fd %d", i);
  return 0;
}

int
rootfs_finalize (const struct oci_config *cfg, int null_tree, ocirt_error_t *err)
{
  const struct oci_linux *l = cfg->linux_;
  cleanup_close int rootfd = -1;
  struct null_source null = { .tree = null_tree, .own = -1 };
  unsigned long prop;
  bool proc_checked = false;

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

  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return make_error (err, errno, "open \"/\"");
  for (size_t i = 0; l && i < l->n_readonly_paths; i++)
    if (readonly_path (rootfd, l->readonly_paths[i], &proc_checked, err) < 0)
      return -1;
  int ret = 0;
  for (size_t i = 0; ret == 0 && l && i < l->n_masked_paths; i++)
    ret = mask_path (rootfd, l->masked_paths[i], &null, &proc_checked, rootfs_mount_label (cfg), err);
  if (null.own >= 0)
    close (null.own);
  if (ret < 0)
    return -1;
  if (mounts_dev_readonly (rootfd, cfg, err) < 0)
    return -1;

  /* Set again now that the rootfs is "/" (runc), and last, because the
   * binds of the read-only paths need "/" to be still bindable. */
  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return make_error (err, errno, "set propagation of \"/\"");
  return 0;
}
