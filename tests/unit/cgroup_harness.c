/* cgroup_harness.c - exercises src/linux/cgroup*.c against the real kernel.
 *
 * Root only. It creates cgroups under "/ocirt-test/<rand>" (and one under the
 * default "/ocirt/<id>"), moves forked sleepers in, applies resources, reads
 * the files back, freezes, kills and destroys, and prints PASS/FAIL per
 * check. It removes everything it created; the exit status is the number of
 * failures. On a hybrid host it also drives the v2 code against the cgroup2
 * "unified" mount (freeze, kill, hugetlb, unified map).
 *
 *   gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -I/usr/include/yajl \
 *       -o /tmp/ch tests/unit/cgroup_harness.c src/linux/cgroup*.c src/util/error.c
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/linux/cgroup_internal.h"

static int failures;

static void
check (bool ok, const char *what, const char *detail)
{
  printf ("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
  if (!ok)
    failures++;
}

static void
check_err (int r, ocirt_error_t *err, const char *what)
{
  check (r == 0, what, r == 0 ? NULL : (*err)->message);
  error_release (err);
}

/* The call must fail and the message contain `needle`. */
static void
check_fails (int r, ocirt_error_t *err, const char *needle, const char *what)
{
  bool ok = r < 0 && *err && strstr ((*err)->message, needle);
  char detail[512];

  snprintf (detail, sizeof detail, "%s", *err ? (*err)->message : "succeeded");
  check (ok, what, detail);
  error_release (err);
}

static bool
file_is (const char *dir, const char *file, const char *want)
{
  char buf[4096];
  ssize_t r = cgroup_read_raw (dir, file, buf, sizeof buf);

  if (r < 0)
    return false;
  buf[strcspn (buf, "\n")] = '\0';
  if (strcmp (buf, want) != 0)
    printf ("     %s/%s = \"%s\", want \"%s\"\n", dir, file, buf, want);
  return strcmp (buf, want) == 0;
}

static bool
file_has (const char *dir, const char *file, const char *needle)
{
  char buf[8192];
  return cgroup_read_raw (dir, file, buf, sizeof buf) >= 0 && strstr (buf, needle) != NULL;
}

static pid_t
sleeper (void)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      for (;;)
        pause ();
    }
  return pid;
}

static bool
exists (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0;
}

/* Is there any directory named `name` directly under any hierarchy? */
static int
leftovers (const char *rel)
{
  char pat[PATH_MAX];
  glob_t g;
  int n;

  snprintf (pat, sizeof pat, CGROUP_ROOT "/*%s", rel);
  if (glob (pat, 0, NULL, &g) != 0)
    return 0;
  n = (int) g.gl_pathc;
  for (size_t i = 0; i < g.gl_pathc; i++)
    printf ("     left over: %s\n", g.gl_pathv[i]);
  globfree (&g);
  return n;
}

