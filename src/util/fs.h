/* fs.h - small file helpers used on the container start path.
 *
 * Owns: whole-file reads with a size cap, short writes to control files
 * (/proc, cgroupfs), and atomic replacement of a file. No path here is
 * resolved inside a container root: see src/linux/rootfs.c for that.
 */
#ifndef OCIRT_FS_H
#define OCIRT_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* write(2) all of buf to fd, riding over short writes and EINTR. Returns
 * 0, or -1 with errno set (a blocking fd is assumed: EAGAIN is an error). */
int write_all (int fd, const void *buf, size_t len);

/* Write `s` to fd in one write(2), as kernel files (procfs, sysfs,
 * cgroupfs) need: they take a value whole, so a short write is an error,
 * not a reason to write the rest as a second value. `name` names the file
 * in the error. */
int write_whole (int fd, const char *s, size_t len, const char *name, ocirt_error_t *err);

/* Write `s` to dirfd/name (O_WRONLY, no create), in one write(2). */
int write_file_at (int dirfd, const char *name, const char *s, size_t len, ocirt_error_t *err);

/* Cap for whole /proc and cgroupfs files (mountinfo of a busy host, a
 * cgroup.procs): far above any real one, low enough to stop a runaway. */
#define PROC_FILE_MAX ((size_t) 64 << 20)

/* Read fd to EOF into a NUL-terminated *out of *len bytes, growing from
 * hint bytes; more than max bytes is EFBIG. The one read loop behind every
 * whole-file read (files, pipes, procfs). Returns 0, or -1 with errno. */
int read_fd_all (int fd, size_t hint, size_t max, char **out, size_t *len);

/* Read a regular file of at most `max` bytes; NUL-terminated *out. The one
 * whole-file reader of the tree. */
int read_file_at (int dirfd, const char *name, size_t max, char **out, size_t *len,
                  ocirt_error_t *err);

/* Replace `path` atomically with `data` (temp file in the same directory,
 * then rename; not fsync'd). */
int write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                       ocirt_error_t *err);

/* The pid file managers read: the digits alone, no newline (containerd's
 * strconv.Atoi fails on one), replaced atomically. */
int write_pid_file (const char *path, pid_t pid, ocirt_error_t *err);

#endif
