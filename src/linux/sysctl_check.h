/* sysctl_check.h - which linux.sysctl entries ocirt may write.
 *
 * Owns: the rule, taken from runc's validator, that only sysctls scoped to
 * a namespace of the container's own may be set: writing any other one
 * would change the host for every process on it. It never writes a sysctl
 * (process_apply_sysctl does, inside the container) and never prints.
 *
 * The rule, per key:
 *   kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall,
 *   kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced, fs.mqueue.*
 *       need an ipc namespace that is not the host's;
 *   net.*
 *       needs a network namespace that is not the host's;
 *   kernel.domainname
 *       needs a uts namespace that is not the host's;
 *   kernel.hostname
 *       is refused: config.json's "hostname" sets it (runc refuses it too);
 *   anything else
 *       is refused as not namespaced.
 * "Not the host's" means created for the container, or joined by a path
 * that names neither the runtime's own namespace (/proc/self/ns/X, what
 * runc compares) nor the initial one (/proc/1/ns/X): joining a namespace
 * by path may well join the host's. runc checks this for net only; ocirt
 * checks ipc and uts the same way.
 *
 * Keys must be dotted names: "/" (the kernel would read it as a path
 * separator too), empty components and "." or ".." components are refused,
 * so a key can never name a file outside /proc/sys.
 */
#ifndef OCIRT_SYSCTL_CHECK_H
#define OCIRT_SYSCTL_CHECK_H

#include "../../oci/config.h"
#include "../util/error.h"

enum sysctl_scope
{
  SYSCTL_BAD_NAME,        /* not a well-formed dotted name */
  SYSCTL_HOST,            /* not namespaced: refused */
  SYSCTL_IPC,
  SYSCTL_NET,
  SYSCTL_UTS,             /* kernel.domainname */
  SYSCTL_HOSTNAME,        /* kernel.hostname: refused, use "hostname" */
};

/* Pure: the scope of one key. */
enum sysctl_scope sysctl_scope_of (const char *key);

/* Check every entry of cfg->linux_->sysctl against the rule above. Errors
 * name the key:
 *   linux.sysctl["vm.swappiness"]: sysctl is not namespaced, and ocirt only
 *   sets namespaced sysctls
 * Stats the paths of joined namespaces and /proc/{self,1}/ns: call it in the
 * runtime before it clones the container init, in the host's mount
 * namespace. */
int sysctl_validate (const struct oci_config *cfg, ocirt_error_t *err);

#endif