/* Wait up to 3 s for pid to die of want_sig; a survivor is killed. */
static void
reap (pid_t pid, int want_sig, const char *what)
{
  int st = 0;
  pid_t r = 0;

  for (int i = 0; i < 300 && (r = waitpid (pid, &st, WNOHANG)) == 0; i++)
    usleep (10000);
  if (r == 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  check (r == pid && WIFSIGNALED (st) && WTERMSIG (st) == want_sig, what, NULL);
}

static void
test_v1 (const char *path, struct cgroup_layout *l)
{
  ocirt_error_t err = NULL;
  const struct cgroup_hierarchy *h;
  char dir[PATH_MAX], buf[64];
  pid_t child = sleeper (), other;
  pid_t *pids = NULL;
  size_t n = 0;

  size_t procs;

  if (cgroup_create_and_enter (path, child, &procs, &err) < 0)
    {
      check_err (-1, &err, "create_and_enter");
      kill (child, SIGKILL);
      waitpid (child, NULL, 0);
      return;
    }
  check (true, "create_and_enter", NULL);

  /* In every v1 hierarchy, and best effort in the unified one. */
  for (size_t i = 0; i < l->n; i++)
    {
      snprintf (buf, sizeof buf, "%d", (int) child);
      cgroup_dir (dir, sizeof dir, &l->h[i], path, &err);
      char what[PATH_MAX + 32];
      snprintf (what, sizeof what, "pid in %s/cgroup.procs", dir);
      check (file_is (dir, "cgroup.procs", buf), what, NULL);
    }

  /* cpuset of a new v1 cgroup was initialised from the parent. */
  if ((h = cgroup_layout_find (l, CGC_CPUSET)))
    {
      char parent[64];
      cgroup_dir (dir, sizeof dir, h, path, &err);
      cgroup_read_raw (h->mount, "cpuset.cpus", parent, sizeof parent);
      parent[strcspn (parent, "\n")] = '\0';
      check (file_is (dir, "cpuset.cpus", parent), "cpuset.cpus copied from the root", NULL);
    }

  check (procs == 0, "a new cgroup has no process to report", NULL);

  /* A second create of a populated cgroup goes on and reports what it
   * found there, for runc 1.1's warning. */
  other = sleeper ();
  check_err (cgroup_create_and_enter (path, other, &procs, &err), &err,
             "create into a populated cgroup goes on");
  check (procs == 1, "create into a populated cgroup found its 1 process", NULL);
  kill (other, SIGKILL);
  waitpid (other, NULL, 0);

  /* Resources. */
  struct oci_memory mem = { .has_limit = true, .limit = 64 << 20, .has_swap = true,
                            .swap = 128 << 20, .has_reservation = true, .reservation = 32 << 20,
                            .has_swappiness = true, .swappiness = 10,
                            .has_disable_oom_killer = true, .disable_oom_killer = true };
  struct oci_cpu cpu = { .has_shares = true, .shares = 512, .has_quota = true, .quota = 50000,
                         .has_period = true, .period = 100000, .cpus = "0", .mems = "0" };
  struct oci_device_cgroup devs[] = {
    { .allow = false, .access = "rwm" },
    { .allow = true, .type = "c", .has_major = true, .major = 10, .has_minor = true, .minor = 229,
      .access = "rw" },
  };
  struct oci_resources res = { .memory = &mem, .cpu = &cpu, .has_pids_limit = true,
                               .pids_limit = 10, .devices = devs, .n_devices = 2 };

  check_err (cgroup_apply_resources (path, &res, &err), &err,
             "apply memory/cpu/pids/devices");

  cgroup_dir (dir, sizeof dir, cgroup_layout_find (l, CGC_MEMORY), path, &err);
  check (file_is (dir, "memory.limit_in_bytes", "67108864"), "memory.limit_in_bytes", NULL);
  check (file_is (dir, "memory.memsw.limit_in_bytes", "134217728"), "memory.memsw.limit_in_bytes",
         NULL);
  check (file_is (dir, "memory.soft_limit_in_bytes", "33554432"), "memory.soft_limit_in_bytes",
         NULL);
  check (file_is (dir, "memory.swappiness", "10"), "memory.swappiness", NULL);
  check (file_has (dir, "memory.oom_control", "oom_kill_disable 1"), "memory.oom_control", NULL);

  /* Lowering both needs limit first; raising both needs memsw first. */
  mem = (struct oci_memory){ .has_limit = true, .limit = 16 << 20, .has_swap = true,
                             .swap = 32 << 20 };
  res = (struct oci_resources){ .memory = &mem };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "lower memory+swap");
  check (file_is (dir, "memory.limit_in_bytes", "16777216"), "lowered limit", NULL);
  mem = (struct oci_memory){ .has_limit = true, .limit = 256 << 20, .has_swap = true,
                             .swap = 512 << 20 };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "raise memory+swap");
  check (file_is (dir, "memory.memsw.limit_in_bytes", "536870912"), "raised memsw", NULL);
  mem = (struct oci_memory){ .has_limit = true, .limit = -1 };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "memory -1 lifts limit and swap");
  check (file_is (dir, "memory.memsw.limit_in_bytes", "9223372036854771712"), "memsw unlimited",
         NULL);
  mem = (struct oci_memory){ .has_limit = true, .limit = 64 << 20 };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "memory back to 64M");

  cgroup_dir (dir, sizeof dir, cgroup_layout_find (l, CGC_PIDS), path, &err);
  check (file_is (dir, "pids.max", "10"), "pids.max", NULL);
  cgroup_dir (dir, sizeof dir, cgroup_layout_find (l, CGC_CPU), path, &err);
  check (file_is (dir, "cpu.shares", "512"), "cpu.shares", NULL);
  check (file_is (dir, "cpu.cfs_quota_us", "50000"), "cpu.cfs_quota_us", NULL);
  check (file_is (dir, "cpu.cfs_period_us", "100000"), "cpu.cfs_period_us", NULL);
  cgroup_dir (dir, sizeof dir, cgroup_layout_find (l, CGC_CPUSET), path, &err);
  check (file_is (dir, "cpuset.cpus", "0"), "cpuset.cpus", NULL);
  check (file_is (dir, "cpuset.mems", "0"), "cpuset.mems", NULL);
  cgroup_dir (dir, sizeof dir, cgroup_layout_find (l, CGC_DEVICES), path, &err);
  check (!file_has (dir, "devices.list", "a *:* rwm"), "devices: no longer allow-all", NULL);
  check (file_has (dir, "devices.list", "c 1:3 rwm"), "devices: /dev/null allowed", NULL);
  check (file_has (dir, "devices.list", "c 10:229 rw"), "devices: config rule applied", NULL);
  check (file_has (dir, "devices.list", "c 136:* rwm"), "devices: /dev/pts allowed", NULL);

  /* pids.max "max" for -1; cpu quota -1 -> unlimited. */
  cpu = (struct oci_cpu){ .has_quota = true, .quota = -1 };
  res = (struct oci_resources){ .cpu = &cpu, .has_pids_limit = true, .pids_limit = -1 };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "pids -1, quota -1");
  cgroup_dir (dir, PATH_MAX, cgroup_layout_find (l, CGC_CPU), path, &err);
  check (file_is (dir, "cpu.cfs_quota_us", "-1"), "cpu.cfs_quota_us -1", NULL);

  /* Kernel memory limits are ignored, as in runc: nothing is written. */
  char kdir[PATH_MAX];
  cgroup_dir (kdir, sizeof kdir, cgroup_layout_find (l, CGC_MEMORY), path, &err);
  mem = (struct oci_memory){ .has_kernel = true, .kernel = 8 << 20, .has_kernel_tcp = true, .kernel_tcp = 8 << 20 };
  res = (struct oci_resources){ .memory = &mem };
  check (cgroup_kmem_ignored (&res, false), "memory.kernel and kernelTCP reported as ignored", NULL);
  check_err (cgroup_apply_resources (path, &res, &err), &err, "memory.kernel accepted");
  check (!file_has (kdir, "memory.kmem.tcp.limit_in_bytes", "8388608"), "memory.kmem.tcp.limit_in_bytes untouched",
         NULL);
  /* Clear errors for what this kernel cannot do. */
  mem = (struct oci_memory){ .has_swappiness = true, .swappiness = 500 };
  check_fails (cgroup_apply_resources (path, &res, &err), &err,
               "linux.resources.memory.swappiness: write \"500\" to", "bad swappiness names field and file");
  /* Weight 0 is unset, as in runc (Docker sends it with every container). */
  struct oci_blkio_weight_device wd0 = { .major = 7, .minor = 0, .has_weight = true, .has_leaf_weight = true };
  struct oci_blkio bio = { .has_weight = true, .has_leaf_weight = true, .weight_device = &wd0, .n_weight_device = 1 };
  res = (struct oci_resources){ .block_io = &bio };
  check_err (cgroup_apply_resources (path, &res, &err), &err, "blkio weights of 0 accepted as unset");
  bio = (struct oci_blkio){ .has_leaf_weight = true, .leaf_weight = 100 };
  check_fails (cgroup_apply_resources (path, &res, &err), &err,
               "linux.resources.blockIO.leafWeight: not supported by this kernel",
               "blkio.leafWeight refused");
  bio = (struct oci_blkio){ .has_weight = true, .weight = 200 };
  {
    const struct cgroup_hierarchy *bh = cgroup_layout_find (l, CGC_BLKIO);
    char bdir[PATH_MAX];
    int r = cgroup_apply_resources (path, &res, &err);
    cgroup_dir (bdir, sizeof bdir, bh, path, &err);
    if (cgroup_file_exists (bdir, "blkio.weight") || cgroup_file_exists (bdir, "blkio.bfq.weight"))
      {
        check_err (r, &err, "blkio.weight (blkio.weight or blkio.bfq.weight)");
        check (file_has (bdir, "blkio.bfq.weight", "200") || file_has (bdir, "blkio.weight", "200"),
               "blkio weight read back", NULL);
      }
    else
      check_fails (r, &err, "blockIO.weight: not supported", "blkio.weight refused without BFQ");
  }
  struct oci_blkio_throttle thr = { .major = 7, .minor = 0, .rate = 1048576 };
  bio = (struct oci_blkio){ .throttle_read_bps = &thr, .n_throttle_read_bps = 1 };
  if (exists ("/sys/dev/block/7:0"))
    {
      char bdir[PATH_MAX];
      check_err (cgroup_apply_resources (path, &res, &err), &err, "blkio throttle read bps 7:0");
      cgroup_dir (bdir, sizeof bdir, cgroup_layout_find (l, CGC_BLKIO), path, &err);
      check (file_has (bdir, "blkio.throttle.read_bps_device", "7:0 1048576"),
             "blkio.throttle.read_bps_device", NULL);
    }
  res = (struct oci_resources){ .has_network = true, .has_class_id = true, .class_id = 0x100001 };
  if (!cgroup_layout_find (l, CGC_NET_CLS))
    check_fails (cgroup_apply_resources (path, &res, &err), &err,
                 "linux.resources.network.classID: the net_cls cgroup controller is not mounted",
                 "network.classID refused without net_cls");
  struct oci_kv kv = { "memory.max", "1" };
  res = (struct oci_resources){ .unified = &kv, .n_unified = 1 };
  check_fails (cgroup_apply_resources (path, &res, &err), &err, "linux.resources.unified: needs cgroup v2",
               "unified refused on v1");

  /* pids, freeze. */
  check_err (cgroup_pids (path, &pids, &n, &err), &err, "cgroup_pids");
  check (n == 1 && pids[0] == child, "cgroup_pids lists the child only", NULL);
  free (pids);
  check_err (cgroup_freeze (path, true, &err), &err, "freeze");
  check (cgroup_is_frozen (path), "is_frozen after freeze", NULL);
  check_err (cgroup_freeze (path, false, &err), &err, "thaw");
  check (!cgroup_is_frozen (path), "not frozen after thaw", NULL);

  /* kill_all with SIGTERM reaches the child. */
  check_err (cgroup_kill_all (path, SIGTERM, &err), &err, "kill_all SIGTERM");
  reap (child, SIGTERM, "child died of SIGTERM");

  /* destroy kills what is left (a frozen one) and removes the directories. */
  child = sleeper ();
  check_err (cgroup_enter (path, child, &err), &err, "enter (exec path)");
  check_err (cgroup_freeze (path, true, &err), &err, "freeze before destroy");
  check_err (cgroup_destroy (path, &err), &err, "destroy with a frozen process inside");
  reap (child, SIGKILL, "destroy killed the frozen process");
  check (leftovers (path) == 0, "no directory left for the path", NULL);
  check_err (cgroup_destroy (path, &err), &err, "destroy of a missing cgroup is ok");
}

