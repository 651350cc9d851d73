/* update.h - `update`: change a running container's linux.resources.
 *
 * Owns: the order "validate, apply to the cgroup, store": the new values are
 * merged into the config copy in the state directory (<root>/<id>/config.json,
 * the one exec and events read), as runc keeps them in its state, so that a
 * later update starts from them. It never parses argv.
 */
#ifndef OCIRT_UPDATE_H
#define OCIRT_UPDATE_H

#include <stddef.h>

#include "../util/error.h"
#include "container.h"

/* resources_json is a linux.resources object (unchanged values omitted);
 * `source` names it in errors ("--resources file", "flags"). Only a
 * created, running or paused container can be updated. */
int container_update (const struct runtime_ctx *ctx, const char *id, const char *resources_json,
                      size_t len, const char *source, ocirt_error_t *err);

#endif
