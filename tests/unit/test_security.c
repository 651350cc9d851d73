/* test_security.c - sysctl checks, scheduling parsers and the features
 * document, as a specification (the LSM fields: test_lsm.c).
 *
 * Configs are written as JSON and parsed by oci_config_parse, so each case
 * reads like the config.json a user would write. The few syscalls
 * (sched_setattr, ioprio_set, personality, sched_setaffinity) run in forked
 * children, since they cannot be undone in the test process.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "../../oci/config.h"
#include "../../oci/features.h"
#include "../../src/linux/capabilities.h"
#include "../../src/linux/scheduling.h"
#include "../../src/linux/sysctl_check.h"
#include "../../src/util/cleanup.h"

#define N(a) (sizeof (a) / sizeof ((a)[0]))

/* A config with `linux` set to the given JSON object body (printf-style)
 * and `process` to a minimal one plus `proc_extra`. */
static struct oci_config *
config_of (const char *proc_extra, const char *linux_fmt, ...)
{
  char linux_body[4096], json[8192];
  va_list ap;
  ocirt_error_t err = NULL;

  va_start (ap, linux_fmt);
  vsnprintf (linux_body, sizeof linux_body, linux_fmt, ap);
  va_end (ap);
  snprintf (json, sizeof json,
            "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
            "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"%s%s},"
            "\"linux\":{%s}}",
            proc_extra[0] ? "," : "", proc_extra, linux_body);
  struct oci_config *c = oci_config_parse (json, strlen (json), "config.json", &err);
  if (c == NULL)
    fail_msg ("config does not parse: %s\n%s", err->message, json);
  return c;
}

/* 0 when ok, else the message must contain `want`. */
static void
expect (int ret, ocirt_error_t *err, const char *want, const char *what)
{
  if (want == NULL)
    {
      if (ret != 0)
        fail_msg ("%s: expected success, got \"%s\"", what, *err ? (*err)->message : "?");
      return;
    }
  if (ret == 0)
    fail_msg ("%s: expected an error containing \"%s\"", what, want);
  if (*err == NULL || strstr ((*err)->message, want) == NULL)
    fail_msg ("%s: error \"%s\" lacks \"%s\"", what, *err ? (*err)->message : "(none)", want);
}

/* ---- linux.sysctl ----------------------------------------------------------- */

