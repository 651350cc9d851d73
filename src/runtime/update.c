/* update.c - `update` of a container's resources (see update.h). */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../../oci/config.h"
#include "../linux/cgroup.h"
#include "../linux/cgroup_systemd.h"
#include "../linux/resctrl.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/log.h"
#include "state.h"

#define CONFIG_MAX (64 << 20)
#define CONFIG_TMP STATE_CONFIG_COPY ".update"

static void
resources_freep (struct oci_resources **r)
{
  oci_resources_free (*r);
}

/* Write the new config copy: temp file, fsync, rename, in the state dir. */
static int
store_config (int dir_fd, const char *json, size_t len, ocirt_error_t *err)
{
  cleanup_close int fd = openat (dir_fd, CONFIG_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0)
    return make_error (err, errno, "store the updated config: open %s", CONFIG_TMP);
  if (write_all (fd, json, len) < 0)
    return make_error (err, errno, "store the updated config: write %s", CONFIG_TMP);
  if (fsync (fd) < 0 || renameat (dir_fd, CONFIG_TMP, dir_fd, STATE_CONFIG_COPY) < 0)
    {
      int e = errno;
      unlinkat (dir_fd, CONFIG_TMP, 0);
      return make_error (err, e, "store the updated config: replace %s", STATE_CONFIG_COPY);
    }
  return 0;
}

/* The device rules of a config's linux.resources, as a yajl array, or NULL. */
static yajl_val
stored_device_rules (yajl_val config)
{
  yajl_val v = json_object_get (json_object_get (json_object_get (config, "linux"), "resources"),
                                "devices");
  return YAJL_IS_ARRAY (v) ? v : NULL;
}

/* The patch that update merges into the stored config:
 *   {"linux": {"resources": <the update>}}
 * except for the device rules. The v1 devices controller applies an
 * update's rules on top of those in force, so its state is the replay of
 * every rule list given since create. The stored list is kept as that
 * whole history (the old rules, then the new), from which a v2 program
 * reaches the same state. What came before the last rule that resets every
 * device no longer matters, and is dropped. */
static char *
update_patch (const char *old_json, const struct oci_config *old, const char *resources_json,
              size_t resources_len, const struct oci_resources *upd, ocirt_error_t *err)
{
  cleanup_free char *out = NULL;
  cleanup_free char *text = strndup (resources_json, resources_len);
  const unsigned char *buf;
  size_t len;
  yajl_val res = text ? yajl_tree_parse (text, NULL, 0) : NULL;
  yajl_val cfg = yajl_tree_parse (old_json, NULL, 0);
  yajl_val new_rules = json_object_get (res, "devices");
  yajl_val old_rules = stored_device_rules (cfg);
  const struct oci_resources *old_res = old->linux_ ? old->linux_->resources : NULL;
  size_t n_old = old_rules && old_res ? old_rules->u.array.len : 0, first = 0;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (res == NULL || cfg == NULL || g == NULL || (old_res && n_old != old_res->n_devices))
    {
      /* Both were parsed into structs already: only memory can fail here,
       * or a stored config whose device list no longer matches its struct. */
      make_error (err, EINVAL, "update: cannot merge the new device rules into %s", STATE_CONFIG_COPY);
      goto out;
    }
  /* Rule i of the history: old i, then new i - n_old. */
  for (size_t i = 0; i < n_old + upd->n_devices; i++)
    if (cgroup_device_rule_resets (i < n_old ? &old_res->devices[i] : &upd->devices[i - n_old]))
      first = i;
  yajl_gen_map_open (g);
  json_gen_str (g, "linux");
  yajl_gen_map_open (g);
  json_gen_str (g, "resources");
  yajl_gen_map_open (g);
  for (size_t k = 0; k < res->u.object.len; k++)
    {
      yajl_val v = res->u.object.values[k];
      json_gen_str (g, res->u.object.keys[k]);
      if (v != new_rules || upd->n_devices == 0)
        {
          json_gen_value (g, v);
          continue;
        }
      yajl_gen_array_open (g);
      for (size_t i = first; i < n_old + upd->n_devices; i++)
        json_gen_value (g, i < n_old ? old_rules->u.array.values[i] : new_rules->u.array.values[i - n_old]);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    make_error (err, EINVAL, "update: cannot write the merged resources as JSON");
  else if ((out = strndup ((const char *) buf, len)) == NULL)
    abort ();
out:
  if (g)
    yajl_gen_free (g);
  yajl_tree_free (res);
  yajl_tree_free (cfg);
  return steal_pointer (&out);
}

/* runc's checks of --l3-cache-schema and --mem-bw-schema, in its words,
 * before anything else: the host must offer what they set. */
static int
rdt_check (const struct update_rdt *rdt, struct resctrl *r, ocirt_error_t *err)
{
  if (resctrl_open (r, err) < 0)
    return -1;
  if (rdt->l3_cache_schema && !r->cat)
    return make_error (err, 0, "Intel RDT/CAT: l3 cache schema is not enabled");
  if (rdt->mem_bw_schema && !r->mba)
    return make_error (err, 0, "Intel RDT/MBA: memory bandwidth schema is not enabled");
  return 0;
}

/* {"linux": {"intelRdt": {...}}} with both schemas: as runc, the one not
 * given becomes empty, so the group's schemata get only the given one. */
static char *
rdt_patch (const struct update_rdt *rdt)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  char *out;

  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  json_gen_str (g, "linux");
  yajl_gen_map_open (g);
  json_gen_str (g, "intelRdt");
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "l3CacheSchema", rdt->l3_cache_schema);
  json_gen_kv_string (g, "memBwSchema", rdt->mem_bw_schema);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  if ((out = json_gen_take (g, NULL)) == NULL)
    abort ();
  return out;
}

