/* mounts.c - config.json mounts inside the rootfs. See mounts.h, rootfs.h.
 *
 * Owns: the mount option words (one table), in-root resolution of every
 * destination, bind remounts that keep locked flags, recursive attributes,
 * per-mount propagation, and the cgroup filesystem view.
 *
 * Never: operate on a container path by its string. Every destination is
 * opened with openat2(RESOLVE_IN_ROOT) and the mount goes onto
 * /proc/self/fd/N, so a symlink in the rootfs (or one swapped in by another
 * container sharing a volume) cannot send a mount onto the host
 * (CVE-2021-30465). proc and sysfs are never mounted onto a symlink or a
 * non-directory (CVE-2019-16884).
 *
 * A mount made onto /proc/self/fd/N does not move the fd: it still names the
 * directory underneath. Every step that must act on the new mount (the
 * remount of a bind, propagation, mount_setattr) therefore re-resolves the
 * destination, which walks onto the top of the mount stack.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/mountinfo.h"
#include "lsm.h"

#define CGROUP_ROOT "/sys/fs/cgroup"


/* Flags a bind remount can change; anything else in a bind's option list is
 * a no-op for the remount (runc remounts when any of them is present). */
#define REMOUNT_FLAGS                                                   \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS          \
   | MS_MANDLOCK | MS_DIRSYNC | MS_NOSYMFOLLOW | MS_NOATIME               \
   | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SILENT \
   | MS_I_VERSION)

/* ---- option words ---------------------------------------------------- */

enum opt_kind
{
  OPT_SET,        /* add an MS_* flag */
  OPT_CLEAR,      /* remove an MS_* flag (and remember it was asked for) */
  OPT_PROPAGATION,/* second mount(2) call after the mount */
  OPT_REC_SET,    /* mount_setattr(AT_RECURSIVE) attr_set */
  OPT_REC_CLEAR,  /* mount_setattr(AT_RECURSIVE) attr_clr */
  OPT_REC_ATIME,  /* mount_setattr: replace the atime mode */
  OPT_IGNORE,     /* "defaults" */
  OPT_COPYUP,     /* "tmpcopyup": fill a new tmpfs with what it covers */
  OPT_IDMAP,      /* "idmap", "ridmap": see mounts_open_bind_source */
};

struct mount_option
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct mount_option mount_options[] = {
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "bind", OPT_SET, MS_BIND },
  { "defaults", OPT_IGNORE, 0 },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "idmap", OPT_IDMAP, 0 },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "nodev", OPT_SET, MS_NODEV },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "private", OPT_PROPAGATION, MS_PRIVATE },
  { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "remount", OPT_SET, MS_REMOUNT },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "ridmap", OPT_IDMAP, 1 },
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "ro", OPT_SET, MS_RDONLY },
  { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "shared", OPT_PROPAGATION, MS_SHARED },
  { "silent", OPT_SET, MS_SILENT },
  { "slave", OPT_PROPAGATION, MS_SLAVE },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "tmpcopyup", OPT_COPYUP, 0 },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
};

const char *
mounts_option_name (size_t i)
{
  return i < sizeof mount_options / sizeof mount_options[0] ? mount_options[i].name : NULL;
}

static int
option_cmp (const void *key, const void *elem)
{
  return strcmp (key, ((const struct mount_option *) elem)->name);
}

static const struct mount_option *
find_option (const char *word)
{
  return bsearch (word, mount_options, sizeof mount_options / sizeof mount_options[0],
                  sizeof mount_options[0], option_cmp);
}

struct mount_opts
{
  unsigned long flags;        /* MS_* for mount(2) and the bind remount */
  unsigned long cleared;      /* MS_* the config explicitly turned off */
  unsigned long propagation;  /* 0, or MS_PRIVATE... (| MS_REC); last wins */
  struct mount_attr rec;      /* rro, rnosuid...: mount_setattr(AT_RECURSIVE) */
  char *data;                 /* filesystem words, comma-joined; owned */
  bool copy_up;               /* tmpcopyup */
  bool idmap, idmap_rec;      /* idmap, ridmap (or mappings alone: idmap) */
};

