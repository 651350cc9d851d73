/* test_mountinfo.c - src/util/mountinfo.c: the one mountinfo parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/util/mountinfo.h"

static void
fields_are_split_and_paths_unescaped (void **state)
{
  (void) state;
  char line[] = "36 35 98:0 /mnt\\0401 /tmp/with\\040space/and\\134back rw,noatime shared:7 master:1 - ext4 "
                "/dev/my\\040disk rw,errors=continue";
  struct mountinfo_entry e;
  assert_true (mountinfo_parse_line (line, &e));
  assert_int_equal (e.id, 36);
  assert_int_equal (e.parent, 35);
  assert_int_equal (e.dev_major, 98);
  assert_int_equal (e.dev_minor, 0);
  assert_string_equal (e.root, "/mnt 1");
  assert_string_equal (e.mount_point, "/tmp/with space/and\\back");
  assert_string_equal (e.options, "rw,noatime");
  assert_string_equal (e.optional, "shared:7 master:1");
  assert_string_equal (e.fstype, "ext4");
  assert_string_equal (e.source, "/dev/my disk");
  assert_string_equal (e.super_options, "rw,errors=continue");
}

/* Without optional fields, the "-" comes right after the options: it must
 * not be taken for an optional field, nor the fstype for the separator. */
static void
a_line_without_optional_fields (void **state)
{
  (void) state;
  char line[] = "25 1 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct";
  struct mountinfo_entry e;
  assert_true (mountinfo_parse_line (line, &e));
  assert_string_equal (e.optional, "");
  assert_string_equal (e.mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  assert_string_equal (e.fstype, "cgroup");
  assert_string_equal (e.super_options, "rw,cpu,cpuacct");
}

static void
malformed_lines_are_refused (void **state)
{
  (void) state;
  const char *bad[] = {
    "", "36 35 98:0 /a /b rw", "36 35 98:0 /a /b rw - ext4", "x 35 98:0 /a /b rw - ext4 /dev/x rw",
    "36 35 nodev /a /b rw - ext4 /dev/x rw", "36 35 98:0 /a - ext4 /dev/x rw",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      char line[128];
      struct mountinfo_entry e;
      strcpy (line, bad[i]);
      assert_false (mountinfo_parse_line (line, &e));
    }
}

static void
next_walks_the_lines_and_skips_malformed_ones (void **state)
{
  (void) state;
  char text[] = "1 0 0:1 / / rw - ext4 /dev/root rw\n"
                "garbage\n"
                "2 1 0:2 / /with\\040space rw shared:1 - tmpfs tmpfs rw\n"
                "3 1 0:3 / /last rw - proc proc rw";
  const char *want[] = { "/", "/with space", "/last" };
  struct mountinfo_entry e;
  size_t n = 0;
  for (char *cur = text; mountinfo_next (&cur, &e); n++)
    {
      assert_true (n < 3);
      assert_string_equal (e.mount_point, want[n]);
    }
  assert_int_equal (n, 3);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (fields_are_split_and_paths_unescaped),
    cmocka_unit_test (a_line_without_optional_fields),
    cmocka_unit_test (malformed_lines_are_refused),
    cmocka_unit_test (next_walks_the_lines_and_skips_malformed_ones),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
