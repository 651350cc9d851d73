/* test_systemd_cgroup.c - the pure parts of src/linux/cgroup_systemd.c,
 * without systemd: cgroupsPath to unit name and cgroup path, slice
 * expansion, runc's conversions (shares, quota, cpuset masks), GVariant
 * annotation values, and the property list of a new unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/linux/cgroup_internal.h"
#include "../../src/linux/cgroup_systemd.h"

static void
assert_error_has (ocirt_error_t *err, const char *needle)
{
  assert_non_null (*err);
  if (strstr ((*err)->message, needle) == NULL)
    fail_msg ("\"%s\" does not contain \"%s\"", (*err)->message, needle);
  error_release (err);
}

static void
expand_ok (const char *slice, const char *want)
{
  ocirt_error_t err = NULL;
  char *p = systemd_expand_slice (slice, &err);

  if (p == NULL)
    fail_msg ("expand \"%s\": %s", slice, err->message);
  assert_string_equal (p, want);
  free (p);
}

static void
slices_expand_as_systemd_does (void **state)
{
  (void) state;
  expand_ok ("system.slice", "/system.slice");
  expand_ok ("-.slice", "/");
  expand_ok ("a-b.slice", "/a.slice/a-b.slice");
  expand_ok ("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice");
  expand_ok ("machine-libpod_pod_x.slice", "/machine.slice/machine-libpod_pod_x.slice");
  const char *bad[] = { "", ".slice", "system", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice",
                        "x.scope" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ocirt_error_t err = NULL;
      assert_null (systemd_expand_slice (bad[i], &err));
      assert_error_has (&err, "invalid slice name");
    }
}

static void
unit_ok (const char *cgroups_path, const char *slice, const char *name, const char *path)
{
  ocirt_error_t err = NULL;
  struct systemd_unit u;

  if (systemd_unit_parse (cgroups_path, "c1", &u, &err) < 0)
    fail_msg ("parse \"%s\": %s", cgroups_path ? cgroups_path : "(null)", err->message);
  assert_string_equal (u.slice, slice);
  assert_string_equal (u.name, name);
  assert_string_equal (u.path, path);
  systemd_unit_clear (&u);
}

static void
unit_fails (const char *cgroups_path, const char *needle)
{
  ocirt_error_t err = NULL;
  struct systemd_unit u;

  assert_int_equal (systemd_unit_parse (cgroups_path, "c1", &u, &err), -1);
  assert_error_has (&err, needle);
}

static void
cgroups_path_names_a_scope_in_a_slice (void **state)
{
  (void) state;
  unit_ok ("system.slice:docker:abc", "system.slice", "docker-abc.scope",
           "/system.slice/docker-abc.scope");
  unit_ok ("machine-libpod_pod_1.slice:libpod:abc", "machine-libpod_pod_1.slice", "libpod-abc.scope",
           "/machine.slice/machine-libpod_pod_1.slice/libpod-abc.scope");
  /* No slice: runc's system.slice. No prefix: just the name. */
  unit_ok (":cri:abc", "system.slice", "cri-abc.scope", "/system.slice/cri-abc.scope");
  unit_ok ("system.slice::abc", "system.slice", "abc.scope", "/system.slice/abc.scope");
  /* The root slice. */
  unit_ok ("-.slice:p:abc", "-.slice", "p-abc.scope", "/p-abc.scope");
  /* A name ending in .slice asks for a slice. */
  unit_ok ("system.slice:p:system-ctr.slice", "system.slice", "system-ctr.slice",
           "/system.slice/system-ctr.slice");
  /* Empty: runc's "system.slice:runc:<id>", with ocirt's prefix. */
  unit_ok (NULL, "system.slice", "ocirt-c1.scope", "/system.slice/ocirt-c1.scope");
  unit_ok ("", "system.slice", "ocirt-c1.scope", "/system.slice/ocirt-c1.scope");
}

static void
cgroups_path_errors_name_the_format (void **state)
{
  (void) state;
  unit_fails ("/a/b", "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, "
                      "got \"/a/b\" instead");
  unit_fails ("a:b", "slice:prefix:name");
  unit_fails ("a.slice:b:c:d", "slice:prefix:name");
  unit_fails ("system:p:n", "cgroupsPath \"system:p:n\": invalid slice name: system");
  unit_fails ("system.slice:p:", "the unit name (after the second ':') is empty");
}

