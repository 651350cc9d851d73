/* error.c - construction and wrapping of struct ocirt_error. See error.h. */
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
errno_text (int errnum)
{
  /* strerror() is not thread-safe; the buffer is per thread because the shim
   * has threads. The first letter is lowered to match Go's wording. */
  static __thread char buf[128];
  const char *s = strerror_r (errnum, buf, sizeof buf);
  if (s != buf)
    snprintf (buf, sizeof buf, "%s", s);
  buf[0] = (char) tolower ((unsigned char) buf[0]);
  return buf;
}

static int
set_message (ocirt_error_t *err, int errnum, char *text)
{
  if (*err == NULL)
    {
      *err = calloc (1, sizeof **err);
      if (*err == NULL)
        {
          free (text);
          abort ();
        }
    }
  free ((*err)->message);
  (*err)->errno_value = errnum;
  (*err)->message = text;
  return -1;
}

int
make_error (ocirt_error_t *err, int errnum, const char *fmt, ...)
{
  char *head = NULL;
  char *full = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&head, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (errnum == 0)
    return set_message (err, 0, head);
  if (asprintf (&full, "%s: %s", head, errno_text (errnum)) < 0)
    abort ();
  free (head);
  return set_message (err, errnum, full);
}

int
wrap_error (ocirt_error_t *err, const char *fmt, ...)
{
  char *prefix = NULL;
  char *full = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (*err == NULL)
    return set_message (err, 0, prefix);
  if (asprintf (&full, "%s: %s", prefix, (*err)->message) < 0)
    abort ();
  free (prefix);
  return set_message (err, (*err)->errno_value, full);
}

void
error_release (ocirt_error_t *err)
{
  if (*err)
    {
      free ((*err)->message);
      free (*err);
      *err = NULL;
    }
}