static void
sysctl_scope_of_each_kind_of_key (void **state)
{
  static const struct
  {
    const char *key;
    enum sysctl_scope scope;
  } cases[] = {
    { "kernel.shmmax", SYSCTL_IPC },
    { "kernel.shm_rmid_forced", SYSCTL_IPC },
    { "kernel.msgmnb", SYSCTL_IPC },
    { "kernel.sem", SYSCTL_IPC },
    { "fs.mqueue.queues_max", SYSCTL_IPC },
    { "net.ipv4.ip_forward", SYSCTL_NET },
    { "net.core.somaxconn", SYSCTL_NET },
    { "kernel.domainname", SYSCTL_UTS },
    { "kernel.hostname", SYSCTL_HOSTNAME },
    { "vm.swappiness", SYSCTL_HOST },
    { "kernel.core_pattern", SYSCTL_HOST },
    { "kernel.shm_next_id", SYSCTL_HOST },   /* not in runc's list */
    { "fs.mqueue", SYSCTL_HOST },            /* the prefix needs a name after it */
    { "network.x", SYSCTL_HOST },
    { "", SYSCTL_BAD_NAME },
    { "net/ipv4/ip_forward", SYSCTL_BAD_NAME },
    { "net.ipv4..ip_forward", SYSCTL_BAD_NAME },
    { "net.ipv4.", SYSCTL_BAD_NAME },
    { ".net.ipv4", SYSCTL_BAD_NAME },
    { "net.ipv4.../../../sys/kernel", SYSCTL_BAD_NAME },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    if (sysctl_scope_of (cases[i].key) != cases[i].scope)
      fail_msg ("sysctl_scope_of(\"%s\") = %d, want %d", cases[i].key,
                sysctl_scope_of (cases[i].key), cases[i].scope);
}

static void
sysctl_needs_the_matching_private_namespace (void **state)
{
  static const struct
  {
    const char *namespaces;   /* JSON array body */
    const char *key;
    const char *want_error;   /* NULL: accepted */
  } cases[] = {
    { "{\"type\":\"ipc\"}", "kernel.shmmax", NULL },
    { "{\"type\":\"ipc\"}", "fs.mqueue.msg_max", NULL },
    { "{\"type\":\"network\"}", "kernel.shmmax",
      "linux.sysctl[\"kernel.shmmax\"]: needs a private ipc namespace" },
    { "{\"type\":\"network\"}", "net.ipv4.ip_forward", NULL },
    { "{\"type\":\"ipc\"}", "net.ipv4.ip_forward",
      "linux.sysctl[\"net.ipv4.ip_forward\"]: needs a private network namespace, and "
      "linux.namespaces has no network namespace" },
    { "{\"type\":\"uts\"}", "kernel.domainname", NULL },
    { "{\"type\":\"ipc\"}", "kernel.domainname", "needs a private uts namespace" },
    { "{\"type\":\"uts\"}", "kernel.hostname", "conflicts with the \"hostname\" field" },
    { "{\"type\":\"ipc\"},{\"type\":\"network\"},{\"type\":\"uts\"}", "vm.swappiness",
      "linux.sysctl[\"vm.swappiness\"]: sysctl is not namespaced, and ocirt only sets "
      "namespaced sysctls" },
    { "{\"type\":\"network\"}", "net/ipv4/ip_forward", "invalid sysctl name" },
    { "{\"type\":\"network\"}", "net.ipv4...ip_forward", "invalid sysctl name" },
    /* Joined by a path that is the runtime's own or the initial one. */
    { "{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}", "net.ipv4.ip_forward",
      "the network namespace joined at \"/proc/self/ns/net\" is the host's" },
    { "{\"type\":\"network\",\"path\":\"/proc/thread-self/ns/net\"}", "net.ipv4.ip_forward",
      "is the host's" },
    { "{\"type\":\"ipc\",\"path\":\"/proc/self/ns/ipc\"}", "kernel.sem", "is the host's" },
    { "{\"type\":\"uts\",\"path\":\"/proc/self/ns/uts\"}", "kernel.domainname", "is the host's" },
    { "{\"type\":\"network\",\"path\":\"/nonexistent/netns\"}", "net.core.somaxconn",
      "network namespace path \"/nonexistent/netns\": no such file or directory" },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      cleanup_config struct oci_config *c
        = config_of ("", "\"namespaces\":[{\"type\":\"mount\"},%s],\"sysctl\":{\"%s\":\"1\"}",
                     cases[i].namespaces, cases[i].key);
      cleanup_error ocirt_error_t err = NULL;
      char what[256];
      snprintf (what, sizeof what, "%s with [%s]", cases[i].key, cases[i].namespaces);
      expect (sysctl_validate (c, &err), &err, cases[i].want_error, what);
    }
}

/* A namespace joined by a path that is not the host's is private: here a
 * namespace of a child that unshared its own. */
static void
sysctl_allows_net_in_a_joined_namespace_that_is_not_the_hosts (void **state)
{
  int pipefd[2];
  char path[64];
  pid_t pid;
  (void) state;

  assert_int_equal (pipe (pipefd), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      if (unshare (CLONE_NEWNET | CLONE_NEWIPC) < 0)
        _exit (1);
      /* Hold the namespaces until the parent closes the pipe. */
      (void) !read (pipefd[0], &c, 1);
      _exit (0);
    }
  close (pipefd[0]);
  /* Wait for the unshare: the child's ns link changes. */
  for (int i = 0; i < 200; i++)
    {
      char a[64] = "", b[64] = "";
      snprintf (path, sizeof path, "/proc/%d/ns/net", pid);
      if (readlink (path, a, sizeof a - 1) > 0 && readlink ("/proc/self/ns/net", b, sizeof b - 1) > 0
          && strcmp (a, b) != 0)
        break;
      usleep (5000);
    }

  {
    cleanup_config struct oci_config *c
      = config_of ("", "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":"
                       "\"/proc/%d/ns/net\"},{\"type\":\"ipc\",\"path\":\"/proc/%d/ns/ipc\"}],"
                       "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1\"}",
                   pid, pid);
    cleanup_error ocirt_error_t err = NULL;
    expect (sysctl_validate (c, &err), &err, NULL, "joined private netns and ipcns");
  }
  close (pipefd[1]);
  waitpid (pid, NULL, 0);
}

static void
sysctl_without_sysctls_or_linux_is_fine (void **state)
{
  cleanup_config struct oci_config *c = config_of ("", "\"namespaces\":[{\"type\":\"mount\"}]");
  cleanup_error ocirt_error_t err = NULL;
  (void) state;
  expect (sysctl_validate (c, &err), &err, NULL, "no sysctl");
}

/* ---- process.scheduler ------------------------------------------------------ */

static void
scheduler_names_map_to_kernel_values (void **state)
{
  (void) state;
  assert_int_equal (sched_policy_from_name ("SCHED_OTHER"), SCHED_OTHER);
  assert_int_equal (sched_policy_from_name ("SCHED_FIFO"), SCHED_FIFO);
  assert_int_equal (sched_policy_from_name ("SCHED_RR"), SCHED_RR);
  assert_int_equal (sched_policy_from_name ("SCHED_BATCH"), SCHED_BATCH);
  assert_int_equal (sched_policy_from_name ("SCHED_IDLE"), SCHED_IDLE);
  assert_int_equal (sched_policy_from_name ("SCHED_DEADLINE"), 6);
  assert_int_equal (sched_policy_from_name ("SCHED_ISO"), -1);
  assert_int_equal (sched_policy_from_name ("sched_other"), -1);
  assert_int_equal (sched_policy_from_name (NULL), -1);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_RESET_ON_FORK"), 0x01);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_RECLAIM"), 0x02);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_DL_OVERRUN"), 0x04);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_KEEP_POLICY"), 0x08);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_KEEP_PARAMS"), 0x10);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_UTIL_CLAMP_MIN"), 0x20);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_UTIL_CLAMP_MAX"), 0x40);
  assert_int_equal (sched_flag_from_name ("SCHED_FLAG_FOO"), 0);
  assert_int_equal (ioprio_class_from_name ("IOPRIO_CLASS_RT"), 1);
  assert_int_equal (ioprio_class_from_name ("IOPRIO_CLASS_BE"), 2);
  assert_int_equal (ioprio_class_from_name ("IOPRIO_CLASS_IDLE"), 3);
  assert_int_equal (ioprio_class_from_name ("IOPRIO_CLASS_NONE"), -1);
  assert_int_equal (personality_from_name ("LINUX"), PER_LINUX);
  assert_int_equal (personality_from_name ("LINUX32"), PER_LINUX32);
  assert_int_equal (personality_from_name ("LINUX64"), -1);
}

