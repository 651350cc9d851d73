/* cgroup_systemd.c - see cgroup_systemd.h.
 *
 * The mapping follows runc 1.1's libcontainer/cgroups/systemd: the same
 * unit names, cgroup paths, property names and conversions, so a manager
 * (or an admin with systemctl) finds an ocirt container where it would
 * find a runc one.
 */
#include "cgroup_systemd.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "idmap.h"
#include "sdbus.h"
#include "../util/cleanup.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_ERR_UNIT_EXISTS "org.freedesktop.systemd1.UnitExists"
#define SD_ERR_NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"
#define SLICE_SUFFIX ".slice"
/* The largest CPU or memory node number a cpuset list may name. */
#define CPUSET_MAX 8192

/* ------------------------------------------------------------------ */
/* property lists                                                       */

static const char *const signatures[] = {
  [SDP_BOOL] = "b",   [SDP_BYTE] = "y",   [SDP_INT16] = "n",  [SDP_UINT16] = "q",
  [SDP_INT32] = "i",  [SDP_UINT32] = "u", [SDP_INT64] = "x",  [SDP_UINT64] = "t",
  [SDP_DOUBLE] = "d", [SDP_STRING] = "s", [SDP_STRV] = "as",  [SDP_BYTES] = "ay",
  [SDP_UINT32V] = "au",
};

const char *
sd_prop_signature (enum sd_prop_type t)
{
  return signatures[t];
}

static void
prop_clear (struct sd_prop *p)
{
  free (p->name);
  free (p->s);
  for (size_t i = 0; p->strv && i < p->n; i++)
    free (p->strv[i]);
  free (p->strv);
  free (p->bytes);
  free (p->u32v);
  memset (p, 0, sizeof *p);
}

void
sd_props_clear (struct sd_props *p)
{
  for (size_t i = 0; i < p->n; i++)
    prop_clear (&p->v[i]);
  free (p->v);
  p->v = NULL;
  p->n = 0;
}

void
systemd_unit_clear (struct systemd_unit *u)
{
  free (u->slice);
  free (u->name);
  free (u->path);
  sd_props_clear (&u->props);
  memset (u, 0, sizeof *u);
}

/* Append a new property named name; returns it (zeroed but for the name). */
static struct sd_prop *
props_add (struct sd_props *p, const char *name, enum sd_prop_type type)
{
  struct sd_prop *v = realloc (p->v, (p->n + 1) * sizeof *v);

  if (v == NULL)
    abort ();
  p->v = v;
  memset (&v[p->n], 0, sizeof v[p->n]);
  v[p->n].name = strdup (name);
  if (v[p->n].name == NULL)
    abort ();
  v[p->n].type = type;
  return &v[p->n++];
}

/* Move *x (its name and values) to the end of the list. */
static void
props_push (struct sd_props *p, struct sd_prop *x)
{
  struct sd_prop *v = realloc (p->v, (p->n + 1) * sizeof *v);

  if (v == NULL)
    abort ();
  p->v = v;
  v[p->n++] = *x;
  memset (x, 0, sizeof *x);
}

static void
add_bool (struct sd_props *p, const char *name, bool b)
{
  props_add (p, name, SDP_BOOL)->v.b = b;
}

static void
add_u64 (struct sd_props *p, const char *name, uint64_t u)
{
  props_add (p, name, SDP_UINT64)->v.u = u;
}

static void
add_string (struct sd_props *p, const char *name, const char *s)
{
  struct sd_prop *x = props_add (p, name, SDP_STRING);

  x->s = strdup (s);
  if (x->s == NULL)
    abort ();
}

/* ------------------------------------------------------------------ */
/* names and paths                                                      */

char *
systemd_expand_slice (const char *slice, ocirt_error_t *err)
{
  size_t len = strlen (slice), slen = strlen (SLICE_SUFFIX);
  cleanup_free char *path = NULL, *base = NULL;
  size_t o = 0;

  /* A slice name ends in ".slice", is more than that, has no '/'. */
  if (len <= slen || strcmp (slice + len - slen, SLICE_SUFFIX) != 0 || strchr (slice, '/'))
    goto invalid;
  base = strndup (slice, len - slen);
  if (base == NULL)
    abort ();
  if (strcmp (base, "-") == 0)
    return strdup ("/");
  /* "a-b" -> "/a.slice/a-b.slice": each dash opens a level, and no
   * component may be empty ("a--b", "-a", "a-"). */
  path = malloc ((len + slen + 2) * (len + 1));
  if (path == NULL)
    abort ();
  for (const char *c = base;; c++)
    {
      if (*c != '-' && *c != '\0')
        continue;
      if (c == base || c[-1] == '-')
        goto invalid;
      o += (size_t) sprintf (path + o, "/%.*s" SLICE_SUFFIX, (int) (c - base), base);
      if (*c == '\0')
        break;
    }
  return steal_pointer (&path);
invalid:
  make_error (err, 0, "invalid slice name: %s", slice);
  return NULL;
}

