/* capabilities.c - process.capabilities with libcap. See capabilities.h. */
#include "capabilities.h"
#include "../util/cleanup.h"
#include "../util/strv.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#define CAP_NAME_MAX 40
#define BIT(v) (UINT64_C (1) << (v))

/* The highest capability number the running kernel knows, at most 63 (the
 * masks are 64-bit). libcap probes the kernel with PR_CAPBSET_READ when it
 * loads, so this also works before /proc is mounted. */
static int
last_cap (void)
{
  int max = (int) cap_max_bits () - 1;
  return max > 63 ? 63 : max;
}

/* "CAP_SYS_ADMIN" for 21, or false when libcap has no name for it (it then
 * prints the number). */
static bool
cap_upper_name (cap_value_t v, char buf[CAP_NAME_MAX])
{
  char *name = cap_to_name (v);
  bool ok = name && isalpha ((unsigned char) name[0]) && strlen (name) < CAP_NAME_MAX;

  if (ok)
    for (size_t i = 0; (buf[i] = (char) toupper ((unsigned char) name[i])); i++)
      ;
  cap_free (name);
  return ok;
}

/* The names caps_parse() skips, collected over the five lists so that
 * they are reported once. The strings are the config's, not copies. */
struct skipped
{
  const char **names;
  size_t n;
};

