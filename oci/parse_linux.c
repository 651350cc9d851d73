/* parse_linux.c - the "linux" object of config.json (config-linux.md) into
 * struct oci_linux.
 *
 * Owns: the shape of every Linux-specific property, including those ocirt
 * does not enforce yet (validate.c refuses them), so that the model is
 * complete. Like parse.c it checks JSON types and ranges only.
 */
#include "config.h"
#include "parse_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../src/util/cleanup.h"

static void *
xcalloc (size_t size)
{
  void *p = calloc (1, size);
  if (p == NULL)
    abort ();
  return p;
}

/* ---- namespaces, devices, time ------------------------------------------ */

static int
parse_namespace (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_namespace *ns = elem;
  yajl_val type;
  int t;
  size_t mark;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "type") < 0
      || json_string (c, v, "path", &ns->path) < 0)
    return -1;
  type = json_get (v, "type");
  mark = json_push_key (c, "type");
  if (!YAJL_IS_STRING (type))
    return json_error (c, "expected a string");
  t = oci_namespace_from_name (type->u.string);
  if (t < 0)
    return json_error (c, "unknown namespace type \"%s\"", type->u.string);
  json_pop (c, mark);
  ns->type = (enum oci_namespace_type) t;
  return 0;
}

/* Device numbers as the kernel's dev_t holds them, 12 bits of major and
 * 20 of minor: a larger number would be cut into another device's. A
 * device cgroup rule may also say -1, any. */
#define DEV_MAJOR_MAX 4095
#define DEV_MINOR_MAX 1048575

static int
json_dev_number (struct json_ctx *c, yajl_val obj, const char *key, bool any_ok, int64_t *out, bool *has)
{
  bool present = false;
  int64_t max = strcmp (key, "major") == 0 ? DEV_MAJOR_MAX : DEV_MINOR_MAX;
  if (json_i64 (c, obj, key, out, &present) < 0)
    return -1;
  if (has)
    *has = present;
  if (!present || (*out >= 0 && *out <= max) || (any_ok && *out == -1))
    return 0;
  json_push_key (c, key);
  return json_error (c, "%lld is out of range (0 to %lld%s)", (long long) *out, (long long) max,
                     any_ok ? ", or -1 for any" : "");
}

/* The major and minor of a device node or rule. */
static int
json_dev (struct json_ctx *c, yajl_val obj, bool any_ok, int64_t *major, bool *has_major, int64_t *minor,
          bool *has_minor)
{
  if (json_dev_number (c, obj, "major", any_ok, major, has_major) < 0
      || json_dev_number (c, obj, "minor", any_ok, minor, has_minor) < 0)
    return -1;
  return 0;
}

static int
parse_device (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_device *d = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "type") < 0
      || json_require (c, v, "path") < 0
      || json_string (c, v, "type", &d->type) < 0
      || json_string (c, v, "path", &d->path) < 0
      || json_dev (c, v, false, &d->major, NULL, &d->minor, NULL) < 0
      || json_u32 (c, v, "fileMode", &d->file_mode, &d->has_file_mode) < 0
      || json_u32 (c, v, "uid", &d->uid, &d->has_uid) < 0
      || json_u32 (c, v, "gid", &d->gid, &d->has_gid) < 0)
    return -1;
  return 0;
}

static int
parse_time_offset (struct json_ctx *c, yajl_val v, struct oci_time_offset *t)
{
  if (v == NULL)
    return 0;
  if (json_i64 (c, v, "secs", &t->secs, NULL) < 0
      || json_u32 (c, v, "nanosecs", &t->nanosecs, NULL) < 0)
    return -1;
  t->set = true;
  return 0;
}

