/* rootfs.h - the container's filesystem view, built inside the init.
 *
 * Owns: rootfs propagation, the bind of the rootfs onto itself, the mounts of
 * config.json (resolved inside the rootfs so that no symlink can lead out),
 * /dev (a fresh tmpfs, the default nodes, the configured devices, the /dev/fd
 * symlinks, /dev/pts and /dev/ptmx), pivot_root (or MS_MOVE + chroot with
 * --no-pivot), masked and read-only paths, and root.readonly.
 *
 * Every function runs in the container init, in its own mount namespace (or,
 * for a config without one, in the caller's: the mounts then land there and
 * the init only chroots, as in runc), as (namespaced) root, and reports
 * failure through *err with the path involved:
 *   mount "proc" on "/run/b/rootfs/proc": permission denied
 * Nothing here prints or exits.
 */
#ifndef OCIRT_ROOTFS_H
#define OCIRT_ROOTFS_H

#include <stdbool.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* Before pivot: propagation, rootfs bind, config mounts in order, /dev. */
int rootfs_prepare (const struct oci_config *cfg, const char *rootfs, ocirt_error_t *err);

/* Make rootfs the new root and detach the old one; cwd becomes "/". */
int rootfs_pivot (const char *rootfs, bool no_pivot, ocirt_error_t *err);

/* Without a mount namespace of its own: chroot into rootfs, as runc does.
 * pivot_root or MS_MOVE there would change the root of every process in
 * the caller's mount namespace. cwd becomes "/". */
int rootfs_chroot (const char *rootfs, ocirt_error_t *err);

/* After pivot: masked paths, read-only paths, read-only /, propagation of /. */
int rootfs_finalize (const struct oci_config *cfg, ocirt_error_t *err);

#endif
