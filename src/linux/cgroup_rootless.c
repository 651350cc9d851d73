/* cgroup_rootless.c - what an unprivileged caller does about cgroups.
 *
 * Owns: the default cgroup path of a rootless container and runc's rule for
 * the limits of one that could not get a cgroup. It never creates, writes
 * or removes a cgroup: cgroup.c does, with the path chosen here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "cgroup.h"
#include "cgroup_internal.h"

/* runc's order of subsystems, so that the first one named matches its. */
const char *
cgroup_first_limit (const struct oci_resources *r)
{
  if (r == NULL)
    return NULL;
  const struct oci_cpu *c = r->cpu;
  const struct oci_memory *m = r->memory;
  if (c && ((c->cpus && *c->cpus) || (c->mems && *c->mems)))
    return "cpuset";
  if (m && ((m->has_limit && m->limit) || (m->has_reservation && m->reservation) || (m->has_swap && m->swap)
            || (m->has_swappiness && m->swappiness != (uint64_t) -1)
            || (m->has_disable_oom_killer && m->disable_oom_killer)))
    return "memory";
  if (c && ((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period)
            || (c->has_burst && c->burst) || (c->has_realtime_runtime && c->realtime_runtime)
            || (c->has_realtime_period && c->realtime_period) || (c->has_idle && c->idle)))
    return "cpu";
  if (r->has_pids_limit && r->pids_limit)
    return "pids";
  const struct oci_blkio *b = r->block_io;
  if (b && ((b->has_weight && b->weight) || (b->has_leaf_weight && b->leaf_weight) || b->n_weight_device
            || b->n_throttle_read_bps || b->n_throttle_write_bps || b->n_throttle_read_iops
            || b->n_throttle_write_iops))
    return "blkio";
  if (r->n_hugepage_limits)
    return "hugetlb";
  if (r->has_class_id && r->class_id)
    return "net_cls";
  if (r->n_net_priorities)
    return "net_prio";
  if (r->n_rdma)
    return "rdma";
  if (r->n_unified)
    return "unified";
  return NULL;
}

/* As runc's fs2 driver: relative to the parent of the caller's own cgroup.
 * That cgroup most probably holds processes (the caller's shell), so no
 * controller could be enabled below it; its parent, in a systemd user
 * session, is the delegated user@<uid>.service/app.slice or similar. */
char *
cgroup_rootless_default_path (const char *id, ocirt_error_t *err)
{
  if (cgroup_detect_mode () != CGROUP_MODE_V2)
    return cgroup_resolve_path (NULL, id, err);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, &len, err) < 0)
    return NULL;
  char *own = strstr (text, "0::");
  if (own == NULL || (own != text && own[-1] != '\n'))
    {
      make_error (err, 0, "/proc/self/cgroup: no cgroup v2 entry");
      return NULL;
    }
  own += 3;
  own[strcspn (own, "\n")] = '\0';
  char *slash = strrchr (own, '/');
  if (slash)
    *slash = '\0';
  cleanup_free char *joined = NULL;
  if (asprintf (&joined, "%s/%s", own, id) < 0)
    {
      make_error (err, ENOMEM, "cgroup path");
      return NULL;
    }
  return cgroup_resolve_path (joined, id, err);
}