static void
scheduler_config_is_checked_with_the_field_named (void **state)
{
  static const struct
  {
    const char *scheduler;
    const char *want_error;
  } cases[] = {
    { "{\"policy\":\"SCHED_OTHER\",\"nice\":5}", NULL },
    { "{\"policy\":\"SCHED_BATCH\",\"nice\":-20,\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]}", NULL },
    { "{\"policy\":\"SCHED_IDLE\"}", NULL },
    { "{\"policy\":\"SCHED_FIFO\",\"priority\":10}", NULL },
    { "{\"policy\":\"SCHED_RR\",\"priority\":99}", NULL },
    { "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000000,\"deadline\":30000000,"
      "\"period\":30000000}", NULL },
    { "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000000,\"deadline\":30000000}", NULL },
    { "{\"policy\":\"SCHED_FOO\"}", "process.scheduler.policy: unknown policy \"SCHED_FOO\"" },
    { "{\"policy\":\"SCHED_ISO\"}", "process.scheduler.policy: SCHED_ISO is not implemented" },
    { "{\"policy\":\"SCHED_OTHER\",\"nice\":20}", "process.scheduler.nice: 20 is outside -20..19" },
    { "{\"policy\":\"SCHED_FIFO\"}", "process.scheduler.priority: SCHED_FIFO needs a priority in 1..99" },
    { "{\"policy\":\"SCHED_RR\",\"priority\":100}", "process.scheduler.priority" },
    { "{\"policy\":\"SCHED_OTHER\",\"priority\":1}",
      "process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR" },
    { "{\"policy\":\"SCHED_OTHER\",\"runtime\":1000}",
      "process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE" },
    { "{\"policy\":\"SCHED_DEADLINE\"}", "process.scheduler.runtime: SCHED_DEADLINE needs a runtime" },
    { "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":2000,\"deadline\":1000}",
      "process.scheduler.deadline: must not be less than the runtime" },
    { "{\"policy\":\"SCHED_DEADLINE\",\"runtime\":2000,\"deadline\":3000,\"period\":2500}",
      "process.scheduler.period: must not be less than the deadline" },
    { "{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\",\"SCHED_FLAG_X\"]}",
      "process.scheduler.flags[1]: unknown flag \"SCHED_FLAG_X\"" },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      char extra[512];
      snprintf (extra, sizeof extra, "\"scheduler\":%s", cases[i].scheduler);
      cleanup_config struct oci_config *c = config_of (extra, "");
      cleanup_error ocirt_error_t err = NULL;
      expect (scheduling_validate (c->process, c->linux_, &err), &err, cases[i].want_error,
              cases[i].scheduler);
    }
}

