/* test_idmap.c - which host ids /etc/subuid (or /etc/subgid) text grants an
 * unprivileged user, as a specification of idmap_subids_allow: a range must
 * lie wholly inside one of the user's own lines, named by user name or by
 * numeric uid; other users' lines and malformed lines grant nothing. And
 * which id an id maps to through uid_map text (idmap_map_outside).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../src/linux/idmap.h"

static const char subids[] = "alice:100000:65536\n"
                             "1001:300000:10\n"
                             "bob:165536:65536\n"
                             "carol:x:5\n"
                             "alice:500000:100";

static void
a_range_inside_the_users_own_line_is_granted (void **state)
{
  (void) state;
  assert_true (idmap_subids_allow (subids, "alice", 1000, 100000, 65536));
  assert_true (idmap_subids_allow (subids, "alice", 1000, 100001, 10));
  /* The last line, without a newline, counts too. */
  assert_true (idmap_subids_allow (subids, "alice", 1000, 500000, 100));
}

static void
a_range_past_the_end_or_across_two_lines_is_refused (void **state)
{
  (void) state;
  assert_false (idmap_subids_allow (subids, "alice", 1000, 100000, 65537));
  assert_false (idmap_subids_allow (subids, "alice", 1000, 99999, 2));
  assert_false (idmap_subids_allow (subids, "alice", 1000, 165535, 2));
}

static void
another_users_line_grants_nothing (void **state)
{
  (void) state;
  assert_false (idmap_subids_allow (subids, "alice", 1000, 165536, 1));
  assert_false (idmap_subids_allow (subids, "bo", 1000, 165536, 1));
  assert_false (idmap_subids_allow (subids, NULL, 1000, 100000, 1));
}

static void
a_line_may_name_the_user_by_uid (void **state)
{
  (void) state;
  assert_true (idmap_subids_allow (subids, "dave", 1001, 300000, 10));
  assert_false (idmap_subids_allow (subids, "dave", 1002, 300000, 10));
}

static void
malformed_lines_and_no_file_grant_nothing (void **state)
{
  (void) state;
  assert_false (idmap_subids_allow (subids, "carol", 1003, 0, 1));
  assert_false (idmap_subids_allow (NULL, "alice", 1000, 100000, 1));
  assert_false (idmap_subids_allow ("", "alice", 1000, 100000, 1));
}

/* idmap_map_outside: the uid the namespace above sees, as rootless podman's
 * namespace maps its root to the user (/proc/self/uid_map as the kernel
 * prints it, columns padded). */
static void
an_id_maps_through_the_line_whose_range_holds_it (void **state)
{
  (void) state;
  static const char podman[] = "         0       1000          1\n"
                               "         1     100000      65536\n";
  unsigned out = 0;
  assert_true (idmap_map_outside (podman, 0, &out));
  assert_int_equal (out, 1000);
  assert_true (idmap_map_outside (podman, 1, &out));
  assert_int_equal (out, 100000);
  assert_true (idmap_map_outside (podman, 65536, &out));
  assert_int_equal (out, 165535);
}

static void
an_id_no_line_maps_is_not_mapped (void **state)
{
  (void) state;
  unsigned out = 7;
  assert_false (idmap_map_outside ("0 1000 1\n1 100000 65536\n", 65537, &out));
  assert_false (idmap_map_outside ("", 0, &out));
  assert_false (idmap_map_outside ("garbage\n", 0, &out));
  assert_int_equal (out, 7);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_range_inside_the_users_own_line_is_granted),
    cmocka_unit_test (a_range_past_the_end_or_across_two_lines_is_refused),
    cmocka_unit_test (another_users_line_grants_nothing),
    cmocka_unit_test (a_line_may_name_the_user_by_uid),
    cmocka_unit_test (malformed_lines_and_no_file_grant_nothing),
    cmocka_unit_test (an_id_maps_through_the_line_whose_range_holds_it),
    cmocka_unit_test (an_id_no_line_maps_is_not_mapped),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
