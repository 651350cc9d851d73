/* parse.c - config.json to struct oci_config (the common part of config.md;
 * the "linux" object is in parse_linux.c).
 *
 * Owns: reading the file safely, guarding yajl against hostile input (depth,
 * NUL bytes), the JSON-path error messages, and releasing the model.
 * It must never judge semantics (absolute paths, duplicates, versions):
 * that is validate.c, so that a parsed config can always be inspected.
 *
 * Unknown properties are ignored, as config.md "Extensibility" requires.
 */
#include "config.h"
#include "parse_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/util/fs.h"
#include "../src/util/cleanup.h"
#include "../src/util/json.h"

/* yajl_tree_free() recurses once per nesting level, so a document nested a
 * million levels deep would overflow the stack; no valid config nests
 * deeper than about 8. */
#define MAX_JSON_DEPTH 64

/* A config.json is a few KiB (a full seccomp profile is about 30 KiB);
 * anything this large is a mistake or an attack on our memory. */
#define MAX_CONFIG_SIZE (64u * 1024 * 1024)

/* ---- path and errors ---------------------------------------------------- */

static void
path_append (struct json_ctx *c, const char *s, size_t n)
{
  if (c->len + n + 1 > c->cap)
    {
      size_t cap = (c->len + n + 1) * 2;
      char *p = realloc (c->path, cap);
      if (p == NULL)
        abort ();
      c->path = p;
      c->cap = cap;
    }
  memcpy (c->path + c->len, s, n);
  c->len += n;
  c->path[c->len] = '\0';
}

static bool
is_identifier (const char *key)
{
  if (*key == '\0' || isdigit ((unsigned char) *key))
    return false;
  for (const char *p = key; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '_')
      return false;
  return true;
}

size_t
json_push_key (struct json_ctx *c, const char *key)
{
  size_t mark = c->len;

  /* jq's syntax: keys such as "net.ipv4.ip_forward" or annotation names
   * would be ambiguous after a dot, so they are quoted in brackets. */
  if (is_identifier (key))
    {
      path_append (c, ".", 1);
      path_append (c, key, strlen (key));
    }
  else
    {
      path_append (c, "[\"", 2);
      path_append (c, key, strlen (key));
      path_append (c, "\"]", 2);
    }
  return mark;
}

size_t
json_push_index (struct json_ctx *c, size_t i)
{
  char buf[32];
  size_t mark = c->len;
  int n = snprintf (buf, sizeof buf, "[%zu]", i);

  path_append (c, buf, (size_t) n);
  return mark;
}

void
json_pop (struct json_ctx *c, size_t mark)
{
  c->len = mark;
  if (c->path)
    c->path[mark] = '\0';
}

int
json_error (struct json_ctx *c, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return make_error (c->err, 0, "%s: %s: %s", c->file,
                     c->len ? c->path : ".", msg);
}

/* ---- typed getters ------------------------------------------------------ */

yajl_val
json_get (yajl_val obj, const char *key)
{
  yajl_val found = json_object_get (obj, key);

  /* Go also treats an explicit null as absent. */
  if (found && YAJL_IS_NULL (found))
    return NULL;
  return found;
}

int
json_require (struct json_ctx *c, yajl_val obj, const char *key)
{
  size_t mark;

  if (json_get (obj, key))
    return 0;
  mark = json_push_key (c, key);
  json_error (c, "missing required property");
  json_pop (c, mark);
  return -1;
}

/* Report `msg` at obj.key. */
static int
key_error (struct json_ctx *c, const char *key, const char *msg)
{
  size_t mark = json_push_key (c, key);
  json_error (c, "%s", msg);
  json_pop (c, mark);
  return -1;
}

int
json_expect_object (struct json_ctx *c, yajl_val v)
{
  if (!YAJL_IS_OBJECT (v))
    return json_error (c, "expected an object");
  return 0;
}

int
json_object (struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out)
{
  yajl_val v = json_get (obj, key);

  *out = NULL;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return key_error (c, key, "expected an object");
  *out = v;
  return 0;
}