static void
scheduler_attr_carries_every_field (void **state)
{
  cleanup_config struct oci_config *c
    = config_of ("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"flags\":[\"SCHED_FLAG_RECLAIM\","
                 "\"SCHED_FLAG_DL_OVERRUN\"],\"runtime\":1000000,\"deadline\":2000000,"
                 "\"period\":3000000}", "");
  cleanup_error ocirt_error_t err = NULL;
  struct ocirt_sched_attr a;
  (void) state;

  assert_int_equal (sched_attr_from_config (c->process->scheduler, &a, &err), 0);
  assert_int_equal (a.size, 56);
  assert_int_equal (a.sched_policy, 6);
  assert_int_equal (a.sched_flags, 0x06);
  assert_int_equal (a.sched_runtime, 1000000);
  assert_int_equal (a.sched_deadline, 2000000);
  assert_int_equal (a.sched_period, 3000000);
  assert_int_equal (sizeof a, 56);
}

static void
io_priority_and_personality_are_checked (void **state)
{
  static const struct
  {
    const char *extra_process, *extra_linux, *want_error;
  } cases[] = {
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":7}", "", NULL },
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0}", "", NULL },
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_XX\",\"priority\":0}", "",
      "process.ioPriority.class: unknown class \"IOPRIO_CLASS_XX\"" },
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}", "",
      "process.ioPriority.priority: 8 is outside 0..7" },
    { "", "\"personality\":{\"domain\":\"LINUX32\"}", NULL },
    { "", "\"personality\":{\"domain\":\"LINUX\"}", NULL },
    { "", "\"personality\":{\"domain\":\"SVR4\"}",
      "linux.personality.domain: unknown domain \"SVR4\"" },
    { "", "\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"ADDR_NO_RANDOMIZE\"]}",
      "linux.personality.flags[0]: \"ADDR_NO_RANDOMIZE\": runtime-spec defines no" },
    { "\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"0-1\"}", "", NULL },
    { "\"execCPUAffinity\":{\"initial\":\"0-\"}", "",
      "process.execCPUAffinity.initial: invalid cpu list \"0-\"" },
    { "\"execCPUAffinity\":{\"final\":\"3-1\"}", "",
      "process.execCPUAffinity.final: invalid cpu range \"3-1\"" },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      cleanup_config struct oci_config *c = config_of (cases[i].extra_process, "%s",
                                                       cases[i].extra_linux);
      cleanup_error ocirt_error_t err = NULL;
      char what[256];
      snprintf (what, sizeof what, "%s%s", cases[i].extra_process, cases[i].extra_linux);
      expect (scheduling_validate (c->process, c->linux_, &err), &err, cases[i].want_error, what);
    }

  cleanup_config struct oci_config *c
    = config_of ("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":3}", "");
  cleanup_error ocirt_error_t err = NULL;
  int v;
  assert_int_equal (ioprio_from_config (c->process->io_priority, &v, &err), 0);
  assert_int_equal (v, (3 << 13) | 3);
}

static void
cpu_lists_parse_like_cpuset (void **state)
{
  static const struct
  {
    const char *list;
    int cpus[8];  /* the cpus expected, ending in -1; NULL list of -2: an error */
  } cases[] = {
    { "0", { 0, -1 } },
    { "0-3,7", { 0, 1, 2, 3, 7, -1 } },
    { " 1 , 5-6 ", { 1, 5, 6, -1 } },
    { "2-2", { 2, -1 } },
    { "1500", { 1500, -1 } },
    { "", { -2 } },
    { ",", { -2 } },
    { "0,", { -2 } },
    { "a", { -2 } },
    { "-1", { -2 } },
    { "1-", { -2 } },
    { "4-2", { -2 } },
    { "0-3;7", { -2 } },
    { "65536", { -2 } },
    { "99999999999999999999", { -2 } },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      cleanup_error ocirt_error_t err = NULL;
      cpu_set_t *set = NULL;
      size_t size = 0;
      int ret = cpu_list_parse (cases[i].list, "x", &set, &size, &err);
      if (cases[i].cpus[0] == -2)
        {
          if (ret == 0)
            fail_msg ("cpu list \"%s\" should be refused", cases[i].list);
          assert_non_null (strstr (err->message, "x: "));
          continue;
        }
      if (ret != 0)
        fail_msg ("cpu list \"%s\": %s", cases[i].list, err->message);
      int n = 0;
      for (; cases[i].cpus[n] >= 0; n++)
        assert_true (CPU_ISSET_S ((size_t) cases[i].cpus[n], size, set));
      assert_int_equal (CPU_COUNT_S (size, set), n);
      CPU_FREE (set);
    }
}

