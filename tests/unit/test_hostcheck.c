/* test_hostcheck.c - `ocirt check`'s decisions, as a specification, on
 * fake hosts (struct hostcheck_probe): no root, no real /proc needed.
 * Build: make tests/unit/test_hostcheck
 */
#include <errno.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/runtime/hostcheck.h"

/* ---- pure parts ---- */

static void
kernel_versions_compare_major_then_minor (void **unused)
{
  (void) unused;
  assert_true (hostcheck_kernel_at_least ("5.9.0", 5, 9));
  assert_true (hostcheck_kernel_at_least ("6.1.0-13-amd64", 5, 9));
  assert_true (hostcheck_kernel_at_least ("5.10", 5, 9));
  assert_false (hostcheck_kernel_at_least ("5.8.18", 5, 9));
  assert_false (hostcheck_kernel_at_least ("4.19.0", 5, 9));
  assert_false (hostcheck_kernel_at_least ("garbage", 5, 9));
  assert_false (hostcheck_kernel_at_least (NULL, 5, 9));
}

static void
cgroup_mode_comes_from_the_root_and_unified_fs_types (void **unused)
{
  (void) unused;
  assert_int_equal (hostcheck_cgroup_mode (CGROUP2_SUPER_MAGIC, 0), HOSTCHECK_CGROUP_V2);
  assert_int_equal (hostcheck_cgroup_mode (TMPFS_MAGIC, CGROUP2_SUPER_MAGIC), HOSTCHECK_CGROUP_HYBRID);
  assert_int_equal (hostcheck_cgroup_mode (TMPFS_MAGIC, 0), HOSTCHECK_CGROUP_V1);
  assert_int_equal (hostcheck_cgroup_mode (0, 0), HOSTCHECK_CGROUP_NONE);
  assert_string_equal (hostcheck_cgroup_mode_name (HOSTCHECK_CGROUP_HYBRID), "hybrid");
}

static const char proc_cgroups[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                   "cpuset\t3\t1\t1\n"
                                   "cpu\t4\t1\t1\n"
                                   "memory\t0\t1\t0\n"
                                   "devices\t6\t40\t1\n"
                                   "hugetlb\t0\t1\t1\n";

static void
v1_controllers_are_the_enabled_ones_on_a_v1_hierarchy (void **unused)
{
  (void) unused;
  char *s = hostcheck_v1_controllers (proc_cgroups);
  /* memory is disabled; hugetlb (hierarchy 0) is on cgroup2, not v1. */
  assert_string_equal (s, "cpuset cpu devices");
  free (s);
  s = hostcheck_v1_controllers ("");
  assert_string_equal (s, "");
  free (s);
}

static void
capabilities_are_read_from_capeff_bits (void **unused)
{
  (void) unused;
  const char *no_sys_resource = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\n";
  const char *all = "CapEff:\t000001ffffffffff\n";
  assert_false (hostcheck_has_cap (no_sys_resource, 24));
  assert_true (hostcheck_has_cap (no_sys_resource, 21));
  assert_true (hostcheck_has_cap (all, 24));
  assert_false (hostcheck_has_cap ("Name:\tx\n", 24));
  char *v = hostcheck_status_field ("Seccomp:\t0\nSeccomp_filters:\t0\n", "Seccomp");
  assert_string_equal (v, "0");
  free (v);
}

static void
initramfs_root_is_ramfs_or_a_rootfs_mount (void **unused)
{
  (void) unused;
  const char *disk = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
  const char *initramfs = "1 1 0:2 / / rw - rootfs rootfs rw\n";
  assert_false (hostcheck_root_is_initramfs (0xEF53, disk));
  assert_true (hostcheck_root_is_initramfs (RAMFS_MAGIC, disk));
  assert_true (hostcheck_root_is_initramfs (TMPFS_MAGIC, initramfs));
  /* A tmpfs mounted over / later is a real mount: pivot_root works. */
  const char *over = "1 1 0:2 / / rw - rootfs rootfs rw\n30 1 0:30 / / rw - tmpfs tmpfs rw\n";
  assert_false (hostcheck_root_is_initramfs (TMPFS_MAGIC, over));
}

/* ---- a fake host ---- */

static struct
{
  const char *release;
  unsigned long cgroup_root, cgroup_unified, root;
  const char *proc_cgroups, *v2_controllers, *status, *mountinfo, *max_userns;
  const char *missing_ns;   /* a namespace name, or NULL */
  int state_errno;
  bool cni;
  const char *apparmor_enabled;  /* the module parameter, or NULL: not built in */
  bool apparmor_fs;              /* /sys/kernel/security/apparmor */
  const char *selinux_enforce;   /* NULL: no selinuxfs */
} host;

static const char *
fake_release (void)
{
  return host.release;
}

static int
fake_fs_type (const char *path, unsigned long *type)
{
  unsigned long t = 0;
  if (strcmp (path, "/sys/fs/cgroup") == 0)
    t = host.cgroup_root;
  else if (strcmp (path, "/sys/fs/cgroup/unified") == 0)
    t = host.cgroup_unified;
  else if (strcmp (path, "/") == 0)
    t = host.root;
  else if (strcmp (path, "/sys/fs/selinux") == 0 && host.selinux_enforce)
    t = SELINUX_MAGIC;
  if (t == 0)
    return -1;
  *type = t;
  return 0;
}

static char *
fake_read_file (const char *path)
{
  const char *s = NULL;
  if (strcmp (path, "/proc/cgroups") == 0)
    s = host.proc_cgroups;
  else if (strstr (path, "cgroup.controllers"))
    s = host.v2_controllers;
  else if (strcmp (path, "/proc/self/status") == 0)
    s = host.status;
  else if (strcmp (path, "/proc/self/mountinfo") == 0)
    s = host.mountinfo;
  else if (strcmp (path, "/proc/sys/user/max_user_namespaces") == 0)
    s = host.max_userns;
  else if (strcmp (path, "/sys/module/apparmor/parameters/enabled") == 0)
    s = host.apparmor_enabled;
  else if (strcmp (path, "/sys/fs/selinux/enforce") == 0)
    s = host.selinux_enforce;
  return s ? strdup (s) : NULL;
}

static bool
fake_exists (const char *path)
{
  if (strncmp (path, "/proc/self/ns/", 14) == 0)
    return host.missing_ns == NULL || strcmp (path + 14, host.missing_ns) != 0;
  if (strcmp (path, "/sys/kernel/security/apparmor") == 0)
    return host.apparmor_fs;
  return false;
}

static bool
fake_executable (const char *path)
{
  (void) path;
  return host.cni;
}

static int
fake_dir_writable (const char *dir)
{
  (void) dir;
  return host.state_errno;
}

static const char *
fake_libseccomp (void)
{
  return "2.5.4";
}

static const struct hostcheck_probe fake = {
  fake_release, fake_fs_type, fake_read_file, fake_exists, fake_executable, fake_dir_writable, fake_libseccomp,
};

static int
good_host (void **unused)
{
  (void) unused;
  memset (&host, 0, sizeof host);
  host.release = "6.1.0";
  host.cgroup_root = CGROUP2_SUPER_MAGIC;
  host.root = 0xEF53;
  host.v2_controllers = "cpuset cpu io memory pids\n";
  host.status = "Seccomp:\t0\nCapEff:\t000001ffffffffff\n";
  host.mountinfo = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n";
  host.max_userns = "1000\n";
  host.cni = true;
  return 0;
}

static const struct hostcheck_item *
item (const struct hostcheck_report *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->items[i].name, name) == 0)
      return &r->items[i];
  fail_msg ("no item \"%s\"", name);
  return NULL;
}