int
systemd_unit_parse (const char *cgroups_path, const char *id, struct systemd_unit *u,
                    ocirt_error_t *err)
{
  return systemd_unit_parse_user (cgroups_path, id, false, u, err);
}

int
systemd_unit_parse_user (const char *cgroups_path, const char *id, bool user,
                         struct systemd_unit *u, ocirt_error_t *err)
{
  cleanup_free char *slice_path = NULL;
  const char *c1, *c2;
  const char *default_slice = user ? SYSTEMD_USER_DEFAULT_SLICE : SYSTEMD_DEFAULT_SLICE;

  memset (u, 0, sizeof *u);
  u->user = user;
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      /* runc's default is "system.slice:runc:<id>": the prefix names the
       * runtime, so an ocirt container never takes a runc one's unit. */
      u->slice = strdup (default_slice);
      if (asprintf (&u->name, SYSTEMD_DEFAULT_PREFIX "-%s.scope", id) < 0)
        abort ();
    }
  else
    {
      c1 = strchr (cgroups_path, ':');
      c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL || strchr (c2 + 1, ':'))
        return make_error (err, 0,
                           "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd "
                           "cgroups, got \"%s\" instead",
                           cgroups_path);
      const char *name = c2 + 1;
      size_t nlen = strlen (name), slen = strlen (SLICE_SUFFIX);

      u->slice = c1 == cgroups_path ? strdup (default_slice)
                                    : strndup (cgroups_path, (size_t) (c1 - cgroups_path));
      if (name[0] == '\0')
        {
          systemd_unit_clear (u);
          return make_error (err, 0, "cgroupsPath \"%s\": the unit name (after the second ':') is empty",
                             cgroups_path);
        }
      /* A name ending in ".slice" asks for a slice, not a scope. */
      if (nlen > slen && strcmp (name + nlen - slen, SLICE_SUFFIX) == 0)
        u->name = strdup (name);
      else if (c2 == c1 + 1)
        {
          if (asprintf (&u->name, "%s.scope", name) < 0)
            abort ();
        }
      else if (asprintf (&u->name, "%.*s-%s.scope", (int) (c2 - c1 - 1), c1 + 1, name) < 0)
        abort ();
    }
  if (u->slice == NULL || u->name == NULL)
    abort ();
  if (strchr (u->name, '/'))
    {
      make_error (err, 0, "cgroupsPath \"%s\": unit name \"%s\" contains '/'",
                  cgroups_path ? cgroups_path : "", u->name);
      systemd_unit_clear (u);
      return -1;
    }
  slice_path = systemd_expand_slice (u->slice, err);
  if (slice_path == NULL)
    {
      systemd_unit_clear (u);
      return wrap_error (err, "cgroupsPath \"%s\"", cgroups_path ? cgroups_path : "");
    }
  if (asprintf (&u->path, "%s/%s", strcmp (slice_path, "/") == 0 ? "" : slice_path, u->name) < 0)
    abort ();
  return 0;
}

/* ------------------------------------------------------------------ */
/* conversions                                                          */

uint64_t
systemd_cpu_quota_per_sec (int64_t quota, uint64_t period)
{
  uint64_t q;

  if (quota <= 0)
    return UINT64_MAX;
  if (period == 0)
    period = 100000;
  q = (uint64_t) quota * 1000000 / period;
  /* systemd stores whole percents: round up so that the kernel's quota is
   * never below the one asked for. */
  if (q % 10000 != 0)
    q = (q / 10000 + 1) * 10000;
  return q;
}

static int
parse_cpu_number (const char **s, unsigned long *out)
{
  char *end;

  if (!isdigit ((unsigned char) **s))
    return -1;
  errno = 0;
  *out = strtoul (*s, &end, 10);
  if (errno || *out >= CPUSET_MAX)
    return -1;
  *s = end;
  return 0;
}

int
systemd_cpuset_bits (const char *list, uint8_t **bytes, size_t *n, ocirt_error_t *err)
{
  cleanup_free uint8_t *b = calloc (CPUSET_MAX / 8, 1);
  size_t len = 0;
  const char *s = list;

  if (b == NULL)
    abort ();
  while (*s)
    {
      unsigned long lo, hi;

      while (*s == ' ' || *s == ',')
        s++;
      if (*s == '\0')
        break;
      if (parse_cpu_number (&s, &lo) < 0)
        goto bad;
      hi = lo;
      if (*s == '-')
        {
          s++;
          if (parse_cpu_number (&s, &hi) < 0 || hi < lo)
            goto bad;
        }
      while (*s == ' ')
        s++;
      if (*s != ',' && *s != '\0')
        goto bad;
      for (unsigned long i = lo; i <= hi; i++)
        b[i / 8] |= (uint8_t) (1u << (i % 8));
      if (hi / 8 + 1 > len)
        len = hi / 8 + 1;
    }
  if (len == 0)
    return make_error (err, 0, "cpuset \"%s\": empty value", list);
  *bytes = steal_pointer (&b);
  *n = len;
  return 0;
bad:
  return make_error (err, 0, "cpuset \"%s\": not a list of numbers and ranges below %d", list,
                     CPUSET_MAX);
}

