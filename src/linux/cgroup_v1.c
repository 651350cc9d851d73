/* cgroup_v1.c - linux.resources on cgroup v1 (legacy and hybrid hosts).
 *
 * Owns: the translation of each linux.resources field into the v1 control
 * files of the hierarchy that carries its controller, the ordering rules the
 * kernel imposes between some of them, and the cpuset initialisation a new v1
 * cgroup needs before it accepts tasks.
 * Must never: create or remove cgroups (cgroup.c does), or write a resource
 * that the config does not set.
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"

/* The container's directory in the hierarchy carrying controller c. */
static int
ctrl_dir (const struct cgroup_layout *l, enum cgroup_controller c, const char *path,
          const char *field, char *dir, size_t size, ocirt_error_t *err)
{
  const struct cgroup_hierarchy *h = cgroup_layout_find (l, c);

  if (h == NULL)
    return make_error (err, 0, "%s: the %s cgroup controller is not mounted on this host", field,
                       cgroup_controller_name (c));
  return cgroup_dir (dir, size, h, path, err);
}

/* ------------------------------------------------------------------ */
/* cpuset                                                               */

static bool
is_blank (const char *s)
{
  return s[strspn (s, " \n")] == '\0';
}

int
cgroup_v1_cpuset_init (const struct cgroup_hierarchy *h, const char *path, ocirt_error_t *err)
{
  char dir[PATH_MAX], cpus[4096], mems[4096], own[4096];
  size_t mlen = strlen (h->mount);
  ssize_t r;

  /* Walk from the mount point down; a level is filled from its parent when
   * empty. Levels made by this call are known to be empty. */
  if (cgroup_dir (dir, sizeof dir, h, "", err) < 0)
    return -1;
  if ((r = cgroup_read_raw (dir, "cpuset.cpus", cpus, sizeof cpus)) < 0
      || (r = cgroup_read_raw (dir, "cpuset.mems", mems, sizeof mems)) < 0)
    return make_error (err, (int) -r, "initialise cpuset: read \"%s\"", dir);

  for (const char *p = path; *p;)
    {
      const char *next = strchrnul (p + 1, '/');
      size_t len = (size_t) (next - path);
      bool created = h->created_off >= 0 && len > (size_t) h->created_off;

      if (mlen + len >= sizeof dir)
        return make_error (err, ENAMETOOLONG, "cgroup path \"%s%s\"", h->mount, path);
      memcpy (dir + mlen, path, len);
      dir[mlen + len] = '\0';
      p = next;

      const char *files[2] = { "cpuset.cpus", "cpuset.mems" };
      char *parent[2] = { cpus, mems };
      for (int i = 0; i < 2; i++)
        {
          if (!created)
            {
              r = cgroup_read_raw (dir, files[i], own, sizeof own);
              if (r < 0)
                return make_error (err, (int) -r, "initialise cpuset: read \"%s/%s\"", dir,
                                   files[i]);
              if (!is_blank (own))
                {
                  strcpy (parent[i], own);
                  continue;
                }
            }
          r = cgroup_write_raw (dir, files[i], parent[i], strlen (parent[i]));
          if (r < 0)
            return make_error (err, (int) -r, "initialise cpuset: write \"%s/%s\"", dir,
                               files[i]);
        }
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* memory                                                               */

#define F_LIMIT "memory.limit_in_bytes"
#define F_MEMSW "memory.memsw.limit_in_bytes"

static int
v1_memory_limits (const char *dir, const struct oci_memory *m, ocirt_error_t *err)
{
  bool has_limit = m->has_limit, has_swap = m->has_swap;
  int64_t limit = m->limit, swap = m->swap;

  /* As in runc: an unlimited memory with no swap given lifts both. */
  if (has_limit && limit == -1 && !has_swap && cgroup_file_exists (dir, F_MEMSW))
    {
      has_swap = true;
      swap = -1;
    }

  if (has_limit && has_swap)
    {
      char cur[64];
      bool swap_first;
      ssize_t r;

      /* The kernel keeps memsw >= limit at every step: raise memsw first
       * when it grows above the current limit, else lower the limit first. */
      if ((r = cgroup_read_raw (dir, F_LIMIT, cur, sizeof cur)) < 0)
        return make_error (err, (int) -r, "linux.resources.memory.limit: read \"%s/" F_LIMIT "\"",
                           dir);
      swap_first = swap == -1 || strtoull (cur, NULL, 10) < (uint64_t) swap;
      if (swap_first
          && cgroup_write_field (dir, F_MEMSW, "linux.resources.memory.swap", err, "%" PRId64,
                                 swap) < 0)
        return -1;
      if (cgroup_write_field (dir, F_LIMIT, "linux.resources.memory.limit", err, "%" PRId64,
                              limit) < 0)
        return -1;
      if (!swap_first
          && cgroup_write_field (dir, F_MEMSW, "linux.resources.memory.swap", err, "%" PRId64,
                                 swap) < 0)
        return -1;
      return 0;
    }
  if (has_limit)
    return cgroup_write_field (dir, F_LIMIT, "linux.resources.memory.limit", err, "%" PRId64,
                               limit);
  if (has_swap)
    return cgroup_write_field (dir, F_MEMSW, "linux.resources.memory.swap", err, "%" PRId64, swap);
  return 0;
}

static int
v1_memory (const struct cgroup_layout *l, const char *path, const struct oci_memory *given,
           ocirt_error_t *err)
{
  struct oci_memory set = cgroup_memory_without_zeros (given);
  const struct oci_memory *m = &set;
  char dir[PATH_MAX];

  if (ctrl_dir (l, CGC_MEMORY, path, "linux.resources.memory", dir, sizeof dir, err) < 0)
    return -1;
  if (v1_memory_limits (dir, m, err) < 0)
    return -1;
  if (m->has_reservation
      && cgroup_write_field (dir, "memory.soft_limit_in_bytes", "linux.resources.memory.reservation",
                             err, "%" PRId64, m->reservation) < 0)
    return -1;
  /* kernel and kernelTCP are ignored (see cgroup_kmem_ignored). */
  if (m->has_swappiness
      && cgroup_write_field (dir, "memory.swappiness", "linux.resources.memory.swappiness", err,
                             "%" PRIu64, m->swappiness) < 0)
    return -1;
  if (m->has_disable_oom_killer
      && cgroup_write_field (dir, "memory.oom_control", "linux.resources.memory.disableOOMKiller",
                             err, "%d", m->disable_oom_killer ? 1 : 0) < 0)
    return -1;
  /* Since Linux 5.16 use_hierarchy is always 1 and refuses 0. */
  if (m->has_use_hierarchy
      && cgroup_write_field (dir, "memory.use_hierarchy", "linux.resources.memory.useHierarchy",
                             err, "%d", m->use_hierarchy ? 1 : 0) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* cpu, cpuset, pids                                                    */

static int
v1_cpu (const struct cgroup_layout *l, const char *path, const struct oci_cpu *c,
        ocirt_error_t *err)
{
  char dir[PATH_MAX];
  bool period_later = false;

  if (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtime_runtime
      || c->has_realtime_period || c->has_idle)
    {
      if (ctrl_dir (l, CGC_CPU, path, "linux.resources.cpu", dir, sizeof dir, err) < 0)
        return -1;
      if (c->has_shares && c->shares != 0
          && cgroup_write_field (dir, "cpu.shares", "linux.resources.cpu.shares", err,
                                 "%" PRIu64, c->shares) < 0)
        return -1;
      /* A smaller period can be refused (EINVAL) while the old quota/new
       * period exceeds the parent's; runc retries it after the quota. */
      if (c->has_period && c->period != 0
          && cgroup_write_field (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", err,
                                 "%" PRIu64, c->period) < 0)
        {
          if (!(c->has_quota && c->quota != 0 && (*err)->errno_value == EINVAL))
            return -1;
          error_release (err);
          period_later = true;
        }
      if (c->has_quota && c->quota != 0
          && cgroup_write_field (dir, "cpu.cfs_quota_us", "linux.resources.cpu.quota", err,
                                 "%" PRId64, c->quota > 0 ? c->quota : -1) < 0)
        return -1;
      if (period_later
          && cgroup_write_field (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", err,
                                 "%" PRIu64, c->period) < 0)
        return -1;
      if (c->has_burst
          && cgroup_write_field (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err,
                                 "%" PRIu64, c->burst) < 0)
        return -1;
      if (c->has_realtime_period && c->realtime_period != 0
          && cgroup_write_field (dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod",
                                 err, "%" PRIu64, c->realtime_period) < 0)
        return -1;
      if (c->has_realtime_runtime && c->realtime_runtime != 0
          && cgroup_write_field (dir, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime",
                                 err, "%" PRId64, c->realtime_runtime) < 0)
        return -1;
      if (c->has_idle
          && cgroup_write_field (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64,
                                 c->idle) < 0)
        return -1;
    }

  if ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]))
    {
      if (ctrl_dir (l, CGC_CPUSET, path, "linux.resources.cpu.cpus", dir, sizeof dir, err) < 0)
        return -1;
      if (c->cpus && c->cpus[0]
          && cgroup_write_field (dir, "cpuset.cpus", "linux.resources.cpu.cpus", err, "%s",
                                 c->cpus) < 0)
        return -1;
      if (c->mems && c->mems[0]
          && cgroup_write_field (dir, "cpuset.mems", "linux.resources.cpu.mems", err, "%s",
                                 c->mems) < 0)
        return -1;
    }
  return 0;
}

static int
v1_pids (const struct cgroup_layout *l, const char *path, int64_t limit, ocirt_error_t *err)
{
  char dir[PATH_MAX];

  if (ctrl_dir (l, CGC_PIDS, path, "linux.resources.pids", dir, sizeof dir, err) < 0)
    return -1;
  if (limit > 0)
    return cgroup_write_field (dir, "pids.max", "linux.resources.pids.limit", err, "%" PRId64,
                               limit);
  return cgroup_write_field (dir, "pids.max", "linux.resources.pids.limit", err, "max");
}

/* ------------------------------------------------------------------ */
/* blkio                                                                */

/* blkio.weight belongs to CFQ (removed in Linux 5.0); BFQ offers the same
 * knob as blkio.bfq.weight, which runc falls back to as well. */
static const char *
weight_file (const char *dir, bool device)
{
  if (cgroup_file_exists (dir, device ? "blkio.weight_device" : "blkio.weight"))
    return device ? "blkio.weight_device" : "blkio.weight";
  if (cgroup_file_exists (dir, device ? "blkio.bfq.weight_device" : "blkio.bfq.weight"))
    return device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";
  return NULL;
}

static int
v1_throttle (const char *dir, const char *file, const char *field,
             const struct oci_blkio_throttle *t, size_t n, ocirt_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (cgroup_write_field (dir, file, field, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
                            t[i].minor, t[i].rate) < 0)
      return -1;
  return 0;
}

static int
v1_blkio (const struct cgroup_layout *l, const char *path, const struct oci_blkio *b,
          ocirt_error_t *err)
{
  char dir[PATH_MAX];
  const char *f;

  if (ctrl_dir (l, CGC_BLKIO, path, "linux.resources.blockIO", dir, sizeof dir, err) < 0)
    return -1;
  /* A weight of 0 is unset, as in runc: Docker 20.10 sends "weight": 0 with
   * every container, also where no weight file exists. */
  if (b->has_weight && b->weight != 0)
    {
      if ((f = weight_file (dir, false)) == NULL)
        return make_error (err, 0,
                           "linux.resources.blockIO.weight: not supported by this kernel: neither "
                           "blkio.weight nor blkio.bfq.weight exists in \"%s\" (needs the BFQ I/O "
                           "scheduler)",
                           dir);
      if (cgroup_write_field (dir, f, "linux.resources.blockIO.weight", err, "%u",
                              (unsigned) b->weight) < 0)
        return -1;
    }
  if (b->has_leaf_weight && b->leaf_weight != 0
      && cgroup_write_field (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err,
                             "%u", (unsigned) b->leaf_weight) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const struct oci_blkio_weight_device *w = &b->weight_device[i];

      if (w->has_weight && w->weight != 0)
        {
          if ((f = weight_file (dir, true)) == NULL)
            return make_error (err, 0,
                               "linux.resources.blockIO.weightDevice: not supported by this "
                               "kernel: neither blkio.weight_device nor blkio.bfq.weight_device "
                               "exists in \"%s\" (needs the BFQ I/O scheduler)",
                               dir);
          if (cgroup_write_field (dir, f, "linux.resources.blockIO.weightDevice", err,
                                  "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                                  (unsigned) w->weight) < 0)
            return -1;
        }
      if (w->has_leaf_weight && w->leaf_weight != 0
          && cgroup_write_field (dir, "blkio.leaf_weight_device",
                                 "linux.resources.blockIO.weightDevice.leafWeight", err,
                                 "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                                 (unsigned) w->leaf_weight) < 0)
        return -1;
    }
  if (v1_throttle (dir, "blkio.throttle.read_bps_device",
                   "linux.resources.blockIO.throttleReadBpsDevice", b->throttle_read_bps,
                   b->n_throttle_read_bps, err) < 0
      || v1_throttle (dir, "blkio.throttle.write_bps_device",
                      "linux.resources.blockIO.throttleWriteBpsDevice", b->throttle_write_bps,
                      b->n_throttle_write_bps, err) < 0
      || v1_throttle (dir, "blkio.throttle.read_iops_device",
                      "linux.resources.blockIO.throttleReadIOPSDevice", b->throttle_read_iops,
                      b->n_throttle_read_iops, err) < 0
      || v1_throttle (dir, "blkio.throttle.write_iops_device",
                      "linux.resources.blockIO.throttleWriteIOPSDevice", b->throttle_write_iops,
                      b->n_throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* hugetlb                                                              */

static bool
unified_offers (const char *mount, const char *controller)
{
  char buf[1024];
  size_t n = strlen (controller);

  if (cgroup_read_raw (mount, "cgroup.controllers", buf, sizeof buf) < 0)
    return false;
  for (char *s = buf; (s = strstr (s, controller)) != NULL; s += n)
    if ((s == buf || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\n' || s[n] == '\0'))
      return true;
  return false;
}

static int
v1_hugetlb (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
            ocirt_error_t *err)
{
  const struct cgroup_hierarchy *h = cgroup_layout_find (l, CGC_HUGETLB);
  const struct cgroup_hierarchy *u = cgroup_layout_unified (l);
  char dir[PATH_MAX], file[128];

  if (h == NULL)
    {
      /* Hybrid hosts may bind hugetlb to the cgroup2 mount only. */
      if (u == NULL || !unified_offers (u->mount, "hugetlb"))
        return make_error (err, 0, "linux.resources.hugepageLimits: the hugetlb cgroup controller "
                                   "is not mounted on this host");
      if (cgroup_dir (dir, sizeof dir, u, path, err) < 0
          || cgroup_v2_enable_controllers (u->mount, path, "hugetlb", err) < 0)
        return -1;
      return cgroup_v2_hugetlb (dir, res->hugepage_limits, res->n_hugepage_limits, err);
    }

  if (cgroup_dir (dir, sizeof dir, h, path, err) < 0)
    return -1;
  for (size_t i = 0; i < res->n_hugepage_limits; i++)
    {
      const struct oci_hugepage_limit *hp = &res->hugepage_limits[i];

      if (hp->page_size == NULL || cgroup_hugepage_size (hp->page_size) == 0)
        return make_error (err, 0, "linux.resources.hugepageLimits[%zu].pageSize: invalid \"%s\"",
                           i, hp->page_size ? hp->page_size : "");
      /* Reservation accounting where the kernel has it (config-linux.md). */
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.limit_in_bytes", hp->page_size);
      if (cgroup_file_exists (dir, file)
          && cgroup_write_field (dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64,
                                 hp->limit) < 0)
        return -1;
      snprintf (file, sizeof file, "hugetlb.%s.limit_in_bytes", hp->page_size);
      if (cgroup_write_field (dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64,
                              hp->limit) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* devices                                                              */

void
cgroup_device_access (const char *access, char out[4])
{
  size_t n = 0;

  if (access == NULL)
    access = "rwm";
  for (const char *l = "rwm"; *l; l++)
    if (strchr (access, *l))
      out[n++] = *l;
  out[n] = '\0';
}

bool
cgroup_device_rule_resets (const struct oci_device_cgroup *d)
{
  const char *type = d->type && d->type[0] ? d->type : "a";
  char access[4];

  cgroup_device_access (d->access, access);
  return strcmp (type, "a") == 0 && (!d->has_major || d->major < 0) && (!d->has_minor || d->minor < 0)
         && strcmp (access, "rwm") == 0;
}

int
cgroup_device_rule_format (const struct oci_device_cgroup *d, char *buf, size_t size,
                           ocirt_error_t *err)
{
  const char *type = d->type && d->type[0] ? d->type : "a";
  bool any_major = !d->has_major || d->major < 0, any_minor = !d->has_minor || d->minor < 0;
  char maj[24] = "*", min[24] = "*", access[4];
  int r;

  if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
    return make_error (err, 0, "invalid cgroup device type \"%s\"", type);
  cgroup_device_access (d->access, access);
  if (!any_major)
    snprintf (maj, sizeof maj, "%" PRId64, d->major);
  if (!any_minor)
    snprintf (min, sizeof min, "%" PRId64, d->minor);

  /* The kernel reads "a" as "every device, every access" whatever follows,
   * so "a" is used only for that; a narrower "a" rule becomes a c and a b
   * rule. A rule without access changes nothing (the kernel would refuse
   * the line). */
  if (access[0] == '\0')
    r = snprintf (buf, size, "%s", "");
  else if (cgroup_device_rule_resets (d))
    r = snprintf (buf, size, "a");
  else if (type[0] == 'a')
    r = snprintf (buf, size, "c %s:%s %s\nb %s:%s %s", maj, min, access, maj, min, access);
  else
    r = snprintf (buf, size, "%s %s:%s %s", type, maj, min, access);
  if (r < 0 || (size_t) r >= size)
    return make_error (err, 0, "rule too long");
  return 0;
}

static int
write_rule_lines (const char *dir, bool allow, char *lines, const char *field, ocirt_error_t *err)
{
  const char *file = allow ? "devices.allow" : "devices.deny";
  char *save = NULL;

  for (char *line = strtok_r (lines, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (cgroup_write_field (dir, file, field, err, "%s", line) < 0)
      return -1;
  return 0;
}

static int
v1_devices (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
            ocirt_error_t *err)
{
  char dir[PATH_MAX], lines[128], field[64];

  if (ctrl_dir (l, CGC_DEVICES, path, "linux.resources.devices", dir, sizeof dir, err) < 0)
    return -1;
  /* The kernel applies each write at once, so the order is the config's. */
  for (size_t i = 0; i < res->n_devices; i++)
    {
      snprintf (field, sizeof field, "linux.resources.devices[%zu]", i);
      if (cgroup_device_rule_format (&res->devices[i], lines, sizeof lines, err) < 0)
        return wrap_error (err, "%s", field);
      if (write_rule_lines (dir, res->devices[i].allow, lines, field, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < cgroup_n_std_devices; i++)
    {
      const struct cgroup_std_device *s = &cgroup_std_devices[i];
      char maj[24] = "*", min[24] = "*";

      if (s->major >= 0)
        snprintf (maj, sizeof maj, "%" PRId64, s->major);
      if (s->minor >= 0)
        snprintf (min, sizeof min, "%" PRId64, s->minor);
      if (cgroup_write_field (dir, "devices.allow", "default device rules", err, "%c %s:%s %s",
                              s->type, maj, min, s->access) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* network, rdma                                                        */

static int
v1_network (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
            ocirt_error_t *err)
{
  char dir[PATH_MAX];

  if (res->has_class_id)
    {
      if (ctrl_dir (l, CGC_NET_CLS, path, "linux.resources.network.classID", dir, sizeof dir, err)
          < 0)
        return -1;
      if (cgroup_write_field (dir, "net_cls.classid", "linux.resources.network.classID", err,
                              "%" PRIu32, res->class_id) < 0)
        return -1;
    }
  if (res->n_net_priorities == 0)
    return 0;
  if (ctrl_dir (l, CGC_NET_PRIO, path, "linux.resources.network.priorities", dir, sizeof dir, err)
      < 0)
    return -1;
  for (size_t i = 0; i < res->n_net_priorities; i++)
    if (cgroup_write_field (dir, "net_prio.ifpriomap", "linux.resources.network.priorities", err,
                            "%s %" PRIu32, res->net_priorities[i].name,
                            res->net_priorities[i].priority) < 0)
      return -1;
  return 0;
}

static int
v1_rdma (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
         ocirt_error_t *err)
{
  char dir[PATH_MAX];

  if (ctrl_dir (l, CGC_RDMA, path, "linux.resources.rdma", dir, sizeof dir, err) < 0)
    return -1;
  return cgroup_write_rdma (dir, res->rdma, res->n_rdma, err);
}

int
cgroup_v1_apply (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
                 ocirt_error_t *err)
{
  if (res->n_unified)
    return make_error (err, 0, "linux.resources.unified: invalid configuration: cannot use "
                               "unified on cgroup v1 (it needs cgroup v2)");
  if (res->memory && v1_memory (l, path, res->memory, err) < 0)
    return -1;
  if (res->cpu && v1_cpu (l, path, res->cpu, err) < 0)
    return -1;
  if (res->has_pids_limit && v1_pids (l, path, res->pids_limit, err) < 0)
    return -1;
  if (res->block_io && v1_blkio (l, path, res->block_io, err) < 0)
    return -1;
  if (res->n_hugepage_limits && v1_hugetlb (l, path, res, err) < 0)
    return -1;
  if (res->n_devices && v1_devices (l, path, res, err) < 0)
    return -1;
  if ((res->has_class_id || res->n_net_priorities) && v1_network (l, path, res, err) < 0)
    return -1;
  if (res->n_rdma && v1_rdma (l, path, res, err) < 0)
    return -1;
  return 0;
}