static int
parse_time_offsets (struct json_ctx *c, yajl_val v, struct oci_linux *l)
{
  if (v == NULL)
    return 0;
  /* Only these two clocks can be offset in a time namespace
   * (time_namespaces(7)); any other name cannot be honoured. */
  for (size_t i = 0; i < v->u.object.len; i++)
    {
      const char *k = v->u.object.keys[i];
      if (strcmp (k, "monotonic") != 0 && strcmp (k, "boottime") != 0)
        {
          json_push_key (c, k);
          return json_error (c, "unknown clock \"%s\"", k);
        }
    }
  if (WITH_KEY (c, v, "monotonic", parse_time_offset (c, sub_, &l->time_monotonic)) < 0
      || WITH_KEY (c, v, "boottime", parse_time_offset (c, sub_, &l->time_boottime)) < 0)
    return -1;
  return 0;
}

static int
parse_net_devices (struct json_ctx *c, yajl_val v, struct oci_linux *l)
{
  size_t len;

  if (v == NULL || v->u.object.len == 0)
    return 0;
  len = v->u.object.len;
  l->net_devices = calloc (len, sizeof *l->net_devices);
  if (l->net_devices == NULL)
    abort ();
  l->n_net_devices = len;
  for (size_t i = 0; i < len; i++)
    {
      struct oci_net_device *d = &l->net_devices[i];
      size_t mark = json_push_key (c, v->u.object.keys[i]);

      d->host_name = strdup (v->u.object.keys[i]);
      if (d->host_name == NULL)
        abort ();
      if (json_expect_object (c, v->u.object.values[i]) < 0
          || json_string (c, v->u.object.values[i], "name", &d->name) < 0)
        return -1;
      json_pop (c, mark);
    }
  return 0;
}

/* ---- resources ---------------------------------------------------------- */

static int
parse_device_cgroup (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_device_cgroup *d = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "allow") < 0
      || json_bool (c, v, "allow", &d->allow, NULL) < 0
      || json_string (c, v, "type", &d->type) < 0
      || json_dev (c, v, true, &d->major, &d->has_major, &d->minor, &d->has_minor) < 0
      || json_string (c, v, "access", &d->access) < 0)
    return -1;
  return 0;
}

static int
parse_memory (struct json_ctx *c, yajl_val v, struct oci_memory **out)
{
  struct oci_memory *m;

  if (v == NULL)
    return 0;
  m = *out = xcalloc (sizeof **out);
  if (json_i64 (c, v, "limit", &m->limit, &m->has_limit) < 0
      || json_i64 (c, v, "reservation", &m->reservation, &m->has_reservation) < 0
      || json_i64 (c, v, "swap", &m->swap, &m->has_swap) < 0
      || json_i64 (c, v, "kernel", &m->kernel, &m->has_kernel) < 0
      || json_i64 (c, v, "kernelTCP", &m->kernel_tcp, &m->has_kernel_tcp) < 0
      || json_u64 (c, v, "swappiness", &m->swappiness, &m->has_swappiness) < 0
      || json_bool (c, v, "disableOOMKiller", &m->disable_oom_killer,
                    &m->has_disable_oom_killer) < 0
      || json_bool (c, v, "useHierarchy", &m->use_hierarchy, &m->has_use_hierarchy) < 0
      || json_bool (c, v, "checkBeforeUpdate", &m->check_before_update,
                    &m->has_check_before_update) < 0)
    return -1;
  return 0;
}

static int
parse_cpu (struct json_ctx *c, yajl_val v, struct oci_cpu **out)
{
  struct oci_cpu *p;

  if (v == NULL)
    return 0;
  p = *out = xcalloc (sizeof **out);
  if (json_u64 (c, v, "shares", &p->shares, &p->has_shares) < 0
      || json_i64 (c, v, "quota", &p->quota, &p->has_quota) < 0
      || json_u64 (c, v, "burst", &p->burst, &p->has_burst) < 0
      || json_u64 (c, v, "period", &p->period, &p->has_period) < 0
      || json_i64 (c, v, "realtimeRuntime", &p->realtime_runtime, &p->has_realtime_runtime) < 0
      || json_u64 (c, v, "realtimePeriod", &p->realtime_period, &p->has_realtime_period) < 0
      || json_string (c, v, "cpus", &p->cpus) < 0
      || json_string (c, v, "mems", &p->mems) < 0
      || json_i64 (c, v, "idle", &p->idle, &p->has_idle) < 0)
    return -1;
  return 0;
}

