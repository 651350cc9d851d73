/* namespaces.h - which namespaces the container creates and which it joins.
 *
 * Owns: turning linux.namespaces into clone flags and opened namespace fds,
 * joining by path in the right order, the time offsets, and the clone3
 * that makes the process in its new namespaces (their uid/gid maps are
 * idmap.c's). It never mounts, and of cgroups
 * it only takes an fd to clone into.
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
                                   (its offsets must be set before anyone enters);
                                   with a user namespace joined by path, every
                                   new one (see ns_plan_build) */
  int join_fd[OCI_NS_COUNT];    /* fd of a namespace to join, or -1 */
  int parent_joined;            /* CLONE_NEW* of those the clone inherited
                                   (ns_clone_init): the child skips them */
};

int ns_clone_flag (enum oci_namespace_type t);

/* Compute flags and open every namespace path (so a path that does not exist
 * fails before anything is created).
 * A namespace is owned by the user namespace of the process that creates
 * it, and only that owner's capabilities count inside it. So with a user
 * namespace joined by path, the new namespaces are created by the child
 * once it has joined it (unshare), not by clone3 in the host's. A new pid
 * namespace made that way only holds the child's children: the child then
 * forks the real init (ns_unshared_pid, SYNC_PID), as runc's nsexec does. */
int ns_plan_build (const struct oci_linux *lx, struct ns_plan *plan, ocirt_error_t *err);
void ns_plan_close (struct ns_plan *plan);

/* Parent, before clone: a pid namespace joined by path only applies to
 * children, so the parent itself enters it for the one clone it makes. */
int ns_join_pid_for_children (const struct ns_plan *plan, ocirt_error_t *err);

/* Parent of an unprivileged exec: only in the container's user namespace
 * (which the caller owns, so it has every capability there) may it enter
 * the container's pid namespace. It stays there for good; the child,
 * born in it, does not join it again (parent_joined). */
int ns_join_user_for_children (struct ns_plan *plan, ocirt_error_t *err);

/* Whether the child unshares a new pid namespace, and must fork the init. */
bool ns_unshared_pid (const struct ns_plan *plan);

/* clone3 with `flags` (namespaces to create) and CLONE_PIDFD, returning the
 * pid as fork does. With cgroup_fd >= 0 (a v2 cgroup directory) the child
 * starts in that cgroup (CLONE_INTO_CGROUP, Linux 5.7), as crun's does: it
 * never runs outside it, and no move is needed afterwards. A kernel
 * without the flag refuses it (EINVAL, or E2BIG for the larger struct);
 * then the child is made without it and *in_cgroup says so. */
pid_t ns_clone (unsigned long flags, int *pidfd, int cgroup_fd, bool *in_cgroup);

/* Parent: ns_join_pid_for_children, then ns_clone with plan->clone_flags.
 * With a new user namespace, the net, ipc, uts and cgroup namespaces
 * joined by path are entered by the parent for the clone and left right
 * after it (a process of the new user namespace could not join them).
 * Returns the pid, 0 in the child, or -1 with *err set. */
pid_t ns_clone_init (struct ns_plan *plan, int *pidfd, int cgroup_fd, bool *in_cgroup,
                     ocirt_error_t *err);

/* Child: join the namespaces given by path (user first, so that the others
 * are joined with the capabilities it grants), then unshare the late ones. */
int ns_join_and_unshare (const struct ns_plan *plan, const struct oci_linux *lx, int proc_fd,
                         ocirt_error_t *err);

#endif