/* A failed create removes what it made: pid 2^30 does not exist. */
static void
test_rollback (const char *path)
{
  size_t procs;
  ocirt_error_t err = NULL;
  char deep[PATH_MAX];

  snprintf (deep, sizeof deep, "%s/a/b", path);
  check_fails (cgroup_create_and_enter (deep, 1 << 30, &procs, &err), &err, "cgroup.procs",
               "create with a bad pid fails");
  check (leftovers (path) == 0, "failed create removed every level it made", NULL);
}

/* The default path: "/ocirt/<id>", whose "/ocirt" parent goes too. */
static void
test_default_path (unsigned rnd)
{
  size_t procs;
  ocirt_error_t err = NULL;
  char id[64];
  char *path;
  pid_t child = sleeper ();
  bool had_parent = leftovers (CGROUP_DEFAULT_PARENT) > 0;

  snprintf (id, sizeof id, "harness-%u", rnd);
  path = cgroup_resolve_path (NULL, id, &err);
  check_err (cgroup_create_and_enter (path, child, &procs, &err), &err, "create default path");
  check_err (cgroup_destroy (path, &err), &err, "destroy default path (kills the sleeper)");
  reap (child, SIGKILL, "sleeper in default path killed");
  check (leftovers (path) == 0, "default path removed", NULL);
  if (!had_parent)
    check (leftovers (CGROUP_DEFAULT_PARENT) == 0, "empty /ocirt parent removed", NULL);
  free (path);
}

