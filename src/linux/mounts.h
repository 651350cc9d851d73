/* mounts.h - the internals shared by rootfs.c, mounts.c and devices.c.
 *
 * Owns: in-root path resolution (openat2 RESOLVE_IN_ROOT, creating what is
 * missing one component at a time) and the state that rootfs_prepare
 * carries across the config mounts and /dev. Not an interface for other
 * modules: use rootfs.h.
 */
#ifndef OCIRT_MOUNTS_H
#define OCIRT_MOUNTS_H

#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../oci/config.h"
#include "../util/error.h"

#define PROC_FD_PATH_MAX 32

/* In-root resolution: symlinks are followed, but "/" and ".." stop at the
 * root, and no /proc magic link may be crossed. */
#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
/* One component that this code just created: never a symlink. */
#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

enum create_kind
{
  CREATE_NONE,
  CREATE_DIR,
  CREATE_FILE,
};

/* The mount state shared by the steps of rootfs_prepare. */
struct rootfs_ctx
{
  const char *rootfs;
  int rootfd;
  bool has_proc;      /* /proc is a proc mount: the /dev/fd links resolve */
  bool dev_is_bind;   /* /dev comes from the host: leave it alone (runc) */
  bool has_cgroupns;
};

/* openat2(2), which glibc does not wrap. */
int mounts_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve);

/* "/proc/self/fd/<fd>" in buf; returns buf. */
const char *mounts_proc_fd_path (char buf[PROC_FD_PATH_MAX], int fd);

/* A container path cleaned lexically into a relative one ("." for "/"),
 * malloc'd; NULL with errno on failure. */
char *mounts_clean_path (const char *path);

/* O_PATH fd of rel inside the root (oflags: O_DIRECTORY, O_NOFOLLOW), made
 * first when missing and kind says so. -1 with errno on failure. */
int mounts_open_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags);
int mounts_create_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags);

/* The whole of a /proc file, malloc'd and NUL-terminated; NULL with errno. */
char *mounts_read_proc_file (const char *path);

/* MS_BIND|MS_REMOUNT of the mount fd is on, keeping the flags the kernel
 * locked in a user namespace unless `cleared` asks to drop them. */
int mounts_remount_bind (int fd, unsigned long flags, unsigned long cleared);

/* MS_PRIVATE... (| MS_REC) for "private", "rslave"...; 0 if not one. */
unsigned long mounts_propagation (const char *name);

/* One entry of config.json "mounts", resolved inside c->rootfd. */
int mounts_apply (struct rootfs_ctx *c, const struct oci_mount *m, ocirt_error_t *err);

/* After every other step (devices, console, masked paths): make a /dev
 * that config.json mounts read-only so, as runc does (mounts_apply mounts it
 * writable). rootfd is the container's "/". */
int mounts_dev_readonly (int rootfd, const struct oci_config *cfg, ocirt_error_t *err);

/* Bind the file or directory of the O_PATH fd src onto the O_PATH fd dst
 * (open_tree + move_mount), with its submounts if recursive: no path is
 * looked up, so neither side can be redirected by a symlink, and no /proc is
 * needed. -1 with errno on failure. */
int mounts_bind_fd (int src, int dst, bool recursive);

/* Attach the detached mount tree (from open_tree(OPEN_TREE_CLONE)) onto
 * the O_PATH fd dst. -1 with errno on failure. */
int mounts_move_tree (int tree, int dst);

/* devices.c: the default nodes, linux.devices, /dev/fd... and /dev/ptmx. */
int devices_setup (struct rootfs_ctx *c, const struct oci_config *cfg, ocirt_error_t *err);

#endif
