/* test_cgroup_stats.c - the pure parts behind `ocirt events`, without root:
 * Go durations (--interval), and the statistics read from sample v1 and v2
 * cgroup files laid out in a temporary directory (a fake layout points the
 * hierarchies there), and the JSON merge `update` stores its values with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/linux/cgroup_internal.h"
#include "../../src/util/duration.h"
#include "../../src/util/json.h"

/* ---- durations -------------------------------------------------------- */

static uint64_t
dur (const char *s)
{
  ocirt_error_t err = NULL;
  uint64_t ns = 12345;

  if (duration_parse (s, &ns, &err) < 0)
    fail_msg ("\"%s\": %s", s, err->message);
  return ns;
}

static void
dur_fails (const char *s, const char *needle)
{
  ocirt_error_t err = NULL;
  uint64_t ns;

  assert_int_equal (duration_parse (s, &ns, &err), -1);
  if (strstr (err->message, needle) == NULL)
    fail_msg ("\"%s\": \"%s\" lacks \"%s\"", s, err->message, needle);
  error_release (&err);
}

static void
durations_parse_like_go (void **state)
{
  (void) state;
  assert_int_equal (dur ("5s"), 5000000000ull);
  assert_int_equal (dur ("500ms"), 500000000ull);
  assert_int_equal (dur ("1m30s"), 90000000000ull);
  assert_int_equal (dur ("1.5h"), 5400000000000ull);
  assert_int_equal (dur ("2h45m"), 9900000000000ull);
  assert_int_equal (dur ("1us"), 1000);
  assert_int_equal (dur ("1\xc2\xb5s"), 1000);
  assert_int_equal (dur ("10ns"), 10);
  assert_int_equal (dur ("0.25s"), 250000000ull);
  assert_int_equal (dur (".5s"), 500000000ull);
  assert_int_equal (dur ("+3s"), 3000000000ull);
  assert_int_equal (dur ("0"), 0);
  dur_fails ("", "invalid duration");
  dur_fails ("5", "unit");
  dur_fails ("5x", "unit");
  dur_fails ("s", "invalid duration");
  dur_fails ("-1s", "negative");
  dur_fails ("99999999999h", "overflow");
}

/* ---- stats from sample files ------------------------------------------ */

static char root[] = "/tmp/ocirt-test-stats.XXXXXX";

static void
put (const char *rel, const char *content)
{
  char p[512];
  FILE *f;

  snprintf (p, sizeof p, "%s/%s", root, rel);
  for (char *s = p + strlen (root) + 1; (s = strchr (s, '/')) != NULL; s++)
    {
      *s = '\0';
      mkdir (p, 0755);
      *s = '/';
    }
  f = fopen (p, "w");
  assert_non_null (f);
  fputs (content, f);
  fclose (f);
}

static void
add_hierarchy (struct cgroup_layout *l, const char *name, unsigned controllers, bool unified)
{
  struct cgroup_hierarchy *h = &l->h[l->n++];

  memset (h, 0, sizeof *h);
  snprintf (h->mount, sizeof h->mount, "%s/%s", root, name);
  h->controllers = controllers;
  h->unified = unified;
  h->created_off = -1;
}

static int
setup_dir (void **state)
{
  (void) state;
  return mkdtemp (root) ? 0 : -1;
}

static int
remove_dir (void **state)
{
  char cmd[600];

  (void) state;
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
  return system (cmd);
}

