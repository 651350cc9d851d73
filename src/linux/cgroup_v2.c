/* cgroup_v2.c - linux.resources on the unified hierarchy (cgroup v2), after
 * Documentation/admin-guide/cgroup-v2.rst.
 *
 * Owns: enabling controllers in cgroup.subtree_control of the ancestors, the
 * conversion of v1-shaped OCI values into v2 files (shares to cpu.weight,
 * memory+swap to memory.swap.max, blkio weight to io.weight) and the verbatim
 * writes of linux.resources.unified.
 * Must never: create or remove cgroups (cgroup.c does), or silently accept a
 * resource it cannot apply; the documented exception is disableOOMKiller
 * (ignored, as crun and runc do: v2 has no per-cgroup OOM-killer switch).
 * Device rules become a BPF program (cgroup_bpf.c).
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"

/* ------------------------------------------------------------------ */
/* pure conversions                                                     */

/* The linear mapping of runc (libcontainer/cgroups/utils.go,
 * ConvertCPUSharesToCgroupV2Value) and crun before 1.23 (docs "CPU
 * controller"): [2, 262144] onto [1, 10000]. It maps the v1 default of 1024
 * to 39, not 100; crun 1.23 and runc 1.3.1 moved to a quadratic curve that
 * maps 1024 to 100. The linear one is kept because it is the one documented
 * in both projects and what managers on this Debian (runc 1.1) expect. */
uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* runc's ConvertBlkIOToIOWeightValue: [10, 1000] onto [1, 10000]. */
uint64_t
cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

/* runc's ConvertMemorySwapToCgroupV2Value. */
int
cgroup_v2_swap_value (const struct oci_memory *m, bool *set, int64_t *value, ocirt_error_t *err)
{
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;

  *set = false;
  if (limit == -1 && swap == 0)
    {
      /* Unlimited memory and no swap given: both unlimited, as on v1. */
      *set = true;
      *value = -1;
      return 0;
    }
  if (swap == 0)
    return 0;
  *set = true;
  if (swap == -1)
    {
      *value = -1;
      return 0;
    }
  if (swap < 0)
    return make_error (err, 0, "linux.resources.memory.swap: invalid value %" PRId64, swap);
  if (limit == 0)
    return make_error (err, 0, "linux.resources.memory.swap: needs memory.limit on cgroup v2 "
                               "(swap is memory+swap)");
  if (limit < 0)
    return make_error (err, 0, "linux.resources.memory.limit: invalid value %" PRId64, limit);
  if (swap < limit)
    return make_error (err, 0,
                       "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64
                       " (swap is memory+swap)",
                       swap, limit);
  *value = swap - limit;
  return 0;
}

bool
cgroup_unified_key_valid (const char *key)
{
  if (key == NULL || key[0] == '\0' || key[0] == '.' || strchr (key, '/'))
    return false;
  for (const char *s = key; *s; s++)
    if ((unsigned char) *s <= 0x20 || *s == 0x7f)
      return false;
  return true;
}

/* ------------------------------------------------------------------ */
/* controllers                                                          */

static bool
word_in (const char *list, const char *word)
{
  size_t n = strlen (word);

  for (const char *s = list; (s = strstr (s, word)) != NULL; s += n)
    if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\n' || s[n] == '\0'))
      return true;
  return false;
}

