/* resctrl.h - linux.intelRdt: the container's group in the resctrl
 * filesystem (Intel RDT, AMD PQoS), as runtime-spec's config-linux.md
 * ("IntelRdt") and runc describe it.
 *
 * Owns: finding the resctrl mount and what it offers (info/L3 or L3CODE
 * for cache allocation, info/MB for memory bandwidth, info/L3_MON for
 * monitoring); runc's refusal of a schema the host cannot apply; the
 * group's directory (closID, or the container id), its schemata, its
 * tasks, the container's MON group, and their removal.
 *
 * Never: compares an existing group's schemata with the config's (runc
 * writes them, and the kernel, which normalises what it reads back,
 * judges them), or mounts resctrl. Works on a directory fd, so that the
 * unit tests can give it a plain directory.
 */
#ifndef OCIRT_RESCTRL_H
#define OCIRT_RESCTRL_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

struct resctrl
{
  int root_fd;   /* the resctrl mount, or -1 when none is mounted */
  bool cat;      /* L3 cache allocation (info/L3, or L3CODE with CDP) */
  bool mba;      /* memory bandwidth allocation (info/MB) */
  bool mon;      /* monitoring groups (info/L3_MON) */
};

/* Find the resctrl mount of the runtime's mount namespace (preferring
 * /sys/fs/resctrl) and what it offers. None mounted is not an error:
 * r->root_fd is then -1. */
int resctrl_open (struct resctrl *r, ocirt_error_t *err);
void resctrl_close (struct resctrl *r);

/* Whether rdt is applied at all. As runc does, a config whose intelRdt
 * asks for no schema a missing resctrl would need (a closID alone, say) is
 * run without it on a host that has none; *warning then says so. A schema
 * the host cannot apply fails with runc's words. */
int resctrl_check (const struct resctrl *r, const struct oci_intel_rdt *rdt, bool *apply,
                   const char **warning, ocirt_error_t *err);

/* The group's name under the root: closID, or the container id; "" for
 * closID "/" (the root, the default group). */
const char *resctrl_group_name (const struct oci_intel_rdt *rdt, const char *id);

/* Put pid (the init) in the container's group: made if the config gives a
 * schema, else it must exist; schemata written (l3CacheSchema, then
 * memBwSchema, then schemata's lines); with enableMonitoring, a MON group
 * named after the id. On failure what was made is removed again. */
int resctrl_join (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id, pid_t pid,
                  ocirt_error_t *err);

/* An exec'd process joins the container's group (and its MON group);
 * without the group, where the init's tasks then are, it stays. */
int resctrl_add_process (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id,
                         pid_t pid, ocirt_error_t *err);

/* At delete: the MON group goes, and the group if it was named after the
 * container (a closID names a group others may share: it stays). Missing
 * directories are not an error. */
int resctrl_remove (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id,
                    ocirt_error_t *err);

#endif