static void
v1_files_fill_the_runc_fields (void **state)
{
  (void) state;
  struct cgroup_layout l = { .mode = CGROUP_MODE_V1 };
  struct cgroup_stats s;
  ocirt_error_t err = NULL;

  add_hierarchy (&l, "v1/cpu", 1u << CGC_CPU, false);
  add_hierarchy (&l, "v1/cpuacct", 1u << CGC_CPUACCT, false);
  add_hierarchy (&l, "v1/memory", 1u << CGC_MEMORY, false);
  add_hierarchy (&l, "v1/pids", 1u << CGC_PIDS, false);
  add_hierarchy (&l, "v1/blkio", 1u << CGC_BLKIO, false);
  add_hierarchy (&l, "v1/unified", 0, true);
  put ("v1/cpuacct/c/cpuacct.usage", "3000\n");
  put ("v1/cpuacct/c/cpuacct.usage_percpu", "1000 2000 \n");
  put ("v1/cpuacct/c/cpuacct.stat", "user 3\nsystem 4\n");
  put ("v1/cpuacct/c/cpuacct.usage_all", "cpu user system\n0 600 400\n1 1500 500\n");
  put ("v1/cpu/c/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 777\n");
  put ("v1/memory/c/memory.usage_in_bytes", "4096\n");
  put ("v1/memory/c/memory.limit_in_bytes", "104857600\n");
  put ("v1/memory/c/memory.max_usage_in_bytes", "8192\n");
  put ("v1/memory/c/memory.failcnt", "3\n");
  put ("v1/memory/c/memory.memsw.usage_in_bytes", "4096\n");
  put ("v1/memory/c/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  put ("v1/memory/c/memory.stat", "cache 12\nrss 34\ntotal_rss 34\n");
  put ("v1/pids/c/pids.current", "2\n");
  put ("v1/pids/c/pids.max", "max\n");
  put ("v1/blkio/c/blkio.throttle.io_service_bytes_recursive",
       "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n");
  put ("v1/unified/c/hugetlb.2MB.current", "0\n");
  put ("v1/unified/c/hugetlb.2MB.events", "max 1\n");

  assert_int_equal (cgroup_stats_collect (&l, "/c", &s, &err), 0);
  assert_int_equal (s.cpu.total, 3000);
  assert_int_equal (s.cpu.n_percpu, 2);
  assert_int_equal (s.cpu.percpu[1], 2000);
  assert_int_equal (s.cpu.user, 30000000);   /* 3 ticks of 10ms */
  assert_int_equal (s.cpu.kernel, 40000000);
  assert_int_equal (s.cpu.n_percpu_user, 2);
  assert_int_equal (s.cpu.percpu_user[1], 1500);
  assert_int_equal (s.cpu.percpu_kernel[0], 400);
  assert_true (s.cpu.has_throttling);
  assert_int_equal (s.cpu.throttled_periods, 2);
  assert_int_equal (s.cpu.throttled_time, 777);
  assert_true (s.memory.has_usage);
  assert_int_equal (s.memory.usage.limit, 104857600);
  assert_int_equal (s.memory.usage.max, 8192);
  assert_int_equal (s.memory.usage.failcnt, 3);
  assert_true (s.memory.has_swap);
  assert_false (s.memory.has_kernel);
  assert_int_equal (s.memory.cache, 12);
  assert_int_equal (s.memory.n_raw, 3);
  assert_string_equal (s.memory.raw[1].key, "rss");
  assert_int_equal (s.pids.current, 2);
  assert_int_equal (s.pids.limit, 0); /* "max": no limit, as runc reports */
  assert_int_equal (s.blkio.n_service_bytes, 2);
  assert_string_equal (s.blkio.service_bytes[1].op, "Write");
  assert_int_equal (s.blkio.service_bytes[1].value, 512);
  /* Hybrid: hugetlb from the cgroup2 mount. */
  assert_int_equal (s.n_hugetlb, 1);
  assert_string_equal (s.hugetlb[0].page_size, "2MB");
  assert_int_equal (s.hugetlb[0].failcnt, 1);
  cgroup_stats_clear (&s);

  /* A container whose memory cgroup is gone is an error naming the file. */
  assert_int_equal (cgroup_stats_collect (&l, "/gone", &s, &err), -1);
  assert_non_null (strstr (err->message, "memory.usage_in_bytes"));
  error_release (&err);
}

static void
v2_files_are_converted_to_runc_units (void **state)
{
  (void) state;
  struct cgroup_layout l = { .mode = CGROUP_MODE_V2 };
  struct cgroup_stats s;
  ocirt_error_t err = NULL;

  add_hierarchy (&l, "v2", 0, true);
  put ("v2/c/cpu.stat", "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 4\n"
                        "nr_throttled 1\nthrottled_usec 9\n");
  put ("v2/c/memory.current", "65536\n");
  put ("v2/c/memory.max", "max\n");
  put ("v2/c/memory.peak", "131072\n");
  put ("v2/c/memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
  put ("v2/c/memory.swap.current", "4096\n");
  put ("v2/c/memory.swap.max", "max\n");
  put ("v2/c/memory.stat", "anon 100\nfile 200\n");
  put ("v2/c/pids.current", "3\n");
  put ("v2/c/pids.max", "20\n");
  put ("v2/c/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");

  assert_int_equal (cgroup_stats_collect (&l, "/c", &s, &err), 0);
  assert_int_equal (s.cpu.total, 5000);
  assert_int_equal (s.cpu.user, 3000);
  assert_int_equal (s.cpu.kernel, 2000);
  assert_int_equal (s.cpu.throttled_time, 9000);
  assert_int_equal (s.memory.usage.usage, 65536);
  assert_true (s.memory.usage.limit == UINT64_MAX);
  assert_int_equal (s.memory.usage.max, 131072);
  assert_int_equal (s.memory.usage.failcnt, 7);
  assert_int_equal (s.memory.swap.usage, 65536 + 4096); /* memory+swap */
  assert_true (s.memory.swap.limit == UINT64_MAX);
  assert_int_equal (s.memory.cache, 200);
  assert_int_equal (s.pids.current, 3);
  assert_int_equal (s.pids.limit, 20);
  assert_int_equal (s.blkio.n_service_bytes, 3);
  assert_string_equal (s.blkio.service_bytes[0].op, "Read");
  assert_int_equal (s.blkio.service_bytes[1].value, 20);
  assert_int_equal (s.blkio.n_serviced, 3);
  assert_int_equal (s.blkio.serviced[1].value, 2);
  cgroup_stats_clear (&s);
}

/* ---- the merge behind update ------------------------------------------ */

static void
merge_replaces_only_what_the_patch_names (void **state)
{
  (void) state;
  const char *base = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{\"memory\":"
                     "{\"limit\":100,\"swap\":200},\"devices\":[{\"allow\":false}]},"
                     "\"namespaces\":[]}}";
  const char *patch = "{\"linux\":{\"resources\":{\"memory\":{\"limit\":150,\"reservation\":"
                      "null},\"pids\":{\"limit\":20},\"devices\":[]}}}";
  ocirt_error_t err = NULL;
  size_t len;
  char *out = json_merge (base, strlen (base), patch, strlen (patch), &len, "t", &err);

  assert_non_null (out);
  assert_string_equal (out, "{\"ociVersion\":\"1.0.2\",\"linux\":{\"resources\":{\"memory\":"
                            "{\"limit\":150,\"swap\":200},\"devices\":[],\"pids\":{\"limit\":20}},"
                            "\"namespaces\":[]}}");
  assert_int_equal (len, strlen (out));
  free (out);
  assert_null (json_merge ("{", 1, patch, strlen (patch), &len, "config.json", &err));
  assert_non_null (strstr (err->message, "config.json: invalid JSON"));
  error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (durations_parse_like_go),
    cmocka_unit_test (v1_files_fill_the_runc_fields),
    cmocka_unit_test (v2_files_are_converted_to_runc_units),
    cmocka_unit_test (merge_replaces_only_what_the_patch_names),
  };
  return cmocka_run_group_tests (tests, setup_dir, remove_dir);
}
