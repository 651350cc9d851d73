/* sysno.c - make one raw syscall, for tests run inside a container.
 *
 *   sysno NR [ARG]...
 *
 * Calls syscall(NR, ARG...) (integers, at most six) and prints
 * "ok <return value>" or "errno <E> <name>" (e.g. "errno 38 ENOSYS"), so a
 * test can see what a seccomp filter answers for a syscall no shell command
 * makes (clone3, a number newer than the profile). Linked statically, so it
 * runs in any rootfs.
 *
 * Build: cc -O2 -static -o tests/tools/sysno tests/tools/sysno.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  long a[6] = { 0 };

  if (argc < 2 || argc > 8)
    {
      fprintf (stderr, "usage: sysno NR [ARG]...\n");
      return 2;
    }
  for (int i = 2; i < argc; i++)
    a[i - 2] = strtol (argv[i], NULL, 0);
  long r = syscall (strtol (argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r < 0)
    printf ("errno %d %s\n", errno, strerrorname_np (errno));
  else
    printf ("ok %ld\n", r);
  return 0;
}