static void
skipped_add (struct skipped *s, const char *name)
{
  const char **grown;

  for (size_t i = 0; i < s->n; i++)
    if (strcmp (s->names[i], name) == 0)
      return;
  grown = realloc (s->names, (s->n + 1) * sizeof *grown);
  if (grown == NULL)
    abort ();
  s->names = grown;
  s->names[s->n++] = name;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* runc 1.1's wording, sorted and in Go's "[a b]" form, since people grep
 * their logs for it:
 *   ignoring unknown or unavailable capabilities: [CAP_FOO cap_chown] */
static void
skipped_report (struct skipped *s, char ***warnings)
{
  size_t len = 1;
  cleanup_free char *list = NULL;

  if (s->n == 0)
    return;
  qsort (s->names, s->n, sizeof *s->names, compare_names);
  for (size_t i = 0; i < s->n; i++)
    len += strlen (s->names[i]) + 1;
  list = calloc (1, len);
  if (list == NULL)
    abort ();
  for (size_t i = 0; i < s->n; i++)
    {
      if (i)
        strcat (list, " ");
      strcat (list, s->names[i]);
    }
  strv_append_printf (warnings, "ignoring unknown or unavailable capabilities: [%s]", list);
}

static void
parse_list (char **names, size_t n, uint64_t *mask, struct skipped *skipped)
{
  int last = last_cap ();

  *mask = 0;
  for (size_t i = 0; i < n; i++)
    {
      char canonical[CAP_NAME_MAX];
      cap_value_t v;

      /* cap_from_name() also takes "chown", "cap_chown" and "12"; the spec
       * and runc only know the capabilities(7) spelling, and accepting
       * aliases would make configs that other runtimes treat otherwise.
       * Whatever is not a capability of the running kernel is skipped, not
       * fatal: runc 1.1 and crun do so, and managers send lists written for
       * newer kernels (CAP_BPF, CAP_CHECKPOINT_RESTORE on an old one). */
      if (names[i] == NULL || strncmp (names[i], "CAP_", 4) != 0
          || cap_from_name (names[i], &v) < 0 || !cap_upper_name (v, canonical)
          || strcmp (canonical, names[i]) != 0 || v > last)
        {
          skipped_add (skipped, names[i] ? names[i] : "");
          continue;
        }
      *mask |= BIT (v);
    }
}

int
caps_parse (const struct oci_capabilities *c, struct caps_set *out,
            char ***warnings, ocirt_error_t *err)
{
  struct skipped skipped = { NULL, 0 };

  (void) err;
  memset (out, 0, sizeof *out);
  if (c == NULL)
    return 0;
  parse_list (c->bounding, c->n_bounding, &out->bounding, &skipped);
  parse_list (c->effective, c->n_effective, &out->effective, &skipped);
  parse_list (c->inheritable, c->n_inheritable, &out->inheritable, &skipped);
  parse_list (c->permitted, c->n_permitted, &out->permitted, &skipped);
  parse_list (c->ambient, c->n_ambient, &out->ambient, &skipped);
  skipped_report (&skipped, warnings);
  free (skipped.names);
  return 0;
}

/* Remove `drop` from *mask with one warning per capability. */
static void
drop_with_warning (uint64_t *mask, uint64_t drop, const char *set,
                   const char *why, char ***warnings)
{
  drop &= *mask;
  for (int v = 0; v < 64; v++)
    if (drop & BIT (v))
      {
        char name[CAP_NAME_MAX];
        if (!cap_upper_name (v, name))
          snprintf (name, sizeof name, "capability %d", v);
        strv_append_printf (warnings, "process.capabilities.%s: %s %s, skipped", set, name, why);
      }
  *mask &= ~drop;
}

void
caps_restrict_to (struct caps_set *s, const struct caps_set *available,
                  char ***warnings)
{
  /* Nothing can be added to a bounding set or a permitted set, only
   * removed; new inheritable caps must be in the bounding set (kernel
   * cap_capset()), or already inheritable. */
  drop_with_warning (&s->bounding, ~available->bounding, "bounding",
                     "is not in ocirt's own bounding set", warnings);
  drop_with_warning (&s->permitted, ~available->permitted, "permitted",
                     "is not in ocirt's own permitted set", warnings);
  drop_with_warning (&s->effective, ~available->permitted, "effective",
                     "is not in ocirt's own permitted set", warnings);
  drop_with_warning (&s->inheritable, ~(s->bounding | available->inheritable),
                     "inheritable", "is not in the bounding set", warnings);
  /* capset() refuses effective outside permitted; PR_CAP_AMBIENT_RAISE
   * refuses what is not both permitted and inheritable. */
  drop_with_warning (&s->effective, ~s->permitted, "effective",
                     "is not in the permitted set", warnings);
  drop_with_warning (&s->ambient, ~(s->permitted & s->inheritable), "ambient",
                     "is not in both the permitted and inheritable sets", warnings);
}

static uint64_t
mask_of (cap_t caps, cap_flag_t flag)
{
  uint64_t m = 0;
  for (int v = 0; v <= last_cap (); v++)
    {
      cap_flag_value_t on = CAP_CLEAR;
      if (cap_get_flag (caps, v, flag, &on) == 0 && on == CAP_SET)
        m |= BIT (v);
    }
  return m;
}

static uint64_t
current_bounding (void)
{
  uint64_t m = 0;
  for (int v = 0; v <= last_cap (); v++)
    if (prctl (PR_CAPBSET_READ, (unsigned long) v, 0, 0, 0) == 1)
      m |= BIT (v);
  return m;
}

static int
set_proc_masks (uint64_t eff, uint64_t perm, uint64_t inh, ocirt_error_t *err)
{
  cap_t caps = cap_init ();
  int ret = 0;

  if (caps == NULL)
    return make_error (err, errno, "allocate capability state");
  for (cap_value_t v = 0; v <= last_cap (); v++)
    {
      if ((eff & BIT (v)) && cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
        ret = -1;
      if ((perm & BIT (v)) && cap_set_flag (caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
        ret = -1;
      if ((inh & BIT (v)) && cap_set_flag (caps, CAP_INHERITABLE, 1, &v, CAP_SET) < 0)
        ret = -1;
    }
  if (ret < 0)
    ret = make_error (err, errno, "build capability state");
  else if (cap_set_proc (caps) < 0)
    ret = make_error (err, errno, "set capabilities (effective %#llx, permitted %#llx, "
                      "inheritable %#llx)", (unsigned long long) eff,
                      (unsigned long long) perm, (unsigned long long) inh);
  cap_free (caps);
  return ret;
}

int
caps_apply (const struct caps_set *s, char ***warnings, ocirt_error_t *err)
{
  struct caps_set want = *s;
  struct caps_set have;
  uint64_t cur_eff;
  cap_t cur = cap_get_proc ();

  if (cur == NULL)
    return make_error (err, errno, "read process capabilities");
  have.bounding = current_bounding ();
  have.permitted = mask_of (cur, CAP_PERMITTED);
  have.inheritable = mask_of (cur, CAP_INHERITABLE);
  cur_eff = mask_of (cur, CAP_EFFECTIVE);
  cap_free (cur);
  caps_restrict_to (&want, &have, warnings);

  /* 1. The uid switch cleared the effective set; bring back what is still
   *    permitted so that CAP_SETPCAP works for the bounding set. */
  if (cur_eff != have.permitted
      && set_proc_masks (have.permitted, have.permitted, have.inheritable, err) < 0)
    return wrap_error (err, "restore effective capabilities");

  /* 2. Bounding set: it limits what any later execve of a file with
   *    capabilities can gain, so everything not asked for goes. */
  for (cap_value_t v = 0; v <= last_cap (); v++)
    if ((have.bounding & BIT (v)) && !(want.bounding & BIT (v))
        && cap_drop_bound (v) < 0)
      {
        char name[CAP_NAME_MAX];
        int e = errno;
        if (!cap_upper_name (v, name))
          snprintf (name, sizeof name, "%d", v);
        return make_error (err, e, "drop %s from the bounding set%s", name,
                           e == EPERM ? " (needs CAP_SETPCAP)" : "");
      }

  /* 3. Ambient: start from empty. EINVAL means a kernel before 4.3, which
   *    has no ambient set to clear; it only matters if ambient caps are
   *    wanted, and step 5 reports that. */
  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return make_error (err, errno, "clear the ambient capability set");

  /* 4. */
  if (set_proc_masks (want.effective, want.permitted, want.inheritable, err) < 0)
    return -1;

  /* 5. */
  for (cap_value_t v = 0; v <= last_cap (); v++)
    if ((want.ambient & BIT (v)) && cap_set_ambient (v, CAP_SET) < 0)
      {
        char name[CAP_NAME_MAX];
        int e = errno;
        if (!cap_upper_name (v, name))
          snprintf (name, sizeof name, "%d", v);
        return make_error (err, e, "raise ambient capability %s", name);
      }
  return 0;
}

const char *const *
caps_known_names (void)
{
  static char storage[64][CAP_NAME_MAX];
  static const char *list[65];

  if (list[0] == NULL)
    for (int v = 0, n = 0; v <= last_cap (); v++)
      if (cap_upper_name (v, storage[n]))
        {
          list[n] = storage[n];
          n++;
        }
  return list;
}