/* ------------------------------------------------------------------ */
/* GVariant text values                                                 */

static const struct
{
  const char *word;     /* GVariant's type keyword */
  char code;            /* or its '@' code */
  enum sd_prop_type type;
} value_types[] = {
  { "boolean", 'b', SDP_BOOL },   { "byte", 'y', SDP_BYTE },     { "int16", 'n', SDP_INT16 },
  { "uint16", 'q', SDP_UINT16 },  { "int32", 'i', SDP_INT32 },   { "uint32", 'u', SDP_UINT32 },
  { "int64", 'x', SDP_INT64 },    { "uint64", 't', SDP_UINT64 }, { "double", 'd', SDP_DOUBLE },
  { "string", 's', SDP_STRING },
};

static const char *
skip_ws (const char *s)
{
  while (isspace ((unsigned char) *s))
    s++;
  return s;
}

/* A type given before the value: "@t", "@as", or a keyword and a space.
 * *type is left alone when there is none. Returns where the value starts. */
static const char *
parse_type (const char *s, bool *typed, enum sd_prop_type *type)
{
  *typed = false;
  if (s[0] == '@')
    {
      if (strncmp (s + 1, "as", 2) == 0 && (s[3] == '\0' || isspace ((unsigned char) s[3]) || s[3] == '['))
        {
          *typed = true;
          *type = SDP_STRV;
          return skip_ws (s + 3);
        }
      for (size_t i = 0; i < sizeof value_types / sizeof value_types[0]; i++)
        if (s[1] == value_types[i].code && (s[2] == '\0' || isspace ((unsigned char) s[2])))
          {
            *typed = true;
            *type = value_types[i].type;
            return skip_ws (s + 2);
          }
      return NULL;
    }
  for (size_t i = 0; i < sizeof value_types / sizeof value_types[0]; i++)
    {
      size_t l = strlen (value_types[i].word);
      if (strncmp (s, value_types[i].word, l) == 0 && isspace ((unsigned char) s[l]))
        {
          *typed = true;
          *type = value_types[i].type;
          return skip_ws (s + l);
        }
    }
  return s;
}

/* A quoted string ('...' or "..."), with backslash escapes of the quote and
 * the backslash. Sets *end past the closing quote. */
static char *
parse_string (const char *s, const char **end)
{
  char q = *s, *out, *o;

  if (q != '\'' && q != '"')
    return NULL;
  out = o = malloc (strlen (s) + 1);
  if (out == NULL)
    abort ();
  for (s++; *s && *s != q; s++)
    {
      if (*s == '\\' && s[1])
        s++;
      *o++ = *s;
    }
  if (*s != q)
    {
      free (out);
      return NULL;
    }
  *o = '\0';
  *end = s + 1;
  return out;
}

static int
parse_strv (const char *s, struct sd_prop *p, const char **end)
{
  size_t cap = 0;

  if (*s != '[')
    return -1;
  s = skip_ws (s + 1);
  while (*s != ']')
    {
      char *item = parse_string (s, &s);
      if (item == NULL)
        return -1;
      if (p->n == cap)
        {
          char **v = realloc (p->strv, (cap = cap ? cap * 2 : 4) * sizeof *v);
          if (v == NULL)
            abort ();
          p->strv = v;
        }
      p->strv[p->n++] = item;
      s = skip_ws (s);
      if (*s == ',')
        s = skip_ws (s + 1);
      else if (*s != ']')
        return -1;
    }
  *end = s + 1;
  return 0;
}

/* The range of each integer type. */
static bool
int_fits (enum sd_prop_type t, bool neg, uint64_t mag)
{
  switch (t)
    {
    case SDP_BYTE: return !neg && mag <= UINT8_MAX;
    case SDP_INT16: return mag <= (neg ? 32768u : 32767u);
    case SDP_UINT16: return !neg && mag <= UINT16_MAX;
    case SDP_INT32: return mag <= (neg ? 2147483648u : 2147483647u);
    case SDP_UINT32: return !neg && mag <= UINT32_MAX;
    case SDP_INT64: return mag <= (neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX);
    case SDP_UINT64: return !neg;
    default: return false;
    }
}

