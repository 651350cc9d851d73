/* exec.h - `ocirt exec`: start another process in a running container.
 *
 * Owns: building the process to run (from --process FILE, or the
 * container's own process with the command-line overrides), joining every
 * namespace and the cgroup of the container's init, and waiting for or
 * detaching from the new process. The privileged steps are the init's own
 * (init.c, exec mode), so the process gets the container's capabilities,
 * seccomp profile, rlimits and no_new_privs unless overridden.
 */
#ifndef OCIRT_EXEC_H
#define OCIRT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container.h"

/* exec --cgroup [CTRL:]PATH: a sub-cgroup of the container's own. */
struct exec_cgroup
{
  const char *controller;       /* v1 controller; NULL: every hierarchy (and v2) */
  const char *path;             /* relative to the container's cgroup */
};

struct exec_opts
{
  const char *id;
  const char *process_file;     /* --process: a process.json; overrides the rest */
  char **args;                  /* the command, when no --process */
  size_t n_args;
  bool tty;
  const char *console_socket;
  const char *cwd;
  char **env;                   /* -e KEY=VALUE, added to the container's env */
  size_t n_env;
  const char *user;             /* "uid[:gid]" */
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char **caps;                  /* --cap, added to every capability set */
  size_t n_caps;
  bool no_new_privs;
  int preserve_fds;
  bool detach;
  const char *pid_file;
  bool ignore_paused;           /* exec into a frozen cgroup: waits for resume */
  const char *apparmor;         /* --apparmor: the profile instead of the container's */
  const char *process_label;    /* --process-label: the SELinux label instead */
  struct exec_cgroup *cgroups;
  size_t n_cgroups;
};

/* Exit code of the process in *exit_code (foreground), 0 when detached.
 * A process that cannot be started is an error (the CLI exits 255). */
int container_exec (const struct runtime_ctx *ctx, const struct exec_opts *o, int *exit_code,
                    ocirt_error_t *err);

#endif
