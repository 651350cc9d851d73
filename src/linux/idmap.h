/* idmap.h - the uid/gid maps of a new user namespace, by whoever may write
 * them.
 *
 * Owns: deciding how the maps of the container's user namespace get
 * written, and writing them. Root on the host writes /proc/<pid>/uid_map
 * and gid_map itself. An unprivileged caller may write one line mapping its
 * own id (the kernel's rule; for gid_map only once "deny" is in
 * /proc/<pid>/setgroups); any other mapping goes through the setuid
 * helpers newuidmap/newgidmap (Debian's uidmap package), which allow the
 * ranges /etc/subuid and /etc/subgid grant to the caller. It never forks
 * except to run those helpers, and never touches the child itself.
 */
#ifndef OCIRT_IDMAP_H
#define OCIRT_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

#define IDMAP_SUBUID_FILE "/etc/subuid"
#define IDMAP_SUBGID_FILE "/etc/subgid"

/* Whether the maps are written by an unprivileged caller (not root on the
 * host): then the child must stay dumpable until they are written, since
 * the /proc files of a non-dumpable process belong to root. */
bool idmap_unprivileged (void);

/* Whether this process runs in a user namespace other than the initial
 * one (its uid_map is not the identity "0 0 4294967295"), as runc's
 * userns.RunningInUserNS: then uid 0 is root only there, as under rootless
 * podman, which runs the runtime in its own user namespace. */
bool idmap_in_user_namespace (void);

/* The caller's euid as the user namespace above sees it: under rootless
 * podman (the runtime is root of podman's namespace) the user's own uid,
 * which the user's systemd, its bus and user@<uid>.service are named by.
 * Outside a user namespace, or if the map cannot be read: geteuid(). */
unsigned idmap_outer_euid (void);

/* Before anything is created: check that an unprivileged caller may use
 * every mapping of lx (its own id, or a range /etc/subuid or /etc/subgid
 * grants it) and that the helper a mapping needs is in PATH. The error
 * names the field (linux.uidMappings[N]) and the file. Root: nothing to
 * check. */
int idmap_check (const struct oci_linux *lx, ocirt_error_t *err);

/* Parent, after the clone: write the maps of pid's user namespace, through
 * proc_fd (procfs_open) when it writes them itself. */
int idmap_write (pid_t pid, const struct oci_linux *lx, int proc_fd, ocirt_error_t *err);

/* Root on the host: a user namespace with these maps and no process left
 * in it, as an fd (/proc/<pid>/ns/user of a throwaway child), for
 * mount_setattr(MOUNT_ATTR_IDMAP). `field` names the mount in errors
 * ("mounts[2]"). Returns the fd, or -1. */
int idmap_new_userns (const char *field, const struct oci_id_mapping *uid, size_t n_uid,
                      const struct oci_id_mapping *gid, size_t n_gid, int proc_fd,
                      ocirt_error_t *err);

/* For the unit test: whether [host, host+size) lies inside a range that
 * the subid file text `subids` grants to the user `name` or uid `uid`. */
bool idmap_subids_allow (const char *subids, const char *name, uid_t uid, unsigned host,
                         unsigned size);

/* For the unit test: the id that `id` maps to in the uid_map (or gid_map)
 * text `map` ("inside outside count" lines), into *outside; false if no
 * line maps it. */
bool idmap_map_outside (const char *map, unsigned id, unsigned *outside);

#endif