int
json_string (struct json_ctx *c, yajl_val obj, const char *key, char **out)
{
  yajl_val v = json_get (obj, key);

  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return key_error (c, key, "expected a string");
  free (*out);
  *out = strdup (v->u.string);
  if (*out == NULL)
    abort ();
  return 0;
}

int
json_bool (struct json_ctx *c, yajl_val obj, const char *key, bool *out, bool *has)
{
  yajl_val v = json_get (obj, key);

  if (has)
    *has = false;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return key_error (c, key, "expected a boolean");
  *out = YAJL_IS_TRUE (v);
  if (has)
    *has = true;
  return 0;
}

/* Read v as an integer within [min, max], returning its bits in *out;
 * errors name the current path. The unparsed text is used, not yajl's long
 * long, because uint64 values above INT64_MAX are valid (e.g. a seccomp
 * argument mask). */
static int
integer_value (struct json_ctx *c, yajl_val v, int64_t min, uint64_t max, uint64_t *out)
{
  const char *what = min < 0 ? "expected an integer" : "expected a non-negative integer";
  const char *raw;

  if (!YAJL_IS_NUMBER (v) || v->u.number.r == NULL)
    return json_error (c, "%s", what);
  raw = v->u.number.r;
  /* 1.0 and 1e3 are numbers but not integers; Go refuses them too. */
  if (raw[strspn (raw, "-0123456789")] != '\0')
    return json_error (c, "%s", what);

  errno = 0;
  if (raw[0] == '-')
    {
      long long s;
      if (min == 0)
        return json_error (c, "%s", what);
      s = strtoll (raw, NULL, 10);
      if (errno == ERANGE || s < min)
        return json_error (c, "%s is out of range (%" PRId64 " to %" PRIu64 ")", raw, min, max);
      *out = (uint64_t) s;
      return 0;
    }
  {
    unsigned long long u = strtoull (raw, NULL, 10);
    if (errno == ERANGE || u > max)
      return json_error (c, "%s is out of range (%" PRId64 " to %" PRIu64 ")", raw, min, max);
    *out = u;
  }
  return 0;
}

static int
json_integer (struct json_ctx *c, yajl_val obj, const char *key, int64_t min,
              uint64_t max, uint64_t *out, bool *has)
{
  yajl_val v = json_get (obj, key);
  size_t mark;

  if (has)
    *has = false;
  if (v == NULL)
    return 0;
  mark = json_push_key (c, key);
  if (integer_value (c, v, min, max, out) < 0)
    return -1;
  json_pop (c, mark);
  if (has)
    *has = true;
  return 0;
}

int
json_u16 (struct json_ctx *c, yajl_val obj, const char *key, uint16_t *out, bool *has)
{
  uint64_t v;
  bool h = false;

  if (json_integer (c, obj, key, 0, UINT16_MAX, &v, &h) < 0)
    return -1;
  if (h)
    *out = (uint16_t) v;
  if (has)
    *has = h;
  return 0;
}

int
json_u32 (struct json_ctx *c, yajl_val obj, const char *key, uint32_t *out, bool *has)
{
  uint64_t v;
  bool h = false;

  if (json_integer (c, obj, key, 0, UINT32_MAX, &v, &h) < 0)
    return -1;
  if (h)
    *out = (uint32_t) v;
  if (has)
    *has = h;
  return 0;
}

int
json_u64 (struct json_ctx *c, yajl_val obj, const char *key, uint64_t *out, bool *has)
{
  return json_integer (c, obj, key, 0, UINT64_MAX, out, has);
}

int
json_i32 (struct json_ctx *c, yajl_val obj, const char *key, int32_t *out, bool *has)
{
  uint64_t v;
  bool h = false;

  if (json_integer (c, obj, key, INT32_MIN, INT32_MAX, &v, &h) < 0)
    return -1;
  if (h)
    *out = (int32_t) (int64_t) v;
  if (has)
    *has = h;
  return 0;
}

int
json_i64 (struct json_ctx *c, yajl_val obj, const char *key, int64_t *out, bool *has)
{
  uint64_t v;
  bool h = false;

  if (json_integer (c, obj, key, INT64_MIN, INT64_MAX, &v, &h) < 0)
    return -1;
  if (h)
    *out = (int64_t) v;
  if (has)
    *has = h;
  return 0;
}

