/* cleanup.h - scope-bound resource release.
 *
 * Owns: the __attribute__((cleanup)) helpers used across ocirt, so that
 * error paths release memory, fds and FILE streams without goto ladders.
 * Ownership leaves a variable only through steal_pointer()/steal_fd().
 */
#ifndef OCIRT_CLEANUP_H
#define OCIRT_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      /* close() must not clobber the errno an error path is about to report. */
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

/* Free a NULL-terminated array of strings and the array itself. */
static inline void cleanup_strvp (char ***p)
{
  if (*p)
    {
      for (char **s = *p; *s; s++)
        free (*s);
      free (*p);
    }
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

static inline void *steal_pointer_impl (void *pp)
{
  void **p = (void **) pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_impl (pp)

static inline int steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
