/* namespaces.h - which namespaces the container creates and which it joins.
 *
 * Owns: turning linux.namespaces into clone flags and opened namespace fds,
 * joining by path in the right order, the uid/gid maps (written by the
 * parent, which is root on the host) and the time offsets. It never mounts
 * and never touches cgroups.
 */
#ifndef OCIRT_NAMESPACES_H
#define OCIRT_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

struct ns_plan
{
  int clone_flags;              /* created by clone(): user, pid, net, mnt, ipc, uts */
  int unshare_flags;            /* created by the child after the parent's go:
                                   cgroup (after the cgroup is joined) and time
                                   (its offsets must be set before anyone enters) */
  int join_fd[OCI_NS_COUNT];    /* fd of a namespace to join, or -1 */
};

int ns_clone_flag (enum oci_namespace_type t);

/* Compute flags and open every namespace path (so a path that does not exist
 * fails before anything is created). */
int ns_plan_build (const struct oci_linux *lx, struct ns_plan *plan, ocirt_error_t *err);
void ns_plan_close (struct ns_plan *plan);

/* Parent, before clone: a pid namespace joined by path only applies to
 * children, so the parent itself enters it for the one clone it makes. */
int ns_join_pid_for_children (const struct ns_plan *plan, ocirt_error_t *err);

/* Child: join the namespaces given by path (user first, so that the others
 * are joined with the capabilities it grants), then unshare the late ones. */
int ns_join_and_unshare (const struct ns_plan *plan, const struct oci_linux *lx,
                         ocirt_error_t *err);

/* Parent: write /proc/<pid>/{uid_map,gid_map} from the config. */
int ns_write_id_maps (pid_t pid, const struct oci_linux *lx, ocirt_error_t *err);

#endif