static int
parse_number (const char *s, bool typed, struct sd_prop *p, const char **end)
{
  bool neg = *s == '-';
  const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
  char *e;

  if (!isdigit ((unsigned char) *digits))
    return -1;
  if ((typed && p->type == SDP_DOUBLE) || (!typed && digits[strspn (digits, "0123456789")] != '\0'
                                           && strchr (".eE", digits[strspn (digits, "0123456789")])))
    {
      errno = 0;
      p->v.d = strtod (s, &e);
      if (errno)
        return -1;
      p->type = SDP_DOUBLE;
      *end = e;
      return 0;
    }
  errno = 0;
  uint64_t mag = strtoull (digits, &e, 10);
  if (errno)
    return -1;
  if (!typed)
    p->type = int_fits (SDP_INT32, neg, mag) ? SDP_INT32 : SDP_INT64;
  if (!int_fits (p->type, neg, mag))
    return -1;
  if (neg)
    p->v.i = mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag;
  else
    p->v.u = mag;
  *end = e;
  return 0;
}

int
systemd_parse_value (const char *text, struct sd_prop *p, ocirt_error_t *err)
{
  const char *s = skip_ws (text), *end = NULL;
  bool typed;
  enum sd_prop_type type = SDP_STRING;
  int r = -1;

  s = parse_type (s, &typed, &type);
  if (s == NULL)
    goto bad;
  p->type = type;
  if (strncmp (s, "true", 4) == 0 || strncmp (s, "false", 5) == 0)
    {
      if (typed && type != SDP_BOOL)
        goto bad;
      p->type = SDP_BOOL;
      p->v.b = s[0] == 't';
      end = s + (p->v.b ? 4 : 5);
      r = 0;
    }
  else if (*s == '\'' || *s == '"')
    {
      if (typed && type != SDP_STRING)
        goto bad;
      p->type = SDP_STRING;
      p->s = parse_string (s, &end);
      r = p->s ? 0 : -1;
    }
  else if (*s == '[')
    {
      if (typed && type != SDP_STRV)
        goto bad;
      p->type = SDP_STRV;
      r = parse_strv (s, p, &end);
    }
  else if (!typed || (type != SDP_BOOL && type != SDP_STRING && type != SDP_STRV))
    r = parse_number (s, typed, p, &end);
  if (r < 0 || *skip_ws (end) != '\0')
    goto bad;
  return 0;
bad:
  return make_error (err, 0,
                     "value \"%s\": not a GVariant text value ocirt reads (true, false, 5, "
                     "uint64 5, @t 5, 1.5, 'text', ['a', 'b'])",
                     text);
}

static bool
valid_property_name (const char *s)
{
  if (strlen (s) < 3 || *s < 'A' || *s > 'Z')
    return false;
  for (s++; *s; s++)
    if (!isalnum ((unsigned char) *s) || !isascii ((unsigned char) *s))
      return false;
  return true;
}

/* runc's convertSecToUSec: a number of seconds as uint64 microseconds. */
static int
sec_to_usec (struct sd_prop *p)
{
  switch (p->type)
    {
    case SDP_BYTE: case SDP_UINT16: case SDP_UINT32: case SDP_UINT64:
      if (p->v.u > UINT64_MAX / 1000000)
        return -1;
      p->v.u *= 1000000;
      break;
    case SDP_INT16: case SDP_INT32: case SDP_INT64:
      if (p->v.i < 0 || (uint64_t) p->v.i > UINT64_MAX / 1000000)
        return -1;
      p->v.u = (uint64_t) p->v.i * 1000000;
      break;
    case SDP_DOUBLE:
      if (!(p->v.d >= 0 && p->v.d * 1e6 < 18446744073709551615.0))
        return -1;
      p->v.u = (uint64_t) (p->v.d * 1e6);
      break;
    default:
      return -1;
    }
  p->type = SDP_UINT64;
  return 0;
}

int
systemd_annotation_prop (const char *key, const char *value, struct sd_prop *p, ocirt_error_t *err)
{
  const char *name = key + strlen (SYSTEMD_ANNOTATION_PREFIX);
  size_t len = strlen (name);

  memset (p, 0, sizeof *p);
  if (!valid_property_name (name))
    return make_error (err, 0, "annotation \"%s\": \"%s\" is not a systemd property name", key, name);
  if (systemd_parse_value (value, p, err) < 0)
    {
      prop_clear (p);
      return wrap_error (err, "annotation \"%s\"", key);
    }
  /* "TimeoutStopSec" is given in seconds; systemd's D-Bus API only has
   * "TimeoutStopUSec". runc converts any such name, and so do we. */
  if (len > 3 && strcmp (name + len - 3, "Sec") == 0 && islower ((unsigned char) name[len - 4]))
    {
      if (sec_to_usec (p) < 0)
        {
          prop_clear (p);
          return make_error (err, 0, "annotation \"%s\": value \"%s\" is not a number of seconds", key,
                             value);
        }
      if (asprintf (&p->name, "%.*sUSec", (int) (len - 3), name) < 0)
        abort ();
    }
  else if ((p->name = strdup (name)) == NULL)
    abort ();
  return 0;
}

