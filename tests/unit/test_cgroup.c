/* test_cgroup.c - the pure parts of src/linux/cgroup*.c, without root:
 * cgroupsPath resolution, mountinfo parsing, the v1->v2 conversions, device
 * rule formatting, hugepage sizes, unified keys and cgroup.procs parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/linux/cgroup_internal.h"

static char *
resolve_ok (const char *p, const char *id)
{
  ocirt_error_t err = NULL;
  char *r = cgroup_resolve_path (p, id, &err);

  if (r == NULL)
    fail_msg ("resolve \"%s\": %s", p ? p : "(null)", err->message);
  return r;
}

static void
resolve_fails (const char *p, const char *needle)
{
  ocirt_error_t err = NULL;
  char *r = cgroup_resolve_path (p, "id", &err);

  assert_null (r);
  assert_non_null (err);
  if (strstr (err->message, needle) == NULL)
    fail_msg ("\"%s\" does not contain \"%s\"", err->message, needle);
  error_release (&err);
}

static void
cgroups_path_default_is_ocirt_id (void **state)
{
  (void) state;
  char *r = resolve_ok (NULL, "c1");
  assert_string_equal (r, "/ocirt/c1");
  free (r);
  r = resolve_ok ("", "c2");
  assert_string_equal (r, "/ocirt/c2");
  free (r);
}

static void
cgroups_path_manager_forms_are_kept (void **state)
{
  (void) state;
  const char *forms[] = { "/libpod_parent/libpod-0123abcd", "/default/redis", "/k8s.io/abc" };

  /* runc's cgroupfs driver takes the systemd form as a plain path. */
  char *sd = resolve_ok ("system.slice:docker:abc", "x");
  assert_string_equal (sd, "/system.slice:docker:abc");
  free (sd);
  for (size_t i = 0; i < 3; i++)
    {
      char *r = resolve_ok (forms[i], "x");
      assert_string_equal (r, forms[i]);
      free (r);
    }
}

static void
cgroups_path_relative_and_untidy_are_normalised (void **state)
{
  (void) state;
  char *r = resolve_ok ("a/b", "x");
  assert_string_equal (r, "/a/b");
  free (r);
  r = resolve_ok ("//a///b/", "x");
  assert_string_equal (r, "/a/b");
  free (r);
}

static void
cgroups_path_rejects_dot_dot_root_and_systemd (void **state)
{
  (void) state;
  resolve_fails ("/a/../b", "cgroupsPath \"/a/../b\": .. is not allowed");
  resolve_fails ("/a/..", ".. is not allowed");
  resolve_fails ("/a/./b", ". is not allowed");
  resolve_fails ("/", "root cgroup");
  resolve_fails ("/a/b\nc", "control characters");
  ocirt_error_t err = NULL;
  assert_null (cgroup_resolve_path (NULL, "a/b", &err));
  error_release (&err);
  assert_null (cgroup_resolve_path (NULL, "..", &err));
  error_release (&err);
}

static const char hybrid_mountinfo[]
  = "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "90 22 0:32 / /var/lib/x/memory\\040copy rw - cgroup cgroup rw,memory\n"
    "91 22 0:50 / /mnt/odd\\040dir rw - cgroup cgroup rw,net_cls,net_prio\n";

static void
mountinfo_finds_each_hierarchy_once (void **state)
{
  (void) state;
  struct cgroup_layout l = { 0 };
  ocirt_error_t err = NULL;

  assert_int_equal (cgroup_layout_parse (hybrid_mountinfo, &l, &err), 0);
  assert_int_equal (l.n, 6);
  assert_string_equal (cgroup_layout_find (&l, CGC_CPU)->mount, "/sys/fs/cgroup/cpu,cpuacct");
  assert_ptr_equal (cgroup_layout_find (&l, CGC_CPU), cgroup_layout_find (&l, CGC_CPUACCT));
  assert_string_equal (cgroup_layout_find (&l, CGC_CPUSET)->mount, "/sys/fs/cgroup/cpuset");
  /* The duplicate memory mount is dropped, the canonical one kept. */
  assert_string_equal (cgroup_layout_find (&l, CGC_MEMORY)->mount, "/sys/fs/cgroup/memory");
  assert_string_equal (cgroup_layout_find (&l, CGC_NET_PRIO)->mount, "/mnt/odd dir");
  assert_null (cgroup_layout_find (&l, CGC_PIDS));
  assert_string_equal (cgroup_layout_unified (&l)->mount, "/sys/fs/cgroup/unified");
  assert_true (l.h[3].named);
  assert_int_equal (l.h[3].controllers, 0);
}

