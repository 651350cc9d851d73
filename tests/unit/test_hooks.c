/* test_hooks.c - what running a hook guarantees (src/runtime/hooks.c).
 *
 * Each test runs real hooks (/bin/sh, /bin/true, sleep) that report what
 * they saw into files of a private temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../src/runtime/hooks.h"
#include "../../src/util/cleanup.h"

static char tmpdir[] = "/tmp/ocirt-test-hooks.XXXXXX";

static const char *STATE = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\","
                           "\"status\":\"creating\",\"pid\":42,"
                           "\"bundle\":\"/b\"}";

static int
setup (void **unused)
{
  (void) unused;
  return mkdtemp (tmpdir) ? 0 : -1;
}

static int
teardown (void **unused)
{
  (void) unused;
  char cmd[sizeof tmpdir + 16];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system (cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

static char *
path_in_tmp (const char *name)
{
  char *p;
  assert_true (asprintf (&p, "%s/%s", tmpdir, name) > 0);
  return p;
}

/* The whole file, or NULL when it does not exist. */
static char *
slurp (const char *path)
{
  cleanup_fclose FILE *f = fopen (path, "r");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  cleanup_fclose FILE *mem = open_memstream (&buf, &len);
  assert_non_null (mem);
  int c;
  while ((c = fgetc (f)) != EOF)
    fputc (c, mem);
  fclose (steal_pointer (&mem));
  return buf;
}

/* A hook running `/bin/sh -c SCRIPT` (args[0] "sh"). The strings are owned
 * by the caller, the hook holds pointers to them. */
struct sh_hook
{
  char *args[3];
  struct oci_hook hook;
};

static void
sh_hook (struct sh_hook *h, const char *script)
{
  h->args[0] = (char *) "sh";
  h->args[1] = (char *) "-c";
  h->args[2] = (char *) script;
  h->hook = (struct oci_hook) { .path = (char *) "/bin/sh", .args = h->args, .n_args = 3 };
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- success ---- */

static void
hooks_that_succeed_return_zero (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  char *args[] = { (char *) "true" };
  struct oci_hook hooks[] = {
    { .path = (char *) "/bin/true" },
    { .path = (char *) "/bin/true", .args = args, .n_args = 1 },
  };
  struct oci_hook_list list = { hooks, 2 };
  struct oci_hook_list empty = { NULL, 0 };

  assert_int_equal (hooks_run (&list, "prestart", STATE, &err), 0);
  assert_int_equal (hooks_run (&empty, "prestart", STATE, &err), 0);
  assert_int_equal (hooks_run (NULL, "prestart", STATE, &err), 0);
  assert_null (err);
}

static void
state_arrives_on_stdin_verbatim (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("stdin");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  assert_true (asprintf (&script, "cat > '%s'", out) > 0);
  sh_hook (&h, script);

  assert_int_equal (hooks_run_one (&h.hook, "createRuntime", 0, STATE, &err), 0);
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, STATE);
}

static void
args_and_env_are_passed_exactly (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("args");
  cleanup_free char *script = NULL;
  assert_true (asprintf (&script,
                         "echo \"$0 $1 $FOO\" > '%s';"
                         " tr '\\0' '\\n' < /proc/$$/environ >> '%s'",
                         out, out) > 0);
  char *args[] = { (char *) "/bin/sh", (char *) "-c", script,
                   (char *) "zero", (char *) "one" };
  char *env[] = { (char *) "FOO=bar baz", (char *) "EMPTY=" };
  struct oci_hook hook = { .path = (char *) "/bin/sh", .args = args,
                           .n_args = 5, .env = env, .n_env = 2, .has_env = true };

  setenv ("OCIRT_TEST_LEAK", "1", 1);
  assert_int_equal (hooks_run_one (&hook, "poststart", 0, STATE, &err), 0);
  unsetenv ("OCIRT_TEST_LEAK");
  /* $0 is args[3] under -c; the environment is env and nothing else. */
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "zero one bar baz\nFOO=bar baz\nEMPTY=\n");
}

/* No env in the config: the hook gets the caller's environment, as
 * runc's and crun's hooks do. */
static void
a_hook_without_env_gets_the_callers (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("inherit");
  cleanup_free char *script = NULL;
  assert_true (asprintf (&script, "echo \"${OCIRT_TEST_INHERIT-unset}\" > '%s'", out) > 0);
  struct sh_hook h;
  sh_hook (&h, script);

  setenv ("OCIRT_TEST_INHERIT", "inherited", 1);
  assert_int_equal (hooks_run_one (&h.hook, "poststart", 0, STATE, &err), 0);
  unsetenv ("OCIRT_TEST_INHERIT");
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "inherited\n");
}

