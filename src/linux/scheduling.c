/* scheduling.c - see scheduling.h.
 *
 * The name tables are the one source of truth for the strings of
 * process.scheduler, process.ioPriority, linux.personality and
 * linux.memoryPolicy. The values are the kernel's uapi numbers, spelled out
 * because glibc 2.36 declares neither sched_setattr nor ioprio_set, and
 * Debian 12's uapi headers (6.1) lack MPOL_WEIGHTED_INTERLEAVE.
 */
#include "scheduling.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>


#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* include/uapi/linux/sched.h */
#define OCIRT_SCHED_ISO 4
#define OCIRT_SCHED_DEADLINE 6
#define OCIRT_SCHED_ATTR_SIZE_VER1 56

/* include/uapi/linux/ioprio.h */
#define OCIRT_IOPRIO_WHO_PROCESS 1
#define OCIRT_IOPRIO_CLASS_SHIFT 13
#define OCIRT_IOPRIO_NR_LEVELS 8

/* include/uapi/linux/mempolicy.h */
#define OCIRT_MPOL_F_NUMA_BALANCING (1 << 13)
#define OCIRT_MPOL_F_RELATIVE_NODES (1 << 14)
#define OCIRT_MPOL_F_STATIC_NODES (1 << 15)

/* The deadline scheduler works in units of 2^10 ns (sched_dl_overflow). */
#define DL_MIN_RUNTIME_NS 1024

/* A cpu list naming a cpu above this is refused rather than allocated:
 * the kernel's NR_CPUS is at most 8192 on every architecture. */
#define CPU_LIST_MAX 65536

struct name_value
{
  const char *name;
  long value;
};

static const struct name_value policies[] = {
  { "SCHED_OTHER", SCHED_OTHER },
  { "SCHED_FIFO", SCHED_FIFO },
  { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH },
  { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", OCIRT_SCHED_DEADLINE },
};

static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },
  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", 1 },
  { "IOPRIO_CLASS_BE", 2 },
  { "IOPRIO_CLASS_IDLE", 3 },
};