static void
shares_to_weight_follows_runc (void **state)
{
  (void) state;
  assert_int_equal (cgroup_shares_to_weight (0), 0);
  assert_int_equal (cgroup_shares_to_weight (2), 1);
  assert_int_equal (cgroup_shares_to_weight (1), 1);
  assert_int_equal (cgroup_shares_to_weight (1024), 39);
  assert_int_equal (cgroup_shares_to_weight (512), 20);
  assert_int_equal (cgroup_shares_to_weight (262144), 10000);
  assert_int_equal (cgroup_shares_to_weight (1000000), 10000);
  assert_int_equal (cgroup_blkio_to_io_weight (10), 1);
  assert_int_equal (cgroup_blkio_to_io_weight (1000), 10000);
  assert_int_equal (cgroup_blkio_to_io_weight (500), 4950);
}

static void
swap_is_converted_to_swap_only (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  bool set;
  int64_t v;
  struct oci_memory m = { .has_limit = true, .limit = 100, .has_swap = true, .swap = 300 };

  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), 0);
  assert_true (set);
  assert_int_equal (v, 200);
  m = (struct oci_memory){ .has_limit = true, .limit = -1 };
  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), 0);
  assert_true (set);
  assert_int_equal (v, -1);
  m = (struct oci_memory){ .has_limit = true, .limit = 100 };
  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), 0);
  assert_false (set);
  m = (struct oci_memory){ .has_swap = true, .swap = -1, .has_limit = true, .limit = 5 };
  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), 0);
  assert_int_equal (v, -1);
  m = (struct oci_memory){ .has_swap = true, .swap = 100 };
  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), -1);
  assert_non_null (strstr (err->message, "needs memory.limit"));
  error_release (&err);
  m = (struct oci_memory){ .has_limit = true, .limit = 200, .has_swap = true, .swap = 100 };
  assert_int_equal (cgroup_v2_swap_value (&m, &set, &v, &err), -1);
  assert_non_null (strstr (err->message, "linux.resources.memory.swap"));
  error_release (&err);
}

static void
hugepage_sizes_parse_base_1024 (void **state)
{
  (void) state;
  assert_int_equal (cgroup_hugepage_size ("2MB"), 2u << 20);
  assert_int_equal (cgroup_hugepage_size ("1GB"), 1u << 30);
  assert_int_equal (cgroup_hugepage_size ("64KB"), 64u << 10);
  assert_int_equal (cgroup_hugepage_size ("2M"), 0);
  assert_int_equal (cgroup_hugepage_size ("MB"), 0);
  assert_int_equal (cgroup_hugepage_size ("02MB"), 0);
  assert_int_equal (cgroup_hugepage_size ("2MB/../x"), 0);
  assert_int_equal (cgroup_hugepage_size (""), 0);
}

static void
device_rule_lines (const struct oci_device_cgroup *d, const char *want)
{
  ocirt_error_t err = NULL;
  char buf[128];

  if (cgroup_device_rule_format (d, buf, sizeof buf, &err) < 0)
    fail_msg ("%s", err->message);
  assert_string_equal (buf, want);
}

