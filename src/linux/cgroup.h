/* cgroup.h - the container's control group on v1 (incl. hybrid) and v2.
 *
 * Owns: turning linux.cgroupsPath into one path per hierarchy, creating it,
 * moving a pid in, applying linux.resources, listing/killing/freezing the
 * processes in it, reading its statistics and watching it for OOM kills
 * (cgroup_stats.c; v2 device rules are a BPF program, cgroup_bpf.c), and
 * removing it. It never forks and never touches state files. All functions
 * are stateless: they take the resolved path.
 */
#ifndef OCIRT_CGROUP_H
#define OCIRT_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

enum cgroup_mode
{
  CGROUP_MODE_V1,       /* legacy or hybrid: controllers on v1 hierarchies */
  CGROUP_MODE_V2,       /* unified only */
};

/* Detect from statfs("/sys/fs/cgroup"). */
enum cgroup_mode cgroup_detect_mode (void);

/* The path inside each hierarchy: cgroupsPath if set (absolute, or relative
 * to the root), else "/ocirt/<id>". Returns a malloc'd string. Rejects ".."
 * components. */
char *cgroup_resolve_path (const char *cgroups_path, const char *id, ocirt_error_t *err);

/* Rootless (cgroup_rootless.c). The default path of a rootless container:
 * on v2, as runc, <parent of the caller's own cgroup>/<id> (a systemd user
 * session delegates that subtree); on v1, as cgroup_resolve_path. */
char *cgroup_rootless_default_path (const char *id, ocirt_error_t *err);

/* The controller of the first limit res sets, in runc's order ("cpuset",
 * "memory", "cpu", "pids", ...), or NULL when it sets none. Device rules do
 * not count: as runc, a rootless container without a cgroup ignores them
 * (it cannot mknod anyway; nodes are bind-mounted from the host). */
const char *cgroup_first_limit (const struct oci_resources *res);

/* Create the cgroup in every hierarchy (parents as needed) and move pid in.
 * A cgroup that already exists may hold processes: *procs_found is set to
 * how many (the most of any hierarchy), and the caller warns, as runc 1.1
 * does ("container's cgroup is not empty"). A frozen cgroup is refused. On
 * error, whatever was created is removed again.
 * With pid <= 0 it only creates (v2: before clone3 with CLONE_INTO_CGROUP,
 * see cgroup_open_unified). On v2 it also enables, in cgroup.subtree_control
 * of each ancestor, every controller that ancestor offers. On hybrid hosts
 * the cgroup2 "unified" mount is joined too, best effort. */
int cgroup_create_and_enter (const char *path, pid_t pid, size_t *procs_found, ocirt_error_t *err);

/* create's cgroup, before its init exists, with one look at the mounted
 * hierarchies: made in every hierarchy (as cgroup_create_and_enter with no
 * pid), with res applied (as cgroup_apply_resources; res may be
 * NULL), and on v2 *clone_fd set to an O_PATH fd of it for clone3's
 * CLONE_INTO_CGROUP (-1 on v1, where the init is moved in afterwards). A
 * cgroup that is frozen (itself or by an ancestor) is refused, as runc
 * does: the init would hang there. On error nothing it made is left.
 * *existed says that the cgroup was there already in some hierarchy: it is
 * not ocirt's, and must be given back with cgroup_release, never
 * cgroup_destroy; then *made gets the mounts of the hierarchies where it
 * was made all the same (a strv, NULL for none), which are ocirt's to
 * remove. *procs_found is as for cgroup_create_and_enter. */
int cgroup_create_for_init (const char *path, const struct oci_resources *res, int *clone_fd,
                            bool *existed, char ***made, size_t *procs_found, ocirt_error_t *err);

/* An O_PATH directory fd of the container's cgroup on a v2 host, for
 * clone3's CLONE_INTO_CGROUP. Fails on v1/hybrid. */
int cgroup_open_unified (const char *path, ocirt_error_t *err);

/* Move pid into an existing container cgroup (exec). */
int cgroup_enter (const char *path, pid_t pid, ocirt_error_t *err);

/* exec --cgroup CTRL:PATH on v1: move pid into the existing cgroup `path` of
 * the hierarchy that carries controller `ctrl` ("cpu", "pids"), and of no
 * other. Fails on v2, which has no per-controller hierarchies. */
int cgroup_enter_controller (const char *path, const char *ctrl, pid_t pid, ocirt_error_t *err);

/* Apply linux.resources (res may be NULL). Each failure names the field and
 * the file. Device rules, when there are any, are followed by the standard
 * devices (/dev/null & co., see cgroup_std_devices), as runc does, so that a
 * "deny all" list leaves them usable; linux.devices are not added: as in
 * runc, only the rules decide whether a configured node can be opened. */
int cgroup_apply_resources (const char *path, const struct oci_resources *res, ocirt_error_t *err);

/* linux.resources.memory.kernel and kernelTCP are accepted and ignored, as
 * runc >= 1.0 does (Linux 5.16 made kernel memory limits no-ops, and Docker
 * 20.10's `docker update` still sends one). Whether res names either, so the
 * caller prints runc's warning, CGROUP_KMEM_IGNORED. As in runc, create warns
 * about any value and update only about a non-zero one (zero_is_unset):
 * docker sends "kernel": 0 with every update. */
#define CGROUP_KMEM_IGNORED "Kernel memory settings are ignored and will be removed"
bool cgroup_kmem_ignored (const struct oci_resources *res, bool zero_is_unset);

