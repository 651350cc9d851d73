/* update.h - `update`: change a running container's linux.resources.
 *
 * Owns: the order "validate, apply to the cgroup (and resctrl), store": the
 * new values are merged into the config copy in the state directory
 * (<root>/<id>/config.json, the one exec and events read), as runc keeps
 * them in its state, so that a later update starts from them. It never
 * parses argv.
 */
#ifndef OCIRT_UPDATE_H
#define OCIRT_UPDATE_H

#include <stddef.h>

#include "../util/error.h"
#include "container.h"

/* runc's --l3-cache-schema and --mem-bw-schema: NULL when not given. */
struct update_rdt
{
  const char *l3_cache_schema;
  const char *mem_bw_schema;
};

/* resources_json is a linux.resources object (unchanged values omitted);
 * `source` names it in errors ("--resources file", "flags"). Only a
 * created, running or paused container can be updated. With a schema in
 * rdt, the container's resctrl group (made, as runc does, when the config
 * had no intelRdt) gets it, and linux.intelRdt in the config copy says
 * so. */
int container_update (const struct runtime_ctx *ctx, const char *id, const char *resources_json,
                      size_t len, const char *source, const struct update_rdt *rdt, ocirt_error_t *err);

#endif
