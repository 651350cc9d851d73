/* test_lsm.c - AppArmor profiles, SELinux labels and linux.mountLabel as
 * runc 1.1.5 applies them, as a specification.
 *
 * No host here has SELinux, and this one has no AppArmor either, so the
 * attr writes go through a fake lsm_attr_io that records each call and
 * answers with the errno a given kernel would: which file is chosen, what
 * is written, and the error a user reads. The real procfs writer is tried
 * for what this host can show (no per-LSM directory, a refused write).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../oci/config.h"
#include "../../src/linux/lsm.h"
#include "../../src/linux/procfs.h"
#include "../../src/util/cleanup.h"

#define N(a) (sizeof (a) / sizeof ((a)[0]))

static struct oci_config *
config_of (const char *proc_extra, const char *linux_body)
{
  char json[4096];
  ocirt_error_t err = NULL;
  snprintf (json, sizeof json,
            "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
            "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"%s%s},\"linux\":{%s}}",
            proc_extra[0] ? "," : "", proc_extra, linux_body);
  struct oci_config *c = oci_config_parse (json, strlen (json), "config.json", &err);
  if (c == NULL)
    fail_msg ("config does not parse: %s\n%s", err->message, json);
  return c;
}

/* ---- the fake kernel -------------------------------------------------------- */

struct call
{
  char rel[64];
  char value[256];
  size_t len;
};

/* What the fake answers for a file: 0, or an errno at open or at write. */
struct answer
{
  const char *rel;
  int open_errno;
  int write_errno;
};

static struct
{
  struct call calls[8];
  size_t n_calls;
  const struct answer *answers;
  size_t n_answers;
} fake;

static int
fake_write (int proc, const char *rel, const char *shown, const char *buf, size_t len, bool *at_open,
            ocirt_error_t *err)
{
  (void) proc;
  assert_true (fake.n_calls < N (fake.calls));
  struct call *c = &fake.calls[fake.n_calls++];
  snprintf (c->rel, sizeof c->rel, "%s", rel);
  snprintf (c->value, sizeof c->value, "%.*s", (int) len, buf);
  c->len = len;
  for (size_t i = 0; i < fake.n_answers; i++)
    if (strcmp (fake.answers[i].rel, rel) == 0)
      {
        *at_open = fake.answers[i].open_errno != 0;
        if (*at_open)
          return make_error (err, fake.answers[i].open_errno, "open \"%s\"", shown);
        if (fake.answers[i].write_errno)
          return make_error (err, fake.answers[i].write_errno, "write %s", shown);
      }
  *at_open = false;
  return 0;
}

static const struct lsm_attr_io fake_io = { .write = fake_write };

static void
fake_kernel (const struct answer *answers, size_t n)
{
  memset (&fake, 0, sizeof fake);
  fake.answers = answers;
  fake.n_answers = n;
}

/* ---- before clone ----------------------------------------------------------- */

static void
checks_before_clone_follow_runc (void **state)
{
  static const struct
  {
    const char *proc, *lnx;
    bool selinux;
    const char *want_error;  /* NULL: accepted */
  } cases[] = {
    { "", "", false, NULL },
    { "\"selinuxLabel\":\"\"", "", false, NULL },
    /* runc validates only the process label, in these words. */
    { "\"selinuxLabel\":\"system_u:system_r:container_t:s0\"", "", false,
      "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported" },
    { "\"selinuxLabel\":\"system_u:system_r:container_t:s0\"", "", true, NULL },
    /* A profile is for the kernel to judge, in the init (runc). */
    { "\"apparmorProfile\":\"docker-default\"", "", false, NULL },
    /* mountLabel is not checked against the host (runc): the mounts that
     * carry it fail on a kernel without SELinux. */
    { "", "\"mountLabel\":\"system_u:object_r:container_file_t:s0:c1,c2\"", false, NULL },
    { "", "\"mountLabel\":\"system_u:object_r:container_file_t:s0:c1,c2\"", true, NULL },
    /* But a quote would end context="..." and smuggle in mount options. */
    { "", "\"mountLabel\":\"x\\\",size=1k\"", true,
      "linux.mountLabel \"x\",size=1k\": a label cannot contain a double quote or a newline" },
    { "", "\"mountLabel\":\"x\\ny\"", false, "a label cannot contain a double quote or a newline" },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      cleanup_config struct oci_config *c = config_of (cases[i].proc, cases[i].lnx);
      cleanup_error ocirt_error_t err = NULL;
      int r = lsm_check_host (c->process, c->linux_, cases[i].selinux, &err);
      if (cases[i].want_error == NULL)
        {
          if (r != 0)
            fail_msg ("case %zu: unexpected error \"%s\"", i, err->message);
          continue;
        }
      assert_int_equal (r, -1);
      if (strstr (err->message, cases[i].want_error) == NULL)
        fail_msg ("case %zu: \"%s\" lacks \"%s\"", i, err->message, cases[i].want_error);
    }
}

