/* capabilities.h - process.capabilities with libcap.
 *
 * Owns: turning the five capability lists of the config into bit masks, and
 * installing them into the calling process (bounding, effective, permitted,
 * inheritable, ambient). It never changes uids, never sets no_new_privs or
 * PR_SET_KEEPCAPS, and never prints: warnings are returned as strings.
 *
 * Following the spec (config.md "capabilities"), a capability that cannot be
 * granted is a warning, not an error: names that are not capabilities of the
 * running kernel (runc 1.1 and crun skip them too), capabilities ocirt itself
 * does not hold, and combinations the kernel would refuse (effective outside
 * permitted, ambient outside permitted and inheritable) are dropped with a
 * warning.
 */
#ifndef OCIRT_CAPABILITIES_H
#define OCIRT_CAPABILITIES_H

#include <stdint.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* One bit per capability number (CAP_CHOWN is bit 0). Plain data, so it can
 * be computed in the runtime and carried into the container process. */
struct caps_set
{
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
};

/* Map the names of `c` (uppercase, "CAP_"-prefixed, as in capabilities(7)).
 * c == NULL yields the empty set, as in runc: a process without a
 * capabilities object runs with no capabilities at all, even as uid 0.
 * Names the running kernel does not have, and other spellings ("cap_chown",
 * "CHOWN", "12"), are skipped; one line in runc's wording is appended to
 * *warnings (NULL-terminated malloc'd strv; may hold entries already;
 * warnings == NULL drops it):
 *   ignoring unknown or unavailable capabilities: [CAP_FOO cap_chown]
 * Returns 0; `err` stays for the callers' uniform error handling. */
int caps_parse (const struct oci_capabilities *c, struct caps_set *out,
                char ***warnings, ocirt_error_t *err);

/* Reduce `s` to what a process currently holding `available` (its bounding,
 * permitted and inheritable sets; other fields ignored) can install, with a
 * warning for each capability removed. Pure: caps_apply() calls it with the
 * live sets; exposed so the decisions can be tested and previewed. */
void caps_restrict_to (struct caps_set *s, const struct caps_set *available,
                       char ***warnings);

/* Install `s` into the calling (single-threaded) process. Call it in the
 * container init after setresgid/setresuid, with PR_SET_KEEPCAPS set across
 * the uid switch so that the permitted set survives it (the caller clears
 * KEEPCAPS afterwards). Order, and why:
 *   1. effective := permitted: the uid switch cleared effective, and step 2
 *      needs CAP_SETPCAP effective;
 *   2. drop from the bounding set all that is not in s->bounding: this needs
 *      CAP_SETPCAP, which step 4 may remove, and it must precede step 4
 *      because the kernel checks new inheritable caps against the bounding
 *      set;
 *   3. clear the ambient set, so nothing inherited from ocirt's own
 *      environment survives;
 *   4. set effective, permitted and inheritable in one capset();
 *   5. raise each ambient capability: the kernel requires it to be in both
 *      permitted and inheritable, which only holds after step 4.
 * Capabilities that cannot be granted (see caps_restrict_to) are warnings. */
int caps_apply (const struct caps_set *s, char ***warnings, ocirt_error_t *err);

/* For `ocirt features`: every capability name libcap knows up to the
 * running kernel's last capability, "CAP_"-prefixed and uppercase, in
 * numeric order. NULL-terminated and static. */
const char *const *caps_known_names (void);

#endif