static void
device_rules_format_like_the_kernel_wants (void **state)
{
  (void) state;
  struct oci_device_cgroup deny_all = { .allow = false, .access = "rwm" };
  struct oci_device_cgroup null = { .allow = true, .type = "c", .has_major = true, .major = 1,
                                    .has_minor = true, .minor = 3, .access = "rwm" };
  struct oci_device_cgroup pts = { .allow = true, .type = "c", .has_major = true, .major = 136,
                                   .access = "rw" };
  struct oci_device_cgroup all_r = { .allow = true, .type = "a", .access = "r" };
  struct oci_device_cgroup bad = { .type = "x" };
  ocirt_error_t err = NULL;
  char buf[64];

  device_rule_lines (&deny_all, "a");
  device_rule_lines (&(struct oci_device_cgroup){ .allow = false }, "a");
  device_rule_lines (&null, "c 1:3 rwm");
  device_rule_lines (&pts, "c 136:* rw");
  device_rule_lines (&all_r, "c *:* r\nb *:* r");
  /* Three letters are not all three accesses: "a" would grant w and m. */
  device_rule_lines (&(struct oci_device_cgroup){ .allow = true, .type = "a", .access = "rrw" },
                     "c *:* rw\nb *:* rw");
  device_rule_lines (&(struct oci_device_cgroup){ .allow = true, .type = "a", .access = "mwr" }, "a");
  /* runc 1.1 ignores letters other than r, w and m; with none left the
   * rule writes nothing. */
  device_rule_lines (&(struct oci_device_cgroup){ .allow = true, .type = "c", .access = "rwx" },
                     "c *:* rw");
  device_rule_lines (&(struct oci_device_cgroup){ .allow = true, .type = "c", .access = "m r" },
                     "c *:* rm");
  device_rule_lines (&(struct oci_device_cgroup){ .allow = false, .access = "RWM" }, "");
  assert_int_equal (cgroup_device_rule_format (&bad, buf, sizeof buf, &err), -1);
  assert_string_equal (err->message, "invalid cgroup device type \"x\"");
  error_release (&err);
}

static void
rdma_lines_name_only_the_limits_set (void **state)
{
  (void) state;
  char buf[64];
  struct oci_rdma both = { .device = "mlx5_1", .has_hca_handles = true, .hca_handles = 3,
                           .has_hca_objects = true, .hca_objects = 10000 };
  struct oci_rdma objects = { .device = "mlx4_0", .has_hca_objects = true, .hca_objects = 0 };
  struct oci_rdma neither = { .device = "mlx4_0" };
  struct oci_rdma too_long = { .device = "0123456789012345678901234567890123456789012345678901",
                               .has_hca_handles = true, .hca_handles = 4294967295u };

  assert_int_equal (cgroup_rdma_format (&both, buf, sizeof buf), 36);
  assert_string_equal (buf, "mlx5_1 hca_handle=3 hca_object=10000");
  assert_true (cgroup_rdma_format (&objects, buf, sizeof buf) > 0);
  assert_string_equal (buf, "mlx4_0 hca_object=0");
  assert_int_equal (cgroup_rdma_format (&neither, buf, sizeof buf), 0);
  assert_int_equal (cgroup_rdma_format (&too_long, buf, sizeof buf), -1);
}

static void
unified_keys_are_plain_file_names (void **state)
{
  (void) state;
  assert_true (cgroup_unified_key_valid ("io.max"));
  assert_true (cgroup_unified_key_valid ("hugetlb.1GB.max"));
  assert_false (cgroup_unified_key_valid (""));
  assert_false (cgroup_unified_key_valid (".."));
  assert_false (cgroup_unified_key_valid ("../memory.max"));
  assert_false (cgroup_unified_key_valid ("a/b"));
  assert_false (cgroup_unified_key_valid ("memory max"));
  assert_false (cgroup_unified_key_valid (NULL));
}

static void
procs_are_sorted_and_unique (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  pid_t *p = NULL;
  size_t n = 0;

  assert_int_equal (cgroup_parse_pids ("30\n7\n30\n12\n", &p, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_int_equal (p[0], 7);
  assert_int_equal (p[1], 12);
  assert_int_equal (p[2], 30);
  free (p);
  assert_int_equal (cgroup_parse_pids ("", &p, &n, &err), 0);
  assert_int_equal (n, 0);
  free (p);
  assert_int_equal (cgroup_parse_pids ("12\nabc\n", &p, &n, &err), -1);
  error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (cgroups_path_default_is_ocirt_id),
    cmocka_unit_test (cgroups_path_manager_forms_are_kept),
    cmocka_unit_test (cgroups_path_relative_and_untidy_are_normalised),
    cmocka_unit_test (cgroups_path_rejects_dot_dot_root_and_systemd),
    cmocka_unit_test (mountinfo_finds_each_hierarchy_once),
    cmocka_unit_test (shares_to_weight_follows_runc),
    cmocka_unit_test (swap_is_converted_to_swap_only),
    cmocka_unit_test (hugepage_sizes_parse_base_1024),
    cmocka_unit_test (device_rules_format_like_the_kernel_wants),
    cmocka_unit_test (rdma_lines_name_only_the_limits_set),
    cmocka_unit_test (unified_keys_are_plain_file_names),
    cmocka_unit_test (procs_are_sorted_and_unique),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