static void
args_zero_is_as_given_and_path_when_args_are_empty (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("argv0");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  assert_true (asprintf (&script, "tr '\\0' ' ' < /proc/$$/cmdline > '%s'", out) > 0);

  /* args[0] is whatever the config says, not the path. */
  sh_hook (&h, script);
  h.args[0] = (char *) "not-sh";
  assert_int_equal (hooks_run_one (&h.hook, "poststop", 0, STATE, &err), 0);
  cleanup_free char *got = slurp (out);
  cleanup_free char *want = NULL;
  assert_true (asprintf (&want, "not-sh -c %s ", script) > 0);
  assert_string_equal (got, want);

  /* No args: argv is just { path }. A bare sh runs its stdin, so the state
   * "JSON" here is the script. */
  struct oci_hook bare = { .path = (char *) "/bin/sh" };
  assert_int_equal (hooks_run_one (&bare, "poststop", 0, script, &err), 0);
  cleanup_free char *got_bare = slurp (out);
  assert_string_equal (got_bare, "/bin/sh ");
}

static void
hooks_run_in_order (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("order");
  char scripts[3][PATH_MAX + 32];
  struct sh_hook h[3];
  struct oci_hook hooks[3];
  for (int i = 0; i < 3; i++)
    {
      snprintf (scripts[i], sizeof scripts[i], "echo %d >> '%s'", i, out);
      sh_hook (&h[i], scripts[i]);
      hooks[i] = h[i].hook;
    }
  struct oci_hook_list list = { hooks, 3 };

  assert_int_equal (hooks_run (&list, "createContainer", STATE, &err), 0);
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "0\n1\n2\n");
}

/* ---- failures ---- */

static void
a_failure_names_the_hook_the_exit_status_and_the_output (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct sh_hook h;
  sh_hook (&h, "echo partial; echo 'no network for you' >&2; exit 3");

  assert_int_equal (hooks_run_one (&h.hook, "createRuntime", 2, STATE, &err), -1);
  assert_non_null (err);
  assert_string_equal (err->message, "createRuntime: error running hook #2 \"/bin/sh\": exit status 3:"
                                     " partial\nno network for you");
  assert_int_equal (err->errno_value, 0);
}

static void
only_the_last_output_is_kept (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct sh_hook h;
  /* 100 000 bytes of 'x' and then the reason, which must survive. */
  sh_hook (&h, "head -c 100000 /dev/zero | tr '\\0' x; echo; echo the-reason >&2; exit 1");

  assert_int_equal (hooks_run_one (&h.hook, "prestart", 0, STATE, &err), -1);
  const char *tail = strstr (err->message, "exit status 1: ");
  assert_non_null (tail);
  tail += strlen ("exit status 1: ");
  assert_true (strlen (tail) <= HOOKS_OUTPUT_TAIL);
  assert_true (strlen (tail) > HOOKS_OUTPUT_TAIL - 16);
  assert_string_equal (tail + strlen (tail) - strlen ("xx\nthe-reason"), "xx\nthe-reason");
}

static void
a_hook_killed_by_a_signal_says_so (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct sh_hook h;
  sh_hook (&h, "kill -9 $$");

  assert_int_equal (hooks_run_one (&h.hook, "poststop", 0, STATE, &err), -1);
  assert_string_equal (err->message, "poststop: error running hook #0 \"/bin/sh\": killed by signal 9 (killed)");
}

static void
a_missing_hook_is_an_exec_error (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_hook hook = { .path = (char *) "/nonexistent/hook" };

  assert_int_equal (hooks_run_one (&hook, "startContainer", 0, STATE, &err), -1);
  assert_string_equal (err->message, "startContainer: error running hook #0 \"/nonexistent/hook\":"
                                     " exec: no such file or directory");
  assert_int_equal (err->errno_value, ENOENT);
}

static void
the_first_failure_stops_the_list (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("stop");
  char first[PATH_MAX + 32], third[PATH_MAX + 32];
  snprintf (first, sizeof first, "echo first >> '%s'", out);
  snprintf (third, sizeof third, "echo third >> '%s'", out);
  struct sh_hook h[3];
  sh_hook (&h[0], first);
  sh_hook (&h[1], "exit 1");
  sh_hook (&h[2], third);
  struct oci_hook hooks[] = { h[0].hook, h[1].hook, h[2].hook };
  struct oci_hook_list list = { hooks, 3 };

  assert_int_equal (hooks_run (&list, "createRuntime", STATE, &err), -1);
  assert_string_equal (err->message, "createRuntime: error running hook #1 \"/bin/sh\": exit status 1");
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "first\n");
}

/* ---- robustness ---- */

static void
a_hook_that_ignores_a_large_state_neither_hangs_nor_kills_us (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  size_t len = 4 << 20;
  cleanup_free char *big = malloc (len + 1);
  assert_non_null (big);
  memset (big, ' ', len);
  big[len] = '\0';
  struct oci_hook hook = { .path = (char *) "/bin/true" };
  sigset_t before, after, pending;

  /* SIGPIPE keeps its default action: a stray one would kill this test. */
  signal (SIGPIPE, SIG_DFL);
  sigprocmask (SIG_SETMASK, NULL, &before);
  assert_int_equal (hooks_run_one (&hook, "poststart", 0, big, &err), 0);
  sigprocmask (SIG_SETMASK, NULL, &after);
  sigpending (&pending);
  assert_false (sigismember (&pending, SIGPIPE));
  assert_int_equal (sigismember (&before, SIGPIPE), sigismember (&after, SIGPIPE));

  /* And a large state is delivered whole to a hook that reads it. */
  struct sh_hook h;
  sh_hook (&h, "test \"$(wc -c)\" -eq 4194304");
  assert_int_equal (hooks_run_one (&h.hook, "poststart", 0, big, &err), 0);
}