/* ------------------------------------------------------------------ */
/* properties of resources                                              */

/* -1 ("unlimited") is systemd's infinity. */
static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static int
add_cpuset (struct sd_props *p, const char *name, const char *list, const char *field,
            ocirt_error_t *err)
{
  uint8_t *bytes;
  size_t n;

  if (list == NULL || list[0] == '\0')
    return 0;
  if (systemd_cpuset_bits (list, &bytes, &n, err) < 0)
    return wrap_error (err, "%s", field);
  struct sd_prop *x = props_add (p, name, SDP_BYTES);
  x->bytes = bytes;
  x->n = n;
  return 0;
}

static int
memory_props (const struct oci_memory *mem, bool v2, struct sd_props *p, ocirt_error_t *err)
{
  struct oci_memory m = cgroup_memory_without_zeros (mem);

  if (m.has_limit)
    add_u64 (p, v2 ? "MemoryMax" : "MemoryLimit", limit_value (m.limit));
  if (!v2)
    return 0;
  if (m.has_reservation)
    add_u64 (p, "MemoryLow", limit_value (m.reservation));
  bool set;
  int64_t swap;
  if (cgroup_v2_swap_value (&m, &set, &swap, err) < 0)
    return -1;
  /* swap.max 0 (swap equal to the limit) stays a file write, as in runc. */
  if (set && swap != 0)
    add_u64 (p, "MemorySwapMax", limit_value (swap));
  return 0;
}

static int
cpu_props (const struct oci_cpu *c, bool v2, struct sd_props *p, ocirt_error_t *err)
{
  if (c->has_shares && c->shares != 0)
    {
      if (v2)
        add_u64 (p, "CPUWeight", cgroup_shares_to_weight (c->shares));
      else
        add_u64 (p, "CPUShares", c->shares);
    }
  int64_t quota = c->has_quota ? c->quota : 0;
  uint64_t period = c->has_period ? c->period : 0;
  if (period != 0)
    add_u64 (p, "CPUQuotaPeriodUSec", period);
  if (quota != 0 || period != 0)
    add_u64 (p, "CPUQuotaPerSecUSec", systemd_cpu_quota_per_sec (quota, period));
  /* systemd's cpuset (AllowedCPUs) exists on v2 only. */
  if (v2 && (add_cpuset (p, "AllowedCPUs", c->cpus, "linux.resources.cpu.cpus", err) < 0
             || add_cpuset (p, "AllowedMemoryNodes", c->mems, "linux.resources.cpu.mems", err) < 0))
    return -1;
  return 0;
}

int
systemd_resource_props (const struct oci_resources *res, bool v2, struct sd_props *out,
                        ocirt_error_t *err)
{
  if (res == NULL)
    return 0;
  if (res->memory && memory_props (res->memory, v2, out, err) < 0)
    return -1;
  if (res->cpu && cpu_props (res->cpu, v2, out, err) < 0)
    return -1;
  /* runc: a positive limit, or -1 for none; 0 is "not set". */
  if (res->has_pids_limit && res->pids_limit != 0)
    add_u64 (out, "TasksMax", limit_value (res->pids_limit));
  if (res->block_io && res->block_io->has_weight && res->block_io->weight != 0)
    {
      if (v2)
        add_u64 (out, "IOWeight", cgroup_blkio_to_io_weight (res->block_io->weight));
      else
        add_u64 (out, "BlockIOWeight", res->block_io->weight);
    }
  return 0;
}

int
systemd_unit_props (const struct systemd_unit *u, const char *id, const struct oci_resources *res,
                    const struct oci_kv *annotations, size_t n_annotations, bool v2,
                    struct sd_props *out, ocirt_error_t *err)
{
  size_t plen = strlen (SYSTEMD_ANNOTATION_PREFIX);
  size_t nlen = strlen (u->name), slen = strlen (SLICE_SUFFIX);
  bool is_slice = nlen > slen && strcmp (u->name + nlen - slen, SLICE_SUFFIX) == 0;
  char desc[256];

