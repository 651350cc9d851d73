/* json.c - generic JSON tree helpers (see json.h). */
#include "json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static void
gen_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

void
json_gen_value (yajl_gen g, yajl_val v)
{
  if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          gen_key (g, v->u.object.keys[i]);
          json_gen_value (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        json_gen_value (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else if (YAJL_IS_STRING (v))
    yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
  else if (YAJL_IS_NUMBER (v))
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    yajl_gen_bool (g, YAJL_IS_TRUE (v));
  else
    yajl_gen_null (g);
}

yajl_val
json_object_get (yajl_val obj, const char *key)
{
  yajl_val found = NULL;

  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  return found;
}

static void
gen_merged (yajl_gen g, yajl_val base, yajl_val patch)
{
  if (patch == NULL || YAJL_IS_NULL (patch))
    {
      json_gen_value (g, base);
      return;
    }
  if (base == NULL || !YAJL_IS_OBJECT (base) || !YAJL_IS_OBJECT (patch))
    {
      json_gen_value (g, patch);
      return;
    }
  yajl_gen_map_open (g);
  for (size_t i = 0; i < base->u.object.len; i++)
    {
      gen_key (g, base->u.object.keys[i]);
      gen_merged (g, base->u.object.values[i], json_object_get (patch, base->u.object.keys[i]));
    }
  for (size_t i = 0; i < patch->u.object.len; i++)
    if (json_object_get (base, patch->u.object.keys[i]) == NULL && !YAJL_IS_NULL (patch->u.object.values[i]))
      {
        gen_key (g, patch->u.object.keys[i]);
        json_gen_value (g, patch->u.object.values[i]);
      }
  yajl_gen_map_close (g);
}

static yajl_val
parse (const char *json, size_t len, const char *what, ocirt_error_t *err)
{
  cleanup_free char *copy = strndup (json, len);
  char errbuf[512] = "";
  yajl_val v;

  if (copy == NULL)
    abort ();
  if (strlen (copy) != len)
    {
      make_error (err, 0, "%s: invalid JSON: NUL byte", what);
      return NULL;
    }
  v = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (v == NULL)
    {
      errbuf[strcspn (errbuf, "\n")] = '\0';
      make_error (err, 0, "%s: invalid JSON: %s", what, errbuf[0] ? errbuf : "parse error");
    }
  return v;
}

char *
json_merge (const char *base, size_t base_len, const char *patch, size_t patch_len,
            size_t *out_len, const char *what, ocirt_error_t *err)
{
  yajl_val b = parse (base, base_len, what, err), p;
  yajl_gen g;
  char *out;

  if (b == NULL)
    return NULL;
  p = parse (patch, patch_len, what, err);
  if (p == NULL)
    {
      yajl_tree_free (b);
      return NULL;
    }
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  gen_merged (g, b, p);
  out = json_gen_take (g, out_len);
  if (out == NULL)
    abort ();
  yajl_tree_free (b);
  yajl_tree_free (p);
  return out;
}

char *
json_gen_take (yajl_gen g, size_t *len)
{
  const unsigned char *buf;
  size_t n = 0;
  char *out = NULL;

  if (yajl_gen_get_buf (g, &buf, &n) == yajl_gen_status_ok)
    out = strndup ((const char *) buf, n);
  yajl_gen_free (g);
  if (out != NULL && len != NULL)
    *len = n;
  return out;
}

void
json_gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

void
json_gen_kv_string (yajl_gen g, const char *key, const char *value)
{
  json_gen_str (g, key);
  json_gen_str (g, value ? value : "");
}