int
json_strv (struct json_ctx *c, yajl_val obj, const char *key, char ***out, size_t *n)
{
  yajl_val v = json_get (obj, key);
  char **strv;
  size_t len;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return key_error (c, key, "expected an array of strings");
  len = v->u.array.len;
  for (size_t i = 0; i < len; i++)
    if (!YAJL_IS_STRING (v->u.array.values[i]))
      return key_error (c, key, "expected an array of strings");
  if (len == 0)
    return 0;
  /* One more slot for a NULL terminator, so that args and env can be
   * handed to execve() as they are. */
  strv = calloc (len + 1, sizeof *strv);
  if (strv == NULL)
    abort ();
  for (size_t i = 0; i < len; i++)
    {
      strv[i] = strdup (v->u.array.values[i]->u.string);
      if (strv[i] == NULL)
        abort ();
    }
  strv_free (*out, *n);
  *out = strv;
  *n = len;
  return 0;
}

int
json_kv (struct json_ctx *c, yajl_val obj, const char *key, struct oci_kv **out, size_t *n)
{
  yajl_val v = json_get (obj, key);
  size_t mark, len;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return key_error (c, key, "expected an object");
  len = v->u.object.len;
  if (len == 0)
    return 0;
  *out = calloc (len, sizeof **out);
  if (*out == NULL)
    abort ();
  *n = 0;
  mark = json_push_key (c, key);
  for (size_t i = 0; i < len; i++)
    {
      const char *k = v->u.object.keys[i];
      yajl_val val = v->u.object.values[i];
      size_t m;

      if (!YAJL_IS_STRING (val))
        {
          m = json_push_key (c, k);
          json_error (c, "expected a string");
          json_pop (c, m);
          return -1;
        }
      (*out)[*n].key = strdup (k);
      (*out)[*n].value = strdup (val->u.string);
      if ((*out)[*n].key == NULL || (*out)[*n].value == NULL)
        abort ();
      (*n)++;
    }
  json_pop (c, mark);
  return 0;
}

int
json_array (struct json_ctx *c, yajl_val obj, const char *key, size_t size,
            json_elem_fn parse_one, void **out, size_t *n)
{
  yajl_val v = json_get (obj, key);
  size_t mark, len;
  char *elems;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return key_error (c, key, "expected an array");
  len = v->u.array.len;
  if (len == 0)
    return 0;
  elems = calloc (len, size);
  if (elems == NULL)
    abort ();
  *out = elems;
  *n = len;
  mark = json_push_key (c, key);
  for (size_t i = 0; i < len; i++)
    {
      size_t m = json_push_index (c, i);
      if (parse_one (c, v->u.array.values[i], elems + i * size) < 0)
        return -1;
      json_pop (c, m);
    }
  json_pop (c, mark);
  return 0;
}

/* ---- shared elements ---------------------------------------------------- */

int
parse_id_mapping (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_id_mapping *m = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "containerID") < 0
      || json_require (c, v, "hostID") < 0
      || json_require (c, v, "size") < 0
      || json_u32 (c, v, "containerID", &m->container_id, NULL) < 0
      || json_u32 (c, v, "hostID", &m->host_id, NULL) < 0
      || json_u32 (c, v, "size", &m->size, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_hook (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_hook *h = elem;

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "path") < 0
      || json_string (c, v, "path", &h->path) < 0
      || json_strv (c, v, "args", &h->args, &h->n_args) < 0
      || json_strv (c, v, "env", &h->env, &h->n_env) < 0
      || json_i32 (c, v, "timeout", &h->timeout, &h->has_timeout) < 0)
    return -1;
  /* An empty list is an empty environment; no list at all (or null) is
   * the runtime's own, as with runc and crun. */
  h->has_env = json_get (v, "env") != NULL;
  if (h->has_timeout && h->timeout < 1)
    {
      size_t m = json_push_key (c, "timeout");
      json_error (c, "must be at least 1 second");
      json_pop (c, m);
      return -1;
    }
  return 0;
}

