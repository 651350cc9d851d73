/* update.c - `update` of a container's resources (see update.h). */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../../oci/config.h"
#include "../linux/cgroup.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"
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

int
container_update (const struct runtime_ctx *ctx, const char *id, const char *resources_json,
                  size_t len, const char *source, ocirt_error_t *err)
{
  __attribute__ ((cleanup (resources_freep))) struct oci_resources *upd = NULL;
  cleanup_config struct oci_config *cfg = NULL;
  cleanup_free char *old = NULL, *patch = NULL, *merged = NULL;
  cleanup_close int root_fd = -1, dir_fd = -1;
  struct container_state st = { 0 };
  enum container_status status;
  size_t old_len, merged_len;
  int r;

  upd = oci_resources_parse (resources_json, len, source, err);
  if (upd == NULL)
    return -1;
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

  if (asprintf (&patch, "{\"linux\":{\"resources\":%.*s}}", (int) len, resources_json) < 0)
    abort ();
  merged = json_merge (old, old_len, patch, strlen (patch), &merged_len, STATE_CONFIG_COPY, err);
  if (merged)
    cfg = oci_config_parse (merged, merged_len, STATE_CONFIG_COPY, err);
  if (cfg == NULL)
    {
      state_clear (&st);
      return wrap_error (err, "update");
    }

  struct oci_resources apply = to_apply (upd, cfg->linux_->resources);
  r = cgroup_apply_resources_devices (st.cgroup_path, &apply, cfg->linux_->devices,
                                      cfg->linux_->n_devices, err);
  state_clear (&st);
  if (r < 0)
    return -1;
  return store_config (dir_fd, merged, merged_len, err);
}