/* Enable in dir/cgroup.subtree_control what dir offers (or just `only`). */
static int
enable_in (const char *dir, const char *only, ocirt_error_t *err)
{
  char avail[1024], req[1200], *save = NULL;
  size_t o = 0;
  ssize_t r = cgroup_read_raw (dir, "cgroup.controllers", avail, sizeof avail);

  if (r < 0)
    return make_error (err, (int) -r, "enable cgroup controllers: read \"%s/cgroup.controllers\"",
                       dir);
  if (only && !word_in (avail, only))
    return make_error (err, 0, "the %s cgroup controller is not available in \"%s\"", only, dir);
  for (char *w = strtok_r (avail, " \n", &save); w; w = strtok_r (NULL, " \n", &save))
    if (only == NULL || strcmp (w, only) == 0)
      o += (size_t) snprintf (req + o, sizeof req - o, "%s+%s", o ? " " : "", w);
  if (o == 0 || o >= sizeof req)
    return 0;
  if (cgroup_write_raw (dir, "cgroup.subtree_control", req, o) == 0)
    return 0;

  /* One controller that cannot be enabled (a threaded subtree, or a
   * parent with processes) fails the whole write; take them one by one. */
  for (char *w = strtok_r (req, " ", &save); w; w = strtok_r (NULL, " ", &save))
    if ((r = cgroup_write_raw (dir, "cgroup.subtree_control", w, strlen (w))) < 0 && only)
      return make_error (err, (int) -r, "enable the %s cgroup controller: write \"%s\" to "
                                        "\"%s/cgroup.subtree_control\"", only, w, dir);
  return 0;
}

int
cgroup_v2_enable_controllers (const char *mount, const char *path, const char *only,
                              ocirt_error_t *err)
{
  char dir[PATH_MAX];
  size_t mlen = strlen (mount);
  const char *last = strrchr (path, '/');

  if (mlen + strlen (path) >= sizeof dir)
    return make_error (err, ENAMETOOLONG, "cgroup path \"%s%s\"", mount, path);
  memcpy (dir, mount, mlen + 1);
  /* The mount point, then each ancestor; never the container's own
   * directory (it holds the processes, so it may not have children
   * controllers - the "no internal processes" rule). */
  for (const char *p = path;;)
    {
      if (enable_in (dir, only, err) < 0)
        return -1;
      if (p == last)
        return 0;
      const char *next = strchr (p + 1, '/');
      memcpy (dir + mlen, path, (size_t) (next - path));
      dir[mlen + (size_t) (next - path)] = '\0';
      p = next;
    }
}

/* ------------------------------------------------------------------ */
/* resources                                                            */

static int
write_num_or_max (const char *dir, const char *file, const char *field, int64_t v,
                  ocirt_error_t *err)
{
  if (v < 0)
    return cgroup_write_field (dir, file, field, err, "max");
  return cgroup_write_field (dir, file, field, err, "%" PRId64, v);
}

static int
v2_memory (const char *dir, const struct oci_memory *given, ocirt_error_t *err)
{
  struct oci_memory set = cgroup_memory_without_zeros (given);
  const struct oci_memory *m = &set;
  bool swap_set;
  int64_t swap;

  if (m->has_swappiness)
    return make_error (err, 0, "linux.resources.memory.swappiness: not supported on cgroup v2");
  /* kernel and kernelTCP are ignored (see cgroup_kmem_ignored). */
  if (m->has_use_hierarchy && !m->use_hierarchy)
    return make_error (err, 0, "linux.resources.memory.useHierarchy: cgroup v2 is always "
                               "hierarchical");
  if (cgroup_v2_swap_value (m, &swap_set, &swap, err) < 0)
    return -1;

  if (m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0)
    {
      char cur[64];

      if (cgroup_read_raw (dir, "memory.current", cur, sizeof cur) > 0
          && strtoull (cur, NULL, 10) > (uint64_t) m->limit)
        return make_error (err, 0,
                           "linux.resources.memory.limit: %" PRId64
                           " is below the current usage %" PRIu64 " (checkBeforeUpdate)",
                           m->limit, (uint64_t) strtoull (cur, NULL, 10));
    }
  /* Unlimited swap needs no file: a kernel without swap accounting has
   * nothing to limit. */
  if (swap_set && !(swap == -1 && !cgroup_file_exists (dir, "memory.swap.max"))
      && write_num_or_max (dir, "memory.swap.max", "linux.resources.memory.swap", swap, err) < 0)
    return -1;
  if (m->has_limit
      && write_num_or_max (dir, "memory.max", "linux.resources.memory.limit", m->limit, err) < 0)
    return -1;
  if (m->has_reservation
      && write_num_or_max (dir, "memory.low", "linux.resources.memory.reservation",
                           m->reservation, err) < 0)
    return -1;
  return 0;
}

