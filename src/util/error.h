/* error.h - the error object passed up through every layer.
 *
 * Owns: an errno plus an owned, human-readable message. A failing function
 * fills *err with make_error() and returns a negative value; each caller that
 * adds context calls wrap_error(), which prefixes "context: ". main() prints
 * the result once. Nothing below main() prints errors itself.
 *
 * Messages are lowercase with no trailing period, and the errno text is
 * appended in Go's lowercase form ("no such file or directory") because
 * podman and containerd match on those exact words.
 */
#ifndef OCIRT_ERROR_H
#define OCIRT_ERROR_H

#include <stdarg.h>

struct ocirt_error
{
  int errno_value;  /* 0 when the failure has no errno behind it */
  char *message;    /* full message, errno text already appended */
};
typedef struct ocirt_error *ocirt_error_t;

/* Set *err to "<fmt...>: <strerror(errnum)>" (or just "<fmt...>" when errnum
 * is 0) and return -1. If *err is already set it is replaced. */
int make_error (ocirt_error_t *err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Prefix the message of *err with "<fmt...>: " and return -1. */
int wrap_error (ocirt_error_t *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void error_release (ocirt_error_t *err);

/* Lowercase errno text as Go prints it ("permission denied"). */
const char *errno_text (int errnum);

#define cleanup_error __attribute__ ((cleanup (error_release)))

#endif
