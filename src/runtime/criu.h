/* criu.h - checkpoint and restore of a container through CRIU.
 *
 * Owns: the options of `checkpoint` and `restore` and how they become a
 * `criu dump|pre-dump|restore` command line (the options runc sends over
 * criu's RPC, in their CLI form), the version check, and turning criu's
 * failure into one line that names criu's own message (from its log).
 * It never reimplements what criu does: memory, fds, namespaces, mounts and
 * cgroups are criu's; this file only says which of them are external to
 * the container (bind mounts, masked paths, a joined network namespace,
 * the shim's pipes) and where they are on restore.
 *
 * The container's status is still derived by the lifecycle (container.c);
 * a restore is a create whose init comes from criu instead of a clone.
 */
#ifndef OCIRT_CRIU_H
#define OCIRT_CRIU_H

#include <stdbool.h>
#include <sys/types.h>

#include "../util/error.h"

struct oci_config;
struct runtime_ctx;

/* The default of --image-path, as runc: relative to where ocirt runs. */
#define CRIU_DEFAULT_IMAGE_PATH "checkpoint"
/* runc's minimum: 3.0.0, as criu numbers versions (major*10000+minor*100+sub). */
#define CRIU_MIN_VERSION 30000
/* fds 0-2 of the init at dump time, which restore maps to the new ones. */
#define CRIU_DESCRIPTORS_FILE "descriptors.json"

struct criu_opts
{
  const char *criu;            /* the binary (global --criu), default "criu" */
  const char *image_path;      /* NULL: CRIU_DEFAULT_IMAGE_PATH */
  const char *work_path;       /* NULL: the image path */
  const char *parent_path;     /* checkpoint: a pre-dump's images, relative to image_path */
  const char *manage_cgroups_mode; /* NULL: soft; checked by criu_check_cgroups_mode */
  const char *empty_ns;        /* a namespace criu creates empty ("network") */
  const char *lsm_profile;     /* restore */
  const char *lsm_mount_context;
  bool leave_running;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool pre_dump;
  bool auto_dedup;
};

/* soft, full, strict or ignore (runc's names), else an error naming it. */
int criu_check_cgroups_mode (const char *mode, ocirt_error_t *err);

/* --empty-ns: "network" (runc's name for the one criu can leave empty). */
int criu_check_empty_ns (const char *ns, ocirt_error_t *err);

/* criu dump (or pre-dump) of the container whose state is *st (its init
 * alive), checking criu first. */
struct container_state;
int criu_dump (const struct criu_opts *o, const struct container_state *st, const struct oci_config *cfg,
               ocirt_error_t *err);

/* `ocirt checkpoint` (checkpoint.c): dump (or pre-dump) a running or
 * paused container; without leave_running or pre_dump it is then deleted. */
int container_checkpoint (const struct runtime_ctx *ctx, const char *id, const struct criu_opts *o,
                          ocirt_error_t *err);

/* What a restore needs from the create it replaces the clone of. */
/* Puts criu's process where the container's cgroup is (the container's
 * cgroup, or a transient systemd unit started with it), before criu runs:
 * criu then restores the tasks into its own cgroup, as runc has it. */
typedef int (*criu_place_fn) (pid_t pid, void *data, ocirt_error_t *err);

struct criu_restore_target
{
  const struct oci_config *cfg;
  const char *rootfs;
  const char *cgroup_path;     /* criu's --cgroup-root, or NULL */
  criu_place_fn place;         /* or NULL: criu stays where we are */
  void *place_data;
  int dir_fd;                  /* the new container's state dir */
  const int *stdio;            /* the shim's stdio for the init, or NULL: ours */
};

/* Run `criu restore` so that the restored init becomes our child; returns
 * its pid, or -1. The versions, images and mounts are checked first. */
pid_t criu_restore (const struct criu_opts *o, const struct criu_restore_target *t, ocirt_error_t *err);

#endif
