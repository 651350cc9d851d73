/* duration.c - Go's time.ParseDuration (see duration.h). */
#include "duration.h"

#include <stdbool.h>
#include <string.h>

static const struct
{
  const char *name;
  uint64_t ns;
} units[] = {
  /* Longest first where one is a prefix of another ("ms" before "m"). */
  { "ns", 1 },
  { "us", 1000 },
  { "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
  { "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
  { "ms", 1000000 },
  { "s", 1000000000ull },
  { "m", 60ull * 1000000000ull },
  { "h", 3600ull * 1000000000ull },
};

static int
bad (ocirt_error_t *err, const char *s)
{
  return make_error (err, 0, "invalid duration \"%s\" (expected e.g. 500ms, 5s, 1m30s)", s);
}

int
duration_parse (const char *s, uint64_t *ns, ocirt_error_t *err)
{
  const char *p = s;
  uint64_t total = 0;

  if (*p == '+')
    p++;
  if (*p == '-')
    return make_error (err, 0, "invalid duration \"%s\": negative", s);
  if (strcmp (p, "0") == 0)
    {
      *ns = 0;
      return 0;
    }
  if (*p == '\0')
    return bad (err, s);
  while (*p)
    {
      uint64_t whole = 0, frac = 0, scale = 1, unit = 0;
      bool digits = false;
      size_t ulen = 0;

      for (; *p >= '0' && *p <= '9'; p++, digits = true)
        {
          if (whole > (UINT64_MAX - 9) / 10)
            return make_error (err, 0, "invalid duration \"%s\": overflow", s);
          whole = whole * 10 + (uint64_t) (*p - '0');
        }
      if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
          if (scale < 1000000000000000000ull)
            {
              frac = frac * 10 + (uint64_t) (*p - '0');
              scale *= 10;
            }
      if (!digits)
        return bad (err, s);
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t n = strlen (units[i].name);

          if (n > ulen && strncmp (p, units[i].name, n) == 0
              && !(n == 1 && p[0] == 'm' && p[1] == 's'))
            {
              unit = units[i].ns;
              ulen = n;
            }
        }
      if (unit == 0)
        return make_error (err, 0, "invalid duration \"%s\": missing or unknown unit", s);
      p += ulen;
      if (whole > UINT64_MAX / unit)
        return make_error (err, 0, "invalid duration \"%s\": overflow", s);
      uint64_t v = whole * unit;
      /* The fraction of a unit, rounded down as Go does; x86's long double
       * has the 64 bits of mantissa this needs. */
      v += (uint64_t) ((long double) frac * (long double) unit / (long double) scale);
      if (total > UINT64_MAX - v)
        return make_error (err, 0, "invalid duration \"%s\": overflow", s);
      total += v;
    }
  *ns = total;
  return 0;
}
