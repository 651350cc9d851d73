/* rlimits.h - process.rlimits.
 *
 * Owns: validating and installing the resource limits of the container
 * process. It never decides when: raising a hard limit needs
 * CAP_SYS_RESOURCE, so the container init calls it before the uid switch
 * and before capabilities are dropped. It never prints.
 */
#ifndef OCIRT_RLIMITS_H
#define OCIRT_RLIMITS_H

#include <stddef.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* Check every entry first (soft <= hard, a known resource, no duplicate
 * type, as the spec requires), then set them in order on the calling
 * process. Errors name the entry, e.g.
 *   process.rlimits[0]: setrlimit RLIMIT_NOFILE (soft 2048, hard 1048577):
 *   operation not permitted (the hard limit can only be raised with
 *   CAP_SYS_RESOURCE; the current hard limit is 1048576)
 * (one line). Limits set before a failing entry stay set. */
int rlimits_apply (const struct oci_rlimit *r, size_t n, ocirt_error_t *err);

#endif