static int
parse_weight_device (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_blkio_weight_device *w = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "major") < 0
      || json_require (c, v, "minor") < 0
      || json_dev (c, v, false, &w->major, NULL, &w->minor, NULL) < 0
      || json_u16 (c, v, "weight", &w->weight, &w->has_weight) < 0
      || json_u16 (c, v, "leafWeight", &w->leaf_weight, &w->has_leaf_weight) < 0)
    return -1;
  return 0;
}

static int
parse_throttle (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_blkio_throttle *t = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "major") < 0
      || json_require (c, v, "minor") < 0
      || json_dev (c, v, false, &t->major, NULL, &t->minor, NULL) < 0
      || json_u64 (c, v, "rate", &t->rate, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_blkio (struct json_ctx *c, yajl_val v, struct oci_blkio **out)
{
  struct oci_blkio *b;

  if (v == NULL)
    return 0;
  b = *out = xcalloc (sizeof **out);
  if (json_u16 (c, v, "weight", &b->weight, &b->has_weight) < 0
      || json_u16 (c, v, "leafWeight", &b->leaf_weight, &b->has_leaf_weight) < 0
      || json_array (c, v, "weightDevice", sizeof *b->weight_device, parse_weight_device,
                     (void **) &b->weight_device, &b->n_weight_device) < 0
      || json_array (c, v, "throttleReadBpsDevice", sizeof (struct oci_blkio_throttle),
                     parse_throttle, (void **) &b->throttle_read_bps,
                     &b->n_throttle_read_bps) < 0
      || json_array (c, v, "throttleWriteBpsDevice", sizeof (struct oci_blkio_throttle),
                     parse_throttle, (void **) &b->throttle_write_bps,
                     &b->n_throttle_write_bps) < 0
      || json_array (c, v, "throttleReadIOPSDevice", sizeof (struct oci_blkio_throttle),
                     parse_throttle, (void **) &b->throttle_read_iops,
                     &b->n_throttle_read_iops) < 0
      || json_array (c, v, "throttleWriteIOPSDevice", sizeof (struct oci_blkio_throttle),
                     parse_throttle, (void **) &b->throttle_write_iops,
                     &b->n_throttle_write_iops) < 0)
    return -1;
  return 0;
}

static int
parse_hugepage (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_hugepage_limit *h = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "pageSize") < 0
      || json_require (c, v, "limit") < 0
      || json_string (c, v, "pageSize", &h->page_size) < 0
      || json_u64 (c, v, "limit", &h->limit, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_net_priority (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_net_priority *p = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "name") < 0
      || json_require (c, v, "priority") < 0
      || json_string (c, v, "name", &p->name) < 0
      || json_u32 (c, v, "priority", &p->priority, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_network (struct json_ctx *c, yajl_val v, struct oci_resources *r)
{
  if (v == NULL)
    return 0;
  r->has_network = true;
  if (json_u32 (c, v, "classID", &r->class_id, &r->has_class_id) < 0
      || json_array (c, v, "priorities", sizeof *r->net_priorities, parse_net_priority,
                     (void **) &r->net_priorities, &r->n_net_priorities) < 0)
    return -1;
  return 0;
}

static int
parse_pids (struct json_ctx *c, yajl_val v, struct oci_resources *r)
{
  if (v == NULL)
    return 0;
  if (json_require (c, v, "limit") < 0
      || json_i64 (c, v, "limit", &r->pids_limit, &r->has_pids_limit) < 0)
    return -1;
  return 0;
}

static int
parse_rdma (struct json_ctx *c, yajl_val v, struct oci_resources *r)
{
  size_t len;

  if (v == NULL || v->u.object.len == 0)
    return 0;
  len = v->u.object.len;
  r->rdma = calloc (len, sizeof *r->rdma);
  if (r->rdma == NULL)
    abort ();
  r->n_rdma = len;
  for (size_t i = 0; i < len; i++)
    {
      struct oci_rdma *d = &r->rdma[i];
      yajl_val e = v->u.object.values[i];
      size_t mark = json_push_key (c, v->u.object.keys[i]);

      d->device = strdup (v->u.object.keys[i]);
      if (d->device == NULL)
        abort ();
      if (json_expect_object (c, e) < 0
          || json_u32 (c, e, "hcaHandles", &d->hca_handles, &d->has_hca_handles) < 0
          || json_u32 (c, e, "hcaObjects", &d->hca_objects, &d->has_hca_objects) < 0)
        return -1;
      json_pop (c, mark);
    }
  return 0;
}

static void resources_free (struct oci_resources *r);

static int
parse_resources (struct json_ctx *c, yajl_val v, struct oci_resources **out)
{
  struct oci_resources *r;

  if (v == NULL)
    return 0;
  r = *out = xcalloc (sizeof **out);
  if (json_array (c, v, "devices", sizeof *r->devices, parse_device_cgroup,
                  (void **) &r->devices, &r->n_devices) < 0
      || WITH_KEY (c, v, "memory", parse_memory (c, sub_, &r->memory)) < 0
      || WITH_KEY (c, v, "cpu", parse_cpu (c, sub_, &r->cpu)) < 0
      || WITH_KEY (c, v, "blockIO", parse_blkio (c, sub_, &r->block_io)) < 0
      || json_array (c, v, "hugepageLimits", sizeof *r->hugepage_limits, parse_hugepage,
                     (void **) &r->hugepage_limits, &r->n_hugepage_limits) < 0
      || WITH_KEY (c, v, "network", parse_network (c, sub_, r)) < 0
      || WITH_KEY (c, v, "pids", parse_pids (c, sub_, r)) < 0
      || WITH_KEY (c, v, "rdma", parse_rdma (c, sub_, r)) < 0
      || json_kv (c, v, "unified", &r->unified, &r->n_unified) < 0)
    return -1;
  return 0;
}

struct oci_resources *
oci_resources_parse (const char *json, size_t len, const char *file, ocirt_error_t *err)
{
  struct json_ctx c = { .file = file, .err = err };
  struct oci_resources *r = NULL;
  cleanup_free char *copy = NULL;
  char errbuf[512] = "";
  yajl_val top;

  if (memchr (json, '\0', len))
    {
      make_error (err, 0, "%s: invalid JSON: NUL byte", file);
      return NULL;
    }
  copy = strndup (json, len);
  if (copy == NULL)
    abort ();
  top = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (top == NULL)
    {
      errbuf[strcspn (errbuf, "\n")] = '\0';
      make_error (err, 0, "%s: invalid JSON: %s", file, errbuf[0] ? errbuf : "parse error");
      return NULL;
    }
  if (json_expect_object (&c, top) < 0 || parse_resources (&c, top, &r) < 0)
    {
      resources_free (r);
      r = NULL;
    }
  yajl_tree_free (top);
  free (c.path);
  return r;
}

void
oci_resources_free (struct oci_resources *r)
{
  resources_free (r);
}

/* ---- seccomp ------------------------------------------------------------ */

static int
parse_seccomp_arg (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_seccomp_arg *a = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "index") < 0
      || json_require (c, v, "value") < 0
      || json_require (c, v, "op") < 0
      || json_u32 (c, v, "index", &a->index, NULL) < 0
      || json_u64 (c, v, "value", &a->value, NULL) < 0
      || json_u64 (c, v, "valueTwo", &a->value_two, &a->has_value_two) < 0
      || json_string (c, v, "op", &a->op) < 0)
    return -1;
  return 0;
}

static int
parse_syscall (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_seccomp_syscall *s = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "names") < 0
      || json_require (c, v, "action") < 0
      || json_strv (c, v, "names", &s->names, &s->n_names) < 0
      || json_string (c, v, "action", &s->action) < 0
      || json_u32 (c, v, "errnoRet", &s->errno_ret, &s->has_errno_ret) < 0
      || json_array (c, v, "args", sizeof *s->args, parse_seccomp_arg,
                     (void **) &s->args, &s->n_args) < 0)
    return -1;
  return 0;
}

