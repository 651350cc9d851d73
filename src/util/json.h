/* json.h - generic JSON tree helpers on top of yajl.
 *
 * Owns: re-emitting a parsed value and the deep merge that `update` uses to
 * fold new linux.resources into the stored config. It knows nothing of the
 * OCI schema (oci/ does) and never reads or writes files.
 */
#ifndef OCIRT_JSON_H
#define OCIRT_JSON_H

#include <stddef.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "error.h"

/* The value of key in the object obj, or NULL (also when obj is not an
 * object). With a repeated key the last one wins, as in Go's encoding/json:
 * the manager that wrote or checked a file (podman, containerd) reads it
 * that way, and we must not act on a value it never saw. A JSON null is
 * returned as such. */
yajl_val json_object_get (yajl_val obj, const char *key);

/* The text `g` made, as a malloc'd string (its length in *len when len is
 * not NULL), and `g` freed: NULL when `g` failed or memory ran out. */
char *json_gen_take (yajl_gen g, size_t *len);

/* Emit one JSON string (a map key or a value). */
void json_gen_str (yajl_gen g, const char *s);

/* Emit "key": "value" into an open map; a NULL value is emitted as "". */
void json_gen_kv_string (yajl_gen g, const char *key, const char *value);

/* Emit v (any JSON value) into g; numbers keep their original text. */
void json_gen_value (yajl_gen g, yajl_val v);

/* base with patch merged in, as a malloc'd compact JSON document: for a key
 * in both where both values are objects, the merge recurses; otherwise the
 * patch's value replaces the base's (arrays are replaced whole). A null in
 * the patch leaves the base's value unchanged. `what` names the documents
 * in errors. */
char *json_merge (const char *base, size_t base_len, const char *patch, size_t patch_len,
                  size_t *out_len, const char *what, ocirt_error_t *err);

#endif
