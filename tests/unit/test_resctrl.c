/* test_resctrl.c - linux.intelRdt's group handling (src/linux/resctrl.c) on
 * a plain directory standing in for the resctrl mount.
 *
 * No machine here has resctrl (it needs Intel RDT or AMD PQoS hardware,
 * which neither this host nor QEMU's TCG offers), so what the kernel does
 * is played by the test: mkdir in resctrl makes a group with its tasks and
 * schemata files, which a test creates by hand where a call expects them;
 * where a call makes the group itself, a plain directory has no files, and
 * the failure path (nothing left behind) is what is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/linux/resctrl.h"
#include "../../src/util/cleanup.h"
#include "../../src/util/fs.h"

struct fake
{
  char dir[64];
  struct resctrl r;
};

static int
setup (void **state)
{
  struct fake *f = calloc (1, sizeof *f);

  snprintf (f->dir, sizeof f->dir, "/tmp/ocirt-resctrl-XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  f->r.root_fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->r.root_fd >= 0);
  f->r.cat = f->r.mba = f->r.mon = true;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fake *f = *state;
  char cmd[128];

  resctrl_close (&f->r);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal (system (cmd), 0);
  free (f);
  return 0;
}

/* A group as the kernel makes it: the directory with empty tasks and
 * schemata, and an empty mon_groups. */
static void
make_group (struct fake *f, const char *name)
{
  char path[256];

  snprintf (path, sizeof path, "%s/%s", f->dir, name);
  if (*name)
    assert_int_equal (mkdir (path, 0755), 0);
  for (const char *const *file = (const char *const[]){ "tasks", "schemata", NULL }; *file; file++)
    {
      char p[300];
      snprintf (p, sizeof p, "%s/%s", path, *file);
      int fd = open (p, O_WRONLY | O_CREAT | O_EXCL, 0644);
      assert_true (fd >= 0);
      close (fd);
    }
  snprintf (path, sizeof path, "%s/%s%smon_groups", f->dir, name, *name ? "/" : "");
  assert_int_equal (mkdir (path, 0755), 0);
}

static char *
slurp (struct fake *f, const char *name)
{
  char *text = NULL;
  size_t len;
  ocirt_error_t err = NULL;

  if (read_file_at (f->r.root_fd, name, 4096, &text, &len, &err) < 0)
    fail_msg ("read %s: %s", name, err->message);
  return text;
}

static bool
exists (struct fake *f, const char *name)
{
  struct stat st;
  return fstatat (f->r.root_fd, name, &st, 0) == 0;
}

static void
join_writes_the_schemas_in_the_spec_order_then_the_pid (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  char *lines[] = { "L2:0=3", "MB:1=70" };
  struct oci_intel_rdt rdt = { .clos_id = "gold", .l3_cache_schema = "L3:0=7f0;1=1f",
                               .mem_bw_schema = "MB:0=20", .schemata = lines, .n_schemata = 2 };

  make_group (f, "gold");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 4242, &err), 0);
  cleanup_free char *schemata = slurp (f, "gold/schemata");
  cleanup_free char *tasks = slurp (f, "gold/tasks");
  /* One write, every line ending in a newline (the kernel refuses a write
   * that does not end in one). */
  assert_string_equal (schemata, "L3:0=7f0;1=1f\nMB:0=20\nL2:0=3\nMB:1=70\n");
  assert_string_equal (tasks, "4242\n");
  /* A closID names a group others may share: delete leaves it. */
  assert_int_equal (resctrl_remove (&f->r, &rdt, "ctr", &err), 0);
  assert_true (exists (f, "gold"));
}

static void
without_a_schema_nothing_is_written_to_schemata (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .clos_id = "gold" };

  make_group (f, "gold");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 7, &err), 0);
  cleanup_free char *schemata = slurp (f, "gold/schemata");
  cleanup_free char *tasks = slurp (f, "gold/tasks");
  assert_string_equal (schemata, "");
  assert_string_equal (tasks, "7\n");
}