/* `update --memory -1` without --memory-swap lifts the swap limit too, as
 * in runc: the stored swap becomes 0 (not set), so the cgroup code applies
 * runc's rule (unlimited memory, no swap given: both unlimited) instead of
 * writing the old swap limit, which the kernel refuses below the memory
 * limit on v1. */
#define LIFT_SWAP_PATCH "{\"linux\":{\"resources\":{\"memory\":{\"swap\":0}}}}"

static bool
lifts_memory (const struct oci_resources *upd)
{
  const struct oci_memory *m = upd->memory;

  return m && m->has_limit && m->limit == -1 && !(m->has_swap && m->swap != 0);
}

/* *json with `patch` merged in; on failure *json is freed and NULL. */
static void
merge_more (char **json, size_t *len, const char *patch, ocirt_error_t *err)
{
  char *out = json_merge (*json, *len, patch, strlen (patch), len, STATE_CONFIG_COPY, err);

  free (*json);
  *json = out;
}

/* What is written to the cgroup: the fields the update names, except that
 * memory and cpu are taken whole from the merged config, because the kernel
 * checks their values against each other (limit and memory+swap on v1; cpu.max
 * is quota and period in one file on v2). */
static struct oci_resources
to_apply (const struct oci_resources *upd, const struct oci_resources *merged)
{
  struct oci_resources a = *upd;

  if (upd->memory && merged->memory)
    a.memory = merged->memory;
  if (upd->cpu && merged->cpu)
    a.cpu = merged->cpu;
  return a;
}

static void
resctrl_closep (struct resctrl *r)
{
  resctrl_close (r);
}

int
container_update (const struct runtime_ctx *ctx, const char *id, const char *resources_json,
                  size_t len, const char *source, const struct update_rdt *rdt, ocirt_error_t *err)
{
  __attribute__ ((cleanup (resctrl_closep))) struct resctrl res = { .root_fd = -1 };
  __attribute__ ((cleanup (resources_freep))) struct oci_resources *upd = NULL;
  cleanup_config struct oci_config *cfg = NULL, *old_cfg = NULL;
  cleanup_free char *old = NULL, *patch = NULL, *merged = NULL;
  cleanup_close int root_fd = -1, dir_fd = -1;
  struct container_state st = { 0 };
  enum container_status status;
  size_t old_len, merged_len;
  int r;

  if (rdt && !rdt->l3_cache_schema && !rdt->mem_bw_schema)
    rdt = NULL;
  if (rdt && rdt_check (rdt, &res, err) < 0)
    return -1;
  upd = oci_resources_parse (resources_json, len, source, err);
  if (upd == NULL)
    return -1;
  if (cgroup_kmem_ignored (upd, true))
    log_write (ctx->log, "warning", "%s", CGROUP_KMEM_IGNORED);
  if (container_load (ctx, id, &st, &status, err) < 0)
    return -1;
  if (status != STATUS_CREATED && status != STATUS_RUNNING && status != STATUS_PAUSED)
    {
      state_clear (&st);
      return make_error (err, 0, "container not running");
    }

  /* Exclusive: two updates must not both rewrite the config copy. */
  root_fd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    r = make_error (err, errno, "open state root \"%s\"", ctx->root);
  else if ((dir_fd = state_dir_open (root_fd, id, LOCK_EX, err)) < 0)
    r = -1;
  else
    r = read_file_at (dir_fd, STATE_CONFIG_COPY, CONFIG_MAX, &old, &old_len, err);
  if (r < 0)
    {
      state_clear (&st);
      return r;
    }

  old_cfg = oci_config_parse (old, old_len, STATE_CONFIG_COPY, err);
  if (old_cfg)
    patch = update_patch (old, old_cfg, resources_json, len, upd, err);
  if (patch)
    merged = json_merge (old, old_len, patch, strlen (patch), &merged_len, STATE_CONFIG_COPY, err);
  if (merged && lifts_memory (upd))
    merge_more (&merged, &merged_len, LIFT_SWAP_PATCH, err);
  if (merged && rdt)
    {
      cleanup_free char *rpatch = rdt_patch (rdt);
      merge_more (&merged, &merged_len, rpatch, err);
    }
  if (merged)
    cfg = oci_config_parse (merged, merged_len, STATE_CONFIG_COPY, err);
  if (cfg == NULL)
    {
      state_clear (&st);
      return wrap_error (err, "update");
    }

  struct oci_resources apply = to_apply (upd, cfg->linux_->resources);
  /* v2 replaces the device program, atomically, with one built from the
   * whole history (see update_patch). v1 gets only the new rules: its
   * state already holds the old ones, and writing them again would, rule
   * by rule, briefly deny devices the container is using. */
  if (upd->n_devices && cgroup_detect_mode () == CGROUP_MODE_V2)
    {
      apply.devices = cfg->linux_->resources->devices;
      apply.n_devices = cfg->linux_->resources->n_devices;
    }
  /* The systemd driver's unit first, as runc: systemd would otherwise
   * put its old values back into the files on its next reload. */
  if (st.cgroup_path == NULL)
    r = make_error (err, 0, "cannot set limits: cgroups not configured for container");
  else
    r = st.systemd_unit ? systemd_unit_update (st.systemd_unit, st.systemd_user, &apply, err) : 0;
  if (r == 0)
    r = cgroup_apply_resources (st.cgroup_path, &apply, err);
  /* runc makes the group (named after the container) when the config had
   * no intelRdt, and puts the init in it. */
  if (r == 0 && rdt)
    r = resctrl_join (&res, cfg->linux_->intel_rdt, id, st.pid, err);
  state_clear (&st);
  if (r < 0)
    return -1;
  return store_config (dir_fd, merged, merged_len, err);
}