/* The pids in the cgroup (from the pids or first v1 hierarchy / v2 file). */
int cgroup_pids (const char *path, pid_t **pids, size_t *n, ocirt_error_t *err);

/* Signal every process in it and in the cgroups below it, as runc does:
 * freeze, signal, thaw (so nothing forks away meanwhile, and a paused
 * cgroup ends thawed). A cgroup that cannot be frozen is signalled all the
 * same; a missing one holds nothing to signal and is not an error. */
int cgroup_kill_all (const char *path, int sig, ocirt_error_t *err);

/* Freeze or thaw (v1 freezer.state, v2 cgroup.freeze); waits until done. */
int cgroup_freeze (const char *path, bool freeze, ocirt_error_t *err);
bool cgroup_is_frozen (const char *path);

/* Whether a device rule is the v1 devices controller's "a": every device,
 * every access. It resets the rules to allow-all or deny-all, so the rules
 * before it no longer matter. */
bool cgroup_device_rule_resets (const struct oci_device_cgroup *d);

/* Kill what is left (below it too), thaw it, and remove the directories,
 * the cgroups made below it first (retrying while the kernel still reports
 * them busy). A missing cgroup is not an error. Also removes
 * empty parents that ocirt's default path created ("/ocirt"). */
int cgroup_destroy (const char *path, ocirt_error_t *err);

/* The end of a container whose cgroup ocirt found rather than made (an
 * admin's, or a service's such as /system.slice, or one shared with another
 * container as runc 1.1 allows): thaw it and remove nothing it found. With
 * kill, first SIGKILL the processes in that very cgroup, not in its
 * children (no cgroup.kill, which takes the whole subtree): for a container
 * without a pid namespace of its own, whose processes cannot be told apart,
 * as runc does. The hierarchies whose mounts are in `made` (a v1 cgroup
 * found in some hierarchies only, see cgroup_create_for_init) had it made
 * by ocirt: there it is removed, as cgroup_destroy would. */
int cgroup_release (const char *path, bool kill, char *const *made, ocirt_error_t *err);

/* ---- statistics and OOM notification (cgroup_stats.c) ---- */

/* A v1-shaped counter block, as runc reports it ("usage", "swap", ...). */
struct cgroup_mem_entry
{
  uint64_t limit, usage, max, failcnt;
};

/* One line of blkio.throttle.io_service_bytes or io.stat, runc-shaped. */
struct cgroup_blkio_entry
{
  uint64_t major, minor;
  char op[16];          /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
  uint64_t value;
};

struct cgroup_hugetlb_entry
{
  char page_size[16];   /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct cgroup_stat_kv
{
  char *key;
  uint64_t value;
};

/* What `events` reports. Values that a hierarchy or kernel does not offer
 * stay 0 (and the has_ flags false); nothing here is ever a guess. */
struct cgroup_stats
{
  struct
  {
    uint64_t total, kernel, user;           /* nanoseconds */
    uint64_t *percpu, *percpu_kernel, *percpu_user;
    size_t n_percpu, n_percpu_kernel, n_percpu_user;
    bool has_throttling;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    bool has_usage, has_swap, has_kernel, has_kernel_tcp;
    uint64_t cache;
    struct cgroup_mem_entry usage, swap, kernel, kernel_tcp;
    struct cgroup_stat_kv *raw;              /* memory.stat, in file order */
    size_t n_raw;
  } memory;
  struct
  {
    bool has_current;
    uint64_t current, limit;                 /* limit 0: unlimited */
  } pids;
  struct
  {
    struct cgroup_blkio_entry *service_bytes, *serviced;
    size_t n_service_bytes, n_serviced;
  } blkio;
  struct cgroup_hugetlb_entry *hugetlb;
  size_t n_hugetlb;
  struct
  {
    uint64_t *cpus, *mems;                   /* the lists, expanded */
    size_t n_cpus, n_mems;
    /* v1's cpuset flags (0 on v2, which has none); relax level -1: default */
    uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
      memory_spread_slab, memory_pressure, sched_load_balance;
    int64_t sched_relax_domain_level;
  } cpuset;
};

/* Read the statistics of the container's cgroup (v1: every hierarchy that
 * has them, hybrid's hugetlb from the cgroup2 mount; v2: the one directory).
 * A missing cgroup is an error; a missing file leaves its fields 0. */
int cgroup_stats_read (const char *path, struct cgroup_stats *s, ocirt_error_t *err);
void cgroup_stats_clear (struct cgroup_stats *s);

/* A pollable notification of the cgroup's OOM kills: v1 an eventfd
 * registered through cgroup.event_control for memory.oom_control, v2 an
 * inotify watch on memory.events whose oom_kill counter is compared. */
struct cgroup_oom_watch
{
  int fd;                    /* poll it for POLLIN */
  int ctl_fd;                /* v1: memory.oom_control, kept open */
  bool v2;
  uint64_t oom_kills;        /* v2: the last oom_kill seen */
  char dir[PATH_MAX];        /* the memory cgroup directory */
};

int cgroup_oom_watch_open (const char *path, struct cgroup_oom_watch *w, ocirt_error_t *err);
/* After POLLIN: the number of new OOM kills (0 for a spurious wake-up or
 * the removal of the cgroup), or -1 with *err set. */
int cgroup_oom_watch_consume (struct cgroup_oom_watch *w, ocirt_error_t *err);
void cgroup_oom_watch_close (struct cgroup_oom_watch *w);

#endif