static void
a_closid_without_a_schema_must_exist_and_is_not_made (void **state)
{
  struct fake *f = *state;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .clos_id = "gold" };

  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 7, &err), -1);
  assert_non_null (strstr (err->message, "intelRdt.closID \"gold\": the group does not exist"));
  assert_false (exists (f, "gold"));
}

/* Without a closID the group is named after the container and made; here
 * the directory has no files, so the schemata write fails: the group made
 * is removed again, and the kernel's own reason is in the error. */
static void
a_failed_join_removes_the_group_it_made_and_quotes_last_cmd_status (void **state)
{
  struct fake *f = *state;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .l3_cache_schema = "L3:0=ff" };

  char info[128];
  snprintf (info, sizeof info, "%s/info", f->dir);
  assert_int_equal (mkdir (info, 0755), 0);
  int fd = openat (f->r.root_fd, "info/last_cmd_status", O_WRONLY | O_CREAT, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "Mask out of range\n", 18), 18);
  close (fd);

  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 7, &err), -1);
  assert_non_null (strstr (err->message, "resctrl group \"ctr\": schemata"));
  assert_non_null (strstr (err->message, "last_cmd_status: Mask out of range"));
  assert_false (exists (f, "ctr"));
}

static void
a_group_named_after_the_container_is_removed_at_delete (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { 0 };

  /* Made before (as the kernel would, with its files): joined as it is. */
  make_group (f, "ctr");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 9, &err), 0);
  cleanup_free char *tasks = slurp (f, "ctr/tasks");
  assert_string_equal (tasks, "9\n");
  /* resctrl removes a group with its files on rmdir; a plain directory
   * must be emptied first. */
  unlinkat (f->r.root_fd, "ctr/tasks", 0);
  unlinkat (f->r.root_fd, "ctr/schemata", 0);
  unlinkat (f->r.root_fd, "ctr/mon_groups", AT_REMOVEDIR);
  assert_int_equal (resctrl_remove (&f->r, &rdt, "ctr", &err), 0);
  assert_false (exists (f, "ctr"));
  /* Gone already is not an error. */
  assert_int_equal (resctrl_remove (&f->r, &rdt, "ctr", &err), 0);
}

static void
closid_slash_is_the_root_group (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .clos_id = "/", .l3_cache_schema = "L3:0=f" };

  make_group (f, "");
  assert_string_equal (resctrl_group_name (&rdt, "ctr"), "");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 11, &err), 0);
  cleanup_free char *schemata = slurp (f, "schemata");
  cleanup_free char *tasks = slurp (f, "tasks");
  assert_string_equal (schemata, "L3:0=f\n");
  assert_string_equal (tasks, "11\n");
  assert_int_equal (resctrl_remove (&f->r, &rdt, "ctr", &err), 0);
  assert_true (exists (f, "tasks"));
}

/* The MON group is named after the container, in the group; a task goes
 * into the group first (the kernel takes it into a MON group only from
 * there), and an exec'd process follows the same way. */
static void
monitoring_puts_the_init_and_exec_in_a_mon_group_named_after_the_container (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .clos_id = "gold", .enable_monitoring = true };

  make_group (f, "gold");
  make_group (f, "gold/mon_groups/ctr");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 5, &err), 0);
  assert_int_equal (resctrl_add_process (&f->r, &rdt, "ctr", 6, &err), 0);
  cleanup_free char *tasks = slurp (f, "gold/tasks");
  cleanup_free char *mon = slurp (f, "gold/mon_groups/ctr/tasks");
  /* Each write is one pid (the file is written from its start here; the
   * kernel's appends): the last one is the exec'd process. */
  assert_string_equal (tasks, "6\n");
  assert_string_equal (mon, "6\n");
}

static void
a_mon_group_that_cannot_be_used_is_removed_and_the_shared_group_stays (void **state)
{
  struct fake *f = *state;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { .clos_id = "gold", .enable_monitoring = true };

  make_group (f, "gold");
  assert_int_equal (resctrl_join (&f->r, &rdt, "ctr", 5, &err), -1);
  assert_non_null (strstr (err->message, "resctrl group \"ctr\""));
  assert_false (exists (f, "gold/mon_groups/ctr"));
  assert_true (exists (f, "gold"));
}

