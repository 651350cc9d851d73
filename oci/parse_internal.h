/* parse_internal.h - shared helpers of the config.json parser (parse.c and
 * parse_linux.c). Not a public interface: nothing outside oci/parse*.c may
 * include it.
 *
 * Owns: the JSON path of the value being read, so that every type error can
 * name "<file>: <path>: <problem>", and the typed getters that produce those
 * errors. The getters never keep pointers into the yajl tree: every string is
 * copied, so the tree can be freed as soon as parsing ends.
 */
#ifndef OCIRT_OCI_PARSE_INTERNAL_H
#define OCIRT_OCI_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "config.h"

struct json_ctx
{
  const char *file;
  char *path;         /* ".linux.namespaces[2].type"; "" at the top level */
  size_t len;
  size_t cap;
  ocirt_error_t *err;
};

/* Fill *c->err with "<file>: <path>: <message>" and return -1. */
int json_error (struct json_ctx *c, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* Append ".key" (or ["key"] when the key is not an identifier) or "[i]" to
 * the path; each returns the previous length, to hand back to json_pop(). */
size_t json_push_key (struct json_ctx *c, const char *key);
size_t json_push_index (struct json_ctx *c, size_t i);
void json_pop (struct json_ctx *c, size_t mark);

/* The value of `key` in `obj`, or NULL when absent or JSON null. */
yajl_val json_get (yajl_val obj, const char *key);

/* Fail with "missing required property" when `key` is absent. */
int json_require (struct json_ctx *c, yajl_val obj, const char *key);

/* Typed getters. Each returns 0 and leaves *out untouched when the key is
 * absent (setting *has to false when `has` is given), 0 with *out filled
 * when present and well-typed, and -1 with the error set otherwise. */
int json_string (struct json_ctx *c, yajl_val obj, const char *key, char **out);
int json_bool (struct json_ctx *c, yajl_val obj, const char *key, bool *out, bool *has);
int json_u16 (struct json_ctx *c, yajl_val obj, const char *key, uint16_t *out, bool *has);
int json_u32 (struct json_ctx *c, yajl_val obj, const char *key, uint32_t *out, bool *has);
int json_u64 (struct json_ctx *c, yajl_val obj, const char *key, uint64_t *out, bool *has);
int json_i32 (struct json_ctx *c, yajl_val obj, const char *key, int32_t *out, bool *has);
int json_i64 (struct json_ctx *c, yajl_val obj, const char *key, int64_t *out, bool *has);
int json_strv (struct json_ctx *c, yajl_val obj, const char *key, char ***out, size_t *n);
int json_kv (struct json_ctx *c, yajl_val obj, const char *key, struct oci_kv **out, size_t *n);

/* The object at `key`: *out is NULL when absent; an error when not an
 * object. */
int json_object (struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out);

/* Parse the array at `key` into a calloc'd array of `size`-byte elements,
 * calling parse_one on each with the path at "key[i]". *out and *n are set
 * before the elements are parsed, so a failure leaves a partially filled
 * array that the matching free function releases. */
typedef int (*json_elem_fn) (struct json_ctx *c, yajl_val v, void *elem);
int json_array (struct json_ctx *c, yajl_val obj, const char *key, size_t size,
                json_elem_fn parse_one, void **out, size_t *n);

/* Evaluate `call` with sub_ bound to the object at obj.key (NULL when
 * absent) and the path extended by the key; yields call's result. */
#define WITH_KEY(c, obj, key, call)                     \
  ({                                                    \
    yajl_val sub_;                                      \
    int r_ = json_object ((c), (obj), (key), &sub_);    \
    if (r_ == 0)                                        \
      {                                                 \
        size_t m_ = json_push_key ((c), (key));         \
        r_ = (call);                                    \
        if (r_ == 0)                                    \
          json_pop ((c), m_);                           \
      }                                                 \
    r_;                                                 \
  })

/* Fail with "expected an object" unless v is one. */
int json_expect_object (struct json_ctx *c, yajl_val v);

/* Shared element parser and releasers. */
int parse_id_mapping (struct json_ctx *c, yajl_val v, void *elem);
void strv_free (char **v, size_t n);
void kv_free (struct oci_kv *kv, size_t n);

/* parse_linux.c */
int parse_linux (struct json_ctx *c, yajl_val v, struct oci_linux **out);
void linux_free (struct oci_linux *l);

#endif