static int
parse_seccomp (struct json_ctx *c, yajl_val v, struct oci_seccomp **out)
{
  struct oci_seccomp *s;

  if (v == NULL)
    return 0;
  s = *out = xcalloc (sizeof **out);
  if (json_require (c, v, "defaultAction") < 0
      || json_string (c, v, "defaultAction", &s->default_action) < 0
      || json_u32 (c, v, "defaultErrnoRet", &s->default_errno_ret,
                   &s->has_default_errno_ret) < 0
      || json_strv (c, v, "architectures", &s->architectures, &s->n_architectures) < 0
      || json_strv (c, v, "flags", &s->flags, &s->n_flags) < 0
      || json_string (c, v, "listenerPath", &s->listener_path) < 0
      || json_string (c, v, "listenerMetadata", &s->listener_metadata) < 0
      || json_array (c, v, "syscalls", sizeof *s->syscalls, parse_syscall,
                     (void **) &s->syscalls, &s->n_syscalls) < 0)
    return -1;
  return 0;
}

/* ---- intelRdt, memoryPolicy ------------------------------------------------ */

static int
parse_intel_rdt (struct json_ctx *c, yajl_val v, struct oci_intel_rdt **out)
{
  struct oci_intel_rdt *r;

  if (v == NULL)
    return 0;
  r = *out = xcalloc (sizeof **out);
  if (json_string (c, v, "closID", &r->clos_id) < 0
      || json_string (c, v, "l3CacheSchema", &r->l3_cache_schema) < 0
      || json_string (c, v, "memBwSchema", &r->mem_bw_schema) < 0
      || json_strv (c, v, "schemata", &r->schemata, &r->n_schemata) < 0
      || json_bool (c, v, "enableMonitoring", &r->enable_monitoring, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_memory_policy (struct json_ctx *c, yajl_val v, struct oci_memory_policy **out)
{
  struct oci_memory_policy *m;

  if (v == NULL)
    return 0;
  m = *out = xcalloc (sizeof **out);
  if (json_require (c, v, "mode") < 0
      || json_string (c, v, "mode", &m->mode) < 0
      || json_string (c, v, "nodes", &m->nodes) < 0
      || json_strv (c, v, "flags", &m->flags, &m->n_flags) < 0)
    return -1;
  return 0;
}

static int
parse_personality (struct json_ctx *c, yajl_val v, struct oci_personality **out)
{
  struct oci_personality *p;

  if (v == NULL)
    return 0;
  p = *out = xcalloc (sizeof **out);
  if (json_require (c, v, "domain") < 0
      || json_string (c, v, "domain", &p->domain) < 0
      || json_strv (c, v, "flags", &p->flags, &p->n_flags) < 0)
    return -1;
  return 0;
}

/* ---- the linux object --------------------------------------------------- */

int
parse_linux (struct json_ctx *c, yajl_val v, struct oci_linux **out)
{
  struct oci_linux *l = *out = xcalloc (sizeof **out);

  if (json_array (c, v, "namespaces", sizeof *l->namespaces, parse_namespace,
                  (void **) &l->namespaces, &l->n_namespaces) < 0
      || json_array (c, v, "uidMappings", sizeof *l->uid_mappings, parse_id_mapping,
                     (void **) &l->uid_mappings, &l->n_uid_mappings) < 0
      || json_array (c, v, "gidMappings", sizeof *l->gid_mappings, parse_id_mapping,
                     (void **) &l->gid_mappings, &l->n_gid_mappings) < 0
      || WITH_KEY (c, v, "timeOffsets", parse_time_offsets (c, sub_, l)) < 0
      || json_array (c, v, "devices", sizeof *l->devices, parse_device,
                     (void **) &l->devices, &l->n_devices) < 0
      || WITH_KEY (c, v, "netDevices", parse_net_devices (c, sub_, l)) < 0
      || json_string (c, v, "cgroupsPath", &l->cgroups_path) < 0
      || WITH_KEY (c, v, "resources", parse_resources (c, sub_, &l->resources)) < 0
      || WITH_KEY (c, v, "intelRdt", parse_intel_rdt (c, sub_, &l->intel_rdt)) < 0
      || WITH_KEY (c, v, "memoryPolicy", parse_memory_policy (c, sub_, &l->memory_policy)) < 0
      || json_kv (c, v, "sysctl", &l->sysctl, &l->n_sysctl) < 0
      || WITH_KEY (c, v, "seccomp", parse_seccomp (c, sub_, &l->seccomp)) < 0
      || json_string (c, v, "rootfsPropagation", &l->rootfs_propagation) < 0
      || json_strv (c, v, "maskedPaths", &l->masked_paths, &l->n_masked_paths) < 0
      || json_strv (c, v, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths) < 0
      || json_string (c, v, "mountLabel", &l->mount_label) < 0
      || WITH_KEY (c, v, "personality", parse_personality (c, sub_, &l->personality)) < 0)
    return -1;
  return 0;
}

/* ---- release ------------------------------------------------------------ */

static void
resources_free (struct oci_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_devices; i++)
    {
      free (r->devices[i].type);
      free (r->devices[i].access);
    }
  free (r->devices);
  free (r->memory);
  if (r->cpu)
    {
      free (r->cpu->cpus);
      free (r->cpu->mems);
      free (r->cpu);
    }
  if (r->block_io)
    {
      free (r->block_io->weight_device);
      free (r->block_io->throttle_read_bps);
      free (r->block_io->throttle_write_bps);
      free (r->block_io->throttle_read_iops);
      free (r->block_io->throttle_write_iops);
      free (r->block_io);
    }
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free (r->net_priorities[i].name);
  free (r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  kv_free (r->unified, r->n_unified);
  free (r);
}

static void
seccomp_free (struct oci_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  strv_free (s->architectures, s->n_architectures);
  strv_free (s->flags, s->n_flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      struct oci_seccomp_syscall *sc = &s->syscalls[i];
      strv_free (sc->names, sc->n_names);
      free (sc->action);
      for (size_t j = 0; j < sc->n_args; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

void
linux_free (struct oci_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; i < l->n_devices; i++)
    {
      free (l->devices[i].type);
      free (l->devices[i].path);
    }
  free (l->devices);
  for (size_t i = 0; i < l->n_net_devices; i++)
    {
      free (l->net_devices[i].host_name);
      free (l->net_devices[i].name);
    }
  free (l->net_devices);
  free (l->cgroups_path);
  resources_free (l->resources);
  if (l->intel_rdt)
    {
      free (l->intel_rdt->clos_id);
      free (l->intel_rdt->l3_cache_schema);
      free (l->intel_rdt->mem_bw_schema);
      strv_free (l->intel_rdt->schemata, l->intel_rdt->n_schemata);
      free (l->intel_rdt);
    }
  if (l->memory_policy)
    {
      free (l->memory_policy->mode);
      free (l->memory_policy->nodes);
      strv_free (l->memory_policy->flags, l->memory_policy->n_flags);
      free (l->memory_policy);
    }
  kv_free (l->sysctl, l->n_sysctl);
  seccomp_free (l->seccomp);
  free (l->rootfs_propagation);
  strv_free (l->masked_paths, l->n_masked_paths);
  strv_free (l->readonly_paths, l->n_readonly_paths);
  free (l->mount_label);
  if (l->personality)
    {
      free (l->personality->domain);
      strv_free (l->personality->flags, l->personality->n_flags);
      free (l->personality);
    }
  free (l);
}