static int
parse_mount_options (const struct oci_mount *m, struct mount_opts *o, ocirt_error_t *err)
{
  size_t data_len = 0;

  memset (o, 0, sizeof *o);
  for (size_t i = 0; i < m->n_options; i++)
    {
      const char *w = m->options[i];
      const struct mount_option *opt = find_option (w);
      if (opt == NULL)
        {
          data_len += strlen (w) + 1;
          continue;
        }
      switch (opt->kind)
        {
        case OPT_SET:
          o->flags |= opt->value;
          o->cleared &= ~opt->value;
          break;
        case OPT_CLEAR:
          o->flags &= ~opt->value;
          o->cleared |= opt->value;
          break;
        case OPT_PROPAGATION:
          o->propagation = opt->value;
          break;
        case OPT_REC_SET:
          o->rec.attr_set |= opt->value;
          o->rec.attr_clr &= ~opt->value;
          break;
        case OPT_REC_CLEAR:
          o->rec.attr_clr |= opt->value;
          o->rec.attr_set &= ~opt->value;
          break;
        case OPT_REC_ATIME:
          /* The kernel takes the atime mode as a whole: clear the field,
           * set one value (RELATIME is 0, the kernel default). */
          o->rec.attr_clr |= MOUNT_ATTR__ATIME;
          o->rec.attr_set = (o->rec.attr_set & ~MOUNT_ATTR__ATIME) | opt->value;
          break;
        case OPT_IGNORE:
          break;
        case OPT_COPYUP:
          o->copy_up = true;
          break;
        case OPT_IDMAP:
          o->idmap = true;
          o->idmap_rec |= opt->value != 0;
          break;
        }
    }
  /* runtime-spec: mappings SHOULD come with idmap or ridmap; alone, they
   * are a plain idmap. */
  o->idmap |= m->n_uid_mappings || m->n_gid_mappings;
  if (data_len)
    {
      char *p = o->data = malloc (data_len);
      if (p == NULL)
        return make_error (err, errno, "mount \"%s\"", m->destination);
      for (size_t i = 0; i < m->n_options; i++)
        if (find_option (m->options[i]) == NULL)
          {
            if (p != o->data)
              *p++ = ',';
            p = stpcpy (p, m->options[i]);
          }
    }
  return 0;
}

/* "private", "rslave"... for linux.rootfsPropagation. 0 if not one. */
unsigned long
mounts_propagation (const char *name)
{
  const struct mount_option *opt = find_option (name);
  return opt && opt->kind == OPT_PROPAGATION ? opt->value : 0;
}

/* ---- mount primitives ------------------------------------------------ */

/* Remount a bind with flags. In a user namespace the kernel locks the
 * nosuid/nodev/noexec/ro flags the source had; a remount that drops them
 * fails with EPERM, so retry once keeping those the config did not clear
 * explicitly (an explicit "suid" on a locked nosuid still fails). The
 * atime mode is preserved by the kernel when no atime flag is passed. */
int
mounts_remount_bind (int fd, unsigned long flags, unsigned long cleared)
{
  char t[PROC_FD_PATH_MAX];
  struct statvfs sv;
  unsigned long locked;

  pathsafe_proc_fd_path (t, fd);
  flags = (flags & REMOUNT_FLAGS) | MS_BIND | MS_REMOUNT;
  if (mount (NULL, t, NULL, flags, NULL) == 0)
    return 0;
  if (errno != EPERM || fstatvfs (fd, &sv) < 0)
    return -1;
  /* ST_RDONLY..ST_NOEXEC have the values of MS_RDONLY..MS_NOEXEC. */
  locked = sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC) & ~cleared;
  if ((flags | locked) == flags)
    {
      errno = EPERM;
      return -1;
    }
  return mount (NULL, t, NULL, flags | locked, NULL);
}

/* After a mount onto rel: remount a bind, set recursive attributes and the
 * propagation, each on the new top mount. */