static void
memory_policy_maps_to_set_mempolicy_arguments (void **state)
{
  static const struct
  {
    const char *mode, *nodes;
    const char *flags[3];
    int want_mode, want_flags;
    int nodes_set[4];     /* the nodes expected in the mask, ending in -1 */
    const char *error;    /* non-NULL: refused, with this in the message */
  } cases[] = {
    { "MPOL_DEFAULT", NULL, { NULL }, 0, 0, { -1 }, NULL },
    { "MPOL_PREFERRED", NULL, { NULL }, 1, 0, { -1 }, NULL },
    { "MPOL_PREFERRED", "3", { "MPOL_F_RELATIVE_NODES" }, 1, 1 << 14, { 3, -1 }, NULL },
    { "MPOL_BIND", "0-1,5", { "MPOL_F_NUMA_BALANCING" }, 2, 1 << 13, { 0, 1, 5, -1 }, NULL },
    { "MPOL_INTERLEAVE", "2", { "MPOL_F_STATIC_NODES" }, 3, 1 << 15, { 2, -1 }, NULL },
    { "MPOL_LOCAL", "", { NULL }, 4, 0, { -1 }, NULL },
    { "MPOL_PREFERRED_MANY", "0,1", { NULL }, 5, 0, { 0, 1, -1 }, NULL },
    { "MPOL_WEIGHTED_INTERLEAVE", "0", { NULL }, 6, 0, { 0, -1 }, NULL },
    { NULL, NULL, { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.mode: missing required property" },
    { "MPOL_BOGUS", NULL, { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.mode: unknown mode \"MPOL_BOGUS\"" },
    { "MPOL_BIND", NULL, { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node" },
    { "MPOL_INTERLEAVE", "", { NULL }, 0, 0, { -1 }, "MPOL_INTERLEAVE needs at least one node" },
    { "MPOL_DEFAULT", "0", { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes" },
    { "MPOL_LOCAL", "1", { NULL }, 0, 0, { -1 }, "MPOL_LOCAL takes no nodes" },
    { "MPOL_BIND", "0", { "MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES" }, 0, 0, { -1 },
      "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude each other" },
    { "MPOL_BIND", "0", { "MPOL_F_NUMA_BALANCING", "MPOL_F_BOGUS" }, 0, 0, { -1 },
      "linux.memoryPolicy.flags[1]: unknown flag \"MPOL_F_BOGUS\"" },
    { "MPOL_BIND", "0-", { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.nodes: invalid node list \"0-\"" },
    { "MPOL_BIND", "3-1", { NULL }, 0, 0, { -1 }, "linux.memoryPolicy.nodes: invalid node range" },
  };
  (void) state;
  for (size_t i = 0; i < N (cases); i++)
    {
      cleanup_error ocirt_error_t err = NULL;
      struct oci_memory_policy m = { .mode = (char *) cases[i].mode, .nodes = (char *) cases[i].nodes,
                                     .flags = (char **) cases[i].flags };
      struct memory_policy mp;

      while (m.n_flags < 3 && cases[i].flags[m.n_flags])
        m.n_flags++;
      int ret = memory_policy_from_config (&m, &mp, &err);
      if (cases[i].error)
        {
          if (ret == 0)
            fail_msg ("case %zu (%s \"%s\") should be refused", i, cases[i].mode, cases[i].nodes);
          if (strstr (err->message, cases[i].error) == NULL)
            fail_msg ("case %zu: \"%s\" lacks \"%s\"", i, err->message, cases[i].error);
          memory_policy_release (&mp);
          continue;
        }
      if (ret != 0)
        fail_msg ("case %zu: %s", i, err->message);
      assert_int_equal (mp.mode, cases[i].want_mode);
      assert_int_equal (mp.flags, cases[i].want_flags);
      int n = 0;
      for (; cases[i].nodes_set[n] >= 0; n++)
        assert_true (CPU_ISSET_S ((size_t) cases[i].nodes_set[n], mp.mask_size, mp.mask));
      if (n == 0)
        assert_null (mp.mask);
      else
        assert_int_equal (CPU_COUNT_S (mp.mask_size, mp.mask), n);
      memory_policy_release (&mp);
    }
}

/* In a child: the calls land in the kernel as configured. */
static void
scheduling_apply_sets_the_calling_process (void **state)
{
  pid_t pid;
  int status;
  (void) state;

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      cleanup_config struct oci_config *c
        = config_of ("\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"nice\":7,\"flags\":"
                     "[\"SCHED_FLAG_RESET_ON_FORK\"]},"
                     "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":6},"
                     "\"execCPUAffinity\":{\"initial\":\"0\"}",
                     "\"personality\":{\"domain\":\"LINUX32\"}");
      ocirt_error_t err = NULL;
      if (scheduling_apply (c->process, &err) < 0
          || personality_apply (c->linux_->personality, &err) < 0
          || cpu_affinity_apply (c->process->exec_cpu_affinity_initial, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->message);
          _exit (2);
        }
      struct ocirt_sched_attr a = { 0 };
      cpu_set_t set;
      if (syscall (SYS_sched_getattr, 0, &a, sizeof a, 0) < 0 || a.sched_policy != SCHED_BATCH
          || a.sched_nice != 7 || !(a.sched_flags & 0x01))
        _exit (3);
      if (syscall (SYS_ioprio_get, 1, 0) != ((2 << 13) | 6))
        _exit (4);
      if ((personality (0xffffffff) & PER_MASK) != PER_LINUX32)
        _exit (5);
      if (sched_getaffinity (0, sizeof set, &set) < 0 || CPU_COUNT (&set) != 1
          || !CPU_ISSET (0, &set))
        _exit (6);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

static void
scheduling_errors_name_the_field (void **state)
{
  pid_t pid;
  int status;
  (void) state;

  /* A realtime policy refused by the kernel: drop CAP_SYS_NICE (and set
   * RLIMIT_RTPRIO to 0) in a child. */
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      cleanup_config struct oci_config *c
        = config_of ("\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":5}", "");
      ocirt_error_t err = NULL;
      if (setresuid (65534, 65534, 65534) < 0)
        _exit (2);
      if (scheduling_apply (c->process, &err) == 0)
        _exit (3);
      if (strstr (err->message, "process.scheduler: sched_setattr SCHED_FIFO") == NULL
          || strstr (err->message, "operation not permitted") == NULL)
        {
          fprintf (stderr, "child: %s\n", err->message);
          _exit (4);
        }
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* ---- features --------------------------------------------------------------- */

static const char *
strv_has (yajl_val array, const char *s)
{
  if (!YAJL_IS_ARRAY (array))
    return NULL;
  for (size_t i = 0; i < array->u.array.len; i++)
    {
      const char *item = YAJL_GET_STRING (array->u.array.values[i]);
      if (item && strcmp (item, s) == 0)
        return s;
    }
  return NULL;
}

static yajl_val
get (yajl_val v, const char *a, const char *b, const char *c)
{
  const char *path[] = { a, b, c, NULL };
  return yajl_tree_get (v, path, yajl_t_any);
}

static void
features_json_states_what_ocirt_implements (void **state)
{
  cleanup_free char *json = oci_features_json ();
  char errbuf[256];
  (void) state;

  assert_non_null (json);
  assert_int_equal (json[strlen (json) - 1], '\n');
  /* Indented by four spaces, like runc. */
  assert_non_null (strstr (json, "{\n    \"ociVersionMin\": \"1.0.0\""));
  yajl_val v = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (v == NULL)
    fail_msg ("features JSON does not parse: %s", errbuf);

  assert_string_equal (YAJL_GET_STRING (get (v, "ociVersionMin", NULL, NULL)), OCI_VERSION_MIN);
  assert_string_equal (YAJL_GET_STRING (get (v, "ociVersionMax", NULL, NULL)), OCI_VERSION_MAX);
  assert_int_equal (YAJL_GET_ARRAY (get (v, "hooks", NULL, NULL))->len, 6);
  yajl_val opts = get (v, "mountOptions", NULL, NULL);
  assert_non_null (strv_has (opts, "rbind"));
  assert_non_null (strv_has (opts, "rro"));
  assert_non_null (strv_has (opts, "tmpcopyup"));
  assert_non_null (strv_has (opts, "idmap"));
  assert_non_null (strv_has (opts, "ridmap"));
  /* Words mount(2) takes as data are not ocirt's to list. */
  assert_null (strv_has (opts, "size"));

  yajl_val ns = get (v, "linux", "namespaces", NULL);
  assert_int_equal (YAJL_GET_ARRAY (ns)->len, 8);
  for (int t = 0; t < OCI_NS_COUNT; t++)
    assert_non_null (strv_has (ns, oci_namespace_name ((enum oci_namespace_type) t)));

  size_t ncaps = 0;
  for (const char *const *cap = caps_known_names (); *cap; cap++)
    ncaps++;
  assert_int_equal (YAJL_GET_ARRAY (get (v, "linux", "capabilities", NULL))->len, ncaps);
  assert_non_null (strv_has (get (v, "linux", "capabilities", NULL), "CAP_SYS_ADMIN"));

  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "v1")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "v2")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "systemd")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "systemdUser")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "cgroup", "rdma")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "seccomp", "enabled")));
  assert_non_null (strv_has (get (v, "linux", "seccomp", "actions"), "SCMP_ACT_ERRNO"));
  assert_non_null (strv_has (get (v, "linux", "seccomp", "operators"), "SCMP_CMP_MASKED_EQ"));
  assert_non_null (strv_has (get (v, "linux", "seccomp", "archs"), "SCMP_ARCH_X86_64"));
  assert_non_null (get (v, "linux", "seccomp", "knownFlags"));
  assert_non_null (get (v, "linux", "seccomp", "supportedFlags"));
  /* As runc: the runtime can apply them (whether the host has them is
   * `ocirt check`'s business). */
  assert_true (YAJL_IS_TRUE (get (v, "linux", "apparmor", "enabled")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "selinux", "enabled")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "intelRdt", "enabled")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "intelRdt", "schemata")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "intelRdt", "monitoring")));
  assert_true (YAJL_IS_TRUE (get (v, "linux", "netDevices", "enabled")));
  const char *idmap[] = { "linux", "mountExtensions", "idmap", "enabled", NULL };
  assert_true (YAJL_IS_TRUE (yajl_tree_get (v, idmap, yajl_t_any)));
  /* The spec's whole list, from the table the parser uses. */
  assert_non_null (strv_has (get (v, "linux", "memoryPolicy", "modes"), "MPOL_WEIGHTED_INTERLEAVE"));
  assert_non_null (strv_has (get (v, "linux", "memoryPolicy", "modes"), "MPOL_LOCAL"));
  assert_non_null (strv_has (get (v, "linux", "memoryPolicy", "flags"), "MPOL_F_STATIC_NODES"));

  const char *libseccomp[] = { "annotations", "io.github.seccomp.libseccomp.version", NULL };
  yajl_val ver = yajl_tree_get (v, libseccomp, yajl_t_string);
  assert_non_null (ver);
  assert_true (YAJL_GET_STRING (ver)[0] >= '2');
  const char *version[] = { "annotations", "org.ocirt.version", NULL };
  assert_non_null (yajl_tree_get (v, version, yajl_t_string));
  yajl_tree_free (v);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (sysctl_scope_of_each_kind_of_key),
    cmocka_unit_test (sysctl_needs_the_matching_private_namespace),
    cmocka_unit_test (sysctl_allows_net_in_a_joined_namespace_that_is_not_the_hosts),
    cmocka_unit_test (sysctl_without_sysctls_or_linux_is_fine),
    cmocka_unit_test (scheduler_names_map_to_kernel_values),
    cmocka_unit_test (scheduler_config_is_checked_with_the_field_named),
    cmocka_unit_test (scheduler_attr_carries_every_field),
    cmocka_unit_test (io_priority_and_personality_are_checked),
    cmocka_unit_test (cpu_lists_parse_like_cpuset),
    cmocka_unit_test (memory_policy_maps_to_set_mempolicy_arguments),
    cmocka_unit_test (scheduling_apply_sets_the_calling_process),
    cmocka_unit_test (scheduling_errors_name_the_field),
    cmocka_unit_test (features_json_states_what_ocirt_implements),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