static const struct name_value personalities[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

static long
lookup (const struct name_value *t, size_t n, const char *name, long missing)
{
  for (size_t i = 0; name && i < n; i++)
    if (strcmp (t[i].name, name) == 0)
      return t[i].value;
  return missing;
}

int
sched_policy_from_name (const char *name)
{
  return (int) lookup (policies, N_ELEMENTS (policies), name, -1);
}

uint64_t
sched_flag_from_name (const char *name)
{
  return (uint64_t) lookup (sched_flags, N_ELEMENTS (sched_flags), name, 0);
}

int
ioprio_class_from_name (const char *name)
{
  return (int) lookup (ioprio_classes, N_ELEMENTS (ioprio_classes), name, -1);
}

long
personality_from_name (const char *name)
{
  return lookup (personalities, N_ELEMENTS (personalities), name, -1);
}

/* ---- process.scheduler ------------------------------------------------------ */

static int
check_deadline (const struct oci_scheduler *s, int policy, ocirt_error_t *err)
{
  if (policy != OCIRT_SCHED_DEADLINE)
    {
      if ((s->has_runtime && s->runtime) || (s->has_deadline && s->deadline)
          || (s->has_period && s->period))
        return make_error (err, 0, "process.scheduler: runtime, deadline and period can only "
                                   "be set for SCHED_DEADLINE, not for %s", s->policy);
      return 0;
    }
  /* The kernel's EINVAL would not say which of the three is wrong. */
  if (s->runtime < DL_MIN_RUNTIME_NS)
    return make_error (err, 0, "process.scheduler.runtime: SCHED_DEADLINE needs a runtime of "
                               "at least %d ns", DL_MIN_RUNTIME_NS);
  if (s->deadline < s->runtime)
    return make_error (err, 0, "process.scheduler.deadline: must not be less than the runtime "
                               "(%llu ns)", (unsigned long long) s->runtime);
  if (s->period != 0 && s->period < s->deadline)
    return make_error (err, 0, "process.scheduler.period: must not be less than the deadline "
                               "(%llu ns)", (unsigned long long) s->deadline);
  /* sched_dl_overflow rejects values with bit 63 set. */
  if ((s->deadline | s->period) >> 63)
    return make_error (err, 0, "process.scheduler: deadline and period must be below 2^63 ns");
  return 0;
}

int
sched_attr_from_config (const struct oci_scheduler *s, struct ocirt_sched_attr *attr,
                        ocirt_error_t *err)
{
  int policy;
  bool realtime;

  memset (attr, 0, sizeof *attr);
  if (s->policy == NULL || s->policy[0] == '\0')
    return make_error (err, 0, "process.scheduler.policy: missing required property");
  policy = sched_policy_from_name (s->policy);
  if (policy < 0 && strcmp (s->policy, "SCHED_ISO") == 0)
    return make_error (err, 0, "process.scheduler.policy: SCHED_ISO is not implemented by "
                               "the Linux kernel");
  if (policy < 0)
    return make_error (err, 0, "process.scheduler.policy: unknown policy \"%s\"", s->policy);

  realtime = policy == SCHED_FIFO || policy == SCHED_RR;
  if (s->has_nice && (s->nice < -20 || s->nice > 19))
    return make_error (err, 0, "process.scheduler.nice: %d is outside -20..19", s->nice);
  if (realtime && (!s->has_priority || s->priority < 1 || s->priority > 99))
    return make_error (err, 0, "process.scheduler.priority: %s needs a priority in 1..99%s",
                       s->policy, s->has_priority ? "" : " (none is set)");
  if (!realtime && s->has_priority && s->priority != 0)
    return make_error (err, 0, "process.scheduler.priority: can only be set for SCHED_FIFO "
                               "or SCHED_RR, not for %s", s->policy);
  if (check_deadline (s, policy, err) < 0)
    return -1;

  for (size_t i = 0; i < s->n_flags; i++)
    {
      uint64_t f = sched_flag_from_name (s->flags[i]);
      if (f == 0)
        return make_error (err, 0, "process.scheduler.flags[%zu]: unknown flag \"%s\"", i,
                           s->flags[i]);
      attr->sched_flags |= f;
    }

  attr->size = OCIRT_SCHED_ATTR_SIZE_VER1;
  attr->sched_policy = (uint32_t) policy;
  attr->sched_nice = s->has_nice ? s->nice : 0;
  attr->sched_priority = s->has_priority ? (uint32_t) s->priority : 0;
  attr->sched_runtime = s->has_runtime ? s->runtime : 0;
  attr->sched_deadline = s->has_deadline ? s->deadline : 0;
  attr->sched_period = s->has_period ? s->period : 0;
  return 0;
}

/* ---- process.ioPriority ----------------------------------------------------- */

int
ioprio_from_config (const struct oci_io_priority *p, int *value, ocirt_error_t *err)
{
  int class;

  if (p->class == NULL || p->class[0] == '\0')
    return make_error (err, 0, "process.ioPriority.class: missing required property");
  class = ioprio_class_from_name (p->class);
  if (class < 0)
    return make_error (err, 0, "process.ioPriority.class: unknown class \"%s\"", p->class);
  if (p->priority < 0 || p->priority >= OCIRT_IOPRIO_NR_LEVELS)
    return make_error (err, 0, "process.ioPriority.priority: %d is outside 0..%d", p->priority,
                       OCIRT_IOPRIO_NR_LEVELS - 1);
  *value = (class << OCIRT_IOPRIO_CLASS_SHIFT) | p->priority;
  return 0;
}

/* ---- linux.personality ------------------------------------------------------ */

int
personality_from_config (const struct oci_personality *pp, unsigned long *persona,
                         ocirt_error_t *err)
{
  long domain;

  if (pp->domain == NULL || pp->domain[0] == '\0')
    return make_error (err, 0, "linux.personality.domain: missing required property");
  domain = personality_from_name (pp->domain);
  if (domain < 0)
    return make_error (err, 0, "linux.personality.domain: unknown domain \"%s\" "
                               "(LINUX or LINUX32)", pp->domain);
  if (pp->n_flags)
    return make_error (err, 0, "linux.personality.flags[0]: \"%s\": runtime-spec defines no "
                               "personality flags, and ocirt does not set any", pp->flags[0]);
  *persona = (unsigned long) domain;
  return 0;
}

/* ---- cpu lists -------------------------------------------------------------- */

/* One decimal cpu number at *s, advancing *s. -1 when there is none or it
 * is too large. */
static long
parse_cpu (const char **s)
{
  long v = 0;
  const char *p = *s;

  if (*p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      v = v * 10 + (*p - '0');
      if (v >= CPU_LIST_MAX)
        return -1;
    }
  *s = p;
  return v;
}

static const char *
skip_blanks (const char *s)
{
  return s + strspn (s, " \t\n");
}

/* Walk the list, calling back for each range; the first pass finds the
 * highest cpu (to size the set), the second fills it. `unit` is "cpu" or
 * "node": a node list has the same syntax (cpuset(7)), and a node mask the
 * same layout as a cpu set, an array of longs with bit n for node n. */
static int
walk_cpu_list (const char *list, const char *what, const char *unit, cpu_set_t *set,
               size_t setsize, long *max_cpu, ocirt_error_t *err)
{
  const char *s = skip_blanks (list);

  if (*s == '\0')
    return make_error (err, 0, "%s: empty %s list", what, unit);
  for (;;)
    {
      const char *item = s;
      long lo = parse_cpu (&s), hi = lo;
      if (lo >= 0 && *s == '-')
        {
          s++;
          hi = parse_cpu (&s);
        }
      if (lo < 0 || hi < 0)
        return make_error (err, 0, "%s: invalid %s list \"%s\" at \"%s\" (expected e.g. "
                                   "\"0-3,7\", %ss below %d)", what, unit, list, item, unit,
                           CPU_LIST_MAX);
      if (hi < lo)
        return make_error (err, 0, "%s: invalid %s range \"%.*s\" in \"%s\"", what, unit,
                           (int) (s - item), item, list);
      if (hi > *max_cpu)
        *max_cpu = hi;
      for (long c = lo; set && c <= hi; c++)
        CPU_SET_S ((size_t) c, setsize, set);
      s = skip_blanks (s);
      if (*s == '\0')
        return 0;
      if (*s != ',')
        return make_error (err, 0, "%s: invalid %s list \"%s\" at \"%s\"", what, unit, list, s);
      s = skip_blanks (s + 1);
    }
}

static int
bit_list_parse (const char *list, const char *what, const char *unit, cpu_set_t **set,
                size_t *setsize, ocirt_error_t *err)
{
  long max_cpu = -1;
  cpu_set_t *out;
  size_t size;

  if (walk_cpu_list (list, what, unit, NULL, 0, &max_cpu, err) < 0)
    return -1;
  out = CPU_ALLOC ((int) max_cpu + 1);
  if (out == NULL)
    return make_error (err, errno, "%s", what);
  size = CPU_ALLOC_SIZE ((int) max_cpu + 1);
  CPU_ZERO_S (size, out);
  if (walk_cpu_list (list, what, unit, out, size, &max_cpu, err) < 0)
    {
      CPU_FREE (out);
      return -1;
    }
  *set = out;
  *setsize = size;
  return 0;
}

int
cpu_list_parse (const char *list, const char *what, cpu_set_t **set, size_t *setsize,
                ocirt_error_t *err)
{
  return bit_list_parse (list, what, "cpu", set, setsize, err);
}

/* ---- linux.memoryPolicy ----------------------------------------------------- */

enum mpol_nodes
{
  NODES_NONE,      /* the kernel refuses any node */
  NODES_OPTIONAL,  /* MPOL_PREFERRED: none means the local node */
  NODES_REQUIRED,  /* an empty mask is EINVAL */
};

static const struct
{
  const char *name;
  int mode;
  enum mpol_nodes nodes;
} mpol_modes[] = {
  { "MPOL_DEFAULT", 0, NODES_NONE },
  { "MPOL_PREFERRED", 1, NODES_OPTIONAL },
  { "MPOL_BIND", 2, NODES_REQUIRED },
  { "MPOL_INTERLEAVE", 3, NODES_REQUIRED },
  { "MPOL_LOCAL", 4, NODES_NONE },
  { "MPOL_PREFERRED_MANY", 5, NODES_REQUIRED },
  { "MPOL_WEIGHTED_INTERLEAVE", 6, NODES_REQUIRED },
};

static const struct name_value mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", OCIRT_MPOL_F_NUMA_BALANCING },
  { "MPOL_F_RELATIVE_NODES", OCIRT_MPOL_F_RELATIVE_NODES },
  { "MPOL_F_STATIC_NODES", OCIRT_MPOL_F_STATIC_NODES },
};