static int
finish_mount (struct rootfs_ctx *c, const char *rel, const struct mount_opts *o,
              bool bind, int oflags, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];
  bool remount = bind && !(o->flags & MS_REMOUNT) && (o->flags & REMOUNT_FLAGS);

  if (!remount && o->propagation == 0 && o->rec.attr_set == 0 && o->rec.attr_clr == 0)
    return 0;
  fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_NONE, oflags);
  if (fd < 0)
    return make_error (err, errno, "mount destination \"/%s\"", rel);
  if (remount && mounts_remount_bind (fd, o->flags, o->cleared) < 0)
    return make_error (err, errno, "remount \"%s/%s\"", c->rootfs, rel);
  if ((o->rec.attr_set || o->rec.attr_clr)
      && mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
                        (struct mount_attr *) &o->rec, sizeof o->rec) < 0)
    return make_error (err, errno, "set recursive attributes of \"%s/%s\"", c->rootfs, rel);
  if (o->propagation && mount (NULL, pathsafe_proc_fd_path (t, fd), NULL, o->propagation, NULL) < 0)
    return make_error (err, errno, "set propagation of \"%s/%s\"", c->rootfs, rel);
  return 0;
}

/* The bind remount that makes a mount made writable on purpose (see
 * mounts_apply) read-only, keeping its other flags. */
static int
remount_readonly (struct rootfs_ctx *c, const char *rel, const struct mount_opts *o,
                  ocirt_error_t *err)
{
  cleanup_close int fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_NONE, 0);
  if (fd < 0 || mounts_remount_bind (fd, o->flags | MS_RDONLY, o->cleared) < 0)
    return make_error (err, errno, "remount \"%s/%s\" read-only", c->rootfs, rel);
  return 0;
}