static void
exec_without_the_group_stays_where_it_is (void **state)
{
  struct fake *f = *state;
  ocirt_error_t err = NULL;
  struct oci_intel_rdt rdt = { 0 };

  assert_int_equal (resctrl_add_process (&f->r, &rdt, "ctr", 6, &err), 0);
  assert_null (err);
  assert_false (exists (f, "ctr"));
}

/* runc's words for what the host lacks; without resctrl a config that
 * needs none of it runs without it, with a warning. */
static void
check_follows_runc_on_what_the_host_offers (void **state)
{
  (void) state;
  struct resctrl none = { .root_fd = -1 };
  struct resctrl l3only = { .root_fd = 99, .cat = true };
  struct oci_intel_rdt clos = { .clos_id = "gold" };
  struct oci_intel_rdt l3 = { .l3_cache_schema = "L3:0=f" };
  struct oci_intel_rdt mb = { .mem_bw_schema = "MB:0=50" };
  char *line[] = { "L2:0=1" };
  struct oci_intel_rdt lines = { .schemata = line, .n_schemata = 1 };
  struct oci_intel_rdt mon = { .enable_monitoring = true };
  const struct
  {
    const struct resctrl *r;
    const struct oci_intel_rdt *rdt;
    int ret;
    bool apply;
    const char *text; /* the error, or the warning */
  } cases[] = {
    { &none, NULL, 0, false, NULL },
    { &none, &clos, 0, false, "no resctrl filesystem is mounted: the container runs without it" },
    { &none, &l3, -1, false, "intelRdt.l3CacheSchema is specified in config, but Intel RDT/CAT is not enabled" },
    { &none, &mb, -1, false, "intelRdt.memBwSchema is specified in config, but Intel RDT/MBA is not enabled" },
    { &none, &lines, -1, false, "intelRdt.schemata is specified in config, but no resctrl filesystem is mounted" },
    { &none, &mon, -1, false, "intelRdt.enableMonitoring is set in config, but resctrl monitoring is not enabled" },
    { &l3only, &clos, 0, true, NULL },
    { &l3only, &l3, 0, true, NULL },
    { &l3only, &lines, 0, true, NULL },
    { &l3only, &mb, -1, false, "Intel RDT/MBA is not enabled" },
    { &l3only, &mon, -1, false, "(no info/L3_MON)" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_error ocirt_error_t err = NULL;
      const char *warning = NULL;
      bool apply = true;
      int ret = resctrl_check (cases[i].r, cases[i].rdt, &apply, &warning, &err);

      assert_int_equal (ret, cases[i].ret);
      assert_int_equal (apply, cases[i].apply);
      const char *text = ret < 0 ? err->message : warning;
      if (cases[i].text == NULL)
        assert_null (text);
      else if (text == NULL || strstr (text, cases[i].text) == NULL)
        fail_msg ("case %zu: \"%s\" lacks \"%s\"", i, text ? text : "(null)", cases[i].text);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (join_writes_the_schemas_in_the_spec_order_then_the_pid, setup, teardown),
    cmocka_unit_test_setup_teardown (without_a_schema_nothing_is_written_to_schemata, setup, teardown),
    cmocka_unit_test_setup_teardown (a_closid_without_a_schema_must_exist_and_is_not_made, setup, teardown),
    cmocka_unit_test_setup_teardown (a_failed_join_removes_the_group_it_made_and_quotes_last_cmd_status, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (a_group_named_after_the_container_is_removed_at_delete, setup, teardown),
    cmocka_unit_test_setup_teardown (closid_slash_is_the_root_group, setup, teardown),
    cmocka_unit_test_setup_teardown (monitoring_puts_the_init_and_exec_in_a_mon_group_named_after_the_container,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (a_mon_group_that_cannot_be_used_is_removed_and_the_shared_group_stays, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (exec_without_the_group_stays_where_it_is, setup, teardown),
    cmocka_unit_test (check_follows_runc_on_what_the_host_offers),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