static void
shares_and_quota_convert_as_runc (void **state)
{
  (void) state;
  /* runc's ConvertCPUSharesToCgroupV2Value: 1 + (shares-2)*9999/262142. */
  assert_int_equal (cgroup_shares_to_weight (1024), 39);
  assert_int_equal (cgroup_shares_to_weight (2), 1);
  assert_int_equal (cgroup_shares_to_weight (262144), 10000);
  assert_int_equal (cgroup_shares_to_weight (0), 0);
  /* 50000/100000 of a CPU: 500 ms per second. */
  assert_int_equal (systemd_cpu_quota_per_sec (50000, 100000), 500000);
  /* No period: the kernel's 100 ms. */
  assert_int_equal (systemd_cpu_quota_per_sec (20000, 0), 200000);
  /* 12345/100000 = 123450 us/s, rounded up to whole percents. */
  assert_int_equal (systemd_cpu_quota_per_sec (12345, 100000), 130000);
  assert_true (systemd_cpu_quota_per_sec (-1, 100000) == UINT64_MAX);
  assert_true (systemd_cpu_quota_per_sec (0, 50000) == UINT64_MAX);
}

static void
mask_ok (const char *list, const uint8_t *want, size_t n)
{
  ocirt_error_t err = NULL;
  uint8_t *b;
  size_t len;

  if (systemd_cpuset_bits (list, &b, &len, &err) < 0)
    fail_msg ("mask \"%s\": %s", list, err->message);
  assert_int_equal (len, n);
  assert_memory_equal (b, want, n);
  free (b);
}

static void
cpusets_become_little_endian_masks (void **state)
{
  (void) state;
  mask_ok ("0", (const uint8_t[]){ 0x01 }, 1);
  mask_ok ("0-3", (const uint8_t[]){ 0x0f }, 1);
  mask_ok ("1,3-5", (const uint8_t[]){ 0x3a }, 1);
  mask_ok ("8", (const uint8_t[]){ 0x00, 0x01 }, 2);
  mask_ok ("0, 9-10,", (const uint8_t[]){ 0x01, 0x06 }, 2);
  const char *bad[] = { "", ",", "a", "3-1", "1-", "0-99999", "1 2" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ocirt_error_t err = NULL;
      uint8_t *b = NULL;
      size_t n;
      assert_int_equal (systemd_cpuset_bits (bad[i], &b, &n, &err), -1);
      assert_error_has (&err, "cpuset");
    }
}

static struct sd_prop
value_ok (const char *text, enum sd_prop_type type)
{
  ocirt_error_t err = NULL;
  struct sd_prop p = { 0 };

  if (systemd_parse_value (text, &p, &err) < 0)
    fail_msg ("value \"%s\": %s", text, err->message);
  if (p.type != type)
    fail_msg ("value \"%s\": type %s, not %s", text, sd_prop_signature (p.type), sd_prop_signature (type));
  return p;
}

static void
gvariant_values_parse (void **state)
{
  struct sd_prop p;
  (void) state;
  assert_true (value_ok ("true", SDP_BOOL).v.b);
  assert_false (value_ok (" false ", SDP_BOOL).v.b);
  assert_true (value_ok ("boolean true", SDP_BOOL).v.b);
  assert_int_equal (value_ok ("42", SDP_INT32).v.i, 42);
  assert_int_equal (value_ok ("-7", SDP_INT32).v.i, -7);
  assert_int_equal (value_ok ("5000000000", SDP_INT64).v.i, 5000000000LL);
  assert_true (value_ok ("uint64 18446744073709551615", SDP_UINT64).v.u == UINT64_MAX);
  assert_int_equal (value_ok ("@t 100", SDP_UINT64).v.u, 100);
  assert_int_equal (value_ok ("@u 7", SDP_UINT32).v.u, 7);
  assert_int_equal (value_ok ("uint32 7", SDP_UINT32).v.u, 7);
  assert_int_equal (value_ok ("@x -3", SDP_INT64).v.i, -3);
  assert_int_equal (value_ok ("int64 -3", SDP_INT64).v.i, -3);
  assert_true (value_ok ("1.5", SDP_DOUBLE).v.d == 1.5);
  p = value_ok ("'inactive-or-failed'", SDP_STRING);
  assert_string_equal (p.s, "inactive-or-failed");
  free (p.s);
  p = value_ok ("\"it's\"", SDP_STRING);
  assert_string_equal (p.s, "it's");
  free (p.s);
  p = value_ok ("['a.service', \"b.service\"]", SDP_STRV);
  assert_int_equal (p.n, 2);
  assert_string_equal (p.strv[0], "a.service");
  assert_string_equal (p.strv[1], "b.service");
  free (p.strv[0]);
  free (p.strv[1]);
  free (p.strv);
  p = value_ok ("@as []", SDP_STRV);
  assert_int_equal (p.n, 0);

  const char *bad[] = { "", "yes", "'open", "[1, 2]", "@t -1", "uint32 4294967296", "@u 'x'",
                        "12 13", "@z 1", "byte 256", "['a' 'b']" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ocirt_error_t err = NULL;
      struct sd_prop q = { 0 };
      if (systemd_parse_value (bad[i], &q, &err) == 0)
        fail_msg ("value \"%s\" was accepted", bad[i]);
      assert_error_has (&err, "not a GVariant text value");
      free (q.s);
      for (size_t j = 0; j < q.n && q.strv; j++)
        free (q.strv[j]);
      free (q.strv);
    }
}

