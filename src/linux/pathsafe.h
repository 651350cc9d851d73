/* pathsafe.h - opening and binding paths of an untrusted tree safely.
 *
 * Owns: openat2 (which glibc does not wrap), lexical cleaning of container
 * paths, in-root resolution (RESOLVE_IN_ROOT, creating what is missing one
 * component at a time, never through a symlink), and bind mounts from an fd
 * onto an fd (open_tree + move_mount). It is the one home of these for
 * mounts.c, rootfs.c, devices.c and terminal.c.
 *
 * Never: mount by a path string that a container could redirect, or print.
 */
#ifndef OCIRT_PATHSAFE_H
#define OCIRT_PATHSAFE_H

#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>

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

/* openat2(2), which glibc does not wrap. */
int pathsafe_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve);

/* "/proc/self/fd/<fd>" in buf; returns buf. */
const char *pathsafe_proc_fd_path (char buf[PROC_FD_PATH_MAX], int fd);

/* A container path cleaned lexically into a relative one ("." for "/"),
 * malloc'd; NULL with errno on failure. */
char *pathsafe_clean_path (const char *path);

/* O_PATH fd of rel inside the root (oflags: O_DIRECTORY, O_NOFOLLOW), made
 * first when missing and kind says so. -1 with errno on failure. */
int pathsafe_open_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags);
int pathsafe_create_in_root (int rootfd, const char *rel, enum create_kind kind, int oflags);

/* Bind the file or directory of the O_PATH fd src onto the O_PATH fd dst
 * (open_tree + move_mount), with its submounts if recursive: no path is
 * looked up, so neither side can be redirected by a symlink, and no /proc is
 * needed. -1 with errno on failure. */
int pathsafe_bind_fd (int src, int dst, bool recursive);

/* Attach the detached mount tree (from open_tree(OPEN_TREE_CLONE)) onto
 * the O_PATH fd dst. -1 with errno on failure. */
int pathsafe_move_tree (int tree, int dst);

#endif