  snprintf (desc, sizeof desc, "ocirt container %s", id);
  add_string (out, "Description", desc);
  if (is_slice)
    {
      /* A slice's parent follows from its name; runc orders it after the
       * given one with Wants=. */
      struct sd_prop *w = props_add (out, "Wants", SDP_STRV);
      w->strv = malloc (sizeof *w->strv);
      if (w->strv == NULL || (w->strv[0] = strdup (u->slice)) == NULL)
        abort ();
      w->n = 1;
    }
  else
    {
      add_string (out, "Slice", u->slice);
      /* The container owns its cgroup tree: systemd leaves what is below
       * the scope (and its controllers' files) to it. */
      add_bool (out, "Delegate", true);
    }
  /* No implicit ordering against shutdown.target & co.: the unit is the
   * container's, started and stopped by its runtime. */
  add_bool (out, "DefaultDependencies", false);
  add_bool (out, "MemoryAccounting", true);
  add_bool (out, "CPUAccounting", true);
  add_bool (out, "TasksAccounting", true);
  add_bool (out, v2 ? "IOAccounting" : "BlockIOAccounting", true);
  if (systemd_resource_props (res, v2, out, err) < 0)
    return -1;
  for (size_t i = 0; i < n_annotations; i++)
    {
      struct sd_prop a;

      if (strncmp (annotations[i].key, SYSTEMD_ANNOTATION_PREFIX, plen) != 0)
        continue;
      if (systemd_annotation_prop (annotations[i].key, annotations[i].value, &a, err) < 0)
        return -1;
      props_push (out, &a);
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* systemd                                                              */

bool
systemd_running (void)
{
  struct stat st;

  return lstat (SYSTEMD_RUNNING_DIR, &st) == 0 && S_ISDIR (st.st_mode);
}

/* The user's systemd runs in its own cgroup (typically
 * /user.slice/user-UID.slice/user@UID.service) and places its units
 * below it: the unit's path starts there, as runc's. Asked before anything
 * exists, so that no user bus fails the create with nothing left. */
static int
user_manager_prefix (struct systemd_unit *u, ocirt_error_t *err)
{
  cleanup_sdbus struct sdbus b = { 0 };
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *cg = NULL;
  char *path = NULL;
  int r;

  if (sdbus_open (&b, true, err) < 0)
    return -1;
  r = b.f.get_property_string (b.bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ControlGroup", &e, &cg);
  if (r < 0)
    {
      sdbus_error (err, r, &e, "systemd cgroup driver (rootless, uid %u): the user's systemd's "
                   "ControlGroup", idmap_outer_euid ());
      b.f.error_free (&e);
      return -1;
    }
  if (asprintf (&path, "%s%s", strcmp (cg, "/") == 0 ? "" : cg, u->path) < 0)
    abort ();
  free (u->path);
  u->path = path;
  return 0;
}

int
systemd_unit_prepare (const char *cgroups_path, const char *id, const struct oci_resources *res,
                      const struct oci_kv *annotations, size_t n_annotations, bool user,
                      struct systemd_unit *u, ocirt_error_t *err)
{
  /* runc's order: the path's format first, then systemd's presence. */
  if (systemd_unit_parse_user (cgroups_path, id, user, u, err) < 0)
    return -1;
  if (!systemd_running ())
    {
      systemd_unit_clear (u);
      return make_error (err, 0,
                         "--systemd-cgroup: systemd is not running on this host (no "
                         SYSTEMD_RUNNING_DIR "), so the systemd cgroup driver cannot be used; "
                         "run without --systemd-cgroup and with a cgroupfs cgroupsPath");
    }
  /* runc's legacy manager refuses it too: the user's systemd delegates
   * nothing on v1. */
  if (user && cgroup_detect_mode () != CGROUP_MODE_V2)
    {
      systemd_unit_clear (u);
      return make_error (err, 0, "--systemd-cgroup: cannot use rootless systemd cgroups manager on "
                         "cgroup v1 (uid %u)", idmap_outer_euid ());
    }
  if (user && user_manager_prefix (u, err) < 0)
    {
      systemd_unit_clear (u);
      return -1;
    }
  if (systemd_unit_props (u, id, res, annotations, n_annotations,
                          cgroup_detect_mode () == CGROUP_MODE_V2, &u->props, err) < 0)
    {
      systemd_unit_clear (u);
      return -1;
    }
  return 0;
}

static int
append_prop (const struct sdbus *b, sd_bus_message *m, const struct sd_prop *p)
{
  const struct sdbus_api *f = &b->f;
  int r = f->message_open_container (m, 'r', "sv");

  if (r >= 0)
    r = f->message_append_basic (m, 's', p->name);
  if (r >= 0)
    r = f->message_open_container (m, 'v', sd_prop_signature (p->type));
  if (r < 0)
    return r;
  switch (p->type)
    {
    case SDP_BOOL:
      {
        int v = p->v.b;
        r = f->message_append_basic (m, 'b', &v);
        break;
      }
    case SDP_BYTE:
      {
        uint8_t v = (uint8_t) p->v.u;
        r = f->message_append_basic (m, 'y', &v);
        break;
      }
    case SDP_INT16:
      {
        int16_t v = (int16_t) p->v.i;
        r = f->message_append_basic (m, 'n', &v);
        break;
      }
    case SDP_UINT16:
      {
        uint16_t v = (uint16_t) p->v.u;
        r = f->message_append_basic (m, 'q', &v);
        break;
      }
    case SDP_INT32:
      {
        int32_t v = (int32_t) p->v.i;
        r = f->message_append_basic (m, 'i', &v);
        break;
      }
    case SDP_UINT32:
      {
        uint32_t v = (uint32_t) p->v.u;
        r = f->message_append_basic (m, 'u', &v);
        break;
      }
    case SDP_INT64:
      r = f->message_append_basic (m, 'x', &p->v.i);
      break;
    case SDP_UINT64:
      r = f->message_append_basic (m, 't', &p->v.u);
      break;
    case SDP_DOUBLE:
      r = f->message_append_basic (m, 'd', &p->v.d);
      break;
    case SDP_STRING:
      r = f->message_append_basic (m, 's', p->s);
      break;
    case SDP_STRV:
      r = f->message_open_container (m, 'a', "s");
      for (size_t i = 0; r >= 0 && i < p->n; i++)
        r = f->message_append_basic (m, 's', p->strv[i]);
      if (r >= 0)
        r = f->message_close_container (m);
      break;
    case SDP_BYTES:
      r = f->message_append_array (m, 'y', p->bytes, p->n);
      break;
    case SDP_UINT32V:
      r = f->message_open_container (m, 'a', "u");
      for (size_t i = 0; r >= 0 && i < p->n; i++)
        r = f->message_append_basic (m, 'u', &p->u32v[i]);
      if (r >= 0)
        r = f->message_close_container (m);
      break;
    }
  if (r >= 0)
    r = f->message_close_container (m);
  if (r >= 0)
    r = f->message_close_container (m);
  return r;
}

/* "a(sv)" of the list (plus extra, when not NULL). */
static int
append_props (const struct sdbus *b, sd_bus_message *m, const struct sd_props *p,
              const struct sd_prop *extra)
{
  int r = b->f.message_open_container (m, 'a', "(sv)");

  for (size_t i = 0; r >= 0 && i < p->n; i++)
    r = append_prop (b, m, &p->v[i]);
  if (r >= 0 && extra)
    r = append_prop (b, m, extra);
  if (r >= 0)
    r = b->f.message_close_container (m);
  return r;
}

/* A job systemd runs for us, and its end (the JobRemoved signal). */
struct job_wait
{
  const struct sdbus *b;
  char *path;           /* the job object, once the call returned it */
  char *result;         /* "done", "failed", "canceled", ... */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  const char *path, *unit, *result;
  uint32_t id;

  (void) e;
  if (w->path == NULL || w->result != NULL
      || w->b->f.message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (strcmp (path, w->path) == 0 && (w->result = strdup (result)) == NULL)
    abort ();
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Call a Manager method that queues a job (m is its message) and wait for
 * the job's end. The signal is subscribed to before the call: the job may
 * end before the reply is read. A failed call leaves its D-Bus error in
 * *e; *result is the job's result, or NULL on a time-out. */
static int
run_job (const struct sdbus *b, sd_bus_message *m, sd_bus_error *e, char **result)
{
  const struct sdbus_api *f = &b->f;
  struct job_wait w = { .b = b };
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  const char *path;
  int r;

  *result = NULL;
  r = f->match_signal (b->bus, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return r;
  /* The bus daemon passes systemd's signals on only to subscribers;
   * systemd's private socket gets them all unasked. */
  if (!b->direct)
    f->call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
  r = f->call (b->bus, m, SYSTEMD_JOB_TIMEOUT_USEC, e, &reply);
  if (r >= 0)
    r = f->message_read (reply, "o", &path);
  if (r >= 0 && (w.path = strdup (path)) == NULL)
    abort ();
  uint64_t deadline = now_usec () + SYSTEMD_JOB_TIMEOUT_USEC;
  while (r >= 0 && w.result == NULL)
    {
      uint64_t now = now_usec ();
      r = f->process (b->bus, NULL);
      if (r > 0 || w.result)
        continue;
      if (r < 0 || now >= deadline)
        break;
      r = f->wait (b->bus, deadline - now);
    }
  if (reply)
    f->message_unref (reply);
  f->slot_unref (slot);
  free (w.path);
  *result = w.result;
  return r < 0 ? r : 0;
}

static int
new_call (const struct sdbus *b, const char *method, sd_bus_message **m)
{
  return b->f.message_new_method_call (b->bus, m, SD_DEST, SD_PATH, SD_MANAGER, method);
}

static bool
error_is (const sd_bus_error *e, const char *name)
{
  return e->name && strcmp (e->name, name) == 0;
}

/* Best effort: a failed unit keeps its name until reset. */
static void
reset_failed (const struct sdbus *b, const char *name)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;

  b->f.call_method (b->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e, NULL, "s", name);
  b->f.error_free (&e);
}

static int
start_once (const struct sdbus *b, const struct systemd_unit *u, const struct sd_prop *pids,
            sd_bus_error *e, char **result)
{
  sd_bus_message *m = NULL;
  int r = new_call (b, "StartTransientUnit", &m);

  if (r >= 0)
    r = b->f.message_append (m, "ss", u->name, "replace");
  if (r >= 0)
    r = append_props (b, m, &u->props, pids);
  /* No auxiliary units. */
  if (r >= 0)
    r = b->f.message_append (m, "a(sa(sv))", 0);
  if (r >= 0)
    r = run_job (b, m, e, result);
  if (m)
    b->f.message_unref (m);
  return r;
}

int
systemd_unit_start (const struct systemd_unit *u, pid_t pid, bool *existed, ocirt_error_t *err)
{
  cleanup_sdbus struct sdbus b = { 0 };
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *result = NULL;
  uint32_t upid = (uint32_t) pid;
  struct sd_prop pids = { .name = (char *) "PIDs", .type = SDP_UINT32V, .u32v = &upid, .n = 1 };
  size_t nlen = strlen (u->name), slen = strlen (SLICE_SUFFIX);
  bool is_slice = nlen > slen && strcmp (u->name + nlen - slen, SLICE_SUFFIX) == 0;
  int r;

  if (sdbus_open (&b, u->user, err) < 0)
    return -1;
  /* A slice takes no PIDs: the init is moved in through cgroup.procs. */
  r = start_once (&b, u, is_slice ? NULL : &pids, &e, &result);
  if (r < 0 && error_is (&e, SD_ERR_UNIT_EXISTS))
    {
      /* Maybe a failed leftover of an earlier container of that name: as
       * runc, reset it and try once more. */
      b.f.error_free (&e);
      reset_failed (&b, u->name);
      r = start_once (&b, u, is_slice ? NULL : &pids, &e, &result);
    }
  *existed = r < 0 && error_is (&e, SD_ERR_UNIT_EXISTS);
  if (*existed)
    {
      b.f.error_free (&e);
      return 0;
    }
  if (r < 0)
    {
      sdbus_error (err, r, &e, "start systemd unit \"%s\"", u->name);
      b.f.error_free (&e);
      return -1;
    }
  if (result == NULL || strcmp (result, "done") != 0)
    {
      reset_failed (&b, u->name);
      if (result == NULL)
        return make_error (err, ETIMEDOUT, "timeout waiting for systemd to create %s", u->name);
      return make_error (err, 0, "error creating systemd unit \"%s\": got \"%s\"", u->name, result);
    }
  return 0;
}

int
systemd_unit_update (const char *name, bool user, const struct oci_resources *res,
                     ocirt_error_t *err)
{
  cleanup_sdbus struct sdbus b = { 0 };
  struct sd_props props = { 0 };
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *m = NULL;
  int r;

  if (systemd_resource_props (res, cgroup_detect_mode () == CGROUP_MODE_V2, &props, err) < 0)
    return -1;
  if (props.n == 0)
    return 0;
  if (sdbus_open (&b, user, err) < 0)
    {
      sd_props_clear (&props);
      return -1;
    }
  r = new_call (&b, "SetUnitProperties", &m);
  if (r >= 0)
    r = b.f.message_append (m, "sb", name, 1);
  if (r >= 0)
    r = append_props (&b, m, &props, NULL);
  if (r >= 0)
    r = b.f.call (b.bus, m, SYSTEMD_JOB_TIMEOUT_USEC, &e, NULL);
  if (m)
    b.f.message_unref (m);
  sd_props_clear (&props);
  if (r < 0)
    {
      sdbus_error (err, r, &e, "set properties of systemd unit \"%s\"", name);
      b.f.error_free (&e);
      return -1;
    }
  return 0;
}

int
systemd_unit_stop (const char *name, bool user, ocirt_error_t *err)
{
  cleanup_sdbus struct sdbus b = { 0 };
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *result = NULL;
  sd_bus_message *m = NULL;
  int r;

  if (sdbus_open (&b, user, err) < 0)
    return -1;
  r = new_call (&b, "StopUnit", &m);
  if (r >= 0)
    r = b.f.message_append (m, "ss", name, "replace");
  if (r >= 0)
    r = run_job (&b, m, &e, &result);
  if (m)
    b.f.message_unref (m);
  /* A scope whose last process ended is gone already. */
  if (r < 0 && !error_is (&e, SD_ERR_NO_SUCH_UNIT))
    {
      sdbus_error (err, r, &e, "stop systemd unit \"%s\"", name);
      b.f.error_free (&e);
      return -1;
    }
  b.f.error_free (&e);
  reset_failed (&b, name);
  return 0;
}