static void
lsm_check_uses_this_hosts_selinux_state (void **state)
{
  cleanup_config struct oci_config *c = config_of ("\"selinuxLabel\":\"system_u:system_r:container_t:s0\"", "");
  cleanup_config struct oci_config *none = config_of ("", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  assert_int_equal (lsm_check (none->process, none->linux_, &err), 0);
  assert_int_equal (lsm_check (c->process, c->linux_, &err), lsm_selinux_enabled () ? 0 : -1);
}

/* ---- AppArmor --------------------------------------------------------------- */

static void
apparmor_profile_goes_to_the_per_lsm_exec_file (void **state)
{
  cleanup_config struct oci_config *c = config_of ("\"apparmorProfile\":\"docker-default\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (NULL, 0);
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), 0);
  assert_int_equal (fake.n_calls, 1);
  assert_string_equal (fake.calls[0].rel, "thread-self/attr/apparmor/exec");
  assert_string_equal (fake.calls[0].value, "exec docker-default");
}

static void
apparmor_falls_back_to_attr_exec_before_linux_5_8 (void **state)
{
  static const struct answer old_kernel[] = { { "thread-self/attr/apparmor/exec", ENOENT, 0 } };
  cleanup_config struct oci_config *c = config_of ("\"apparmorProfile\":\"p1\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (old_kernel, N (old_kernel));
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), 0);
  assert_int_equal (fake.n_calls, 2);
  assert_string_equal (fake.calls[1].rel, "thread-self/attr/exec");
  assert_string_equal (fake.calls[1].value, "exec p1");
}

static void
apparmor_on_a_kernel_without_it_fails_in_runcs_words (void **state)
{
  /* This host: no attr/apparmor, and no LSM takes attr/exec. */
  static const struct answer no_lsm[] = {
    { "thread-self/attr/apparmor/exec", ENOENT, 0 },
    { "thread-self/attr/exec", 0, EINVAL },
  };
  cleanup_config struct oci_config *c = config_of ("\"apparmorProfile\":\"p1\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (no_lsm, N (no_lsm));
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), -1);
  assert_string_equal (err->message,
                       "process.apparmorProfile \"p1\": unable to apply apparmor profile: apparmor failed "
                       "to apply profile: write /proc/thread-self/attr/exec: invalid argument "
                       "(this kernel has no AppArmor)");
  assert_int_equal (err->errno_value, EINVAL);
}

static void
apparmor_profile_not_loaded_is_named (void **state)
{
  static const struct answer not_loaded[] = { { "thread-self/attr/apparmor/exec", 0, ENOENT } };
  cleanup_config struct oci_config *c = config_of ("\"apparmorProfile\":\"nosuch\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (not_loaded, N (not_loaded));
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), -1);
  /* ENOENT from the write is the profile, not the file: no fallback. */
  assert_int_equal (fake.n_calls, 1);
  assert_non_null (strstr (err->message, "process.apparmorProfile \"nosuch\""));
  assert_non_null (strstr (err->message, "write /proc/thread-self/attr/apparmor/exec: no such file or directory"));
  assert_non_null (strstr (err->message, "no such profile is loaded"));
}

static void
apparmor_attr_not_on_procfs_is_not_retried_elsewhere (void **state)
{
  static const struct answer redirected[] = { { "thread-self/attr/apparmor/exec", EXDEV, 0 } };
  cleanup_config struct oci_config *c = config_of ("\"apparmorProfile\":\"p\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (redirected, N (redirected));
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), -1);
  assert_int_equal (fake.n_calls, 1);
  assert_int_equal (err->errno_value, EXDEV);
}

