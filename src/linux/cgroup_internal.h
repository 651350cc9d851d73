/* cgroup_internal.h - shared between cgroup.c, cgroup_v1.c and cgroup_v2.c
 * (and the unit tests). Not for use outside src/linux/cgroup*.c.
 *
 * Owns: the per-call description of the mounted hierarchies (struct
 * cgroup_layout, built from one read of /proc/self/mountinfo and never
 * cached), the small file helpers that turn a failed write into an error
 * naming the config field and the file, and the pure conversions (shares to
 * weight, swap, device rules, sizes) that the unit tests check without root.
 * It holds no global state.
 */
#ifndef OCIRT_CGROUP_INTERNAL_H
#define OCIRT_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_DEFAULT_PARENT "/ocirt"
#define CGROUP_MAX_HIERARCHIES 16
#define CGROUP_MOUNT_MAX 256

/* v1 controllers ocirt knows by name; a hierarchy carries a bit for each. */
enum cgroup_controller
{
  CGC_CPU,
  CGC_CPUACCT,
  CGC_CPUSET,
  CGC_MEMORY,
  CGC_DEVICES,
  CGC_FREEZER,
  CGC_BLKIO,
  CGC_PIDS,
  CGC_NET_CLS,
  CGC_NET_PRIO,
  CGC_HUGETLB,
  CGC_PERF_EVENT,
  CGC_RDMA,
  CGC_MISC,
  CGC_COUNT
};

struct cgroup_hierarchy
{
  char mount[CGROUP_MOUNT_MAX];  /* mount point, no trailing slash */
  unsigned dev_major, dev_minor; /* identifies the hierarchy (dedup) */
  unsigned controllers;          /* v1: 1u << enum cgroup_controller */
  bool unified;                  /* a cgroup2 mount */
  bool named;                    /* v1 "name=..." hierarchy (name=systemd) */
  int created_off;               /* create: length of the path prefix that
                                    existed before; -1 when nothing was made */
};

struct cgroup_layout
{
  enum cgroup_mode mode;
  size_t n;
  struct cgroup_hierarchy h[CGROUP_MAX_HIERARCHIES];
};

/* ---- layout (cgroup.c) ---- */

/* Parse mountinfo text into the v1 hierarchies plus the cgroup2 mount (the
 * hybrid "unified" one). Duplicate mounts of one hierarchy are kept once,
 * preferring the one under /sys/fs/cgroup. Pure. */
int cgroup_layout_parse (const char *mountinfo, struct cgroup_layout *l, ocirt_error_t *err);

/* Build the layout for this host: v2 is the single /sys/fs/cgroup mount;
 * v1/hybrid reads /proc/self/mountinfo once. */
int cgroup_layout_load (struct cgroup_layout *l, ocirt_error_t *err);

/* The v1 hierarchy carrying controller c, or NULL. */
const struct cgroup_hierarchy *cgroup_layout_find (const struct cgroup_layout *l,
                                                   enum cgroup_controller c);
/* The cgroup2 mount (v2 mode, or hybrid's "unified"), or NULL. */
const struct cgroup_hierarchy *cgroup_layout_unified (const struct cgroup_layout *l);

/* "cpu" -> CGC_CPU; -1 if unknown. */
int cgroup_controller_from_name (const char *name, size_t len);
const char *cgroup_controller_name (enum cgroup_controller c);

/* "<mount><path>" into buf. */
int cgroup_dir (char *buf, size_t size, const struct cgroup_hierarchy *h,
                const char *path, ocirt_error_t *err);

/* ---- file helpers (cgroup.c) ---- */

/* Write data to dir/file with one write(2). Returns 0 or -errno. */
int cgroup_write_raw (const char *dir, const char *file, const char *data, size_t len);
/* Read dir/file into buf (NUL-terminated). Returns the length or -errno. */
ssize_t cgroup_read_raw (const char *dir, const char *file, char *buf, size_t size);
bool cgroup_file_exists (const char *dir, const char *file);

/* Write a formatted value; on failure set *err to
 *   <field>: write "<value>" to "<dir>/<file>": <errno text>
 * or, when the file does not exist,
 *   <field>: not supported by this kernel: "<dir>/<file>" does not exist */
int cgroup_write_field (const char *dir, const char *file, const char *field,
                        ocirt_error_t *err, const char *fmt, ...)
  __attribute__ ((format (printf, 5, 6)));

/* Enable every controller that the parent offers, in cgroup.subtree_control
 * of each ancestor of path in the cgroup2 mount, from the top. Controllers
 * that cannot be enabled are skipped: applying a resource of theirs then
 * fails with a clear error. `only` limits it to one controller name. */
int cgroup_v2_enable_controllers (const char *mount, const char *path, const char *only,
                                  ocirt_error_t *err);

/* ---- freezer on one directory (cgroup.c) ---- */

/* v1: freezer.state; v2: cgroup.freeze, then wait for cgroup.events. */
int cgroup_freeze_dir (enum cgroup_mode mode, const char *dir, bool freeze, ocirt_error_t *err);
bool cgroup_dir_frozen (enum cgroup_mode mode, const char *dir);