int
mounts_dev_readonly (int rootfd, const struct oci_config *cfg, ocirt_error_t *err)
{
  struct rootfs_ctx c = { .rootfs = "", .rootfd = rootfd };

  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      const struct oci_mount *m = &cfg->mounts[i];
      cleanup_free char *rel = NULL;
      struct mount_opts o;

      if (m->destination == NULL || m->type == NULL || strcmp (m->type, "bind") == 0)
        continue;
      rel = pathsafe_clean_path (m->destination);
      if (rel == NULL)
        return make_error (err, errno, "mount destination \"%s\"", m->destination);
      if (strcmp (rel, "dev") != 0)
        continue;
      if (parse_mount_options (m, &o, err) < 0)
        return -1;
      free (o.data);
      if ((o.flags & (MS_RDONLY | MS_BIND | MS_REMOUNT)) == MS_RDONLY
          && remount_readonly (&c, rel, &o, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- tmpcopyup ------------------------------------------------------ */

static int copy_tree (int src, int dst, int depth);

/* Copy one entry of directory src into directory dst: content, owner,
 * mode (after the chown, which clears set-id bits) and times. */
static int
copy_entry (int src, int dst, const char *name, int depth)
{
  struct stat st;
  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  switch (st.st_mode & S_IFMT)
    {
    case S_IFDIR:
      {
        if (mkdirat (dst, name, 0700) < 0)
          return -1;
        cleanup_close int s = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int d = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0 || copy_tree (s, d, depth + 1) < 0)
          return -1;
        break;
      }
    case S_IFREG:
      {
        cleanup_close int in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (in < 0 || out < 0)
          return -1;
        for (;;)
          {
            /* Not copy_file_range: it refuses to cross into tmpfs (EXDEV). */
            ssize_t n = sendfile (out, in, NULL, 1 << 20);
            if (n < 0)
              return -1;
            if (n == 0)
              break;
          }
        break;
      }
    case S_IFLNK:
      {
        char target[PATH_MAX];
        ssize_t n = readlinkat (src, name, target, sizeof target - 1);
        if (n < 0)
          return -1;
        target[n] = '\0';
        if (symlinkat (target, dst, name) < 0)
          return -1;
        break;
      }
    case S_IFSOCK:
      return 0;
    default:
      if (mknodat (dst, name, st.st_mode, st.st_rdev) < 0)
        return -1;
    }
  struct timespec times[2] = { st.st_atim, st.st_mtim };
  if (fchownat (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0
      || (!S_ISLNK (st.st_mode) && fchmodat (dst, name, st.st_mode & 07777, 0) < 0)
      || utimensat (dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  return 0;
}

/* Copy the tree under directory fd src into directory fd dst (runc's
 * fileutils.CopyDirectory). Never follows a symlink of the tree. */
static int
copy_tree (int src, int dst, int depth)
{
  struct dirent *e;
  int r = 0;
  if (depth > 64)
    {
      errno = ELOOP;
      return -1;
    }
  int fd = dup (src);
  DIR *dir = fd < 0 ? NULL : fdopendir (fd);
  if (dir == NULL)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  while (r == 0 && (errno = 0, e = readdir (dir)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      r = copy_entry (src, dst, e->d_name, depth);
  int saved = errno;
  closedir (dir);
  errno = saved;
  return r < 0 || saved ? -1 : 0;
}

/* tmpcopyup: `under` is the directory the new tmpfs on rel covers (an fd
 * opened before the mount still names it). Copy it into the tmpfs, whose
 * root takes the covered directory's mode and owner, as in runc. */
static int
copy_up (struct rootfs_ctx *c, const char *rel, int under, ocirt_error_t *err)
{
  struct stat st;
  cleanup_close int top = pathsafe_openat2 (c->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC, IN_ROOT);
  if (top < 0)
    return make_error (err, errno, "tmpcopyup \"/%s\": open the tmpfs", rel);
  if (copy_tree (under, top, 0) < 0)
    return make_error (err, errno, "tmpcopyup \"/%s\": copy into the tmpfs", rel);
  if (fstat (under, &st) < 0 || fchown (top, st.st_uid, st.st_gid) < 0
      || fchmod (top, st.st_mode & 07777) < 0)
    return make_error (err, errno, "tmpcopyup \"/%s\": owner and mode of the tmpfs", rel);
  return 0;
}

/* ---- linux.mountLabel -------------------------------------------------- */

/* A failed mount of src onto rel (errno set); data is shown when it carries
 * linux.mountLabel, which a kernel without SELinux refuses (EINVAL), as it
 * does with runc. */
static int
mount_error (struct rootfs_ctx *c, const char *src, const char *rel, const char *data, ocirt_error_t *err)
{
  int e = errno;
  if (data == NULL)
    return make_error (err, e, "mount \"%s\" on \"%s/%s\"", src, c->rootfs, rel);
  make_error (err, e, "mount \"%s\" on \"%s/%s\" with data %s", src, c->rootfs, rel, data);
  return lsm_mount_error_hint (err);
}

/* mqueue takes no context= option: runc labels its root with an xattr. */
static int
label_mqueue (struct rootfs_ctx *c, const char *rel, ocirt_error_t *err)
{
  char t[PROC_FD_PATH_MAX];
  cleanup_close int fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_NONE, O_DIRECTORY);
  if (fd < 0)
    return make_error (err, errno, "mount destination \"/%s\"", rel);
  return lsm_label_file (pathsafe_proc_fd_path (t, fd), c->mount_label, err);
}

/* ---- cgroup filesystem ----------------------------------------------- */

/* Is every comma-separated word of `want` among the words of `have`? */
static bool
words_subset (const char *want, size_t want_len, const char *have)
{
  const char *end = want + want_len;
  for (const char *w = want; w < end;)
    {
      const char *we = memchr (w, ',', (size_t) (end - w));
      size_t wl = (size_t) ((we ? we : end) - w);
      bool found = false;
      for (const char *h = have; *h && !found;)
        {
          size_t hl = strcspn (h, ",");
          found = hl == wl && memcmp (h, w, wl) == 0;
          h += hl + (h[hl] == ',');
        }
      if (!found)
        return false;
      w += wl + 1;
    }
  return true;
}

/* One v1/hybrid hierarchy inside the cgroup tmpfs: a bind of the init's own
 * cgroup directory (the container sees its cgroup as the root), or with a
 * cgroup namespace a fresh mount of the hierarchy. */
static int
mount_cgroup_hierarchy (struct rootfs_ctx *c, int tmpfd, const char *rel, const char *name,
                        const char *fstype, const char *controllers, const char *host_path,
                        const struct mount_opts *o, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  char t[PROC_FD_PATH_MAX];

  if (mkdirat (tmpfd, name, 0755) < 0 && errno != EEXIST)
    return make_error (err, errno, "mkdir \"%s/%s/%s\"", c->rootfs, rel, name);
  fd = pathsafe_openat2 (tmpfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, BENEATH);
  if (fd < 0)
    return make_error (err, errno, "open \"%s/%s/%s\"", c->rootfs, rel, name);
  pathsafe_proc_fd_path (t, fd);
  if (c->has_cgroupns)
    {
      if (mount (fstype, t, fstype, o->flags & REMOUNT_FLAGS,
                 strcmp (fstype, "cgroup") == 0 ? controllers : NULL) < 0)
        return make_error (err, errno, "mount \"%s\" on \"%s/%s/%s\"", fstype, c->rootfs, rel, name);
      return 0;
    }
  if (mount (host_path, t, NULL, MS_BIND | MS_REC, NULL) < 0)
    return make_error (err, errno, "mount \"%s\" on \"%s/%s/%s\"", host_path, c->rootfs, rel, name);
  close (fd);
  fd = pathsafe_openat2 (tmpfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, BENEATH);
  if (fd < 0 || mounts_remount_bind (fd, o->flags, o->cleared) < 0)
    return make_error (err, errno, "remount \"%s/%s/%s\"", c->rootfs, rel, name);
  return 0;
}

/* For every cgroup hierarchy mounted under /sys/fs/cgroup on the host,
 * matched with the init's line in /proc/self/cgroup. Co-mounted controllers
 * ("cpu,cpuacct") also get one symlink per controller, as on the host. */
static int
mount_cgroup_v1 (struct rootfs_ctx *c, int tmpfd, const char *rel, const struct mount_opts *o,
                 ocirt_error_t *err)
{
  cleanup_free char *mountinfo = NULL;
  cleanup_free char *cgroups = NULL;
  cleanup_free char *used = NULL;
  size_t n_cg = 0;

  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", PROC_FILE_MAX, &mountinfo, NULL, err) < 0
      || read_file_at (AT_FDCWD, "/proc/self/cgroup", PROC_FILE_MAX, &cgroups, NULL, err) < 0)
    return -1;
  for (char *p = cgroups; *p; p++)
    n_cg += *p == '\n';
  used = calloc (n_cg + 1, 1);
  if (used == NULL)
    return make_error (err, errno, "mount cgroup");

  struct mountinfo_entry e;
  for (char *cur = mountinfo; mountinfo_next (&cur, &e);)
    {
      char *fstype = e.fstype, *super = e.super_options, *name, *cg = cgroups;
      size_t idx = 0;
      cleanup_free char *host = NULL;

      if (strncmp (e.mount_point, CGROUP_ROOT "/", sizeof CGROUP_ROOT) != 0)
        continue;
      name = e.mount_point + sizeof CGROUP_ROOT;
      if (*name == '\0' || strchr (name, '/'))
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;

      /* Find this hierarchy's line: "id:controllers:path". */
      for (; *cg; idx++)
        {
          char *nl = strchrnul (cg, '\n');
          char *c1 = memchr (cg, ':', (size_t) (nl - cg));
          char *c2 = c1 ? memchr (c1 + 1, ':', (size_t) (nl - c1 - 1)) : NULL;
          if (c2 && !used[idx]
              && (v2 ? c2 == c1 + 1 && strncmp (cg, "0:", 2) == 0
                     : c2 > c1 + 1 && words_subset (c1 + 1, (size_t) (c2 - c1 - 1), super)))
            break;
          cg = *nl ? nl + 1 : nl;
        }
      if (*cg == '\0')
        continue;
      used[idx] = 1;

      char *nl = strchrnul (cg, '\n');
      char *c1 = strchr (cg, ':');
      char *c2 = strchr (c1 + 1, ':');
      char save = *nl;
      size_t root_len = strcmp (e.root, "/") == 0 ? 0 : strlen (e.root);
      *nl = '\0';
      *c2 = '\0';
      /* The hierarchy's root must be an ancestor of our cgroup to see it. */
      if (strncmp (c2 + 1, e.root, root_len) == 0 && asprintf (&host, "%s%s", e.mount_point, c2 + 1 + root_len) < 0)
        host = NULL;
      int ret = host || c->has_cgroupns
                  ? mount_cgroup_hierarchy (c, tmpfd, rel, name, fstype, c1 + 1, host, o, err)
                  : 0;
      if (ret == 0 && !v2 && strchr (name, ','))
        for (char *ctl = c1 + 1, *e; *ctl; ctl = *e ? e + 1 : e)
          {
            e = strchrnul (ctl, ',');
            char k = *e;
            *e = '\0';
            if (strcmp (ctl, name) != 0 && symlinkat (name, tmpfd, ctl) < 0 && errno != EEXIST)
              ret = make_error (err, errno, "symlink \"%s/%s/%s\"", c->rootfs, rel, ctl);
            *e = k;
            if (ret < 0)
              break;
          }
      *c2 = ':';
      *nl = save;
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* type "cgroup": on v2 a cgroup2 mount (falling back to a bind of our own
 * cgroup when the kernel refuses, e.g. a user namespace without a cgroup
 * namespace); on v1/hybrid a tmpfs holding one entry per hierarchy, made
 * read-only afterwards when the config says "ro", like runc. */
static int
mount_cgroup (struct rootfs_ctx *c, const struct oci_mount *m, const char *rel,
              struct mount_opts *o, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int tmpfd = -1;
  char t[PROC_FD_PATH_MAX];
  struct statfs sfs;

  fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_DIR, O_DIRECTORY);
  if (fd < 0)
    return make_error (err, errno, "mount destination \"%s\"", m->destination);
  pathsafe_proc_fd_path (t, fd);
  if (statfs (CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      if (mount ("cgroup2", t, "cgroup2", o->flags, NULL) == 0)
        return finish_mount (c, rel, o, false, O_DIRECTORY, err);
      if (errno != EPERM)
        return make_error (err, errno, "mount \"cgroup2\" on \"%s/%s\"", c->rootfs, rel);
      cleanup_free char *cg = NULL;
      cleanup_free char *host = NULL;
      if (read_file_at (AT_FDCWD, "/proc/self/cgroup", PROC_FILE_MAX, &cg, NULL, err) < 0)
        return -1;
      char *path = strstr (cg, "0::");
      if (path == NULL)
        return make_error (err, ENOENT, "read /proc/self/cgroup");
      path[strcspn (path, "\n")] = '\0';
      if (asprintf (&host, CGROUP_ROOT "%s", path + 3) < 0)
        return make_error (err, ENOMEM, "mount cgroup");
      if (mount (host, t, NULL, MS_BIND | MS_REC, NULL) < 0)
        return make_error (err, errno, "mount \"%s\" on \"%s/%s\"", host, c->rootfs, rel);
      return finish_mount (c, rel, o, true, O_DIRECTORY, err);
    }

  /* runc mounts this tmpfs as any other, with linux.mountLabel. */
  cleanup_free char *data = c->mount_label ? lsm_mount_data ("mode=755", c->mount_label) : strdup ("mode=755");
  if (data == NULL)
    return make_error (err, ENOMEM, "mount \"tmpfs\" on \"%s/%s\"", c->rootfs, rel);
  if (mount ("tmpfs", t, "tmpfs", (o->flags & REMOUNT_FLAGS) & ~MS_RDONLY, data) < 0)
    return mount_error (c, "tmpfs", rel, c->mount_label ? data : NULL, err);
  tmpfd = pathsafe_open_in_root (c->rootfd, rel, CREATE_NONE, O_DIRECTORY);
  if (tmpfd < 0)
    return make_error (err, errno, "mount destination \"%s\"", m->destination);
  if (mount_cgroup_v1 (c, tmpfd, rel, o, err) < 0)
    return -1;
  if ((o->flags & MS_RDONLY) && mounts_remount_bind (tmpfd, o->flags, o->cleared) < 0)
    return make_error (err, errno, "remount \"%s/%s\"", c->rootfs, rel);
  return finish_mount (c, rel, o, false, O_DIRECTORY, err);
}

/* ---- config mounts --------------------------------------------------- */

/* Where to bind from when the kernel refuses a fresh instance (a user
 * namespace that does not own the net or ipc namespace), as runc does. */
static const char *
fallback_bind_source (const char *type)
{
  if (strcmp (type, "sysfs") == 0)
    return "/sys";
  if (strcmp (type, "mqueue") == 0)
    return "/dev/mqueue";
  return NULL;
}

bool
mounts_is_idmapped (const struct oci_mount *m)
{
  if (m->n_uid_mappings || m->n_gid_mappings)
    return true;
  for (size_t i = 0; i < m->n_options; i++)
    {
      const struct mount_option *opt = find_option (m->options[i]);
      if (opt && opt->kind == OPT_IDMAP)
        return true;
    }
  return false;
}

/* MOUNT_ATTR_IDMAP on the detached clone: the ids of its files are seen
 * through userns_fd's maps. Only a mount that is not attached yet may get
 * one, which is why it is done here and not in the init. */
static int
idmap_tree (const struct oci_mount *m, int fd, int userns_fd, bool recursive, ocirt_error_t *err)
{
  struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };

  if (mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) == 0)
    return 0;
  return make_error (err, errno, "mount \"%s\": idmap the source \"%s\"%s", m->destination,
                     m->source, errno == EINVAL ? " (its filesystem must support idmapped "
                                                  "mounts, and each mount of an rbind too "
                                                  "with ridmap)" : "");
}

int
mounts_open_bind_source (const struct oci_mount *m, int bundle_fd, int userns_fd, int *out,
                         ocirt_error_t *err)
{
  struct mount_opts o;
  cleanup_close int fd = -1;
  struct mount_attr slave = { .propagation = MS_SLAVE };

  *out = -1;
  if (parse_mount_options (m, &o, err) < 0)
    return -1;
  free (o.data);
  if (!((o.flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0)) || (o.flags & MS_REMOUNT)
      || m->source == NULL)
    return 0;
  fd = open_tree (m->source[0] == '/' ? AT_FDCWD : bundle_fd, m->source,
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((o.flags & MS_REC) ? AT_RECURSIVE : 0));
  if (fd < 0)
    return make_error (err, errno, "mount \"%s\": source \"%s\"", m->destination, m->source);
  /* A clone of a shared mount joins the host's peer group: mounts made
   * under it in the container would appear on the host. Make it a slave,
   * as a bind made under the container's rslave "/" is (a private mount
   * stays private). */
  if (mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof slave) < 0)
    return make_error (err, errno, "mount \"%s\": source \"%s\": make it a slave", m->destination, m->source);
  if (userns_fd >= 0 && idmap_tree (m, fd, userns_fd, o.idmap_rec, err) < 0)
    return -1;
  *out = steal_fd (&fd);
  return 0;
}

int
mounts_apply (struct rootfs_ctx *c, const struct oci_mount *m, int src_fd, ocirt_error_t *err)
{
  cleanup_free char *rel = NULL;
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;
  struct mount_opts o;
  char t[PROC_FD_PATH_MAX];
  const char *type = m->type;
  const char *src = m->source;
  int oflags = 0;
  bool bind;

  if (m->destination == NULL)
    return make_error (err, EINVAL, "mount: no destination");
  if (parse_mount_options (m, &o, err) < 0)
    return -1;
  data = o.data;
  rel = pathsafe_clean_path (m->destination);
  if (rel == NULL)
    return make_error (err, errno, "mount destination \"%s\"", m->destination);

  bind = (o.flags & MS_BIND) || (type && strcmp (type, "bind") == 0);
  /* The idmap is set on the clone the runtime made: a bind by path here
   * would silently drop it. */
  if (o.idmap && (!bind || src_fd < 0))
    return make_error (err, EINVAL, "mount \"%s\": an idmapped mount must be a bind mount of a "
                       "source the runtime opened", m->destination);
  if (bind)
    {
      struct stat st;
      o.flags |= MS_BIND;
      type = NULL;
      if (src == NULL)
        return make_error (err, EINVAL, "mount \"%s\": bind mount without a source", m->destination);
      if (strcmp (rel, "dev") == 0)
        c->dev_is_bind = true;
      /* Only a missing destination needs the source's kind. */
      fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_NONE, 0);
      if (fd < 0 && errno == ENOENT)
        {
          if (src_fd >= 0 ? fstat (src_fd, &st) < 0 : stat (src, &st) < 0)
            return make_error (err, errno, "mount \"%s\": source \"%s\"", m->destination, src);
          fd = pathsafe_create_in_root (c->rootfd, rel, S_ISDIR (st.st_mode) ? CREATE_DIR : CREATE_FILE, 0);
        }
    }
  else if (type == NULL)
    return make_error (err, EINVAL, "mount \"%s\": no type", m->destination);
  else if (strcmp (type, "cgroup") == 0)
    return mount_cgroup (c, m, rel, &o, err);
  else if (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0)
    {
      /* Never onto a symlink or a file (CVE-2019-16884). */
      oflags = O_DIRECTORY | O_NOFOLLOW;
      if (strcmp (type, "proc") == 0 && strcmp (rel, "proc") == 0)
        c->has_proc = true;
    }
  if (!bind)
    fd = pathsafe_open_in_root (c->rootfd, rel, CREATE_DIR, oflags);
  /* runc's wording, which scripts match: "filesystem "proc" must be
   * mounted on ordinary directory". */
  if (fd < 0 && oflags && (errno == ENOTDIR || errno == ELOOP))
    return make_error (err, 0, "mount \"%s\" to rootfs at \"%s\": filesystem \"%s\" must be mounted on ordinary directory",
                       type, m->destination, type);
  if (fd < 0)
    return make_error (err, errno, "mount destination \"%s\"", m->destination);
  pathsafe_proc_fd_path (t, fd);

  cleanup_close int under = -1;
  if (o.copy_up)
    {
      if (bind || type == NULL || strcmp (type, "tmpfs") != 0)
        return make_error (err, EINVAL, "mount \"%s\": tmpcopyup is for tmpfs only", m->destination);
      under = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (under < 0)
        return make_error (err, errno, "mount destination \"%s\"", m->destination);
    }
  /* A read-only tmpfs or /dev is mounted writable and made read-only by a
   * bind remount afterwards, as runc does: tmpcopyup must write into the
   * tmpfs, and /dev must stay writable for the mounts beneath it (/dev/pts,
   * /dev/shm), the device nodes and /dev/console; mounts_dev_readonly
   * remounts it once those are done. */
  bool ro_later = !bind && !(o.flags & MS_REMOUNT) && (o.flags & MS_RDONLY)
                  && (strcmp (type, "tmpfs") == 0 || strcmp (rel, "dev") == 0);
  if (ro_later)
    o.flags &= ~MS_RDONLY;
  bool labelled = c->mount_label && lsm_mount_takes_label (type, bind);
  if (labelled)
    {
      char *with_label = lsm_mount_data (data, c->mount_label);
      if (with_label == NULL)
        return make_error (err, ENOMEM, "mount \"%s\"", m->destination);
      free (data);
      data = with_label;
    }
  if (!bind || (o.flags & MS_REMOUNT))
    {
      if (src == NULL)
        src = type ? type : "none";
      if (mount (src, t, type, o.flags, data) == 0)
        {
          if (under >= 0 && copy_up (c, rel, under, err) < 0)
            return -1;
          if (c->mount_label && type && strcmp (type, "mqueue") == 0 && label_mqueue (c, rel, err) < 0)
            return -1;
          if (ro_later && strcmp (rel, "dev") != 0 && remount_readonly (c, rel, &o, err) < 0)
            return -1;
          return finish_mount (c, rel, &o, false, oflags, err);
        }
      const char *fallback = type ? fallback_bind_source (type) : NULL;
      if (errno != EPERM || fallback == NULL || (o.flags & MS_REMOUNT))
        return mount_error (c, src, rel, labelled ? data : NULL, err);
      src = fallback;
      o.flags |= MS_BIND | MS_REC;
    }
  if (bind && src_fd >= 0 ? pathsafe_move_tree (src_fd, fd) < 0
                           : mount (src, t, NULL, o.flags & (MS_BIND | MS_REC), NULL) < 0)
    return make_error (err, errno, "mount \"%s\" on \"%s/%s\"", src, c->rootfs, rel);
  return finish_mount (c, rel, &o, true, oflags, err);
}
