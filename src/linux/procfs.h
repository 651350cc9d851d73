/* procfs.h - the one way into /proc for writes that must land in procfs.
 *
 * Owns: opening a /proc directory and checking it is procfs (fstatfs,
 * PROC_SUPER_MAGIC), opening files beneath it without following symlinks,
 * magic links or crossing mounts, and checking again that what was opened
 * is procfs; writing control files (sysctl, oom_score_adj, uid/gid maps,
 * timens_offsets, the LSM attr files of lsm.c) through that; and checking
 * the /proc/self/fd path that mounts go through. It defends against CVE-2025-52881: a write meant for
 * procfs redirected by a symlink, a bind or another filesystem mounted over
 * /proc or under it, into a host file or another proc file.
 *
 * Never: follow a symlink under /proc, write to a file not on procfs, or
 * print.
 */
#ifndef OCIRT_PROCFS_H
#define OCIRT_PROCFS_H

#include <stddef.h>

#include "../util/error.h"

/* O_PATH fd of the directory `path` (absolute, no symlink in it), checked to
 * be the root of a procfs. */
int procfs_open (const char *path, ocirt_error_t *err);

/* Open `rel` beneath the procfs fd `proc` with `flags`. A leading "self/"
 * names this process, "thread-self/" this thread, as that procfs sees it.
 * No symlink is followed and no mount crossed, and the file reached must
 * be on procfs; errors name `shown` (the path as a user knows it, e.g.
 * "/proc/sys/net/ipv4/ip_forward"). */
int procfs_open_file (int proc, const char *rel, int flags, const char *shown, ocirt_error_t *err);

/* Write buf to rel beneath proc in one write(2) (as procfs control files
 * need: a uid_map is accepted only whole). */
int procfs_write_file (int proc, const char *rel, const char *buf, size_t len, const char *shown,
                       ocirt_error_t *err);

/* Check that "/proc/self/fd", through which mounts name their fds, is this
 * process's fd directory on procfs, with nothing mounted over any part. */
int procfs_check_self_fd (ocirt_error_t *err);

#endif
