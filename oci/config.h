/* config.h - the typed model of an OCI runtime config.json (runtime-spec
 * 1.3.0+dev, config.md and config-linux.md).
 *
 * Owns: the in-memory form of a bundle's configuration. It is filled once by
 * oci_config_parse() and is read-only afterwards. It must never hold
 * host state (pids, fds): those belong to the runtime layer.
 *
 * Conventions:
 *  - an absent string is NULL; an absent array has n_x == 0 and x == NULL;
 *  - a present array of strings (char **x) also ends in a NULL entry, so
 *    args and env can go to execve() as they are;
 *  - an optional scalar has a "has_x" flag beside it;
 *  - JSON objects of free-form strings (annotations, sysctl, unified) are
 *    arrays of struct oci_kv in document order.
 */
#ifndef OCIRT_OCI_CONFIG_H
#define OCIRT_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../src/util/error.h"

/* The versions of the runtime-spec this build implements. */
#define OCI_VERSION "1.3.0"
#define OCI_VERSION_MIN "1.0.0"
#define OCI_VERSION_MAX "1.3.0+dev"

struct oci_kv
{
  char *key;
  char *value;
};

struct oci_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct oci_root
{
  char *path;      /* as written; resolved against the bundle by the runtime */
  bool readonly;
};

struct oci_mount
{
  char *destination;
  char *source;
  char *type;
  char **options;
  size_t n_options;
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

struct oci_rlimit
{
  char *type;       /* "RLIMIT_NOFILE" ... */
  int resource;     /* the RLIMIT_* value, resolved by the parser */
  uint64_t soft;
  uint64_t hard;
};

struct oci_capabilities
{
  char **bounding;    size_t n_bounding;
  char **effective;   size_t n_effective;
  char **inheritable; size_t n_inheritable;
  char **permitted;   size_t n_permitted;
  char **ambient;     size_t n_ambient;
};

struct oci_scheduler
{
  char *policy;       /* SCHED_OTHER ... (required when scheduler present) */
  bool has_nice;      int32_t nice;
  bool has_priority;  int32_t priority;
  char **flags;       size_t n_flags;
  bool has_runtime;   uint64_t runtime;
  bool has_deadline;  uint64_t deadline;
  bool has_period;    uint64_t period;
};

struct oci_io_priority
{
  char *class;        /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
  int32_t priority;
};

struct oci_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;     uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username;
};

struct oci_process
{
  bool terminal;
  bool has_console_size;
  uint32_t console_height, console_width;
  struct oci_user user;
  char **args;        size_t n_args;
  char *command_line; /* Windows only; parsed and ignored */
  char **env;         size_t n_env;
  char *cwd;
  struct oci_capabilities *capabilities;  /* NULL when absent */
  struct oci_rlimit *rlimits;             size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;                 int32_t oom_score_adj;
  struct oci_scheduler *scheduler;        /* NULL when absent */
  char *selinux_label;
  struct oci_io_priority *io_priority;    /* NULL when absent */
  char *exec_cpu_affinity_initial;
  char *exec_cpu_affinity_final;
};

struct oci_hook
{
  char *path;
  char **args;        size_t n_args;
  char **env;         size_t n_env;
  bool has_env;       /* "env" given, even empty; else the runtime's own */
  bool has_timeout;   int32_t timeout;    /* seconds, > 0 */
};

struct oci_hook_list
{
  struct oci_hook *hooks;
  size_t n_hooks;
};

struct oci_hooks
{
  struct oci_hook_list prestart;
  struct oci_hook_list create_runtime;
  struct oci_hook_list create_container;
  struct oci_hook_list start_container;
  struct oci_hook_list poststart;
  struct oci_hook_list poststop;
};

enum oci_namespace_type
{
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT
};

struct oci_namespace
{
  enum oci_namespace_type type;
  char *path;         /* NULL: create a new namespace; else join this one */
};

struct oci_device
{
  char *type;         /* "c", "b", "u" or "p" */
  char *path;
  int64_t major, minor;
  bool has_file_mode; uint32_t file_mode;
  bool has_uid;       uint32_t uid;
  bool has_gid;       uint32_t gid;
};

