/* mountinfo.c - see mountinfo.h. */
#include "mountinfo.h"

#include <stdio.h>
#include <string.h>

/* Undo "\ooo" in place: the kernel escapes space, tab, newline and
 * backslash in paths (fs/proc_namespace.c, mangle()). */
static char *
unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
  return s;
}

/* The next space-separated field, NUL-terminated; NULL when none is left. */
static char *
field (char **p)
{
  char *start = *p;
  if (start == NULL || *start == '\0')
    return NULL;
  char *end = strchr (start, ' ');
  if (end)
    {
      *end = '\0';
      *p = end + 1;
    }
  else
    *p = start + strlen (start);
  return start;
}

bool
mountinfo_parse_line (char *line, struct mountinfo_entry *e)
{
  char *p = line, *ids, *parent, *dev;
  /* The optional fields run up to " - "; split there first, so that an
   * optional field is never mistaken for a later one. */
  char *sep = strstr (line, " - ");
  if (sep == NULL)
    return false;
  *sep = '\0';
  char *rest = sep + 3;

  memset (e, 0, sizeof *e);
  if ((ids = field (&p)) == NULL || (parent = field (&p)) == NULL || (dev = field (&p)) == NULL
      || (e->root = field (&p)) == NULL || (e->mount_point = field (&p)) == NULL
      || (e->options = field (&p)) == NULL)
    return false;
  e->optional = p;
  if (sscanf (ids, "%d", &e->id) != 1 || sscanf (parent, "%d", &e->parent) != 1
      || sscanf (dev, "%u:%u", &e->dev_major, &e->dev_minor) != 2)
    return false;
  if ((e->fstype = field (&rest)) == NULL || (e->source = field (&rest)) == NULL)
    return false;
  e->super_options = rest;
  unescape (e->root);
  unescape (e->mount_point);
  unescape (e->source);
  return true;
}

bool
mountinfo_next (char **cursor, struct mountinfo_entry *e)
{
  while (*cursor && **cursor)
    {
      char *line = *cursor;
      char *nl = strchr (line, '\n');
      if (nl)
        {
          *nl = '\0';
          *cursor = nl + 1;
        }
      else
        *cursor = line + strlen (line);
      if (mountinfo_parse_line (line, e))
        return true;
    }
  return false;
}
