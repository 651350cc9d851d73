/* container.h - the container lifecycle: create, start, run, kill, delete,
 * state and list, as separate invocations sharing only <root>/<id>/.
 *
 * Owns: the order of operations on the host side (state dir, cgroup, clone,
 * pid file) and the derivation of a container's status from the live
 * process, never from the file alone. It never parses argv and never prints
 * except through the callbacks of the CLI layer.
 */
#ifndef OCIRT_CONTAINER_H
#define OCIRT_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../util/error.h"
#include "../util/log.h"
#include "../shim/shim.h"
#include "state.h"

struct criu_opts;

struct runtime_ctx
{
  const char *root;             /* state root, default /run/ocirt */
  const struct log_sink *log;
  bool systemd_cgroup;          /* --systemd-cgroup: create's driver */
  /* --rootless: 1 true, 0 false, -1 auto (not root, or root of a user
   * namespace only). Rootless, a cgroup that cannot be made is done
   * without, as runc's rootless cgroup manager (see prepare_cgroup). */
  int rootless;
};

struct create_opts
{
  const char *id;
  const char *bundle;           /* NULL: the current directory */
  const char *pid_file;         /* NULL: none */
  const char *console_socket;   /* NULL: none */
  bool no_pivot;
  bool no_new_keyring;          /* keep the caller's session keyring */
  int preserve_fds;
  enum shim_mode shim;          /* see src/shim/shim.h for the rule */
  const char *log_path;         /* shim log; NULL: <root>/<id>/container.log */
  bool keep;                    /* run --keep: a foreground run leaves it stopped, not deleted */
  bool no_subreaper;            /* run --no-subreaper: orphans are not reaped by ocirt */
  const struct criu_opts *restore; /* restore: the init comes from criu's images (criu.h) */
};

enum container_status
{
  STATUS_CREATING,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_PAUSED,
  STATUS_STOPPED,
};

const char *container_status_name (enum container_status s);

int container_create (const struct runtime_ctx *ctx, const struct create_opts *o, ocirt_error_t *err);

/* The shim re-executed lean (shim.h): `ocirt SHIM_LEAN_ARG ...`. Starts the
 * log pump and reports the create; if the pump cannot start, deletes the
 * container and reports that. Never returns. */
__attribute__ ((noreturn)) void container_lean_shim_main (int argc, char **argv);
int container_start (const struct runtime_ctx *ctx, const char *id, ocirt_error_t *err);

/* create + start. With detach false it waits, forwards signals, deletes the
 * container afterwards (unless o->keep) and stores the exit code (128+N for
 * signal N). */
int container_run (const struct runtime_ctx *ctx, const struct create_opts *o, bool detach,
                   int *exit_code, ocirt_error_t *err);

int container_kill (const struct runtime_ctx *ctx, const char *id, int sig, bool all,
                    ocirt_error_t *err);
int container_delete (const struct runtime_ctx *ctx, const char *id, bool force, ocirt_error_t *err);

/* Read a container's state and derive its status. */
int container_load (const struct runtime_ctx *ctx, const char *id, struct container_state *st,
                    enum container_status *status, ocirt_error_t *err);

/* The config copied into the state dir at create. */
struct oci_config *container_read_config (int dir_fd, ocirt_error_t *err);

/* The runc-shaped state document (pretty JSON, trailing newline). */
char *container_state_json (const struct container_state *st, enum container_status status);

/* After SYNC_TERMINAL: take the pty master from the sync socket and send
 * it to console_socket, or (console_socket NULL) hand it over in *keep. */
int receive_terminal (int sync_fd, const char *console_socket, int *keep, ocirt_error_t *err);

/* Parse "KILL", "SIGKILL", "9"; -1 if unknown. */
int signal_parse (const char *s);

#endif