struct oci_device_cgroup
{
  bool allow;
  char *type;         /* "a", "c" or "b"; NULL means all */
  bool has_major;     int64_t major;
  bool has_minor;     int64_t minor;
  char *access;       /* its r, w, m letters count (runc); NULL means all */
};

struct oci_memory
{
  bool has_limit;         int64_t limit;
  bool has_reservation;   int64_t reservation;
  bool has_swap;          int64_t swap;
  bool has_kernel;        int64_t kernel;
  bool has_kernel_tcp;    int64_t kernel_tcp;
  bool has_swappiness;    uint64_t swappiness;
  bool has_disable_oom_killer; bool disable_oom_killer;
  bool has_use_hierarchy; bool use_hierarchy;
  bool has_check_before_update; bool check_before_update;
};

struct oci_cpu
{
  bool has_shares;            uint64_t shares;
  bool has_quota;             int64_t quota;
  bool has_burst;             uint64_t burst;
  bool has_period;            uint64_t period;
  bool has_realtime_runtime;  int64_t realtime_runtime;
  bool has_realtime_period;   uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;              int64_t idle;
};

struct oci_blkio_weight_device
{
  int64_t major, minor;
  bool has_weight;        uint16_t weight;
  bool has_leaf_weight;   uint16_t leaf_weight;
};

struct oci_blkio_throttle
{
  int64_t major, minor;
  uint64_t rate;
};

struct oci_blkio
{
  bool has_weight;       uint16_t weight;
  bool has_leaf_weight;  uint16_t leaf_weight;
  struct oci_blkio_weight_device *weight_device;  size_t n_weight_device;
  struct oci_blkio_throttle *throttle_read_bps;   size_t n_throttle_read_bps;
  struct oci_blkio_throttle *throttle_write_bps;  size_t n_throttle_write_bps;
  struct oci_blkio_throttle *throttle_read_iops;  size_t n_throttle_read_iops;
  struct oci_blkio_throttle *throttle_write_iops; size_t n_throttle_write_iops;
};

struct oci_hugepage_limit
{
  char *page_size;    /* "2MB", "1GB" */
  uint64_t limit;
};

struct oci_net_priority
{
  char *name;
  uint32_t priority;
};

struct oci_rdma
{
  char *device;
  bool has_hca_handles;  uint32_t hca_handles;
  bool has_hca_objects;  uint32_t hca_objects;
};

struct oci_resources
{
  struct oci_device_cgroup *devices;      size_t n_devices;
  struct oci_memory *memory;              /* NULL when absent */
  struct oci_cpu *cpu;                    /* NULL when absent */
  struct oci_blkio *block_io;             /* NULL when absent */
  struct oci_hugepage_limit *hugepage_limits; size_t n_hugepage_limits;
  bool has_network;
  bool has_class_id;  uint32_t class_id;
  struct oci_net_priority *net_priorities; size_t n_net_priorities;
  bool has_pids_limit; int64_t pids_limit;
  struct oci_rdma *rdma;                  size_t n_rdma;
  struct oci_kv *unified;                 size_t n_unified;
};

struct oci_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  bool has_value_two;  uint64_t value_two;
  char *op;           /* SCMP_CMP_NE ... */
};

struct oci_seccomp_syscall
{
  char **names;       size_t n_names;
  char *action;
  bool has_errno_ret; uint32_t errno_ret;
  struct oci_seccomp_arg *args; size_t n_args;
};

struct oci_seccomp
{
  char *default_action;
  bool has_default_errno_ret; uint32_t default_errno_ret;
  char **architectures;       size_t n_architectures;
  char **flags;               size_t n_flags;
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls; size_t n_syscalls;
};

struct oci_time_offset
{
  bool set;
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_personality
{
  char *domain;       /* LINUX | LINUX32 */
  char **flags;       size_t n_flags;
};

struct oci_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata;    size_t n_schemata;
  bool enable_monitoring;
};

struct oci_memory_policy
{
  char *mode;
  char *nodes;
  char **flags;       size_t n_flags;
};