static int
v2_cpu (const char *dir, const struct oci_cpu *c, ocirt_error_t *err)
{
  if ((c->has_realtime_runtime && c->realtime_runtime != 0)
      || (c->has_realtime_period && c->realtime_period != 0))
    return make_error (err, 0, "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported "
                               "on cgroup v2");
  if (c->has_shares && c->shares != 0
      && cgroup_write_field (dir, "cpu.weight", "linux.resources.cpu.shares", err, "%" PRIu64,
                             cgroup_shares_to_weight (c->shares)) < 0)
    return -1;
  if ((c->has_quota && c->quota != 0) || (c->has_period && c->period != 0))
    {
      char quota[24] = "max", period[24] = "";

      if (c->has_quota && c->quota > 0)
        snprintf (quota, sizeof quota, "%" PRId64, c->quota);
      /* Without a period the kernel keeps the current one. */
      if (c->has_period && c->period != 0)
        snprintf (period, sizeof period, " %" PRIu64, c->period);
      if (cgroup_write_field (dir, "cpu.max", "linux.resources.cpu.quota", err, "%s%s", quota,
                              period) < 0)
        return -1;
    }
  if (c->has_burst
      && cgroup_write_field (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "%" PRIu64,
                             c->burst) < 0)
    return -1;
  if (c->has_idle
      && cgroup_write_field (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle)
           < 0)
    return -1;
  if (c->cpus && c->cpus[0]
      && cgroup_write_field (dir, "cpuset.cpus", "linux.resources.cpu.cpus", err, "%s", c->cpus) < 0)
    return -1;
  if (c->mems && c->mems[0]
      && cgroup_write_field (dir, "cpuset.mems", "linux.resources.cpu.mems", err, "%s", c->mems) < 0)
    return -1;
  return 0;
}

static int
v2_io_max (const char *dir, const char *key, const char *field,
           const struct oci_blkio_throttle *t, size_t n, ocirt_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (cgroup_write_field (dir, "io.max", field, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                            t[i].major, t[i].minor, key, t[i].rate) < 0)
      return -1;
  return 0;
}