/* v2 code paths on hybrid's cgroup2 mount (no controllers but hugetlb). */
static void
test_v2_on_unified (const char *path, const struct cgroup_hierarchy *u)
{
  size_t procs;
  ocirt_error_t err = NULL;
  char dir[PATH_MAX], top[PATH_MAX], before[256] = "", before_top[256] = "";
  pid_t child = sleeper ();
  bool hugetlb;

  check_err (cgroup_create_and_enter (path, child, &procs, &err), &err, "create (for v2 tests)");
  cgroup_dir (dir, sizeof dir, u, path, &err);
  check (exists (dir), "cgroup made in the unified mount too", NULL);

  check_err (cgroup_freeze_dir (CGROUP_MODE_V2, dir, true, &err), &err, "v2 cgroup.freeze");
  check (cgroup_dir_frozen (CGROUP_MODE_V2, dir), "v2 cgroup.events frozen 1", NULL);
  check (file_has (dir, "cgroup.events", "frozen 1"), "v2 events read back", NULL);
  check_err (cgroup_freeze_dir (CGROUP_MODE_V2, dir, false, &err), &err, "v2 thaw");
  check (!cgroup_dir_frozen (CGROUP_MODE_V2, dir), "v2 frozen 0", NULL);

  cgroup_read_raw (u->mount, "cgroup.subtree_control", before, sizeof before);
  snprintf (top, sizeof top, "%s/ocirt-test", u->mount);
  cgroup_read_raw (top, "cgroup.subtree_control", before_top, sizeof before_top);
  hugetlb = file_has (u->mount, "cgroup.controllers", "hugetlb");
  if (hugetlb)
    {
      struct oci_hugepage_limit hp = { "2MB", 4 << 20 };
      struct oci_kv kv = { "hugetlb.1GB.max", "1073741824" };
      struct oci_resources res = { .hugepage_limits = &hp, .n_hugepage_limits = 1,
                                   .unified = &kv, .n_unified = 1 };

      /* Through the v1 entry point: hybrid's hugetlb lives on cgroup2. */
      struct oci_resources r1 = { .hugepage_limits = &hp, .n_hugepage_limits = 1 };
      check_err (cgroup_apply_resources (path, &r1, &err), &err, "hugetlb via the unified mount");
      check (file_is (dir, "hugetlb.2MB.max", "4194304"), "hugetlb.2MB.max", NULL);
      check_err (cgroup_v2_apply (u->mount, path, &res, &err), &err, "v2 apply hugetlb + unified");
      check (file_is (dir, "hugetlb.1GB.max", "1073741824"), "unified hugetlb.1GB.max", NULL);
      kv = (struct oci_kv){ "memory.max", "1" };
      res = (struct oci_resources){ .unified = &kv, .n_unified = 1 };
      check_fails (cgroup_v2_apply (u->mount, path, &res, &err), &err, "memory controller available",
                   "v2 unified for an absent controller");
      kv = (struct oci_kv){ "../x", "1" };
      check_fails (cgroup_v2_apply (u->mount, path, &res, &err), &err, "invalid key",
                   "v2 unified key with / refused");
    }
  struct oci_device_cgroup devs[] = {
    { .allow = false, .access = "rwm" },
    { .allow = true, .type = "c", .has_major = true, .major = 10, .has_minor = true, .minor = 229,
      .access = "rw" },
  };
  struct oci_resources rd = { .devices = devs, .n_devices = 2 };
  check_err (cgroup_v2_apply (u->mount, path, &rd, &err), &err,
             "v2 device rules attach a BPF program");
  rd.n_devices = 1;
  check_err (cgroup_v2_apply (u->mount, path, &rd, &err), &err,
             "v2 device program replaced");

  /* cgroup.kill on the unified directory. */
  check (cgroup_write_raw (dir, "cgroup.kill", "1", 1) == 0, "v2 cgroup.kill", NULL);
  reap (child, SIGKILL, "cgroup.kill killed the child");
  check_err (cgroup_destroy (path, &err), &err, "destroy after cgroup.kill");

  /* Put the mount's subtree_control back as it was. */
  if (hugetlb && !strstr (before_top, "hugetlb"))
    cgroup_write_raw (top, "cgroup.subtree_control", "-hugetlb", 8);
  if (hugetlb && !strstr (before, "hugetlb"))
    check (cgroup_write_raw (u->mount, "cgroup.subtree_control", "-hugetlb", 8) == 0,
           "unified subtree_control restored", NULL);
}