static void
a_complete_v2_host_passes (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  hostcheck_run (&fake, "/run/ocirt", &r);
  assert_true (hostcheck_passed (&r));
  assert_non_null (strstr (item (&r, "cgroup")->detail, "v2"));
  assert_non_null (strstr (item (&r, "seccomp")->detail, "libseccomp 2.5.4"));
  for (size_t i = 0; i < r.n; i++)
    if (r.items[i].ok)
      assert_null (r.items[i].fix);
  hostcheck_report_free (&r);
}

static void
a_missing_optional_item_does_not_fail_the_check (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  host.status = "Seccomp:\t0\nCapEff:\t000001fffeffffff\n";
  host.max_userns = "0\n";
  host.cni = false;
  host.missing_ns = "time";
  hostcheck_run (&fake, "/run/ocirt", &r);
  assert_true (hostcheck_passed (&r));
  const struct hostcheck_item *cap = item (&r, "CAP_SYS_RESOURCE");
  assert_false (cap->ok);
  assert_false (cap->required);
  assert_string_equal (cap->fix, "rlimits above the hard limit and negative oomScoreAdj will fail");
  assert_false (item (&r, "user namespaces")->ok);
  assert_false (item (&r, "CNI plugins")->ok);
  assert_false (item (&r, "namespace time")->ok);
  hostcheck_report_free (&r);
}

static void
each_required_item_fails_the_check (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  /* Spoiled one at a time by the switch below. */
  const char *cases[] = { "kernel", "namespace pid", "cgroup", "seccomp", "pivot_root", "state dir" };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      good_host (NULL);
      switch (i)
        {
        case 0: host.release = "5.4.0"; break;
        case 1: host.missing_ns = "pid"; break;
        case 2: host.cgroup_root = 0; break;
        case 3: host.status = "CapEff:\t000001ffffffffff\n"; break;
        case 4: host.mountinfo = "1 1 0:2 / / rw - rootfs rootfs rw\n"; host.root = TMPFS_MAGIC; break;
        case 5: host.state_errno = EROFS; break;
        }
      hostcheck_run (&fake, "/run/ocirt", &r);
      const struct hostcheck_item *it = item (&r, cases[i]);
      assert_false (it->ok);
      assert_true (it->required);
      assert_non_null (it->fix);
      assert_false (hostcheck_passed (&r));
      hostcheck_report_free (&r);
    }
}

