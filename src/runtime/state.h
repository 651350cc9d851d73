/* state.h - the per-container state directory <root>/<id>/.
 *
 * Owns: id validation, creation/locking/removal of the state directory, and
 * the atomic state.json file. It never decides a container's *status*: that
 * is derived by the lifecycle from the live process (see container.c).
 *
 * Locking: every operation on one id holds flock() on the state directory's
 * own fd. Creation is made exclusive by mkdirat(), so of two concurrent
 * `create`s of one id exactly one wins.
 */
#ifndef OCIRT_STATE_H
#define OCIRT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/error.h"

#define STATE_FILE "state.json"
#define STATE_EXEC_FIFO "exec.fifo"
#define STATE_CONFIG_COPY "config.json"
#define STATE_EVENTS_FILE "events.json"   /* JSON lines the shim appends */
#define STATE_ID_MAX 1024

struct container_state
{
  char *oci_version;
  char *id;
  pid_t pid;                      /* host pid of the container init, 0 if none */
  unsigned long long start_time;  /* field 22 of /proc/<pid>/stat */
  char *bundle;                   /* absolute */
  char *rootfs;                   /* absolute */
  char *created;                  /* RFC3339 with nanoseconds, UTC */
  char *owner;                    /* "" for root, like runc */
  char **annotation_keys;         /* parallel arrays, n_annotations long */
  char **annotation_values;
  size_t n_annotations;
  char *cgroup_path;              /* the cgroup path inside each hierarchy */
  bool cgroup_existed;            /* found, not made by create: delete kills
                                     the container's processes in it and
                                     removes nothing (runc 1.1 shares a
                                     cgroup that holds processes) */
  char **cgroup_made_in;          /* found in some v1 hierarchies only: the
                                     mounts of those create made it in,
                                     which delete removes (a strv) */
  char *systemd_unit;             /* the systemd driver's unit, NULL with
                                     cgroupfs: every later verb follows it,
                                     whatever flags it is given (as runc
                                     follows its stored config) */
  bool systemd_user;              /* that unit is in the caller's own
                                     systemd (rootless), not PID 1's */
  bool created_done;              /* false while `create` is still running */
  bool no_pivot;
  bool no_new_keyring;            /* keep the caller's session keyring (exec too) */
  bool has_exit;                  /* the shim recorded how the init ended */
  int exit_code;                  /* valid when has_exit */
  int exit_signal;                /* 0 unless killed by a signal */
  bool monitor_killed;            /* the kernel memory monitor sent the kill */
  char *shim_log;                 /* path of the log file, NULL without a shim */
  pid_t shim_pid;                 /* 0 without a shim */
  unsigned long long shim_start_time;
};

/* Reject ids that are empty, longer than STATE_ID_MAX, ".", "..", or that
 * contain anything outside [A-Za-z0-9_+.-] (so no '/' and no control chars). */
int state_validate_id (const char *id, ocirt_error_t *err);

/* Open (creating with mode 0700 if needed) the state root; returns an fd. */
int state_root_open (const char *root, ocirt_error_t *err);

/* Create <root>/<id> exclusively and return its fd, locked (LOCK_EX).
 * EEXIST gives "container with given ID already exists". */
int state_dir_create (int root_fd, const char *id, ocirt_error_t *err);

/* Open an existing <root>/<id> and lock it (LOCK_EX or LOCK_SH; 0 for a
 * reader that takes no lock).
 * ENOENT gives "container does not exist". */
int state_dir_open (int root_fd, const char *id, int lock_op, ocirt_error_t *err);

/* Atomically write state.json in dir_fd (temp file, rename; see state.c on fsync). */
int state_write (int dir_fd, const struct container_state *st, ocirt_error_t *err);

/* Record how the init ended (exit code, signal, whether the kernel memory
 * monitor killed it) in dir_fd, for state_read(); the shim calls it, with
 * LOCK_EX held, once the init is reaped. Touches no state.json. */
int state_write_exit (int dir_fd, int code, int signal, bool monitor_killed, ocirt_error_t *err);

/* Read state.json from dir_fd into *st (zeroed first), with the shim's
 * exit record if there is one. */
int state_read (int dir_fd, struct container_state *st, ocirt_error_t *err);

/* Parse/format state.json held in memory (used by state_read/state_write;
 * exposed for unit tests and the fuzzer). */
int state_parse (const char *json, size_t len, struct container_state *st, ocirt_error_t *err);
char *state_format (const struct container_state *st);

/* Remove every file in <root>/<id> and the directory itself. */
int state_dir_remove (int root_fd, const char *id, ocirt_error_t *err);

/* List the ids under root (sorted). */
int state_list_ids (int root_fd, char ***ids, size_t *n, ocirt_error_t *err);

void state_clear (struct container_state *st);

/* Field 22 of /proc/<pid>/stat, or 0 if the process does not exist. */
unsigned long long proc_start_time (pid_t pid);

/* True if pid is alive and its start time equals start_time (a reused pid
 * belongs to someone else) and it is not a zombie. */
bool state_process_alive (pid_t pid, unsigned long long start_time);

/* RFC3339 UTC timestamp with nanoseconds, as runc prints "created". */
char *rfc3339_now (void);

#endif