static int
v2_io (const char *dir, const struct oci_blkio *b, ocirt_error_t *err)
{
  /* BFQ takes the v1 range unconverted; the io controller's own weight
   * (io.cost) takes [1, 10000]. runc prefers BFQ the same way. */
  bool bfq = cgroup_file_exists (dir, "io.bfq.weight");
  const char *wfile = bfq ? "io.bfq.weight" : "io.weight";

  /* A weight of 0 is unset, as in runc (see v1_blkio). */
  if (b->has_leaf_weight && b->leaf_weight != 0)
    return make_error (err, 0, "linux.resources.blockIO.leafWeight: not supported on cgroup v2");
  if (b->has_weight && b->weight != 0
      && cgroup_write_field (dir, wfile, "linux.resources.blockIO.weight", err, "default %" PRIu64,
                             bfq ? (uint64_t) b->weight : cgroup_blkio_to_io_weight (b->weight))
           < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const struct oci_blkio_weight_device *w = &b->weight_device[i];

      if (w->has_leaf_weight && w->leaf_weight != 0)
        return make_error (err, 0, "linux.resources.blockIO.weightDevice.leafWeight: not "
                                   "supported on cgroup v2");
      if (w->has_weight && w->weight != 0
          && cgroup_write_field (dir, wfile, "linux.resources.blockIO.weightDevice", err,
                                 "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                                 bfq ? (uint64_t) w->weight : cgroup_blkio_to_io_weight (w->weight))
               < 0)
        return -1;
    }
  if (v2_io_max (dir, "rbps", "linux.resources.blockIO.throttleReadBpsDevice",
                 b->throttle_read_bps, b->n_throttle_read_bps, err) < 0
      || v2_io_max (dir, "wbps", "linux.resources.blockIO.throttleWriteBpsDevice",
                    b->throttle_write_bps, b->n_throttle_write_bps, err) < 0
      || v2_io_max (dir, "riops", "linux.resources.blockIO.throttleReadIOPSDevice",
                    b->throttle_read_iops, b->n_throttle_read_iops, err) < 0
      || v2_io_max (dir, "wiops", "linux.resources.blockIO.throttleWriteIOPSDevice",
                    b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

int
cgroup_v2_hugetlb (const char *dir, const struct oci_hugepage_limit *hp, size_t n,
                   ocirt_error_t *err)
{
  char file[128];

  for (size_t i = 0; i < n; i++)
    {
      if (hp[i].page_size == NULL || cgroup_hugepage_size (hp[i].page_size) == 0)
        return make_error (err, 0, "linux.resources.hugepageLimits[%zu].pageSize: invalid \"%s\"",
                           i, hp[i].page_size ? hp[i].page_size : "");
      /* Reservation accounting where the kernel has it (config-linux.md). */
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.max", hp[i].page_size);
      if (cgroup_file_exists (dir, file)
          && cgroup_write_field (dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64,
                                 hp[i].limit) < 0)
        return -1;
      snprintf (file, sizeof file, "hugetlb.%s.max", hp[i].page_size);
      if (cgroup_write_field (dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64,
                              hp[i].limit) < 0)
        return -1;
    }
  return 0;
}

/* Verbatim writes, last, so that they override the converted values. */
static int
v2_unified (const char *dir, const struct oci_resources *res, ocirt_error_t *err)
{
  for (size_t i = 0; i < res->n_unified; i++)
    {
      const char *key = res->unified[i].key, *value = res->unified[i].value ? res->unified[i].value : "";
      int r;

      if (!cgroup_unified_key_valid (key))
        return make_error (err, 0, "linux.resources.unified: invalid key \"%s\" (a file name "
                                   "in the cgroup directory)", key ? key : "");
      r = cgroup_write_raw (dir, key, value, strlen (value));
      if (r == -ENOENT)
        return make_error (err, 0,
                           "linux.resources.unified[\"%s\"]: \"%s/%s\" does not exist (is the "
                           "%.*s controller available and enabled?)",
                           key, dir, key, (int) strcspn (key, "."), key);
      if (r < 0)
        return make_error (err, -r, "linux.resources.unified[\"%s\"]: write \"%.64s\" to \"%s/%s\"",
                           key, value, dir, key);
    }
  return 0;
}

int
cgroup_v2_apply (const char *mount, const char *path, const struct oci_resources *res,
                 ocirt_error_t *err)
{
  char dir[PATH_MAX];

  if (snprintf (dir, sizeof dir, "%s%s", mount, path) >= (int) sizeof dir)
    return make_error (err, ENAMETOOLONG, "cgroup path \"%s%s\"", mount, path);

  if (res->has_class_id || res->n_net_priorities)
    return make_error (err, 0, "linux.resources.network: net_cls and net_prio do not exist on "
                               "cgroup v2");
  if (res->memory && v2_memory (dir, res->memory, err) < 0)
    return -1;
  if (res->cpu && v2_cpu (dir, res->cpu, err) < 0)
    return -1;
  if (res->has_pids_limit
      && write_num_or_max (dir, "pids.max", "linux.resources.pids.limit",
                           res->pids_limit > 0 ? res->pids_limit : -1, err) < 0)
    return -1;
  if (res->block_io && v2_io (dir, res->block_io, err) < 0)
    return -1;
  if (res->n_hugepage_limits
      && cgroup_v2_hugetlb (dir, res->hugepage_limits, res->n_hugepage_limits, err) < 0)
    return -1;
  if (res->n_rdma && cgroup_write_rdma (dir, res->rdma, res->n_rdma, err) < 0)
    return -1;
  if (res->n_devices
      && cgroup_bpf_devices_apply (dir, res->devices, res->n_devices, err) < 0)
    return -1;
  return v2_unified (dir, res, err);
}
