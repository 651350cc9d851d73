/* scheduling.h - process.scheduler, process.ioPriority,
 * process.execCPUAffinity, linux.personality and linux.memoryPolicy.
 *
 * Owns: the names of scheduling policies, scheduler flags, i/o priority
 * classes and personality domains (one table each, in scheduling.c), the
 * parsing of cpu and node lists ("0-3,7"), and the syscalls that install
 * them into the calling process: sched_setattr(2), ioprio_set(2),
 * sched_setaffinity(2), personality(2) and set_mempolicy(2).
 *
 * It never decides when: the container init calls it (see the integration
 * notes in each function). It never changes uids or capabilities and never
 * prints. Every error names the JSON path of the field:
 *   process.scheduler.policy: unknown policy "SCHED_FOO"
 *   process.ioPriority: ioprio_set: operation not permitted
 *
 * The parsers are pure and separate from the syscalls, so that the runtime
 * can refuse a bad config before any namespace exists, and so they can be
 * tested without privilege.
 */
#ifndef OCIRT_SCHEDULING_H
#define OCIRT_SCHEDULING_H

#include <sched.h>
#include <stdint.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* ---- pure parsers --------------------------------------------------------- */

/* "SCHED_OTHER" -> SCHED_OTHER (0) ... "SCHED_DEADLINE" -> 6. Returns the
 * policy, or -1 for a name that is not a policy. SCHED_ISO is in
 * runtime-spec but not in the Linux kernel: it is -1 too, and
 * scheduling_validate says so. */
int sched_policy_from_name (const char *name);

/* "SCHED_FLAG_RESET_ON_FORK" -> 0x01 ... "SCHED_FLAG_UTIL_CLAMP_MAX" -> 0x40.
 * 0 for an unknown name. */
uint64_t sched_flag_from_name (const char *name);

/* "IOPRIO_CLASS_RT" -> 1, "IOPRIO_CLASS_BE" -> 2, "IOPRIO_CLASS_IDLE" -> 3;
 * -1 for an unknown name. */
int ioprio_class_from_name (const char *name);

/* "LINUX" -> PER_LINUX, "LINUX32" -> PER_LINUX32; -1 for an unknown name. */
long personality_from_name (const char *name);

/* The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1), which glibc 2.36
 * does not declare. */
struct ocirt_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

/* Check process.scheduler and fill *attr for sched_setattr. Beyond the
 * names, it refuses what the kernel would refuse with a bare EINVAL, and
 * what runc refuses: nice outside -20..19, a priority outside 1..99 for
 * SCHED_FIFO/SCHED_RR or other than 0 for the other policies, and
 * runtime/deadline/period for a policy other than SCHED_DEADLINE (which
 * needs 0 < runtime <= deadline <= period, period 0 meaning deadline).
 * runtime-spec carries no utilization clamp values, so the UTIL_CLAMP flags
 * pass 0, as runc does. */
int sched_attr_from_config (const struct oci_scheduler *s, struct ocirt_sched_attr *attr,
                            ocirt_error_t *err);

/* process.ioPriority as the value of ioprio_set(2):
 * IOPRIO_PRIO_VALUE(class, priority), priority in 0..7. */
int ioprio_from_config (const struct oci_io_priority *p, int *value, ocirt_error_t *err);

/* linux.personality as the argument of personality(2). runtime-spec defines
 * no flag values, so any flag is refused (runc drops them with a warning;
 * ocirt never ignores a field it cannot apply). */
int personality_from_config (const struct oci_personality *pp, unsigned long *persona,
                             ocirt_error_t *err);

/* Parse a cpu list ("0-3,7", whitespace around items allowed, as in
 * cpuset(7) "List format") into a CPU_ALLOC'd set of *setsize bytes; the
 * caller frees it with CPU_FREE. `what` names the field in errors
 * ("process.execCPUAffinity.initial"). An empty list, a reversed range, a
 * cpu number of 65536 or more, and any other character are errors. */
int cpu_list_parse (const char *list, const char *what, cpu_set_t **set, size_t *setsize,
                    ocirt_error_t *err);

/* linux.memoryPolicy as the arguments of set_mempolicy(2): mode (the
 * MPOL_* value), flags (MPOL_F_*) and a node mask of mask_size bytes
 * (NULL when no nodes are given). Beyond the names it refuses what the
 * kernel would refuse with a bare EINVAL whatever the host: nodes for
 * MPOL_DEFAULT and MPOL_LOCAL, none for the modes that need some,
 * MPOL_F_RELATIVE_NODES with MPOL_F_STATIC_NODES, and a bad node list.
 * Release *out with memory_policy_release, whether it succeeded or not. */
struct memory_policy
{
  int mode;
  int flags;
  cpu_set_t *mask;
  size_t mask_size;
};
int memory_policy_from_config (const struct oci_memory_policy *m, struct memory_policy *out,
                               ocirt_error_t *err);
void memory_policy_release (struct memory_policy *mp);

/* The i-th name of a mode and of a flag of linux.memoryPolicy, NULL past
 * the last: for `features`, from the same table as the parser. */
const char *mpol_mode_name (size_t i);
const char *mpol_flag_name (size_t i);

/* All of the above for one config, with no syscall: for the runtime to call
 * before it clones the container init, so that a bad value fails `create`
 * with nothing to undo. `lx` may be NULL. */
int scheduling_validate (const struct oci_process *p, const struct oci_linux *lx,
                         ocirt_error_t *err);

/* ---- installing into the calling process ------------------------------------ */

/* process.scheduler (sched_setattr) then process.ioPriority (ioprio_set),
 * each only when present. Call in the container init after rlimits_apply
 * (RLIMIT_RTPRIO and RLIMIT_NICE then allow what they grant in a user
 * namespace) and before the uid switch and the capability drop (raising a
 * priority needs CAP_SYS_NICE, IOPRIO_CLASS_RT needs CAP_SYS_ADMIN). */
int scheduling_apply (const struct oci_process *p, ocirt_error_t *err);

/* linux.personality, when pp != NULL. The domain survives execve; call it
 * in the container init before exec. */
int personality_apply (const struct oci_personality *pp, ocirt_error_t *err);

/* linux.memoryPolicy, when m != NULL: set_mempolicy(2) for the calling
 * process, whose children and execve keep it. Call it in every process
 * that enters the container (the init and each exec: the policy is the
 * container's), after it has joined the container's cgroup, whose
 * cpuset.mems bounds the nodes. */
int memory_policy_apply (const struct oci_memory_policy *m, ocirt_error_t *err);

/* sched_setaffinity(0) to the cpus of `cpulist` (NULL or "" does nothing,
 * as runtime-spec asks for an empty "final"). Errors name
 * process.execCPUAffinity. runtime-spec makes execCPUAffinity apply to
 * `exec` processes only, not to the container's init: `initial` is set on
 * the runtime's process that will join the container, before it joins the
 * cgroup; `final` after it has joined. */
int cpu_affinity_apply (const char *cpulist, ocirt_error_t *err);

#endif