static int
parse_mount (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_mount *m = elem;

  if (json_expect_object (c, v) < 0
      || json_string (c, v, "destination", &m->destination) < 0
      || json_string (c, v, "source", &m->source) < 0
      || json_string (c, v, "type", &m->type) < 0
      || json_strv (c, v, "options", &m->options, &m->n_options) < 0
      || json_array (c, v, "uidMappings", sizeof *m->uid_mappings, parse_id_mapping,
                     (void **) &m->uid_mappings, &m->n_uid_mappings) < 0
      || json_array (c, v, "gidMappings", sizeof *m->gid_mappings, parse_id_mapping,
                     (void **) &m->gid_mappings, &m->n_gid_mappings) < 0)
    return -1;
  return 0;
}

/* ---- process ------------------------------------------------------------ */

static const struct
{
  const char *name;
  int resource;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
parse_rlimit (struct json_ctx *c, yajl_val v, void *elem)
{
  struct oci_rlimit *r = elem;
  size_t i, n = sizeof rlimit_table / sizeof rlimit_table[0];

  if (json_expect_object (c, v) < 0
      || json_require (c, v, "type") < 0
      || json_require (c, v, "soft") < 0
      || json_require (c, v, "hard") < 0
      || json_string (c, v, "type", &r->type) < 0
      || json_u64 (c, v, "soft", &r->soft, NULL) < 0
      || json_u64 (c, v, "hard", &r->hard, NULL) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (strcmp (r->type, rlimit_table[i].name) == 0)
      break;
  /* runtime-spec: an error for any value that cannot be mapped to a kernel
   * interface, rather than silently skipping the limit. */
  if (i == n)
    {
      size_t m = json_push_key (c, "type");
      json_error (c, "unknown rlimit type \"%s\"", r->type);
      json_pop (c, m);
      return -1;
    }
  r->resource = rlimit_table[i].resource;
  return 0;
}

static int
parse_capabilities (struct json_ctx *c, yajl_val v, struct oci_capabilities **out)
{
  struct oci_capabilities *caps;

  if (v == NULL)
    return 0;
  caps = *out = calloc (1, sizeof **out);
  if (caps == NULL)
    abort ();
  if (json_strv (c, v, "bounding", &caps->bounding, &caps->n_bounding) < 0
      || json_strv (c, v, "effective", &caps->effective, &caps->n_effective) < 0
      || json_strv (c, v, "inheritable", &caps->inheritable, &caps->n_inheritable) < 0
      || json_strv (c, v, "permitted", &caps->permitted, &caps->n_permitted) < 0
      || json_strv (c, v, "ambient", &caps->ambient, &caps->n_ambient) < 0)
    return -1;
  return 0;
}

static int
parse_scheduler (struct json_ctx *c, yajl_val v, struct oci_scheduler **out)
{
  struct oci_scheduler *s;

  if (v == NULL)
    return 0;
  s = *out = calloc (1, sizeof **out);
  if (s == NULL)
    abort ();
  if (json_require (c, v, "policy") < 0
      || json_string (c, v, "policy", &s->policy) < 0
      || json_i32 (c, v, "nice", &s->nice, &s->has_nice) < 0
      || json_i32 (c, v, "priority", &s->priority, &s->has_priority) < 0
      || json_strv (c, v, "flags", &s->flags, &s->n_flags) < 0
      || json_u64 (c, v, "runtime", &s->runtime, &s->has_runtime) < 0
      || json_u64 (c, v, "deadline", &s->deadline, &s->has_deadline) < 0
      || json_u64 (c, v, "period", &s->period, &s->has_period) < 0)
    return -1;
  return 0;
}

static int
parse_io_priority (struct json_ctx *c, yajl_val v, struct oci_io_priority **out)
{
  struct oci_io_priority *p;

  if (v == NULL)
    return 0;
  p = *out = calloc (1, sizeof **out);
  if (p == NULL)
    abort ();
  if (json_require (c, v, "class") < 0
      || json_string (c, v, "class", &p->class) < 0
      || json_i32 (c, v, "priority", &p->priority, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_user (struct json_ctx *c, yajl_val v, struct oci_user *u)
{
  yajl_val gids;
  size_t mark;

  if (v == NULL)
    return 0;
  if (json_u32 (c, v, "uid", &u->uid, NULL) < 0
      || json_u32 (c, v, "gid", &u->gid, NULL) < 0
      || json_u32 (c, v, "umask", &u->umask, &u->has_umask) < 0
      || json_string (c, v, "username", &u->username) < 0)
    return -1;

  gids = json_get (v, "additionalGids");
  if (gids == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (gids))
    return key_error (c, "additionalGids", "expected an array of non-negative integers");
  if (gids->u.array.len == 0)
    return 0;
  /* setgroups() takes no more; refusing here also bounds what the init
   * copies for it. */
  if (gids->u.array.len > NGROUPS_MAX)
    return key_error (c, "additionalGids", "more than NGROUPS_MAX (65536) entries");
  u->additional_gids = calloc (gids->u.array.len, sizeof *u->additional_gids);
  if (u->additional_gids == NULL)
    abort ();
  u->n_additional_gids = gids->u.array.len;
  mark = json_push_key (c, "additionalGids");
  for (size_t i = 0; i < gids->u.array.len; i++)
    {
      uint64_t gid = 0;
      size_t m = json_push_index (c, i);

      if (integer_value (c, gids->u.array.values[i], 0, UINT32_MAX, &gid) < 0)
        return -1;
      json_pop (c, m);
      u->additional_gids[i] = (uint32_t) gid;
    }
  json_pop (c, mark);
  return 0;
}

static int
parse_cpu_affinity (struct json_ctx *c, yajl_val v, struct oci_process *p)
{
  if (v == NULL)
    return 0;
  if (json_string (c, v, "initial", &p->exec_cpu_affinity_initial) < 0
      || json_string (c, v, "final", &p->exec_cpu_affinity_final) < 0)
    return -1;
  return 0;
}

static int
parse_process (struct json_ctx *c, yajl_val v, struct oci_process **out)
{
  struct oci_process *p;
  yajl_val sub;
  size_t mark;

  if (v == NULL)
    return 0;
  p = *out = calloc (1, sizeof **out);
  if (p == NULL)
    abort ();
  if (json_bool (c, v, "terminal", &p->terminal, NULL) < 0
      || json_strv (c, v, "args", &p->args, &p->n_args) < 0
      || json_string (c, v, "commandLine", &p->command_line) < 0
      || json_strv (c, v, "env", &p->env, &p->n_env) < 0
      || json_string (c, v, "cwd", &p->cwd) < 0
      || json_bool (c, v, "noNewPrivileges", &p->no_new_privileges, NULL) < 0
      || json_string (c, v, "apparmorProfile", &p->apparmor_profile) < 0
      || json_i32 (c, v, "oomScoreAdj", &p->oom_score_adj, &p->has_oom_score_adj) < 0
      || json_string (c, v, "selinuxLabel", &p->selinux_label) < 0
      || json_array (c, v, "rlimits", sizeof *p->rlimits, parse_rlimit,
                     (void **) &p->rlimits, &p->n_rlimits) < 0)
    return -1;

  if (json_object (c, v, "consoleSize", &sub) < 0)
    return -1;
  if (sub)
    {
      mark = json_push_key (c, "consoleSize");
      if (json_require (c, sub, "height") < 0
          || json_require (c, sub, "width") < 0
          || json_u32 (c, sub, "height", &p->console_height, NULL) < 0
          || json_u32 (c, sub, "width", &p->console_width, NULL) < 0)
        return -1;
      json_pop (c, mark);
      p->has_console_size = true;
    }

  if (WITH_KEY (c, v, "user", parse_user (c, sub_, &p->user)) < 0
      || WITH_KEY (c, v, "capabilities", parse_capabilities (c, sub_, &p->capabilities)) < 0
      || WITH_KEY (c, v, "scheduler", parse_scheduler (c, sub_, &p->scheduler)) < 0
      || WITH_KEY (c, v, "ioPriority", parse_io_priority (c, sub_, &p->io_priority)) < 0
      || WITH_KEY (c, v, "execCPUAffinity", parse_cpu_affinity (c, sub_, p)) < 0)
    return -1;
  return 0;
}

/* ---- top level ---------------------------------------------------------- */

static int
parse_hooks (struct json_ctx *c, yajl_val v, struct oci_hooks *h)
{
  const struct
  {
    const char *key;
    struct oci_hook_list *list;
  } lists[] = {
    { "prestart", &h->prestart },
    { "createRuntime", &h->create_runtime },
    { "createContainer", &h->create_container },
    { "startContainer", &h->start_container },
    { "poststart", &h->poststart },
    { "poststop", &h->poststop },
  };

  if (v == NULL)
    return 0;
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    if (json_array (c, v, lists[i].key, sizeof (struct oci_hook), parse_hook,
                    (void **) &lists[i].list->hooks, &lists[i].list->n_hooks) < 0)
      return -1;
  return 0;
}

static int
parse_root (struct json_ctx *c, yajl_val v, struct oci_root *r)
{
  if (v == NULL)
    return 0;
  if (json_string (c, v, "path", &r->path) < 0
      || json_bool (c, v, "readonly", &r->readonly, NULL) < 0)
    return -1;
  return 0;
}

static int
parse_top (struct json_ctx *c, yajl_val top, struct oci_config *cfg)
{
  yajl_val sub;

  if (json_expect_object (c, top) < 0
      || json_string (c, top, "ociVersion", &cfg->oci_version) < 0
      || json_string (c, top, "hostname", &cfg->hostname) < 0
      || json_string (c, top, "domainname", &cfg->domainname) < 0
      || json_kv (c, top, "annotations", &cfg->annotations, &cfg->n_annotations) < 0
      || json_array (c, top, "mounts", sizeof *cfg->mounts, parse_mount,
                     (void **) &cfg->mounts, &cfg->n_mounts) < 0)
    return -1;
  if (WITH_KEY (c, top, "root", parse_root (c, sub_, &cfg->root)) < 0
      || WITH_KEY (c, top, "process", parse_process (c, sub_, &cfg->process)) < 0
      || WITH_KEY (c, top, "hooks", parse_hooks (c, sub_, &cfg->hooks)) < 0)
    return -1;
  if (json_object (c, top, "linux", &sub) < 0)
    return -1;
  if (sub)
    {
      size_t mark = json_push_key (c, "linux");
      if (parse_linux (c, sub, &cfg->linux_) < 0)
        return -1;
      json_pop (c, mark);
    }
  return 0;
}

/* ---- input guards ------------------------------------------------------- */

/* Refuse nesting deeper than MAX_JSON_DEPTH, and NUL escapes, before yajl
 * builds a tree.
 * Brackets inside strings do not count; escapes are skipped so that "\""
 * does not end a string early. */
static int
check_input (const char *json, size_t len, const char *file, ocirt_error_t *err)
{
  bool in_string = false;
  size_t depth = 0;

  for (size_t i = 0; i < len; i++)
    {
      char ch = json[i];
      if (in_string)
        {
          if (ch == '\\')
            {
              /* yajl decodes \u0000 into a NUL that would silently cut
               * the C string short ("/a\u0000/b" read as "/a"). */
              if (i + 5 < len && memcmp (json + i + 1, "u0000", 5) == 0)
                return make_error (err, 0, "%s: invalid JSON: \\u0000 in a string", file);
              i++;
            }
          else if (ch == '"')
            in_string = false;
        }
      else if (ch == '"')
        in_string = true;
      else if (ch == '{' || ch == '[')
        {
          if (++depth > MAX_JSON_DEPTH)
            return make_error (err, 0, "%s: invalid JSON: nested deeper than %d levels",
                               file, MAX_JSON_DEPTH);
        }
      else if ((ch == '}' || ch == ']') && depth > 0)
        depth--;
    }
  return 0;
}

/* yajl's messages span three lines (message, excerpt, caret): fold every
 * run of whitespace into one space so the error fits one log line. */
static void
condense (char *s)
{
  char *w = s;
  bool space = false;

  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
    s++;
  for (; *s; s++)
    {
      if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        {
          space = true;
          continue;
        }
      if (space)
        *w++ = ' ';
      space = false;
      /* The excerpt is raw input: keep bytes that could garble a terminal
       * or break UTF-8 in a JSON log out of the message. */
      *w++ = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    }
  *w = '\0';
}

static void
yajl_tree_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}

static void process_free (struct oci_process *p);

/* The checks and the yajl parse shared by every document ocirt reads. */
static yajl_val
parse_tree (const char *json, size_t len, const char *file, ocirt_error_t *err)
{
  cleanup_free char *copy = NULL;
  char errbuf[1024] = "";
  yajl_val top;

  /* yajl_tree_parse() takes a C string: a NUL inside the buffer would hide
   * the rest of the document from it. */
  if (memchr (json, '\0', len))
    {
      make_error (err, 0, "%s: invalid JSON: NUL byte at offset %zu", file,
                  (size_t) ((const char *) memchr (json, '\0', len) - json));
      return NULL;
    }
  if (check_input (json, len, file, err) < 0)
    return NULL;
  copy = malloc (len + 1);
  if (copy == NULL)
    abort ();
  memcpy (copy, json, len);
  copy[len] = '\0';

  /* yajl_tree validates UTF-8 in strings (yajl_dont_validate_strings is
   * off by default), so invalid sequences fail here. */
  top = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (top == NULL)
    {
      condense (errbuf);
      make_error (err, 0, "%s: invalid JSON: %s", file,
                  *errbuf ? errbuf : "parse error");
    }
  return top;
}

struct oci_config *
oci_config_parse (const char *json, size_t len, const char *file, ocirt_error_t *err)
{
  __attribute__ ((cleanup (yajl_tree_freep))) yajl_val top = parse_tree (json, len, file, err);
  struct oci_config *cfg;
  struct json_ctx c = { .file = file, .err = err };

  if (top == NULL)
    return NULL;
  cfg = calloc (1, sizeof *cfg);
  if (cfg == NULL)
    abort ();
  if (parse_top (&c, top, cfg) < 0)
    {
      oci_config_free (cfg);
      cfg = NULL;
    }
  free (c.path);
  return cfg;
}

struct oci_process *
oci_process_parse (const char *json, size_t len, const char *file, ocirt_error_t *err)
{
  __attribute__ ((cleanup (yajl_tree_freep))) yajl_val top = parse_tree (json, len, file, err);
  struct oci_process *p = NULL;
  struct json_ctx c = { .file = file, .err = err };

  if (top == NULL)
    return NULL;
  if (json_expect_object (&c, top) < 0 || parse_process (&c, top, &p) < 0)
    {
      if (p)
        process_free (p);
      p = NULL;
    }
  free (c.path);
  return p;
}

void
oci_process_free (struct oci_process *p)
{
  if (p)
    process_free (p);
}

struct oci_config *
oci_config_parse_file (const char *path, ocirt_error_t *err)
{
  size_t len = 0;
  cleanup_free char *buf = oci_read_json_file (path, &len, err);
  if (buf == NULL)
    return NULL;
  return oci_config_parse (buf, len, path, err);
}

char *
oci_read_json_file (const char *path, size_t *out_len, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t len = 0;

  /* O_NONBLOCK: opening a FIFO for reading would otherwise block until a
   * writer appears; fstat() then tells us to refuse it. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      make_error (err, errno, "open %s", path);
      return NULL;
    }
  if (fstat (fd, &st) < 0)
    {
      make_error (err, errno, "stat %s", path);
      return NULL;
    }
  /* A symlink to /dev/zero or /dev/urandom would feed us endless data. */
  if (!S_ISREG (st.st_mode))
    {
      make_error (err, 0, "%s: not a regular file", path);
      return NULL;
    }
  if (st.st_size > (off_t) MAX_CONFIG_SIZE)
    {
      make_error (err, 0, "%s: file too large (over %u MiB)", path, MAX_CONFIG_SIZE >> 20);
      return NULL;
    }

  /* Up to the limit, whatever the size now: the file may grow after fstat(). */
  if (read_fd_all (fd, (size_t) st.st_size + 1, MAX_CONFIG_SIZE, &buf, &len) < 0)
    {
      if (errno == EFBIG)
        make_error (err, 0, "%s: file too large (over %u MiB)", path, MAX_CONFIG_SIZE >> 20);
      else
        make_error (err, errno, "read %s", path);
      return NULL;
    }
  *out_len = len;
  return steal_pointer (&buf);
}

/* ---- release ------------------------------------------------------------ */

void
strv_free (char **v, size_t n)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

void
kv_free (struct oci_kv *kv, size_t n)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
hook_list_free (struct oci_hook_list *l)
{
  for (size_t i = 0; i < l->n_hooks; i++)
    {
      free (l->hooks[i].path);
      strv_free (l->hooks[i].args, l->hooks[i].n_args);
      strv_free (l->hooks[i].env, l->hooks[i].n_env);
    }
  free (l->hooks);
}

static void
process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  strv_free (p->args, p->n_args);
  free (p->command_line);
  strv_free (p->env, p->n_env);
  free (p->cwd);
  free (p->user.additional_gids);
  free (p->user.username);
  if (p->capabilities)
    {
      strv_free (p->capabilities->bounding, p->capabilities->n_bounding);
      strv_free (p->capabilities->effective, p->capabilities->n_effective);
      strv_free (p->capabilities->inheritable, p->capabilities->n_inheritable);
      strv_free (p->capabilities->permitted, p->capabilities->n_permitted);
      strv_free (p->capabilities->ambient, p->capabilities->n_ambient);
      free (p->capabilities);
    }
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  if (p->scheduler)
    {
      free (p->scheduler->policy);
      strv_free (p->scheduler->flags, p->scheduler->n_flags);
      free (p->scheduler);
    }
  free (p->selinux_label);
  if (p->io_priority)
    free (p->io_priority->class);
  free (p->io_priority);
  free (p->exec_cpu_affinity_initial);
  free (p->exec_cpu_affinity_final);
  free (p);
}

void
oci_config_free (struct oci_config *cfg)
{
  if (cfg == NULL)
    return;
  free (cfg->oci_version);
  free (cfg->root.path);
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      struct oci_mount *m = &cfg->mounts[i];
      free (m->destination);
      free (m->source);
      free (m->type);
      strv_free (m->options, m->n_options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (cfg->mounts);
  process_free (cfg->process);
  free (cfg->hostname);
  free (cfg->domainname);
  hook_list_free (&cfg->hooks.prestart);
  hook_list_free (&cfg->hooks.create_runtime);
  hook_list_free (&cfg->hooks.create_container);
  hook_list_free (&cfg->hooks.start_container);
  hook_list_free (&cfg->hooks.poststart);
  hook_list_free (&cfg->hooks.poststop);
  kv_free (cfg->annotations, cfg->n_annotations);
  linux_free (cfg->linux_);
  free (cfg);
}

/* ---- small lookups ------------------------------------------------------ */

/* Indexed by enum oci_namespace_type; the spelling is the config.json one. */
static const char *const namespace_names[OCI_NS_COUNT] = {
  [OCI_NS_PID] = "pid",
  [OCI_NS_NETWORK] = "network",
  [OCI_NS_MOUNT] = "mount",
  [OCI_NS_IPC] = "ipc",
  [OCI_NS_UTS] = "uts",
  [OCI_NS_USER] = "user",
  [OCI_NS_CGROUP] = "cgroup",
  [OCI_NS_TIME] = "time",
};

const char *
oci_namespace_name (enum oci_namespace_type t)
{
  if ((unsigned) t >= OCI_NS_COUNT)
    return NULL;
  return namespace_names[t];
}

int
oci_namespace_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (strcmp (name, namespace_names[i]) == 0)
      return i;
  return -1;
}

const struct oci_namespace *
oci_config_namespace (const struct oci_config *cfg, enum oci_namespace_type t)
{
  if (cfg->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < cfg->linux_->n_namespaces; i++)
    if (cfg->linux_->namespaces[i].type == t)
      return &cfg->linux_->namespaces[i];
  return NULL;
}

const char *
oci_annotation (const struct oci_config *cfg, const char *key)
{
  const char *found = NULL;

  if (cfg == NULL || key == NULL)
    return NULL;
  /* The last duplicate wins, as for every other key (see json_get). */
  for (size_t i = 0; i < cfg->n_annotations; i++)
    if (strcmp (cfg->annotations[i].key, key) == 0)
      found = cfg->annotations[i].value;
  return found;
}