static void
annotations_name_properties_and_convert_seconds (void **state)
{
  ocirt_error_t err = NULL;
  struct sd_prop p;
  (void) state;

  assert_int_equal (systemd_annotation_prop ("org.systemd.property.TimeoutStopUSec", "uint64 123456789",
                                             &p, &err), 0);
  assert_string_equal (p.name, "TimeoutStopUSec");
  assert_int_equal (p.type, SDP_UINT64);
  assert_int_equal (p.v.u, 123456789);
  free (p.name);
  /* runc: a name ending in a lowercase letter + "Sec" is seconds. */
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.TimeoutStopSec", "5", &p, &err), 0);
  assert_string_equal (p.name, "TimeoutStopUSec");
  assert_int_equal (p.type, SDP_UINT64);
  assert_int_equal (p.v.u, 5000000);
  free (p.name);
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.RuntimeMaxSec", "1.5", &p, &err), 0);
  assert_string_equal (p.name, "RuntimeMaxUSec");
  assert_int_equal (p.v.u, 1500000);
  free (p.name);
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.CollectMode", "'inactive-or-failed'",
                                             &p, &err), 0);
  assert_string_equal (p.name, "CollectMode");
  free (p.name);
  free (p.s);

  assert_int_equal (systemd_annotation_prop ("org.systemd.property.lower", "1", &p, &err), -1);
  assert_error_has (&err, "\"lower\" is not a systemd property name");
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.Bad-Name", "1", &p, &err), -1);
  assert_error_has (&err, "is not a systemd property name");
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.TimeoutStopSec", "'x'", &p, &err), -1);
  assert_error_has (&err, "is not a number of seconds");
  assert_int_equal (systemd_annotation_prop ("org.systemd.property.TasksMax", "nope", &p, &err), -1);
  assert_error_has (&err, "annotation \"org.systemd.property.TasksMax\": value \"nope\"");
}

static const struct sd_prop *
find (const struct sd_props *p, const char *name)
{
  const struct sd_prop *found = NULL;
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->v[i].name, name) == 0)
      found = &p->v[i];
  return found;
}

static uint64_t
u64_of (const struct sd_props *p, const char *name)
{
  const struct sd_prop *x = find (p, name);
  if (x == NULL)
    fail_msg ("no property %s", name);
  assert_int_equal (x->type, SDP_UINT64);
  return x->v.u;
}

