/* test_procfs.c - the one way into /proc, as a specification: what is not
 * procfs, or is reached through a symlink or across a mount, is refused
 * with the path named (CVE-2025-52881). The mount cases run in a child
 * with a private mount namespace, so nothing leaks to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/linux/procfs.h"
#include "../../src/util/cleanup.h"

static void
procfs_open_accepts_proc_and_refuses_other_filesystems (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  int fd = procfs_open ("/proc", &err);
  assert_true (fd >= 0);
  close (fd);

  assert_int_equal (procfs_open ("/tmp", &err), -1);
  assert_string_equal (err->message, "\"/tmp\" is not a procfs mount");
  error_release (&err);
}

static void
procfs_open_file_reads_self_and_refuses_symlinks (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  cleanup_close int proc = procfs_open ("/proc", &err);
  assert_true (proc >= 0);

  /* "self/" is this process, though "self" itself is a symlink. */
  int fd = procfs_open_file (proc, "self/status", O_RDONLY, "/proc/self/status", &err);
  assert_true (fd >= 0);
  close (fd);

  /* "thread-self/" is this thread: its status names our tid. */
  char buf[4096], want[64];
  fd = procfs_open_file (proc, "thread-self/status", O_RDONLY, "/proc/thread-self/status", &err);
  assert_true (fd >= 0);
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  assert_true (n > 0);
  buf[n] = '\0';
  snprintf (want, sizeof want, "\nPid:\t%d\n", (int) gettid ());
  assert_non_null (strstr (buf, want));
  /* A prefix that only looks like it is not resolved as one. */
  assert_int_equal (procfs_open_file (proc, "thread-selfish/status", O_RDONLY, "/proc/thread-selfish/status", &err), -1);
  error_release (&err);

  /* A symlink (here the "mounts" link to self/mounts) is not followed. */
  assert_int_equal (procfs_open_file (proc, "mounts", O_RDONLY, "/proc/mounts", &err), -1);
  assert_non_null (strstr (err->message, "open \"/proc/mounts\": not on procfs"));
  error_release (&err);
}

/* In a private mount namespace: bind a tmpfs file over a proc file and
 * check the write is refused and the file untouched. Exit status: 0 ok. */
static int
bound_write_is_refused (void)
{
  ocirt_error_t err = NULL;
  const char *file = "/tmp/f";
  char buf[8] = "";
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 77;
  /* A tmpfs of this namespace only: nothing is left on the host. */
  if (mount ("tmpfs", "/tmp", "tmpfs", 0, NULL) < 0)
    return 2;
  FILE *f = fopen (file, "w");
  if (f == NULL || fputs ("0", f) < 0 || fclose (f) != 0)
    return 3;
  if (mount (file, "/proc/sys/kernel/domainname", NULL, MS_BIND, NULL) < 0)
    return 4;
  int proc = procfs_open ("/proc", &err);
  int r = procfs_write_file (proc, "sys/kernel/domainname", "1", 1, "/proc/sys/kernel/domainname", &err);
  if (r != -1 || strstr (err->message, "open \"/proc/sys/kernel/domainname\": not on procfs") == NULL)
    return 5;
  int fd = open (file, O_RDONLY);
  if (fd < 0 || read (fd, buf, sizeof buf - 1) != 1 || strcmp (buf, "0") != 0)
    return 6;
  return 0;
}

static void
procfs_write_file_refuses_a_bind_over_the_target (void **state)
{
  (void) state;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (bound_write_is_refused ());
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  if (WEXITSTATUS (st) == 77)
    skip ();
  assert_int_equal (WEXITSTATUS (st), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (procfs_open_accepts_proc_and_refuses_other_filesystems),
    cmocka_unit_test (procfs_open_file_reads_self_and_refuses_symlinks),
    cmocka_unit_test (procfs_write_file_refuses_a_bind_over_the_target),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