const char *
mpol_mode_name (size_t i)
{
  return i < N_ELEMENTS (mpol_modes) ? mpol_modes[i].name : NULL;
}

const char *
mpol_flag_name (size_t i)
{
  return i < N_ELEMENTS (mpol_flags) ? mpol_flags[i].name : NULL;
}

int
memory_policy_from_config (const struct oci_memory_policy *m, struct memory_policy *out,
                           ocirt_error_t *err)
{
  size_t i;
  const char *nodes = m->nodes != NULL && m->nodes[0] != '\0' ? m->nodes : NULL;

  memset (out, 0, sizeof *out);
  if (m->mode == NULL || m->mode[0] == '\0')
    return make_error (err, 0, "linux.memoryPolicy.mode: missing required property");
  for (i = 0; i < N_ELEMENTS (mpol_modes) && strcmp (mpol_modes[i].name, m->mode) != 0; i++)
    ;
  if (i == N_ELEMENTS (mpol_modes))
    return make_error (err, 0, "linux.memoryPolicy.mode: unknown mode \"%s\" (MPOL_DEFAULT, "
                               "MPOL_BIND, MPOL_INTERLEAVE, MPOL_WEIGHTED_INTERLEAVE, "
                               "MPOL_PREFERRED, MPOL_PREFERRED_MANY or MPOL_LOCAL)", m->mode);
  out->mode = mpol_modes[i].mode;
  /* What set_mempolicy(2) would refuse with a bare EINVAL is said here,
   * with the field. */
  if (nodes && mpol_modes[i].nodes == NODES_NONE)
    return make_error (err, 0, "linux.memoryPolicy.nodes: %s takes no nodes, got \"%s\"",
                       m->mode, nodes);
  if (!nodes && mpol_modes[i].nodes == NODES_REQUIRED)
    return make_error (err, 0, "linux.memoryPolicy.nodes: %s needs at least one node",
                       m->mode);
  for (size_t f = 0; f < m->n_flags; f++)
    {
      long v = lookup (mpol_flags, N_ELEMENTS (mpol_flags), m->flags[f], -1);
      if (v < 0)
        return make_error (err, 0, "linux.memoryPolicy.flags[%zu]: unknown flag \"%s\" "
                                   "(MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES or "
                                   "MPOL_F_STATIC_NODES)", f, m->flags[f]);
      out->flags |= (int) v;
    }
  if ((out->flags & OCIRT_MPOL_F_RELATIVE_NODES) && (out->flags & OCIRT_MPOL_F_STATIC_NODES))
    return make_error (err, 0, "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and "
                               "MPOL_F_STATIC_NODES exclude each other");
  if (nodes
      && bit_list_parse (nodes, "linux.memoryPolicy.nodes", "node", &out->mask, &out->mask_size,
                         err) < 0)
    return -1;
  return 0;
}

