/* test_seccomp.c - seccomp, capabilities and rlimits of the container
 * process, as a specification.
 *
 * Filters, capability sets and limits are installed in child processes,
 * because none of them can be undone in the test process. A child is this
 * binary re-executed as "test_seccomp --child <scenario> [arg]": it rebuilds
 * its own config, so that under valgrind (which does not follow exec by
 * default) the children run natively. Valgrind neither emulates seccomp(2)
 * nor lets a process change its RLIMIT_NOFILE, and the leak check is for the
 * test process, not for children that exit with their filter still loaded.
 * A child reports through its exit status and explains failures on stderr;
 * it never calls cmocka asserts, whose longjmp would resume the test run.
 *
 * Runs as root (it switches uid in a child), on x86_64 or any arch with the
 * generic syscalls used here.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "../../src/linux/capabilities.h"
#include "../../src/linux/rlimits.h"
#include "../../src/linux/seccomp.h"
#include "../../src/util/cleanup.h"

#define N(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- child processes ---------------------------------------------------- */

#define CHILD_CHECK(cond)                                                     \
  do                                                                          \
    {                                                                         \
      if (!(cond))                                                            \
        {                                                                     \
          fprintf (stderr, "child %s:%d: check failed: %s (errno %d)\n",      \
                   __FILE__, __LINE__, #cond, errno);                         \
          _exit (10 + __LINE__ % 100);                                        \
        }                                                                     \
    }                                                                         \
  while (0)

/* The absolute path of this binary, for re-executing it as a child. */
static char self_exe[4096];

static pid_t
spawn_scenario (const char *name, const char *arg)
{
  pid_t pid = fork ();

  assert_true (pid >= 0);
  if (pid == 0)
    {
      execl (self_exe, "test_seccomp", "--child", name, arg, (char *) NULL);
      _exit (127);
    }
  return pid;
}

/* Run a scenario in a child and return its wait status. */
static int
run_scenario (const char *name, const char *arg)
{
  int status = 0;
  pid_t pid = spawn_scenario (name, arg);

  assert_int_equal (waitpid (pid, &status, 0), pid);
  return status;
}

static void
assert_child_ok (int status)
{
  if (WIFSIGNALED (status))
    fail_msg ("child killed by signal %d", WTERMSIG (status));
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* Build and load a filter the way the container init does with
 * noNewPrivileges: NNP first, seccomp last. */
static void
child_install (const struct oci_seccomp *s, int *notify_fd)
{
  ocirt_error_t err = NULL;
  scmp_filter_ctx ctx = NULL;
  int fd = -1;

  if (seccomp_prepare (s, &ctx, NULL, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      _exit (2);
    }
  CHILD_CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  if (seccomp_install (ctx, s, &fd, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      _exit (2);
    }
  seccomp_release (ctx);
  if (notify_fd)
    *notify_fd = fd;
}

/* errno of a raw syscall, 0 on success. */
static long
sys_errno (long nr, long a, long b, long c)
{
  errno = 0;
  return syscall (nr, a, b, c) < 0 ? errno : 0;
}

static scmp_filter_ctx
prepare_ok (const struct oci_seccomp *s, char ***warnings)
{
  ocirt_error_t err = NULL;
  scmp_filter_ctx ctx = NULL;

  if (seccomp_prepare (s, &ctx, warnings, &err) < 0)
    fail_msg ("seccomp_prepare: %s", err->message);
  assert_non_null (ctx);
  return ctx;
}

static void
assert_prepare_fails (const struct oci_seccomp *s, const char *message)
{
  cleanup_error ocirt_error_t err = NULL;
  scmp_filter_ctx ctx = (scmp_filter_ctx) 1;

  assert_int_equal (seccomp_prepare (s, &ctx, NULL, &err), -1);
  assert_null (ctx);
  assert_non_null (err);
  assert_string_equal (err->message, message);
}

/* ---- seccomp: actions --------------------------------------------------- */

static int
scenario_errno_default (const char *arg)
{
  (void) arg;
  /* Enough for the child to run and exit. */
  char *allowed[] = {
    "getpid", "gettid", "write", "writev", "read", "exit", "exit_group",
    "rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "brk", "mmap", "munmap",
    "mprotect", "futex", "close", "fstat", "newfstatat",
  };
  char *unlinkat_name[] = { "unlinkat" };
  char *getpgid_name[] = { "getpgid" };
  struct oci_seccomp_syscall rules[] = {
    { .names = allowed, .n_names = N (allowed), .action = "SCMP_ACT_ALLOW" },
    { .names = unlinkat_name, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true, .errno_ret = ENOSPC },
    { .names = getpgid_name, .n_names = 1, .action = "SCMP_ACT_ERRNO" },
  };
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  struct oci_seccomp s = {
    .default_action = "SCMP_ACT_ERRNO",
    .has_default_errno_ret = true, .default_errno_ret = EXDEV,
    .architectures = archs, .n_architectures = N (archs),
    .syscalls = rules, .n_syscalls = N (rules),
  };

  child_install (&s, NULL);
  CHILD_CHECK (syscall (SYS_getpid) == getpid ());
  /* Not in the allow list: the defaultErrnoRet. */
  CHILD_CHECK (sys_errno (SYS_mkdirat, AT_FDCWD, (long) "/tmp/ocirt-never", 0700) == EXDEV);
  /* Own rule with errnoRet. */
  CHILD_CHECK (sys_errno (SYS_unlinkat, AT_FDCWD, (long) "/tmp/ocirt-never", 0) == ENOSPC);
  /* Own rule without errnoRet: EPERM. */
  CHILD_CHECK (sys_errno (SYS_getpgid, 0, 0, 0) == EPERM);
  /* Above unlinkat (263), the highest number named: runc's ENOSYS stub. */
  CHILD_CHECK (sys_errno (435 /* clone3 */, 0, 0, 0) == ENOSYS);
  CHILD_CHECK (sys_errno (100000, 0, 0, 0) == ENOSYS);
  return 0;
}

/* When runc puts its ENOSYS stub in front of the filter, and when not. */
static void
test_enosys_stub_only_for_a_denying_default (void **state)
{
  (void) state;
  char *names[] = { "read", "mkdir" };
  struct oci_seccomp_syscall rules[] = {
    { .names = names, .n_names = N (names), .action = "SCMP_ACT_ALLOW" },
  };
  char *x86_64[] = { "SCMP_ARCH_X86_64" };
  char *with_x32[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X32" };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO", .architectures = x86_64,
                           .n_architectures = 1, .syscalls = rules, .n_syscalls = 1 };
  struct sock_filter p[256];

  /* ld arch; jeq x86_64; ld nr; jgt 83 (mkdir); ret ENOSYS; ja filter */
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_ERRNO (EPERM), p, N (p)), 6);
  assert_int_equal (p[3].k, 83);
  assert_int_equal (p[4].k, SECCOMP_RET_ERRNO | ENOSYS);
  assert_int_equal (p[5].k, 0);
  /* x32 numbers (with bit 30) are compared with x32's highest. */
  s.architectures = with_x32;
  s.n_architectures = 2;
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_KILL_PROCESS, p, N (p)), 10);
  assert_int_equal (p[7].k, 0x40000000u + 83);
  /* A permissive default, or a profile without architectures: none. */
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_ALLOW, p, N (p)), 0);
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_LOG, p, N (p)), 0);
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_TRACE (1), p, N (p)), 0);
  s.n_architectures = 0;
  assert_int_equal (seccomp_enosys_stub (&s, SCMP_ACT_ERRNO (EPERM), p, N (p)), 0);
}

