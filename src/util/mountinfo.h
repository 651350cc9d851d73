/* mountinfo.h - the one parser of /proc/<pid>/mountinfo.
 *
 * Owns: splitting a mountinfo line into its fields and undoing the kernel's
 * octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in
 * paths, so that a mount point with a space compares equal to the path it
 * is. It parses in place and never reads files or allocates.
 */
#ifndef OCIRT_MOUNTINFO_H
#define OCIRT_MOUNTINFO_H

#include <stdbool.h>

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
 * Every string points into the parsed text. */
struct mountinfo_entry
{
  int id, parent;
  unsigned int dev_major, dev_minor;
  char *root;           /* unescaped */
  char *mount_point;    /* unescaped */
  char *options;        /* per-mount options: "rw,noatime" */
  char *optional;       /* "master:1", space separated; "" when none */
  char *fstype;
  char *source;         /* unescaped */
  char *super_options;
};

/* Parse the next line of a mountinfo text in place (it is modified):
 * *cursor starts at the text and moves past each line. Returns false at
 * the end; a malformed line is skipped. */
bool mountinfo_next (char **cursor, struct mountinfo_entry *e);

/* Parse one line (without its newline) in place; false when malformed. */
bool mountinfo_parse_line (char *line, struct mountinfo_entry *e);

#endif