void
memory_policy_release (struct memory_policy *mp)
{
  if (mp->mask)
    CPU_FREE (mp->mask);
  mp->mask = NULL;
}

static bool
non_empty (const char *s)
{
  return s != NULL && s[0] != '\0';
}

int
scheduling_validate (const struct oci_process *p, const struct oci_linux *lx,
                     ocirt_error_t *err)
{
  struct ocirt_sched_attr attr;
  unsigned long persona;
  int ioprio;

  if (p && p->scheduler && sched_attr_from_config (p->scheduler, &attr, err) < 0)
    return -1;
  if (p && p->io_priority && ioprio_from_config (p->io_priority, &ioprio, err) < 0)
    return -1;
  if (lx && lx->personality && personality_from_config (lx->personality, &persona, err) < 0)
    return -1;
  if (lx && lx->memory_policy)
    {
      struct memory_policy mp;
      int r = memory_policy_from_config (lx->memory_policy, &mp, err);
      memory_policy_release (&mp);
      if (r < 0)
        return -1;
    }
  const struct
  {
    const char *list, *what;
  } affinity[] = {
    { p ? p->exec_cpu_affinity_initial : NULL, "process.execCPUAffinity.initial" },
    { p ? p->exec_cpu_affinity_final : NULL, "process.execCPUAffinity.final" },
  };
  for (size_t i = 0; i < N_ELEMENTS (affinity); i++)
    if (non_empty (affinity[i].list))
      {
        cpu_set_t *set;
        size_t size;
        if (cpu_list_parse (affinity[i].list, affinity[i].what, &set, &size, err) < 0)
          return -1;
        CPU_FREE (set);
      }
  return 0;
}

