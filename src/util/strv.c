/* strv.c - see strv.h. */
#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
strv_append_printf (char ***v, const char *fmt, ...)
{
  char *line = NULL;
  size_t n = 0;
  va_list ap;

  if (v == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&line, fmt, ap) < 0)
    line = NULL;
  va_end (ap);
  if (line == NULL)
    return;
  if (*v)
    while ((*v)[n])
      n++;
  char **grown = realloc (*v, (n + 2) * sizeof *grown);
  if (grown == NULL)
    {
      free (line);
      return;
    }
  grown[n] = line;
  grown[n + 1] = NULL;
  *v = grown;
}