static void
a_timeout_kills_the_hook (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *pidfile = path_in_tmp ("timeout.pid");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  assert_true (asprintf (&script, "echo $$ > '%s'; exec sleep 100", pidfile) > 0);
  sh_hook (&h, script);
  h.hook.has_timeout = true;
  h.hook.timeout = 1;

  int64_t start = now_ms ();
  assert_int_equal (hooks_run_one (&h.hook, "createRuntime", 1, STATE, &err), -1);
  int64_t took = now_ms () - start;
  assert_string_equal (err->message, "createRuntime: error running hook #1 \"/bin/sh\": timed out after 1s");
  assert_true (took >= 950 && took < 1500);

  /* Killed and reaped: the pid is gone, not a zombie. */
  cleanup_free char *pid = slurp (pidfile);
  assert_non_null (pid);
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/%d", atoi (pid));
  assert_int_equal (access (proc, F_OK), -1);
}

static void
a_quick_hook_is_not_held_by_its_timeout_or_its_children (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *pidfile = path_in_tmp ("daemon.pid");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  /* The background sleep keeps the output pipe open after the hook exits. */
  assert_true (asprintf (&script, "sleep 5 & echo $! > '%s'", pidfile) > 0);
  sh_hook (&h, script);
  h.hook.has_timeout = true;
  h.hook.timeout = 30;

  int64_t start = now_ms ();
  assert_int_equal (hooks_run_one (&h.hook, "poststart", 0, STATE, &err), 0);
  assert_true (now_ms () - start < 1000);
  cleanup_free char *pid = slurp (pidfile);
  assert_non_null (pid);
  kill (atoi (pid), SIGKILL);
}

static void
no_runtime_fd_leaks_into_a_hook (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("fds");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  /* `[` is a shell builtin and opens nothing, so only inherited fds show. */
  assert_true (asprintf (&script, "i=0; while [ $i -lt 200 ]; do"
                         " if [ -e /proc/$$/fd/$i ]; then echo $i >> '%s'; fi;"
                         " i=$((i+1)); done", out) > 0);
  sh_hook (&h, script);
  /* Not close-on-exec, as a runtime's lock or sync fd might be. */
  int leaky = open ("/dev/null", O_RDONLY);
  int leaky_high = dup2 (leaky, 100);
  assert_true (leaky >= 0 && leaky_high == 100);

  assert_int_equal (hooks_run_one (&h.hook, "createContainer", 0, STATE, &err), 0);
  close (leaky);
  close (leaky_high);
  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "0\n1\n2\n");
}

static void
a_hook_starts_with_a_clean_signal_state_and_ours_is_kept (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *out = path_in_tmp ("signals");
  cleanup_free char *script = NULL;
  struct sh_hook h;
  assert_true (asprintf (&script, "exec grep -E '^Sig(Blk|Ign)' /proc/self/status > '%s'", out) > 0);
  sh_hook (&h, script);
  sigset_t mask, old, now;
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigprocmask (SIG_BLOCK, &mask, &old);
  signal (SIGHUP, SIG_IGN);

  assert_int_equal (hooks_run_one (&h.hook, "poststop", 0, STATE, &err), 0);
  sigprocmask (SIG_SETMASK, NULL, &now);
  assert_true (sigismember (&now, SIGTERM));
  assert_false (sigismember (&now, SIGPIPE));
  assert_true (signal (SIGHUP, SIG_DFL) == SIG_IGN);
  sigprocmask (SIG_SETMASK, &old, NULL);

  cleanup_free char *got = slurp (out);
  assert_string_equal (got, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (hooks_that_succeed_return_zero),
    cmocka_unit_test (state_arrives_on_stdin_verbatim),
    cmocka_unit_test (args_and_env_are_passed_exactly),
    cmocka_unit_test (a_hook_without_env_gets_the_callers),
    cmocka_unit_test (args_zero_is_as_given_and_path_when_args_are_empty),
    cmocka_unit_test (hooks_run_in_order),
    cmocka_unit_test (a_failure_names_the_hook_the_exit_status_and_the_output),
    cmocka_unit_test (only_the_last_output_is_kept),
    cmocka_unit_test (a_hook_killed_by_a_signal_says_so),
    cmocka_unit_test (a_missing_hook_is_an_exec_error),
    cmocka_unit_test (the_first_failure_stops_the_list),
    cmocka_unit_test (a_hook_that_ignores_a_large_state_neither_hangs_nor_kills_us),
    cmocka_unit_test (a_timeout_kills_the_hook),
    cmocka_unit_test (a_quick_hook_is_not_held_by_its_timeout_or_its_children),
    cmocka_unit_test (no_runtime_fd_leaks_into_a_hook),
    cmocka_unit_test (a_hook_starts_with_a_clean_signal_state_and_ours_is_kept),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
