/* lsm.h - process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
 *
 * Owns: the decision about the Linux security module fields of config.json.
 * ocirt does not switch AppArmor profiles nor set SELinux labels yet, and
 * runtime-spec requires an error for a field a runtime cannot apply: a
 * container whose owner asked for a profile must not run unconfined. So
 * every one of these fields, when set, fails `create`, and the message says
 * whether the host lacks the module or ocirt lacks the support:
 *   process.apparmorProfile: AppArmor is not enabled on this host
 *   process.apparmorProfile: setting AppArmor profiles is not supported yet
 * It never writes to /proc/self/attr and never prints.
 */
#ifndef OCIRT_LSM_H
#define OCIRT_LSM_H

#include <stdbool.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* What the host offers, as probed by lsm_host_probe(). */
struct lsm_host
{
  bool apparmor;  /* /sys/module/apparmor/parameters/enabled is "Y" and
                   * /sys/kernel/security/apparmor exists (runc's test) */
  bool selinux;   /* selinuxfs is mounted at /sys/fs/selinux */
};

void lsm_host_probe (struct lsm_host *h);

/* Pure: the decision for a given host. p and lx may be NULL. */
int lsm_check_host (const struct oci_process *p, const struct oci_linux *lx,
                    const struct lsm_host *h, ocirt_error_t *err);

/* lsm_check_host with the probed host. Call it in the runtime before it
 * clones the container init (it reads the host's /sys). */
int lsm_check (const struct oci_process *p, const struct oci_linux *lx, ocirt_error_t *err);

#endif
