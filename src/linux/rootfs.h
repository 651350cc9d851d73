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
#include <stddef.h>

#include "../util/error.h"

/* The sources of the bind mounts, opened by the runtime before the init
 * enters a new user namespace, in which the mapped root may not reach them
 * (a 0700 host directory on the way, say), as runc 1.1 does; and those of
 * idmapped mounts, which only a detached clone can become. fds[i] is a
 * detached clone of mounts[i]'s source, or -1 when it is not a bind (or
 * not idmapped, with idmapped_only). */
struct rootfs_sources
{
  size_t n;
  int *fds;
};

/* Runtime side, before clone: relative sources resolve in bundle. An
 * idmapped mount without mappings of its own takes the container's
 * linux.uidMappings/gidMappings, or the user namespace it joins
 * (join_userns_fd, else -1). proc_fd is the host's /proc. On failure the
 * caller still calls rootfs_sources_close. */
int rootfs_sources_open (const struct oci_config *cfg, const char *bundle, bool idmapped_only,
                         int join_userns_fd, int proc_fd, struct rootfs_sources *s,
                         ocirt_error_t *err);

/* Whether any mount of cfg is idmapped (see mounts_is_idmapped). */
bool rootfs_has_idmapped_mounts (const struct oci_config *cfg);
void rootfs_sources_close (struct rootfs_sources *s);

/* Before pivot: propagation, rootfs bind, config mounts in order (binds
 * from sources when not NULL), /dev.
 * *null_tree gets what rootfs_finalize binds over the masked files (a
 * detached clone of the host's /dev/null, or -1); the caller closes it. */
int rootfs_prepare (const struct oci_config *cfg, const char *rootfs,
                    const struct rootfs_sources *sources, int *null_tree, ocirt_error_t *err);

/* Make rootfs the new root and detach the old one; cwd becomes "/". */
int rootfs_pivot (const char *rootfs, bool no_pivot, ocirt_error_t *err);

/* Without a mount namespace of its own: chroot into rootfs, as runc does.
 * pivot_root or MS_MOVE there would change the root of every process in
 * the caller's mount namespace. cwd becomes "/". */
int rootfs_chroot (const char *rootfs, ocirt_error_t *err);

/* After pivot: read-only /, read-only paths, masked paths (bound from
 * null_tree, see rootfs_prepare), a read-only /dev, propagation of /. */
/* After pivot_root: stdio fds on the host's /dev/null go to the
 * container's /dev/null instead, as runc's reOpenDevNull. */
int rootfs_reopen_dev_null (ocirt_error_t *err);

int rootfs_finalize (const struct oci_config *cfg, int null_tree, ocirt_error_t *err);

#endif