/* ---- SELinux ---------------------------------------------------------------- */

static void
selinux_label_goes_to_attr_exec_after_the_profile (void **state)
{
  cleanup_config struct oci_config *c
    = config_of ("\"apparmorProfile\":\"p\",\"selinuxLabel\":\"system_u:system_r:container_t:s0:c1,c2\"", "");
  cleanup_config struct oci_config *none = config_of ("\"apparmorProfile\":\"\",\"selinuxLabel\":\"\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (NULL, 0);
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, none->process, &err), 0);
  assert_int_equal (fake.n_calls, 0);
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), 0);
  assert_int_equal (fake.n_calls, 2);
  assert_string_equal (fake.calls[1].rel, "thread-self/attr/exec");
  assert_string_equal (fake.calls[1].value, "system_u:system_r:container_t:s0:c1,c2");
}

static void
selinux_exec_label_refused_names_the_label (void **state)
{
  static const struct answer refused[] = { { "thread-self/attr/exec", 0, EINVAL } };
  cleanup_config struct oci_config *c = config_of ("\"selinuxLabel\":\"bogus\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (refused, N (refused));
  assert_int_equal (lsm_apply_exec_io (&fake_io, -1, c->process, &err), -1);
  assert_string_equal (err->message, "process.selinuxLabel \"bogus\": set the exec label: "
                                     "write /proc/thread-self/attr/exec: invalid argument");
}

static void
keyring_label_is_set_then_reset (void **state)
{
  cleanup_config struct oci_config *c = config_of ("\"selinuxLabel\":\"u:r:t:s0\"", "");
  cleanup_config struct oci_config *none = config_of ("", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (NULL, 0);
  assert_int_equal (lsm_keyring_label_io (&fake_io, -1, none->process, true, &err), 0);
  assert_int_equal (fake.n_calls, 0);
  assert_int_equal (lsm_keyring_label_io (&fake_io, -1, c->process, true, &err), 0);
  assert_int_equal (lsm_keyring_label_io (&fake_io, -1, c->process, false, &err), 0);
  assert_int_equal (fake.n_calls, 2);
  assert_string_equal (fake.calls[0].rel, "thread-self/attr/keycreate");
  assert_string_equal (fake.calls[0].value, "u:r:t:s0");
  /* An empty write resets it, as go-selinux's SetKeyLabel(""). */
  assert_string_equal (fake.calls[1].rel, "thread-self/attr/keycreate");
  assert_int_equal (fake.calls[1].len, 0);
}

static void
keyring_label_without_keycreate_is_fine_but_a_refusal_is_not (void **state)
{
  static const struct answer no_keys[] = { { "thread-self/attr/keycreate", ENOENT, 0 } };
  static const struct answer refused[] = { { "thread-self/attr/keycreate", 0, EACCES } };
  cleanup_config struct oci_config *c = config_of ("\"selinuxLabel\":\"u:r:t:s0\"", "");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  fake_kernel (no_keys, N (no_keys));
  assert_int_equal (lsm_keyring_label_io (&fake_io, -1, c->process, true, &err), 0);
  assert_null (err);
  fake_kernel (refused, N (refused));
  assert_int_equal (lsm_keyring_label_io (&fake_io, -1, c->process, true, &err), -1);
  assert_string_equal (err->message, "process.selinuxLabel \"u:r:t:s0\": set the keyring label: "
                                     "write /proc/thread-self/attr/keycreate: permission denied");
}

/* ---- linux.mountLabel ------------------------------------------------------- */

static void
mount_label_is_added_as_a_quoted_context (void **state)
{
  static const char *label = "system_u:object_r:container_file_t:s0:c1,c2";
  (void) state;
  cleanup_free char *a = lsm_mount_data ("mode=755,size=65536k", label);
  cleanup_free char *b = lsm_mount_data (NULL, label);
  cleanup_free char *c = lsm_mount_data ("", label);
  assert_string_equal (a, "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  assert_string_equal (b, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  assert_string_equal (c, b);
}

static void
mount_label_goes_where_runc_puts_it (void **state)
{
  static const struct
  {
    const char *type;
    bool bind, labelled;
  } cases[] = {
    { "tmpfs", false, true },   { "devpts", false, true },  { "shm", false, true },
    { "overlay", false, true }, { "proc", false, false },   { "sysfs", false, false },
    { "mqueue", false, false }, { "cgroup", false, false }, { "cgroup2", false, false },
    { NULL, true, false },      { "tmpfs", true, false },   { NULL, false, false },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    if (lsm_mount_takes_label (cases[i].type, cases[i].bind) != cases[i].labelled)
      fail_msg ("type %s bind %d: expected labelled=%d", cases[i].type ? cases[i].type : "(null)",
                cases[i].bind, cases[i].labelled);
}

static void
mount_error_hint_only_for_einval_without_selinux (void **state)
{
  cleanup_error ocirt_error_t err = NULL;
  (void) state;

  make_error (&err, EINVAL, "mount \"tmpfs\"");
  assert_int_equal (lsm_mount_error_hint (&err), -1);
  assert_int_equal (err->errno_value, EINVAL);
  if (lsm_selinux_enabled ())
    assert_string_equal (err->message, "mount \"tmpfs\": invalid argument");
  else
    assert_string_equal (err->message, "mount \"tmpfs\": invalid argument (linux.mountLabel needs SELinux, "
                                       "which is not enabled on this host)");
  make_error (&err, EPERM, "mount \"tmpfs\"");
  lsm_mount_error_hint (&err);
  assert_string_equal (err->message, "mount \"tmpfs\": operation not permitted");
}

/* ---- the real writer, on this host ------------------------------------------ */

static void
procfs_writer_reports_where_it_failed (void **state)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int proc = procfs_open ("/proc", &err);
  bool at_open = false;
  (void) state;

  assert_true (proc >= 0);
  if (access ("/proc/thread-self/attr/apparmor", F_OK) == 0 || access ("/sys/fs/selinux/enforce", F_OK) == 0)
    skip ();
  /* No per-LSM directory: the open fails (ENOENT), which is the fallback's
   * cue; attr/exec opens, and with no LSM to take it the write fails. */
  assert_int_equal (lsm_procfs_io.write (proc, LSM_ATTR_APPARMOR_EXEC, "/proc/" LSM_ATTR_APPARMOR_EXEC, "exec p", 6,
                                         &at_open, &err),
                    -1);
  assert_true (at_open);
  assert_int_equal (err->errno_value, ENOENT);
  error_release (&err);
  assert_int_equal (lsm_procfs_io.write (proc, LSM_ATTR_EXEC, "/proc/" LSM_ATTR_EXEC, "exec p", 6, &at_open, &err),
                    -1);
  assert_false (at_open);
  assert_string_equal (err->message, "write /proc/thread-self/attr/exec: invalid argument");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (checks_before_clone_follow_runc),
    cmocka_unit_test (lsm_check_uses_this_hosts_selinux_state),
    cmocka_unit_test (apparmor_profile_goes_to_the_per_lsm_exec_file),
    cmocka_unit_test (apparmor_falls_back_to_attr_exec_before_linux_5_8),
    cmocka_unit_test (apparmor_on_a_kernel_without_it_fails_in_runcs_words),
    cmocka_unit_test (apparmor_profile_not_loaded_is_named),
    cmocka_unit_test (apparmor_attr_not_on_procfs_is_not_retried_elsewhere),
    cmocka_unit_test (selinux_label_goes_to_attr_exec_after_the_profile),
    cmocka_unit_test (selinux_exec_label_refused_names_the_label),
    cmocka_unit_test (keyring_label_is_set_then_reset),
    cmocka_unit_test (keyring_label_without_keycreate_is_fine_but_a_refusal_is_not),
    cmocka_unit_test (mount_label_is_added_as_a_quoted_context),
    cmocka_unit_test (mount_label_goes_where_runc_puts_it),
    cmocka_unit_test (mount_error_hint_only_for_einval_without_selinux),
    cmocka_unit_test (procfs_writer_reports_where_it_failed),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