/* ---- syscalls --------------------------------------------------------------- */

static const char *
policy_hint (int errnum, const struct ocirt_sched_attr *a)
{
  if (errnum != EPERM)
    return "";
  if (a->sched_policy == SCHED_FIFO || a->sched_policy == SCHED_RR
      || a->sched_policy == OCIRT_SCHED_DEADLINE)
    return " (real-time policies need CAP_SYS_NICE in the initial user namespace, and on "
           "cgroup v1 a cpu.rt_runtime_us budget for the container's cgroup)";
  if (a->sched_nice < 0)
    return " (a negative nice value needs CAP_SYS_NICE or RLIMIT_NICE)";
  return "";
}

int
scheduling_apply (const struct oci_process *p, ocirt_error_t *err)
{
  if (p == NULL)
    return 0;
  if (p->scheduler)
    {
      struct ocirt_sched_attr attr;
      if (sched_attr_from_config (p->scheduler, &attr, err) < 0)
        return -1;
      if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
        {
          int e = errno;
          return make_error (err, e, "process.scheduler: sched_setattr %s%s", p->scheduler->policy,
                             policy_hint (e, &attr));
        }
    }
  if (p->io_priority)
    {
      int value;
      if (ioprio_from_config (p->io_priority, &value, err) < 0)
        return -1;
      if (syscall (SYS_ioprio_set, OCIRT_IOPRIO_WHO_PROCESS, 0, value) < 0)
        return make_error (err, errno, "process.ioPriority: ioprio_set");
    }
  return 0;
}

int
personality_apply (const struct oci_personality *pp, ocirt_error_t *err)
{
  unsigned long persona;

  if (pp == NULL)
    return 0;
  if (personality_from_config (pp, &persona, err) < 0)
    return -1;
  if (personality (persona) < 0)
    return make_error (err, errno, "linux.personality: personality %s", pp->domain);
  return 0;
}

int
memory_policy_apply (const struct oci_memory_policy *m, ocirt_error_t *err)
{
  struct memory_policy mp;
  unsigned long maxnode;
  int ret = 0;

  if (m == NULL)
    return 0;
  if (memory_policy_from_config (m, &mp, err) < 0)
    {
      memory_policy_release (&mp);
      return -1;
    }
  /* The kernel reads maxnode - 1 bits of the mask (get_nodes). */
  maxnode = mp.mask ? mp.mask_size * 8 + 1 : 0;
  if (syscall (SYS_set_mempolicy, mp.mode | mp.flags, mp.mask, maxnode) < 0)
    {
      int e = errno;
      const char *hint = e == EINVAL ? " (each node must exist, have memory and be in the "
                                       "container's cpuset.mems, and this kernel must know the "
                                       "mode and flags)"
                         : e == ENOSYS ? " (this kernel is built without NUMA support)"
                                       : "";
      ret = make_error (err, e, "linux.memoryPolicy: set_mempolicy %s%s%s%s%s", m->mode,
                        mp.mask ? " nodes \"" : "", mp.mask ? m->nodes : "", mp.mask ? "\"" : "",
                        hint);
    }
  memory_policy_release (&mp);
  return ret;
}

int
cpu_affinity_apply (const char *cpulist, ocirt_error_t *err)
{
  cpu_set_t *set;
  size_t size;
  int ret = 0;

  if (!non_empty (cpulist))
    return 0;
  if (cpu_list_parse (cpulist, "process.execCPUAffinity", &set, &size, err) < 0)
    return -1;
  if (sched_setaffinity (0, size, set) < 0)
    ret = make_error (err, errno, "process.execCPUAffinity: sched_setaffinity \"%s\"", cpulist);
  CPU_FREE (set);
  return ret;
}
