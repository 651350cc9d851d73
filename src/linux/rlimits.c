/* rlimits.c - process.rlimits with prlimit(2). See rlimits.h. */
#include "rlimits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* "unlimited" for RLIM_INFINITY, which configs write as 2^64-1. */
static const char *
limit_text (uint64_t v, char buf[24])
{
  if (v == (uint64_t) RLIM_INFINITY)
    return "unlimited";
  snprintf (buf, 24, "%" PRIu64, v);
  return buf;
}

/* The kernel caps RLIMIT_NOFILE at fs.nr_open even for CAP_SYS_RESOURCE,
 * and reports it with the same EPERM; 0 when unreadable. */
static uint64_t
nr_open (void)
{
  unsigned long long v = 0;
  FILE *f = fopen ("/proc/sys/fs/nr_open", "re");

  if (f == NULL)
    return 0;
  if (fscanf (f, "%llu", &v) != 1)
    v = 0;
  fclose (f);
  return v;
}

/* Explain an EPERM from prlimit: the kernel does not say which rule hit. */
static void
eperm_hint (const struct oci_rlimit *r, char *buf, size_t len)
{
  struct rlimit cur;
  char t[24];
  uint64_t max_open;

  buf[0] = '\0';
  if (r->resource == RLIMIT_NOFILE && (max_open = nr_open ()) > 0
      && r->hard != (uint64_t) RLIM_INFINITY && r->hard > max_open)
    {
      snprintf (buf, len, " (the kernel's maximum for RLIMIT_NOFILE, fs.nr_open, is %" PRIu64 ")",
                max_open);
      return;
    }
  if (getrlimit (r->resource, &cur) == 0 && r->hard > (uint64_t) cur.rlim_max)
    snprintf (buf, len, " (the hard limit can only be raised with CAP_SYS_RESOURCE; "
              "the current hard limit is %s)", limit_text (cur.rlim_max, t));
}

static int
validate (const struct oci_rlimit *r, size_t n, ocirt_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char s[24], h[24];
      const char *type = r[i].type ? r[i].type : "";

      if (r[i].resource < 0 || r[i].resource >= RLIM_NLIMITS)
        return make_error (err, 0, "process.rlimits[%zu].type: unknown resource \"%s\"",
                           i, type);
      if (r[i].soft > r[i].hard)
        return make_error (err, 0, "process.rlimits[%zu]: %s soft limit %s is greater "
                           "than the hard limit %s", i, type,
                           limit_text (r[i].soft, s), limit_text (r[i].hard, h));
      for (size_t j = 0; j < i; j++)
        if (r[j].resource == r[i].resource)
          return make_error (err, 0, "process.rlimits[%zu].type: duplicate \"%s\" "
                             "(also process.rlimits[%zu])", i, type, j);
    }
  return 0;
}

int
rlimits_apply (const struct oci_rlimit *r, size_t n, ocirt_error_t *err)
{
  /* Validate all before setting any, so a bad entry late in the list does
   * not leave the process half-limited. */
  if (validate (r, n, err) < 0)
    return -1;

  for (size_t i = 0; i < n; i++)
    {
      struct rlimit lim = { .rlim_cur = r[i].soft, .rlim_max = r[i].hard };
      char s[24], h[24], hint[160];

      if (prlimit (0, r[i].resource, &lim, NULL) == 0)
        continue;
      int e = errno;
      if (e == EPERM)
        eperm_hint (&r[i], hint, sizeof hint);
      else
        hint[0] = '\0';
      /* The hint follows the errno text, which make_error() would put last. */
      make_error (err, 0, "process.rlimits[%zu]: setrlimit %s (soft %s, hard %s): %s%s",
                  i, r[i].type ? r[i].type : "", limit_text (r[i].soft, s),
                  limit_text (r[i].hard, h), errno_text (e), hint);
      (*err)->errno_value = e;
      return -1;
    }
  return 0;
}