static void
pivot_root_on_initramfs_names_the_way_out (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  host.root = RAMFS_MAGIC;
  hostcheck_run (&fake, "/run/ocirt", &r);
  assert_string_equal (item (&r, "pivot_root")->fix,
                       "pivot_root fails on an initramfs root; use --no-pivot or switch_root");
  hostcheck_report_free (&r);
}

static void
hybrid_v1_without_devices_controller_fails (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  host.cgroup_root = TMPFS_MAGIC;
  host.cgroup_unified = CGROUP2_SUPER_MAGIC;
  host.proc_cgroups = "cpu\t4\t1\t1\nmemory\t5\t1\t1\n";
  host.v2_controllers = "\n";
  hostcheck_run (&fake, "/run/ocirt", &r);
  const struct hostcheck_item *cg = item (&r, "cgroup");
  assert_false (cg->ok);
  assert_non_null (strstr (cg->detail, "hybrid"));
  hostcheck_report_free (&r);
  host.proc_cgroups = proc_cgroups;
  hostcheck_run (&fake, "/run/ocirt", &r);
  assert_true (item (&r, "cgroup")->ok);
  assert_non_null (strstr (item (&r, "cgroup")->detail, "hybrid, v1 controllers: cpuset cpu devices"));
  hostcheck_report_free (&r);
}

static void
apparmor_and_selinux_are_reported_never_required (void **unused)
{
  (void) unused;
  static const struct
  {
    const char *aa_param;
    bool aa_fs;
    const char *enforce;
    bool aa_ok, se_ok;
    const char *aa_detail, *se_detail;
  } cases[] = {
    { NULL, false, NULL, false, false, "not in this kernel", "not enabled (no selinuxfs at /sys/fs/selinux)" },
    { "N\n", false, NULL, false, false, "built into the kernel but not enabled", NULL },
    /* runc's test wants securityfs too. */
    { "Y\n", false, NULL, false, false, "built into the kernel but not enabled", NULL },
    { "Y\n", true, NULL, true, false, "enabled: process.apparmorProfile is applied", NULL },
    { NULL, false, "1", false, true, NULL, "enabled, enforcing" },
    { NULL, false, "0", false, true, NULL, "enabled, permissive" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct hostcheck_report r;
      good_host (NULL);
      host.apparmor_enabled = cases[i].aa_param;
      host.apparmor_fs = cases[i].aa_fs;
      host.selinux_enforce = cases[i].enforce;
      hostcheck_run (&fake, "/run/ocirt", &r);
      const struct hostcheck_item *aa = item (&r, "AppArmor"), *se = item (&r, "SELinux");
      assert_int_equal (aa->ok, cases[i].aa_ok);
      assert_int_equal (se->ok, cases[i].se_ok);
      assert_false (aa->required);
      assert_false (se->required);
      if (cases[i].aa_detail)
        assert_string_equal (aa->detail, cases[i].aa_detail);
      if (cases[i].se_detail)
        assert_non_null (strstr (se->detail, cases[i].se_detail));
      if (!aa->ok)
        assert_non_null (strstr (aa->fix, "process.apparmorProfile fails create"));
      assert_true (hostcheck_passed (&r));
      hostcheck_report_free (&r);
    }
}

static void
json_is_an_array_of_name_ok_detail_fix_required (void **unused)
{
  (void) unused;
  struct hostcheck_report r;
  host.state_errno = EACCES;
  hostcheck_run (&fake, "/x\"y", &r);
  char *json = hostcheck_report_json (&r);
  assert_non_null (json);
  assert_int_equal (json[0], '[');
  assert_non_null (strstr (json, "\"name\": \"state dir\""));
  assert_non_null (strstr (json, "\"required\": true"));
  assert_non_null (strstr (json, "\"fix\": null"));
  assert_non_null (strstr (json, "/x\\\"y"));
  free (json);
  hostcheck_report_free (&r);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (kernel_versions_compare_major_then_minor),
    cmocka_unit_test (cgroup_mode_comes_from_the_root_and_unified_fs_types),
    cmocka_unit_test (v1_controllers_are_the_enabled_ones_on_a_v1_hierarchy),
    cmocka_unit_test (capabilities_are_read_from_capeff_bits),
    cmocka_unit_test (initramfs_root_is_ramfs_or_a_rootfs_mount),
    cmocka_unit_test_setup (a_complete_v2_host_passes, good_host),
    cmocka_unit_test_setup (a_missing_optional_item_does_not_fail_the_check, good_host),
    cmocka_unit_test_setup (each_required_item_fails_the_check, good_host),
    cmocka_unit_test_setup (pivot_root_on_initramfs_names_the_way_out, good_host),
    cmocka_unit_test_setup (hybrid_v1_without_devices_controller_fails, good_host),
    cmocka_unit_test_setup (apparmor_and_selinux_are_reported_never_required, good_host),
    cmocka_unit_test_setup (json_is_an_array_of_name_ok_detail_fix_required, good_host),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