int
main (void)
{
  ocirt_error_t err = NULL;
  struct cgroup_layout l;
  char path[128], path2[128], mine[128], top[] = "/ocirt-test";
  unsigned rnd;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (geteuid () != 0)
    {
      fprintf (stderr, "cgroup_harness: needs root\n");
      return 77;
    }
  srand ((unsigned) time (NULL) ^ (unsigned) getpid ());
  rnd = (unsigned) rand ();
  snprintf (path, sizeof path, "%s/%u", top, rnd);
  snprintf (path2, sizeof path2, "%s/%u-v2", top, rnd);
  snprintf (mine, sizeof mine, "%s/%u*", top, rnd);

  check_err (cgroup_layout_load (&l, &err), &err, "layout");
  printf ("mode: %s, %zu hierarchies\n", l.mode == CGROUP_MODE_V2 ? "v2" : "v1", l.n);
  for (size_t i = 0; i < l.n; i++)
    printf ("  %s%s\n", l.h[i].mount, l.h[i].unified ? " (cgroup2)" : "");

  if (l.mode == CGROUP_MODE_V1)
    {
      const struct cgroup_hierarchy *u = cgroup_layout_unified (&l);

      test_v1 (path, &l);
      test_rollback (path);
      if (u)
        test_v2_on_unified (path2, u);
      test_default_path (rnd);
    }
  else
    printf ("SKIP v1 tests: this is a cgroup v2 host\n");

  /* Remove the shared test parent where it is empty (others use it too). */
  for (size_t i = 0; i < l.n; i++)
    {
      char d[PATH_MAX];
      snprintf (d, sizeof d, "%s%s", l.h[i].mount, top);
      rmdir (d);
    }
  check (leftovers (mine) == 0, "nothing of ours left under " CGROUP_ROOT "/*/ocirt-test", NULL);
  printf ("%d failure(s)\n", failures);
  return failures;
}
