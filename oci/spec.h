/* spec.h - documents ocirt prints that are not state: the default
 * config.json of `ocirt spec` and the `ocirt features` JSON.
 *
 * Owns: their content. It never reads the filesystem.
 */
#ifndef OCIRT_OCI_SPEC_H
#define OCIRT_OCI_SPEC_H

#include <stdbool.h>

/* A default config.json with the same content as runc 1.1's `runc spec`
 * (rootless: as `runc spec --rootless`). Returns a malloc'd, pretty-printed
 * JSON document ending in a newline. */
char *oci_spec_default (bool rootless);

#endif