struct oci_net_device
{
  char *host_name;    /* the object key */
  char *name;         /* name inside the container, NULL: same as host */
};

struct oci_linux
{
  struct oci_namespace *namespaces;   size_t n_namespaces;
  struct oci_id_mapping *uid_mappings; size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings; size_t n_gid_mappings;
  struct oci_time_offset time_monotonic;
  struct oci_time_offset time_boottime;
  struct oci_device *devices;         size_t n_devices;
  struct oci_net_device *net_devices; size_t n_net_devices;
  char *cgroups_path;
  struct oci_resources *resources;    /* NULL when absent */
  struct oci_intel_rdt *intel_rdt;    /* NULL when absent */
  struct oci_memory_policy *memory_policy; /* NULL when absent */
  struct oci_kv *sysctl;              size_t n_sysctl;
  struct oci_seccomp *seccomp;        /* NULL when absent */
  char *rootfs_propagation;
  char **masked_paths;                size_t n_masked_paths;
  char **readonly_paths;              size_t n_readonly_paths;
  char *mount_label;
  struct oci_personality *personality; /* NULL when absent */
};

struct oci_config
{
  char *oci_version;
  struct oci_root root;
  struct oci_mount *mounts;           size_t n_mounts;
  struct oci_process *process;        /* NULL when absent (allowed for create-only use) */
  char *hostname;
  char *domainname;
  struct oci_hooks hooks;
  struct oci_kv *annotations;         size_t n_annotations;
  struct oci_linux *linux_;           /* NULL when absent */
};

/* Parse a config.json held in memory. `file` names the source in error
 * messages ("config.json"). Returns NULL and fills *err with
 * "<file>: <json path>: <problem>" on failure. */
struct oci_config *oci_config_parse (const char *json, size_t len,
                                     const char *file, ocirt_error_t *err);

/* Read a JSON file (refusing FIFOs, devices and files over 64 MiB) into a
 * malloc'd buffer of *len bytes. */
char *oci_read_json_file (const char *path, size_t *len, ocirt_error_t *err);

/* A bare process object, as `exec --process FILE` takes; paths in errors
 * are relative to it (".args"). */
struct oci_process *oci_process_parse (const char *json, size_t len, const char *file,
                                       ocirt_error_t *err);
void oci_process_free (struct oci_process *p);

/* A bare linux.resources object, as `update --resources FILE` takes; paths
 * in errors are relative to it (".memory.limit"). */
struct oci_resources *oci_resources_parse (const char *json, size_t len, const char *file,
                                           ocirt_error_t *err);
void oci_resources_free (struct oci_resources *r);

/* Read and parse a file (refusing FIFOs, devices and files over 64 MiB). */
struct oci_config *oci_config_parse_file (const char *path, ocirt_error_t *err);

/* Semantic checks beyond JSON types: ociVersion, absolute paths, namespace
 * types and duplicates, mount destinations, id mappings, and fields that
 * ocirt cannot honour yet. Returns 0 or fills *err like the parser. */
int oci_config_validate (const struct oci_config *cfg, const char *file,
                         ocirt_error_t *err);

/* What runc's init refuses in a process.env entry, in its words ("invalid
 * environment variable" without '=', "environment variable name can't be
 * empty"), or NULL when it is fine. */
const char *oci_env_entry_problem (const char *entry);

void oci_config_free (struct oci_config *cfg);
#define cleanup_config __attribute__ ((cleanup (oci_config_freep)))
static inline void oci_config_freep (struct oci_config **c) { if (*c) oci_config_free (*c); }

/* Namespace helpers shared by the parser and the Linux layer. */
const char *oci_namespace_name (enum oci_namespace_type t);  /* "pid", "network" ... */
int oci_namespace_from_name (const char *name);              /* -1 if unknown */
/* The entry of linux.namespaces of type t; NULL when the config has none. */
const struct oci_namespace *oci_config_namespace (const struct oci_config *cfg,
                                                  enum oci_namespace_type t);

/* Look up an annotation; NULL when absent. */
const char *oci_annotation (const struct oci_config *cfg, const char *key);

#endif
