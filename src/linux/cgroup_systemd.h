/* cgroup_systemd.h - the systemd cgroup driver (--systemd-cgroup), as runc's.
 *
 * Owns: turning cgroupsPath "slice:prefix:name" into a unit name and the
 * cgroup path systemd gives it, the unit properties made from
 * linux.resources and from org.systemd.property.* annotations, and the
 * D-Bus calls that start, update and stop the unit (StartTransientUnit,
 * SetUnitProperties, StopUnit, ResetFailedUnit), each waiting for its job
 * as runc does.
 * It only decides the path and owns the unit: the cgroup files are written
 * by the cgroupfs code (cgroup.c, cgroup_v1.c, cgroup_v2.c) on that path,
 * so pause, ps, events, exec and kill need nothing of systemd.
 * Must never: load libsystemd on a path that does not use the driver (see
 * sdbus.h), or keep global state.
 */
#ifndef OCIRT_CGROUP_SYSTEMD_H
#define OCIRT_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* systemd's own test for "booted with systemd" (sd_booted), as runc's. */
#define SYSTEMD_RUNNING_DIR "/run/systemd/system"
/* The parent of a unit whose cgroupsPath has no slice (root: runc's). */
#define SYSTEMD_DEFAULT_SLICE "system.slice"
/* The same for a rootless caller, in its own systemd (runc's). */
#define SYSTEMD_USER_DEFAULT_SLICE "user.slice"
/* The scope prefix when cgroupsPath is empty: runc uses "runc". */
#define SYSTEMD_DEFAULT_PREFIX "ocirt"
#define SYSTEMD_ANNOTATION_PREFIX "org.systemd.property."
/* How long a job (start, stop) may take, as runc waits. */
#define SYSTEMD_JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

/* The D-Bus types a unit property can carry here. */
enum sd_prop_type
{
  SDP_BOOL,      /* b */
  SDP_BYTE,      /* y */
  SDP_INT16,     /* n */
  SDP_UINT16,    /* q */
  SDP_INT32,     /* i */
  SDP_UINT32,    /* u */
  SDP_INT64,     /* x */
  SDP_UINT64,    /* t */
  SDP_DOUBLE,    /* d */
  SDP_STRING,    /* s */
  SDP_STRV,      /* as */
  SDP_BYTES,     /* ay */
  SDP_UINT32V,   /* au */
};

struct sd_prop
{
  char *name;
  enum sd_prop_type type;
  union
  {
    bool b;
    int64_t i;        /* y n i x (y q u as unsigned in u) */
    uint64_t u;
    double d;
  } v;
  char *s;            /* SDP_STRING */
  char **strv;        /* SDP_STRV, n items */
  uint8_t *bytes;     /* SDP_BYTES, n bytes */
  uint32_t *u32v;     /* SDP_UINT32V, n items */
  size_t n;
};

struct sd_props
{
  struct sd_prop *v;
  size_t n;
};

/* What a container's cgroupsPath names under the systemd driver. */
struct systemd_unit
{
  char *slice;        /* the parent slice unit, "system.slice" by default */
  char *name;         /* "prefix-name.scope", or "name.slice" */
  char *path;         /* its cgroup: the expanded slice + "/" + name */
  struct sd_props props;  /* from resources and annotations, no PIDs yet */
  bool user;          /* the caller's own systemd (rootless), not PID 1 */
};

/* ---- pure (unit-tested) ---- */

/* The D-Bus signature of a property type ("t", "as", ...). */
const char *sd_prop_signature (enum sd_prop_type t);

/* systemd's slice expansion: "a-b.slice" -> "/a.slice/a-b.slice",
 * "-.slice" -> "/". NULL with *err for a name that is not a slice. */
char *systemd_expand_slice (const char *slice, ocirt_error_t *err);

/* cgroupsPath "slice:prefix:name" (empty: "system.slice:ocirt:<id>") into
 * u->slice, u->name, u->path; runc's rules and wording. */
int systemd_unit_parse_user (const char *cgroups_path, const char *id, bool user,
                             struct systemd_unit *u, ocirt_error_t *err);
int systemd_unit_parse (const char *cgroups_path, const char *id, struct systemd_unit *u,
                        ocirt_error_t *err);

/* runc's CPUQuotaPerSecUSec: quota per second of CPU time, rounded up to
 * whole percents (systemd keeps percents); UINT64_MAX (infinity) for a
 * quota <= 0. period 0 means the kernel's default 100000. */
uint64_t systemd_cpu_quota_per_sec (int64_t quota, uint64_t period);

/* A cpuset list ("0-3,8") as the bit mask bytes systemd's AllowedCPUs and
 * AllowedMemoryNodes take: byte 0 holds CPUs 0-7, lowest bit first. */
int systemd_cpuset_bits (const char *list, uint8_t **bytes, size_t *n, ocirt_error_t *err);

/* A GVariant text value as runc (godbus) reads it: true/false, integers
 * (plain: int32), decimals (double), 'strings' or "strings", arrays of
 * strings, each optionally typed as "@t 5" or "uint64 5". */
int systemd_parse_value (const char *text, struct sd_prop *p, ocirt_error_t *err);

/* One annotation org.systemd.property.NAME=VALUE as a property: NAME must
 * be a capitalised alphanumeric word, and a NAME ending in "Sec" after a
 * lowercase letter becomes "...USec" with the value in microseconds. */
int systemd_annotation_prop (const char *key, const char *value, struct sd_prop *p,
                             ocirt_error_t *err);

/* The unit properties of linux.resources (res may be NULL) for cgroup v2
 * (v2 true) or v1 (systemd's legacy names). */
int systemd_resource_props (const struct oci_resources *res, bool v2, struct sd_props *out,
                            ocirt_error_t *err);

/* The properties of a new unit: runc's fixed set (Description, Slice or
 * Wants, Delegate, DefaultDependencies, accounting), then the resources',
 * then the annotations'. */
int systemd_unit_props (const struct systemd_unit *u, const char *id,
                        const struct oci_resources *res, const struct oci_kv *annotations,
                        size_t n_annotations, bool v2, struct sd_props *out, ocirt_error_t *err);

void sd_props_clear (struct sd_props *p);
void systemd_unit_clear (struct systemd_unit *u);

/* ---- systemd ---- */

/* Whether systemd is PID 1 here (SYSTEMD_RUNNING_DIR exists). */
bool systemd_running (void);

/* create, before any state: parse cgroupsPath, require systemd, and build
 * the properties (so a bad annotation fails before anything is made). */
int systemd_unit_prepare (const char *cgroups_path, const char *id, const struct oci_resources *res,
                          const struct oci_kv *annotations, size_t n_annotations, bool user,
                          struct systemd_unit *u, ocirt_error_t *err);

/* Start the transient unit with pid in it (a scope; a slice gets the pid
 * through cgroup.procs) and wait for the job. A unit of that name that is
 * loaded already is reset (a failed leftover goes) and tried once more; if
 * it is still there, it is another container's, live: *existed is set and
 * the caller joins its cgroup, as runc 1.1 does (runc 1.1 ignores
 * UnitExists and goes on in the unit's cgroup with a warning). */
int systemd_unit_start (const struct systemd_unit *u, pid_t pid, bool *existed, ocirt_error_t *err);

/* update: SetUnitProperties (runtime) with res's properties. */
int systemd_unit_update (const char *name, bool user, const struct oci_resources *res,
                         ocirt_error_t *err);

/* delete: StopUnit and wait, then ResetFailedUnit. A unit that is gone
 * already (its last process ended) is not an error. */
int systemd_unit_stop (const char *name, bool user, ocirt_error_t *err);

#endif
