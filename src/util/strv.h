/* strv.h - NULL-terminated vectors of malloc'd strings.
 *
 * Owns: appending a formatted line to one. Modules that report warnings
 * (capabilities, seccomp) return them this way instead of printing, and the
 * caller decides where they go. Free a vector with cleanup_strv.
 */
#ifndef OCIRT_STRV_H
#define OCIRT_STRV_H

/* Append a formatted line to *v (which may be NULL). Best effort: on
 * allocation failure the line is lost, never the caller's operation. A NULL
 * v drops the line. */
void strv_append_printf (char ***v, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
