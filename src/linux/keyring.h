/* keyring.h - the container's session keyring.
 *
 * Owns: giving the container a session keyring of its own, named after it
 * as runc names it ("_ses.<id>"), so that it neither reads nor fills the
 * keyring of whoever ran the runtime. It never touches other keyrings.
 */
#ifndef OCIRT_KEYRING_H
#define OCIRT_KEYRING_H

#include "../util/error.h"

/* Join the session keyring "_ses.<id>": a new one for the init, the same
 * one (found by name) for an exec'd process. A kernel without keyrings
 * (ENOSYS) is no error, as in runc. */
int keyring_join_session (const char *id, ocirt_error_t *err);

#endif