/* ---- resources ---- */

int cgroup_v1_apply (const struct cgroup_layout *l, const char *path,
                     const struct oci_resources *res, ocirt_error_t *err);
/* Copy cpuset.cpus/mems down every level of path that has them empty. */
int cgroup_v1_cpuset_init (const struct cgroup_hierarchy *h, const char *path, ocirt_error_t *err);

int cgroup_v2_apply (const char *mount, const char *path, const struct oci_resources *res,
                     ocirt_error_t *err);
int cgroup_v2_hugetlb (const char *dir, const struct oci_hugepage_limit *hp, size_t n,
                       ocirt_error_t *err);

/* The device allow rules appended after the config's own rules when there
 * are any (as runc's AllowedDevices and crun do): the default devices of
 * config-linux.md plus mknod of any node and /dev/pts/<n>. linux.devices
 * are not among them: as in runc, only linux.resources.devices decides
 * whether a configured node can be opened. */
struct cgroup_std_device
{
  char type;
  int64_t major, minor;   /* -1: any */
  const char *access;
};
extern const struct cgroup_std_device cgroup_std_devices[];
extern const size_t cgroup_n_std_devices;

/* ---- statistics (cgroup_stats.c) ---- */

/* cgroup_stats_read on a given layout (the unit tests point its mounts at
 * a directory of sample files). */
int cgroup_stats_collect (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s,
                          ocirt_error_t *err);

/* ---- v2 device controller (cgroup_bpf.c) ---- */

struct bpf_insn;

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for the device rules, followed
 * (when there are any) by the standard devices: it allows
 * what a v1 devices cgroup allows after those writes to devices.allow and
 * devices.deny. In a malloc'd array. No rules: *n_insns is 0 and nothing is
 * to be attached. Pure: the unit tests run the result in an interpreter. */
int cgroup_bpf_devices_program (const struct oci_device_cgroup *d, size_t n,
                                struct bpf_insn **insns, size_t *n_insns, ocirt_error_t *err);

/* Load that program and attach it to the cgroup directory dir
 * (BPF_F_ALLOW_MULTI), then detach the device programs that were attached
 * there before: an update replaces, and never leaves a gap. */
int cgroup_bpf_devices_apply (const char *dir, const struct oci_device_cgroup *d, size_t n,
                              ocirt_error_t *err);

/* ---- pure conversions (unit-tested) ---- */

/* cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000); 0 -> 0 (unset). */
uint64_t cgroup_shares_to_weight (uint64_t shares);
/* blkio.weight (v1, 10..1000) -> io.weight (v2, 1..10000); 0 -> 0. */
uint64_t cgroup_blkio_to_io_weight (uint64_t weight);

/* m with a limit, reservation or swap of 0 made unset, as runc has it:
 * `docker update` sends "limit": 0 and "reservation": 0 for every value it
 * leaves alone, and a write of 0 would take all memory away (v1 refuses it
 * with EBUSY while the container uses any). */
struct oci_memory cgroup_memory_without_zeros (const struct oci_memory *m);

/* OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone.
 * Sets *set=false when nothing is to be written, *value=-1 for "max". */
int cgroup_v2_swap_value (const struct oci_memory *m, bool *set, int64_t *value,
                          ocirt_error_t *err);

/* "2MB", "64KB", "1GB": digits then KB/MB/GB (base 1024). Returns the size
 * in bytes or 0 when malformed. */
uint64_t cgroup_hugepage_size (const char *page_size);

/* The accesses of a device rule as runc 1.1 reads them: the letters r, w
 * and m found in `access`, each once and in that order; other characters
 * are ignored ("rwx" is "rw", "RWM" is nothing). No access property (NULL)
 * is "rwm". */
void cgroup_device_access (const char *access, char out[4]);

/* The v1 devices.allow/deny lines for a rule, '\n'-separated: "c 1:3 rwm",
 * "a" (all devices, all access), or "c *:* r\nb *:* r" for a narrower "a";
 * "" when the rule has no access left, which runc writes nothing for. */
int cgroup_device_rule_format (const struct oci_device_cgroup *d, char *buf, size_t size,
                               ocirt_error_t *err);

/* The rdma.max line for one device: "mlx5_1 hca_handle=3 hca_object=max"
 * style, only the limits that are set. 0 when neither is set (nothing to
 * write). Returns the length, or -1 when buf is too small. */
int cgroup_rdma_format (const struct oci_rdma *r, char *buf, size_t size);

/* Write linux.resources.rdma into dir/rdma.max: the file is the same on v1
 * and v2. */
int cgroup_write_rdma (const char *dir, const struct oci_rdma *r, size_t n, ocirt_error_t *err);

/* A key of linux.resources.unified names one file in the cgroup directory. */
bool cgroup_unified_key_valid (const char *key);

/* Parse cgroup.procs text into a sorted, duplicate-free array. */
int cgroup_parse_pids (const char *text, pid_t **pids, size_t *n, ocirt_error_t *err);

#endif