static void
unit_properties_follow_runc (void **state)
{
  ocirt_error_t err = NULL;
  struct systemd_unit u;
  struct sd_props p = { 0 };
  struct oci_memory mem = { .has_limit = true, .limit = 64 << 20, .has_reservation = true,
                            .reservation = 32 << 20, .has_swap = true, .swap = 96 << 20 };
  struct oci_cpu cpu = { .has_shares = true, .shares = 1024, .has_quota = true, .quota = 50000,
                         .has_period = true, .period = 100000, .cpus = (char *) "0-1",
                         .mems = (char *) "0" };
  struct oci_blkio blk = { .has_weight = true, .weight = 500 };
  struct oci_resources res = { .memory = &mem, .cpu = &cpu, .block_io = &blk,
                               .has_pids_limit = true, .pids_limit = 42 };
  struct oci_kv ann[] = { { (char *) "org.systemd.property.TimeoutStopSec", (char *) "7" },
                          { (char *) "other", (char *) "x" } };
  (void) state;

  assert_int_equal (systemd_unit_parse ("system.slice:test:c1", "c1", &u, &err), 0);
  assert_int_equal (systemd_unit_props (&u, "c1", &res, ann, 2, true, &p, &err), 0);
  assert_string_equal (find (&p, "Description")->s, "ocirt container c1");
  assert_string_equal (find (&p, "Slice")->s, "system.slice");
  assert_true (find (&p, "Delegate")->v.b);
  assert_false (find (&p, "DefaultDependencies")->v.b);
  assert_true (find (&p, "MemoryAccounting")->v.b);
  assert_true (find (&p, "CPUAccounting")->v.b);
  assert_true (find (&p, "TasksAccounting")->v.b);
  assert_true (find (&p, "IOAccounting")->v.b);
  assert_null (find (&p, "PIDs"));
  assert_int_equal (u64_of (&p, "MemoryMax"), 64 << 20);
  assert_int_equal (u64_of (&p, "MemoryLow"), 32 << 20);
  assert_int_equal (u64_of (&p, "MemorySwapMax"), 32 << 20);
  assert_int_equal (u64_of (&p, "CPUWeight"), 39);
  assert_int_equal (u64_of (&p, "CPUQuotaPerSecUSec"), 500000);
  assert_int_equal (u64_of (&p, "CPUQuotaPeriodUSec"), 100000);
  assert_int_equal (u64_of (&p, "TasksMax"), 42);
  assert_int_equal (u64_of (&p, "IOWeight"), cgroup_blkio_to_io_weight (500));
  assert_int_equal (u64_of (&p, "TimeoutStopUSec"), 7000000);
  assert_int_equal (find (&p, "AllowedCPUs")->n, 1);
  assert_int_equal (find (&p, "AllowedCPUs")->bytes[0], 0x03);
  assert_int_equal (find (&p, "AllowedMemoryNodes")->bytes[0], 0x01);
  sd_props_clear (&p);

  /* v1: systemd's legacy names, no cpuset. */
  assert_int_equal (systemd_unit_props (&u, "c1", &res, NULL, 0, false, &p, &err), 0);
  assert_int_equal (u64_of (&p, "MemoryLimit"), 64 << 20);
  assert_int_equal (u64_of (&p, "CPUShares"), 1024);
  assert_int_equal (u64_of (&p, "BlockIOWeight"), 500);
  assert_true (find (&p, "BlockIOAccounting")->v.b);
  assert_null (find (&p, "AllowedCPUs"));
  assert_null (find (&p, "MemoryMax"));
  sd_props_clear (&p);

  /* -1 is systemd's infinity; 0 is unset. */
  mem = (struct oci_memory){ .has_limit = true, .limit = -1 };
  res = (struct oci_resources){ .memory = &mem, .has_pids_limit = true, .pids_limit = -1 };
  assert_int_equal (systemd_resource_props (&res, true, &p, &err), 0);
  assert_true (u64_of (&p, "MemoryMax") == UINT64_MAX);
  assert_true (u64_of (&p, "TasksMax") == UINT64_MAX);
  sd_props_clear (&p);
  mem = (struct oci_memory){ .has_limit = true, .limit = 0 };
  res = (struct oci_resources){ .memory = &mem, .has_pids_limit = true, .pids_limit = 0 };
  assert_int_equal (systemd_resource_props (&res, true, &p, &err), 0);
  assert_int_equal (p.n, 0);
  systemd_unit_clear (&u);

  /* A slice: Wants= its parent, no Slice= and no Delegate=. */
  assert_int_equal (systemd_unit_parse ("system.slice:x:system-c1.slice", "c1", &u, &err), 0);
  assert_int_equal (systemd_unit_props (&u, "c1", NULL, NULL, 0, true, &p, &err), 0);
  assert_null (find (&p, "Slice"));
  assert_null (find (&p, "Delegate"));
  assert_string_equal (find (&p, "Wants")->strv[0], "system.slice");
  sd_props_clear (&p);

  /* A bad annotation fails the whole list, naming it. */
  struct oci_kv badann[] = { { (char *) "org.systemd.property.TasksMax", (char *) "@t x" } };
  assert_int_equal (systemd_unit_props (&u, "c1", NULL, badann, 1, true, &p, &err), -1);
  assert_error_has (&err, "org.systemd.property.TasksMax");
  sd_props_clear (&p);
  systemd_unit_clear (&u);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (slices_expand_as_systemd_does),
    cmocka_unit_test (cgroups_path_names_a_scope_in_a_slice),
    cmocka_unit_test (cgroups_path_errors_name_the_format),
    cmocka_unit_test (shares_and_quota_convert_as_runc),
    cmocka_unit_test (cpusets_become_little_endian_masks),
    cmocka_unit_test (gvariant_values_parse),
    cmocka_unit_test (annotations_name_properties_and_convert_seconds),
    cmocka_unit_test (unit_properties_follow_runc),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
