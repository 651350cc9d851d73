/* mounts.h - the internals shared by rootfs.c, mounts.c and devices.c.
 *
 * Owns: the state that rootfs_prepare carries across the config mounts
 * and /dev (in-root resolution itself is in pathsafe.h). Not an interface
 * for other modules: use rootfs.h.
 */
#ifndef OCIRT_MOUNTS_H
#define OCIRT_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../oci/config.h"
#include "../util/error.h"
#include "pathsafe.h"

/* The mount state shared by the steps of rootfs_prepare. */
struct rootfs_ctx
{
  const char *rootfs;
  int rootfd;
  bool has_proc;      /* /proc is a proc mount: the /dev/fd links resolve */
  bool dev_is_bind;   /* /dev comes from the host: leave it alone (runc) */
  bool has_cgroupns;
  const char *mount_label;  /* linux.mountLabel, or NULL */
};


/* MS_BIND|MS_REMOUNT of the mount fd is on, keeping the flags the kernel
 * locked in a user namespace unless `cleared` asks to drop them. */
int mounts_remount_bind (int fd, unsigned long flags, unsigned long cleared);

/* MS_PRIVATE... (| MS_REC) for "private", "rslave"...; 0 if not one. */
unsigned long mounts_propagation (const char *name);

/* One entry of config.json "mounts", resolved inside c->rootfd. A bind
 * comes from src_fd when it is >= 0 (see mounts_open_bind_source), else
 * from its source path. */
int mounts_apply (struct rootfs_ctx *c, const struct oci_mount *m, int src_fd, ocirt_error_t *err);

/* Runtime side, before the init exists: *out gets a detached clone
 * (open_tree) of the source of a bind mount (relative to bundle_fd), or
 * -1 for any other mount. With userns_fd >= 0 the clone is idmapped
 * through that user namespace's maps (recursively for "ridmap"). */
int mounts_open_bind_source (const struct oci_mount *m, int bundle_fd, int userns_fd, int *out,
                             ocirt_error_t *err);

/* The i-th option word mounts.c acts on, in sorted order; NULL past the
 * last: for `features`, from the table the parser uses. */
const char *mounts_option_name (size_t i);

/* Whether m asks for an idmapped mount: "idmap", "ridmap", or mappings. */
bool mounts_is_idmapped (const struct oci_mount *m);

/* After every other step (devices, console, masked paths): make a /dev
 * that config.json mounts read-only so, as runc does (mounts_apply mounts it
 * writable). rootfd is the container's "/". */
int mounts_dev_readonly (int rootfd, const struct oci_config *cfg, ocirt_error_t *err);

/* devices.c: the default nodes, linux.devices, /dev/fd... and /dev/ptmx. */
int devices_setup (struct rootfs_ctx *c, const struct oci_config *cfg, ocirt_error_t *err);

#endif