static void
test_errno_default_with_allow_list (void **state)
{
  (void) state;
  assert_child_ok (run_scenario ("errno_default", NULL));
}

static int
scenario_kill_process (const char *arg)
{
  (void) arg;
  char *names[] = { "acct" };
  struct oci_seccomp_syscall rules[] = {
    { .names = names, .n_names = 1, .action = "SCMP_ACT_KILL_PROCESS" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = rules, .n_syscalls = 1 };
  struct rlimit no_core = { 0, 0 };

  /* SIGSYS dumps core by default; keep the test directory clean. */
  setrlimit (RLIMIT_CORE, &no_core);
  child_install (&s, NULL);
  syscall (SYS_acct, NULL);
  return 3;
}

static void
test_kill_process_kills_with_sigsys (void **state)
{
  (void) state;
  int status = run_scenario ("kill_process", NULL);

  assert_true (WIFSIGNALED (status));
  assert_int_equal (WTERMSIG (status), SIGSYS);
}

static int
scenario_no_nnp (const char *arg)
{
  (void) arg;
  char *names[] = { "getpgid" };
  struct oci_seccomp_syscall rules[] = {
    { .names = names, .n_names = 1, .action = "SCMP_ACT_ERRNO" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = rules, .n_syscalls = 1 };
  scmp_filter_ctx ctx = NULL;
  ocirt_error_t err = NULL;
  int fd;

  /* noNewPrivileges=false: loading relies on CAP_SYS_ADMIN, and the filter
   * must not turn no_new_privs on behind the config's back. */
  CHILD_CHECK (seccomp_prepare (&s, &ctx, NULL, &err) == 0);
  CHILD_CHECK (seccomp_install (ctx, &s, &fd, &err) == 0);
  seccomp_release (ctx);
  CHILD_CHECK (fd == -1);
  CHILD_CHECK (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
  CHILD_CHECK (sys_errno (SYS_getpgid, 0, 0, 0) == EPERM);
  return 0;
}

static void
test_filter_does_not_set_no_new_privs (void **state)
{
  (void) state;
  if (geteuid () != 0)
    skip ();
  assert_child_ok (run_scenario ("no_nnp", NULL));
}

/* ---- seccomp: argument comparisons ------------------------------------- */

static int
scenario_ne_and_masked_eq (const char *arg)
{
  (void) arg;
  char *personality[] = { "personality" };
  char *getpriority[] = { "getpriority" };
  struct oci_seccomp_arg ne[] = { { .index = 0, .value = 0xffffffff, .op = "SCMP_CMP_NE" } };
  struct oci_seccomp_arg masked[] = {
    { .index = 1, .value = 0xff00, .has_value_two = true, .value_two = 0x1200,
      .op = "SCMP_CMP_MASKED_EQ" },
  };
  struct oci_seccomp_syscall rules[] = {
    { .names = personality, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .args = ne, .n_args = 1 },
    { .names = getpriority, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true, .errno_ret = ENOSPC, .args = masked, .n_args = 1 },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = rules, .n_syscalls = N (rules) };

  child_install (&s, NULL);
  /* Docker's profile: querying (0xffffffff) is fine, changing is not. */
  CHILD_CHECK (sys_errno (SYS_personality, 0xffffffff, 0, 0) == 0);
  CHILD_CHECK (sys_errno (SYS_personality, 0x0008 /* PER_LINUX32 */, 0, 0) == EPERM);
  /* MASKED_EQ: (who & 0xff00) == 0x1200 is refused. */
  CHILD_CHECK (sys_errno (SYS_getpriority, PRIO_PROCESS, 0x1234, 0) == ENOSPC);
  CHILD_CHECK (sys_errno (SYS_getpriority, PRIO_PROCESS, 0, 0) == 0);
  return 0;
}

static void
test_args_ne_and_masked_eq (void **state)
{
  (void) state;
  assert_child_ok (run_scenario ("ne_and_masked_eq", NULL));
}

/* getpgid(pid) is refused with ENOSPC when `pid <op> 100`. */
static const struct
{
  const char *op;
  bool refused[3];  /* for getpgid(99), getpgid(100), getpgid(101) */
} op_cases[] = {
  { "SCMP_CMP_NE", { true, false, true } },
  { "SCMP_CMP_LT", { true, false, false } },
  { "SCMP_CMP_LE", { true, true, false } },
  { "SCMP_CMP_EQ", { false, true, false } },
  { "SCMP_CMP_GE", { false, true, true } },
  { "SCMP_CMP_GT", { false, false, true } },
};

static int
scenario_operator (const char *arg)
{
  size_t i = (size_t) atoi (arg);
  char *getpgid[] = { "getpgid" };
  struct oci_seccomp_arg cmp = { .index = 0, .value = 100, .op = (char *) op_cases[i].op };
  struct oci_seccomp_syscall rule = {
    .names = getpgid, .n_names = 1, .action = "SCMP_ACT_ERRNO",
    .has_errno_ret = true, .errno_ret = ENOSPC, .args = &cmp, .n_args = 1,
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = &rule, .n_syscalls = 1 };

  child_install (&s, NULL);
  for (int k = 0; k < 3; k++)
    {
      bool refused = sys_errno (SYS_getpgid, 99 + k, 0, 0) == ENOSPC;
      if (refused != op_cases[i].refused[k])
        {
          fprintf (stderr, "child: %s: getpgid(%d) refused=%d\n", op_cases[i].op,
                   99 + k, refused);
          return 1;
        }
    }
  return 0;
}

static void
test_args_every_operator (void **state)
{
  (void) state;
  for (size_t i = 0; i < N (op_cases); i++)
    {
      char arg[8];
      snprintf (arg, sizeof arg, "%zu", i);
      assert_child_ok (run_scenario ("operator", arg));
    }
}

static int
scenario_same_index (const char *arg)
{
  (void) arg;
  char *getpgid[] = { "getpgid" };
  char *getpriority[] = { "getpriority" };
  struct oci_seccomp_arg same[] = {
    { .index = 0, .value = 10, .op = "SCMP_CMP_EQ" },
    { .index = 0, .value = 20, .op = "SCMP_CMP_EQ" },
  };
  struct oci_seccomp_arg both[] = {
    { .index = 0, .value = PRIO_PROCESS, .op = "SCMP_CMP_EQ" },
    { .index = 1, .value = 4242, .op = "SCMP_CMP_EQ" },
  };
  struct oci_seccomp_syscall rules[] = {
    { .names = getpgid, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true, .errno_ret = ENOSPC, .args = same, .n_args = 2 },
    { .names = getpriority, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true, .errno_ret = ENOSPC, .args = both, .n_args = 2 },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = rules, .n_syscalls = N (rules) };

  child_install (&s, NULL);
  /* Two conditions on arg 0 are ORed (runc): 10 or 20. */
  CHILD_CHECK (sys_errno (SYS_getpgid, 10, 0, 0) == ENOSPC);
  CHILD_CHECK (sys_errno (SYS_getpgid, 20, 0, 0) == ENOSPC);
  CHILD_CHECK (sys_errno (SYS_getpgid, 30, 0, 0) != ENOSPC);
  /* Conditions on different args are ANDed. */
  CHILD_CHECK (sys_errno (SYS_getpriority, PRIO_PROCESS, 4242, 0) == ENOSPC);
  CHILD_CHECK (sys_errno (SYS_getpriority, PRIO_PGRP, 4242, 0) != ENOSPC);
  CHILD_CHECK (sys_errno (SYS_getpriority, PRIO_PROCESS, 0, 0) == 0);
  return 0;
}

static void
test_args_same_index_are_separate_rules (void **state)
{
  (void) state;
  assert_child_ok (run_scenario ("same_index", NULL));
}

/* ---- seccomp: validation ------------------------------------------------ */

static void
test_unknown_syscall_is_skipped_with_warning (void **state)
{
  (void) state;
  cleanup_strv char **warnings = NULL;
  char *names[] = { "getpid", "no_such_syscall" };
  struct oci_seccomp_syscall rules[] = {
    { .names = names, .n_names = 2, .action = "SCMP_ACT_ERRNO" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .syscalls = rules, .n_syscalls = 1 };
  char expected[160];

  seccomp_release (prepare_ok (&s, &warnings));
  snprintf (expected, sizeof expected,
            "linux.seccomp.syscalls[0].names[1]: unknown syscall \"no_such_syscall\" "
            "(libseccomp %s), skipped", seccomp_version_string ());
  assert_non_null (warnings);
  assert_string_equal (warnings[0], expected);
  assert_null (warnings[1]);

  /* A NULL warnings vector just drops them. */
  seccomp_release (prepare_ok (&s, NULL));
}

static void
test_rule_equal_to_default_is_skipped (void **state)
{
  (void) state;
  char *names[] = { "getpid" };
  struct oci_seccomp_syscall rules[] = {
    { .names = names, .n_names = 1, .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true, .errno_ret = EPERM },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
                           .syscalls = rules, .n_syscalls = 1 };

  seccomp_release (prepare_ok (&s, NULL));
}

static void
test_invalid_configs_name_the_json_path (void **state)
{
  (void) state;
  char *getpid[] = { "getpid" };
  char *bad_arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_Z80" };
  char *bad_flag[] = { "SECCOMP_FILTER_FLAG_NOPE" };
  struct oci_seccomp_arg bad_op[] = { { .index = 0, .value = 1, .op = "SCMP_CMP_FOO" } };
  struct oci_seccomp_arg bad_index[] = { { .index = 6, .value = 1, .op = "SCMP_CMP_EQ" } };
  struct oci_seccomp_syscall rules[] = {
    { .names = getpid, .n_names = 1, .action = "SCMP_ACT_ALLOW" },
    { .names = getpid, .n_names = 1, .action = "SCMP_ACT_ALLOW" },
    { .names = getpid, .n_names = 1, .action = "SCMP_ACT_ALLOW" },
    { .names = getpid, .n_names = 1, .action = "SCMP_ACT_FOO" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
                           .syscalls = rules, .n_syscalls = N (rules) };

  assert_prepare_fails (&s, "linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"");

  rules[3].action = "SCMP_ACT_KILL";
  rules[3].has_errno_ret = true;
  assert_prepare_fails (&s, "linux.seccomp.syscalls[3].errnoRet: not supported "
                        "with action \"SCMP_ACT_KILL\"");
  rules[3].has_errno_ret = false;

  rules[1].args = bad_op;
  rules[1].n_args = 1;
  assert_prepare_fails (&s, "linux.seccomp.syscalls[1].args[0].op: unknown operator "
                        "\"SCMP_CMP_FOO\"");
  rules[1].args = bad_index;
  assert_prepare_fails (&s, "linux.seccomp.syscalls[1].args[0].index: 6 is out of "
                        "range (0-5)");
  rules[1].n_args = 0;

  rules[2].n_names = 0;
  assert_prepare_fails (&s, "linux.seccomp.syscalls[2].names: must contain at least one entry");
  rules[2].n_names = 1;

  s.architectures = bad_arch;
  s.n_architectures = 2;
  assert_prepare_fails (&s, "linux.seccomp.architectures[1]: unknown architecture "
                        "\"SCMP_ARCH_Z80\"");
  s.n_architectures = 0;

  s.flags = bad_flag;
  s.n_flags = 1;
  assert_prepare_fails (&s, "linux.seccomp.flags[0]: unknown flag "
                        "\"SECCOMP_FILTER_FLAG_NOPE\"");
  s.n_flags = 0;

  s.default_action = "SCMP_ACT_ALLOW";
  s.has_default_errno_ret = true;
  assert_prepare_fails (&s, "linux.seccomp.defaultErrnoRet: not supported with "
                        "action \"SCMP_ACT_ALLOW\"");
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = 5000;
  assert_prepare_fails (&s, "linux.seccomp.defaultErrnoRet: 5000 is not a valid "
                        "errno (maximum 4095)");
  s.has_default_errno_ret = false;

  s.default_action = "SCMP_ACT_BAR";
  assert_prepare_fails (&s, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
  s.default_action = "SCMP_ACT_ERRNO";

  s.listener_metadata = "x";
  assert_prepare_fails (&s, "linux.seccomp.listenerMetadata: set without listenerPath");
}

static void
test_flags_known_and_supported (void **state)
{
  (void) state;
  char *log_flag[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                       "SECCOMP_FILTER_FLAG_TSYNC" };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .flags = log_flag, .n_flags = N (log_flag) };
  const char *const *known = seccomp_known_flags ();
  const char *const *supported = seccomp_supported_flags ();
  size_t n_known = 0;

  while (known[n_known])
    n_known++;
  assert_int_equal (n_known, 4);
  /* Every supported flag is known, and usable. */
  for (size_t i = 0; supported[i]; i++)
    {
      bool found = false;
      for (size_t k = 0; known[k]; k++)
        found |= strcmp (known[k], supported[i]) == 0;
      assert_true (found);
    }
  if (seccomp_api_get () >= 4)
    seccomp_release (prepare_ok (&s, NULL));

#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  char *waitkill[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
  char expected[160];
  s.flags = waitkill;
  s.n_flags = 1;
  snprintf (expected, sizeof expected, "linux.seccomp.flags[0]: flag "
            "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\" is not supported by "
            "libseccomp %s", seccomp_version_string ());
  assert_prepare_fails (&s, expected);
#endif
}

static bool
list_has (const char *const *list, const char *name)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (list[i], name) == 0)
      return true;
  return false;
}

static void
test_features_lists (void **state)
{
  (void) state;
  char version[32];

  assert_true (list_has (seccomp_known_actions (), "SCMP_ACT_NOTIFY"));
  assert_true (list_has (seccomp_known_actions (), "SCMP_ACT_KILL_PROCESS"));
  assert_true (list_has (seccomp_known_operators (), "SCMP_CMP_MASKED_EQ"));
  assert_true (list_has (seccomp_known_archs (), "SCMP_ARCH_X86_64"));
  assert_true (list_has (seccomp_known_archs (), "SCMP_ARCH_AARCH64"));
#ifndef SCMP_ARCH_LOONGARCH64
  assert_false (list_has (seccomp_known_archs (), "SCMP_ARCH_LOONGARCH64"));
#endif
  snprintf (version, sizeof version, "%d.%d.%d", SCMP_VER_MAJOR, SCMP_VER_MINOR,
            SCMP_VER_MICRO);
  assert_string_equal (seccomp_version_string (), version);
}

/* ---- seccomp: the notify listener -------------------------------------- */

static void
test_listener_payload (void **state)
{
  (void) state;
  cleanup_free char *p = seccomp_listener_payload (
    "MKNOD=/dev/null", 4422,
    "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":4422,"
    "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"},\"x\":[true,null,1.5]}");
  cleanup_free char *no_meta = seccomp_listener_payload (NULL, 1, "{}");

  assert_non_null (p);
  assert_string_equal (p,
    "{\"ociVersion\":\"" OCI_VERSION "\",\"fds\":[\"seccompFd\"],\"pid\":4422,"
    "\"metadata\":\"MKNOD=/dev/null\",\"state\":{\"ociVersion\":\"1.3.0\","
    "\"id\":\"c1\",\"status\":\"creating\",\"pid\":4422,\"bundle\":\"/b\","
    "\"annotations\":{\"k\":\"v\"},\"x\":[true,null,1.5]}}");
  assert_string_equal (no_meta, "{\"ociVersion\":\"" OCI_VERSION "\",\"fds\":"
                       "[\"seccompFd\"],\"pid\":1,\"state\":{}}");

  errno = 0;
  assert_null (seccomp_listener_payload (NULL, 1, "[1]"));
  assert_int_equal (errno, EINVAL);
  assert_null (seccomp_listener_payload (NULL, 1, "{\"a\":"));
  assert_null (seccomp_listener_payload (NULL, 1, NULL));
}

/* Exit status of a scenario that cannot run on this kernel. */
#define SCENARIO_SKIP 77

static int
scenario_notify (const char *listener_path)
{
  char *acct[] = { "acct" };
  struct oci_seccomp_syscall rules[] = {
    { .names = acct, .n_names = 1, .action = "SCMP_ACT_NOTIFY" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .listener_path = (char *) listener_path,
                           .listener_metadata = "agent-metadata",
                           .syscalls = rules, .n_syscalls = 1 };
  ocirt_error_t err = NULL;
  char state[64];
  char *payload;
  int fd = -1;

  if (seccomp_api_get () < 5)
    return SCENARIO_SKIP;
  CHILD_CHECK (seccomp_uses_notify (&s));
  child_install (&s, &fd);
  CHILD_CHECK (fd >= 0);
  /* What the runtime does once the init handed it the fd. */
  snprintf (state, sizeof state, "{\"id\":\"c1\",\"status\":\"creating\",\"pid\":%d}",
            (int) getpid ());
  payload = seccomp_listener_payload (s.listener_metadata, getpid (), state);
  CHILD_CHECK (payload != NULL);
  if (seccomp_send_notify_fd (s.listener_path, fd, payload, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      return 4;
    }
  free (payload);
  close (fd);
  /* The agent answers for the kernel. */
  CHILD_CHECK (syscall (SYS_acct, NULL) == 4242);
  return 0;
}

static void
check_payload (const char *json, pid_t pid)
{
  yajl_val root = yajl_tree_parse (json, NULL, 0);
  const char *fds_path[] = { "fds", NULL };
  const char *pid_path[] = { "pid", NULL };
  const char *meta_path[] = { "metadata", NULL };
  const char *ver_path[] = { "ociVersion", NULL };
  const char *state_pid_path[] = { "state", "pid", NULL };
  yajl_val fds;

  assert_non_null (root);
  assert_string_equal (YAJL_GET_STRING (yajl_tree_get (root, ver_path, yajl_t_string)),
                       OCI_VERSION);
  fds = yajl_tree_get (root, fds_path, yajl_t_array);
  assert_non_null (fds);
  assert_int_equal (fds->u.array.len, 1);
  assert_string_equal (YAJL_GET_STRING (fds->u.array.values[0]), "seccompFd");
  assert_int_equal (YAJL_GET_INTEGER (yajl_tree_get (root, pid_path, yajl_t_number)), pid);
  assert_int_equal (YAJL_GET_INTEGER (yajl_tree_get (root, state_pid_path, yajl_t_number)),
                    pid);
  assert_string_equal (YAJL_GET_STRING (yajl_tree_get (root, meta_path, yajl_t_string)),
                       "agent-metadata");
  yajl_tree_free (root);
}

/* Wait until fd is readable; fail early if the child dies first. */
static void
wait_readable_or_child (int fd, pid_t child)
{
  for (int i = 0; i < 200; i++)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int status = 0;

      if (poll (&p, 1, 50) == 1)
        return;
      if (waitpid (child, &status, WNOHANG) == child)
        {
          if (WIFEXITED (status) && WEXITSTATUS (status) == SCENARIO_SKIP)
            skip ();
          fail_msg ("child ended before connecting (status %#x)", status);
        }
    }
  fail_msg ("child did not connect within 10s");
}

static void
test_notify_fd_reaches_the_listener (void **state)
{
  (void) state;
  char dir[] = "/tmp/ocirt-seccomp-XXXXXX";
  char path[64];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int lsock = -1;
  cleanup_close int conn = -1;
  cleanup_close int notify_fd = -1;
  char buf[4096];
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.b, .msg_controllen = sizeof control.b };
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  ssize_t n;
  size_t got;
  int status = 0;

  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/listener.sock", dir);
  memcpy (addr.sun_path, path, strlen (path) + 1);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true (lsock >= 0);
  assert_int_equal (bind (lsock, (struct sockaddr *) &addr, sizeof addr), 0);
  assert_int_equal (listen (lsock, 1), 0);

  pid_t pid = spawn_scenario ("notify", path);
  wait_readable_or_child (lsock, pid);
  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  memset (&control, 0, sizeof control);
  n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  assert_true (n > 0);
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  assert_non_null (cmsg);
  assert_int_equal (cmsg->cmsg_level, SOL_SOCKET);
  assert_int_equal (cmsg->cmsg_type, SCM_RIGHTS);
  memcpy (&notify_fd, CMSG_DATA (cmsg), sizeof notify_fd);
  /* The rest of the payload, if any, comes without fds until EOF. */
  for (got = (size_t) n; got < sizeof buf - 1; got += (size_t) n)
    {
      n = read (conn, buf + got, sizeof buf - 1 - got);
      assert_true (n >= 0);
      if (n == 0)
        break;
    }
  buf[got] = '\0';
  check_payload (buf, pid);

  /* The fd is a live listener: answer the child's acct(). Raw ioctls
   * because libseccomp's helpers probe the kernel with seccomp(2), which
   * valgrind does not know. */
  assert_true (fcntl (notify_fd, F_GETFD) >= 0);
  memset (&req, 0, sizeof req);
  assert_int_equal (ioctl (notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
  assert_int_equal (req.pid, pid);
  assert_int_equal (req.data.nr, SYS_acct);
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.val = 4242;
  assert_int_equal (ioctl (notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);

  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_child_ok (status);
  unlink (path);
  rmdir (dir);
}

static void
test_send_notify_fd_errors (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  char longpath[200];

  assert_int_equal (seccomp_send_notify_fd ("/nonexistent/ocirt.sock", 0, "{}", &err), -1);
  assert_string_equal (err->message, "failed to connect with seccomp agent specified in the seccomp profile: "
                       "linux.seccomp.listenerPath `/nonexistent/ocirt.sock`: no such file or directory");
  memset (longpath, 'a', sizeof longpath - 1);
  longpath[0] = '/';
  longpath[sizeof longpath - 1] = '\0';
  assert_int_equal (seccomp_send_notify_fd (longpath, 0, "{}", &err), -1);
  assert_int_equal (err->errno_value, ENAMETOOLONG);
}

/* ---- capabilities ------------------------------------------------------- */

static void
test_caps_parse_masks (void **state)
{
  (void) state;
  cleanup_strv char **warnings = NULL;
  char *bounding[] = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN" };
  char *ambient[] = { "CAP_KILL" };
  struct oci_capabilities c = { .bounding = bounding, .n_bounding = 3,
                                .ambient = ambient, .n_ambient = 1 };
  struct caps_set set;
  ocirt_error_t err = NULL;

  assert_int_equal (caps_parse (&c, &set, &warnings, &err), 0);
  assert_int_equal (set.bounding, (1ULL << 0) | (1ULL << 10) | (1ULL << 21));
  assert_int_equal (set.ambient, 1ULL << 5);
  assert_int_equal (set.effective | set.permitted | set.inheritable, 0);
  assert_null (warnings);

  /* No capabilities object: nothing at all, as in runc. */
  memset (&set, 0xff, sizeof set);
  assert_int_equal (caps_parse (NULL, &set, NULL, &err), 0);
  assert_int_equal (set.bounding | set.effective | set.permitted | set.inheritable
                    | set.ambient, 0);
}

static void
test_caps_parse_skips_unknown_names (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_strv char **warnings = NULL;
  char *bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_FOO" };
  /* libcap would accept these spellings of CAP_CHOWN; the spec and runc
   * do not, so they are skipped like CAP_FOO, each named once. */
  char *permitted[] = { "cap_chown", "CHOWN", "12", "CAP_chown", "CAP_FOO" };
  struct oci_capabilities c = { .bounding = bounding, .n_bounding = 3,
                                .permitted = permitted, .n_permitted = 5 };
  struct caps_set set;

  assert_int_equal (caps_parse (&c, &set, &warnings, &err), 0);
  assert_null (err);
  assert_int_equal (set.bounding, (1ULL << 0) | (1ULL << 5));
  assert_int_equal (set.permitted, 0);
  assert_non_null (warnings);
  assert_string_equal (warnings[0], "ignoring unknown or unavailable capabilities: "
                                    "[12 CAP_FOO CAP_chown CHOWN cap_chown]");
  assert_null (warnings[1]);
}

static void
test_caps_restrict_to_what_can_be_granted (void **state)
{
  (void) state;
  cleanup_strv char **warnings = NULL;
  struct caps_set want = {
    .bounding = (1ULL << 0) | (1ULL << 24),      /* CHOWN, SYS_RESOURCE */
    .permitted = 1ULL << 0,
    .effective = (1ULL << 0) | (1ULL << 5),      /* KILL is not permitted */
    .inheritable = 1ULL << 0,
    .ambient = (1ULL << 0) | (1ULL << 10),       /* NET_BIND_SERVICE is not */
  };
  struct caps_set have = { .bounding = ~(1ULL << 24), .permitted = ~(1ULL << 24) };

  caps_restrict_to (&want, &have, &warnings);
  assert_int_equal (want.bounding, 1ULL << 0);
  assert_int_equal (want.effective, 1ULL << 0);
  assert_int_equal (want.ambient, 1ULL << 0);
  assert_non_null (warnings);
  assert_string_equal (warnings[0], "process.capabilities.bounding: CAP_SYS_RESOURCE is "
                       "not in ocirt's own bounding set, skipped");
  assert_string_equal (warnings[1], "process.capabilities.effective: CAP_KILL is not in "
                       "the permitted set, skipped");
  assert_string_equal (warnings[2], "process.capabilities.ambient: CAP_NET_BIND_SERVICE "
                       "is not in both the permitted and inheritable sets, skipped");
  assert_null (warnings[3]);
}

static uint64_t
status_mask (const char *field)
{
  char line[256];
  unsigned long long v = ~0ULL;
  FILE *f = fopen ("/proc/self/status", "re");
  size_t len = strlen (field);

  if (f == NULL)
    return v;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, field, len) == 0 && line[len] == ':')
      sscanf (line + len + 1, "%llx", &v);
  fclose (f);
  return v;
}

/* The capabilities object of config.md's example, minus CAP_AUDIT_WRITE. */
static char *example_bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
static char *example_permitted[] = { "CAP_KILL", "CAP_NET_BIND_SERVICE" };
static char *example_effective[] = { "CAP_KILL" };
static char *example_ambient[] = { "CAP_NET_BIND_SERVICE" };
static const struct oci_capabilities example_caps = {
  .bounding = example_bounding, .n_bounding = 3,
  .permitted = example_permitted, .n_permitted = 2,
  .inheritable = example_permitted, .n_inheritable = 2,
  .effective = example_effective, .n_effective = 1,
  .ambient = example_ambient, .n_ambient = 1,
};

static int
scenario_caps_apply (const char *arg)
{
  (void) arg;
  struct caps_set set;
  char **warnings = NULL;
  ocirt_error_t err = NULL;

  CHILD_CHECK (caps_parse (&example_caps, &set, NULL, &err) == 0);
  /* The init's sequence around caps_apply: keep permitted across the
   * switch to an unprivileged uid, then stop keeping it. */
  CHILD_CHECK (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
  CHILD_CHECK (setresgid (1000, 1000, 1000) == 0);
  CHILD_CHECK (setresuid (1000, 1000, 1000) == 0);
  CHILD_CHECK (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0);
  CHILD_CHECK (status_mask ("CapEff") == 0);
  if (caps_apply (&set, &warnings, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      return 2;
    }
  CHILD_CHECK (status_mask ("CapBnd") == 0x421);   /* CHOWN KILL NET_BIND_SERVICE */
  CHILD_CHECK (status_mask ("CapPrm") == 0x420);
  CHILD_CHECK (status_mask ("CapInh") == 0x420);
  CHILD_CHECK (status_mask ("CapEff") == 0x020);
  CHILD_CHECK (status_mask ("CapAmb") == 0x400);
  CHILD_CHECK (warnings == NULL);
  return 0;
}

static void
test_caps_apply_after_uid_switch (void **state)
{
  (void) state;
  struct caps_set set;
  ocirt_error_t err = NULL;

  if (geteuid () != 0)
    skip ();
  assert_int_equal (caps_parse (&example_caps, &set, NULL, &err), 0);
  assert_int_equal (set.bounding, 0x421);
  assert_int_equal (set.permitted, 0x420);
  assert_int_equal (set.inheritable, 0x420);
  assert_int_equal (set.effective, 0x020);
  assert_int_equal (set.ambient, 0x400);
  assert_child_ok (run_scenario ("caps_apply", NULL));
}

static int
scenario_caps_unavailable (const char *arg)
{
  (void) arg;
  struct caps_set set = { .bounding = (1ULL << 0) | (1ULL << 24),
                          .permitted = (1ULL << 0) | (1ULL << 24),
                          .effective = 1ULL << 0 };
  char **warnings = NULL;
  ocirt_error_t err = NULL;

  /* As on a host whose own bounding set lacks CAP_SYS_RESOURCE. */
  CHILD_CHECK (prctl (PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) == 0);
  cap_t caps = cap_get_proc ();
  cap_value_t v = CAP_SYS_RESOURCE;
  CHILD_CHECK (cap_set_flag (caps, CAP_PERMITTED, 1, &v, CAP_CLEAR) == 0);
  CHILD_CHECK (cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0);
  CHILD_CHECK (cap_set_proc (caps) == 0);
  cap_free (caps);

  if (caps_apply (&set, &warnings, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      return 2;
    }
  CHILD_CHECK (status_mask ("CapBnd") == 1);
  CHILD_CHECK (status_mask ("CapEff") == 1);
  CHILD_CHECK (warnings && warnings[0] && warnings[1] && !warnings[2]);
  CHILD_CHECK (strcmp (warnings[0], "process.capabilities.bounding: CAP_SYS_RESOURCE is "
                       "not in ocirt's own bounding set, skipped") == 0);
  CHILD_CHECK (strcmp (warnings[1], "process.capabilities.permitted: CAP_SYS_RESOURCE is "
                       "not in ocirt's own permitted set, skipped") == 0);
  return 0;
}

static void
test_caps_apply_warns_for_what_ocirt_lacks (void **state)
{
  (void) state;
  if (geteuid () != 0)
    skip ();
  assert_child_ok (run_scenario ("caps_unavailable", NULL));
}

static void
test_caps_known_names (void **state)
{
  (void) state;
  const char *const *names = caps_known_names ();

  assert_string_equal (names[0], "CAP_CHOWN");
  assert_true (list_has (names, "CAP_SYS_ADMIN"));
  for (size_t i = 0; names[i]; i++)
    assert_int_equal (strncmp (names[i], "CAP_", 4), 0);
}

/* ---- rlimits ------------------------------------------------------------ */

static int
scenario_rlimit_lower (const char *arg)
{
  (void) arg;
  struct oci_rlimit r[] = {
    { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 512, .hard = 1024 },
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0, .hard = 0 },
  };
  ocirt_error_t err = NULL;
  struct rlimit got;

  if (rlimits_apply (r, N (r), &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err->message);
      return 2;
    }
  CHILD_CHECK (getrlimit (RLIMIT_NOFILE, &got) == 0);
  CHILD_CHECK (got.rlim_cur == 512 && got.rlim_max == 1024);
  CHILD_CHECK (getrlimit (RLIMIT_CORE, &got) == 0);
  CHILD_CHECK (got.rlim_cur == 0 && got.rlim_max == 0);
  return 0;
}

static void
test_rlimits_lowering_works (void **state)
{
  (void) state;
  assert_child_ok (run_scenario ("rlimit_lower", NULL));
}

static int
scenario_rlimit_raise (const char *arg)
{
  (void) arg;
  struct rlimit cur;
  ocirt_error_t err = NULL;
  char expected[256];

  /* Make sure CAP_SYS_RESOURCE is not effective, as on this host. */
  cap_t caps = cap_get_proc ();
  cap_value_t v = CAP_SYS_RESOURCE;
  CHILD_CHECK (cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0);
  CHILD_CHECK (cap_set_proc (caps) == 0);
  cap_free (caps);

  /* Stay below fs.nr_open, which has its own explanation. */
  struct rlimit low = { 2048, 4096 };
  CHILD_CHECK (setrlimit (RLIMIT_NOFILE, &low) == 0);
  CHILD_CHECK (getrlimit (RLIMIT_NOFILE, &cur) == 0);
  struct oci_rlimit r = { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE,
                          .soft = 2048, .hard = cur.rlim_max + 1 };
  CHILD_CHECK (rlimits_apply (&r, 1, &err) == -1);
  snprintf (expected, sizeof expected,
            "process.rlimits[0]: setrlimit RLIMIT_NOFILE (soft 2048, hard %llu): "
            "operation not permitted (the hard limit can only be raised with "
            "CAP_SYS_RESOURCE; the current hard limit is %llu)",
            (unsigned long long) cur.rlim_max + 1, (unsigned long long) cur.rlim_max);
  if (strcmp (err->message, expected) != 0)
    {
      fprintf (stderr, "child: got      %s\nchild: expected %s\n", err->message, expected);
      return 3;
    }
  CHILD_CHECK (err->errno_value == EPERM);
  return 0;
}

static void
test_rlimits_raising_hard_limit_explains_eperm (void **state)
{
  (void) state;
  assert_child_ok (run_scenario ("rlimit_raise", NULL));
}

static void
test_rlimits_validation (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_rlimit bad[] = {
    { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 4096, .hard = 1024 },
  };
  struct oci_rlimit dup[] = {
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0, .hard = 0 },
    { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 1, .hard = 1 },
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0, .hard = 0 },
  };
  struct oci_rlimit inf[] = {
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = UINT64_MAX, .hard = 10 },
  };

  assert_int_equal (rlimits_apply (bad, 1, &err), -1);
  assert_string_equal (err->message, "process.rlimits[0]: RLIMIT_NOFILE soft limit 4096 "
                       "is greater than the hard limit 1024");
  assert_int_equal (rlimits_apply (inf, 1, &err), -1);
  assert_string_equal (err->message, "process.rlimits[0]: RLIMIT_CORE soft limit unlimited "
                       "is greater than the hard limit 10");
  assert_int_equal (rlimits_apply (dup, 3, &err), -1);
  assert_string_equal (err->message, "process.rlimits[2].type: duplicate \"RLIMIT_CORE\" "
                       "(also process.rlimits[0])");
}

static const struct
{
  const char *name;
  int (*fn) (const char *arg);
} scenarios[] = {
  { "errno_default", scenario_errno_default },
  { "kill_process", scenario_kill_process },
  { "no_nnp", scenario_no_nnp },
  { "ne_and_masked_eq", scenario_ne_and_masked_eq },
  { "operator", scenario_operator },
  { "same_index", scenario_same_index },
  { "notify", scenario_notify },
  { "caps_apply", scenario_caps_apply },
  { "caps_unavailable", scenario_caps_unavailable },
  { "rlimit_lower", scenario_rlimit_lower },
  { "rlimit_raise", scenario_rlimit_raise },
};

int
main (int argc, char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "--child") == 0)
    {
      for (size_t i = 0; i < N (scenarios); i++)
        if (strcmp (scenarios[i].name, argv[2]) == 0)
          return scenarios[i].fn (argc > 3 ? argv[3] : NULL);
      fprintf (stderr, "unknown scenario %s\n", argv[2]);
      return 127;
    }
  if (realpath ("/proc/self/exe", self_exe) == NULL)
    {
      perror ("realpath /proc/self/exe");
      return 1;
    }

  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_errno_default_with_allow_list),
    cmocka_unit_test (test_enosys_stub_only_for_a_denying_default),
    cmocka_unit_test (test_kill_process_kills_with_sigsys),
    cmocka_unit_test (test_filter_does_not_set_no_new_privs),
    cmocka_unit_test (test_args_ne_and_masked_eq),
    cmocka_unit_test (test_args_every_operator),
    cmocka_unit_test (test_args_same_index_are_separate_rules),
    cmocka_unit_test (test_unknown_syscall_is_skipped_with_warning),
    cmocka_unit_test (test_rule_equal_to_default_is_skipped),
    cmocka_unit_test (test_invalid_configs_name_the_json_path),
    cmocka_unit_test (test_flags_known_and_supported),
    cmocka_unit_test (test_features_lists),
    cmocka_unit_test (test_listener_payload),
    cmocka_unit_test (test_notify_fd_reaches_the_listener),
    cmocka_unit_test (test_send_notify_fd_errors),
    cmocka_unit_test (test_caps_parse_masks),
    cmocka_unit_test (test_caps_parse_skips_unknown_names),
    cmocka_unit_test (test_caps_restrict_to_what_can_be_granted),
    cmocka_unit_test (test_caps_apply_after_uid_switch),
    cmocka_unit_test (test_caps_apply_warns_for_what_ocirt_lacks),
    cmocka_unit_test (test_caps_known_names),
    cmocka_unit_test (test_rlimits_lowering_works),
    cmocka_unit_test (test_rlimits_raising_hard_limit_explains_eperm),
    cmocka_unit_test (test_rlimits_validation),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
