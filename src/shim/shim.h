/* shim.h - the per-container process ocirt leaves in standalone use.
 *
 * Owns: deciding whether a shim is wanted, forking it, the container's
 * stdout/stderr pipes, reaping the container init (the shim is its parent
 * and a child subreaper), recording the exit status in state.json, and
 * feeding the pipes to the log pump (pump.c). It never builds containers:
 * the lifecycle (container.c) runs its usual create inside the shim.
 *
 * When is a shim used?  Rule (`--shim auto`, the default): a shim is
 * inserted unless ocirt's own parent is a child subreaper. conmon and
 * containerd-shim are subreapers that exec the runtime directly and expect
 * to adopt the container init when the runtime exits (manager-contract.md);
 * a shell, a script or bats is not, and there the init would otherwise be
 * adopted by pid 1 and its exit status lost. The probe costs one double
 * fork: a grandchild is orphaned and reports who adopted it. `--shim always`
 * and `--shim never` (or OCIRT_SHIM=always|never) override the rule.
 *
 * The caller's stdio, as with runc: the container reads the caller's stdin
 * when it is a pipe or a file, and what it writes goes both to the log and,
 * when the caller's stdout/stderr is a file or a pipe, there too (pump.h).
 */
#ifndef OCIRT_SHIM_H
#define OCIRT_SHIM_H

#include <stdbool.h>
#include <sys/types.h>

#include "../runtime/state.h"
#include "../util/error.h"

enum shim_mode
{
  SHIM_AUTO,
  SHIM_ALWAYS,
  SHIM_NEVER,
};

#define SHIM_LOG_FILE "container.log"

int shim_mode_parse (const char *s, enum shim_mode *mode);

/* Apply the rule above. */
bool shim_wanted (enum shim_mode mode);

struct log_pump;

struct shim
{
  int report_fd;      /* shim -> caller: "ok" for success, else the error */
  int out_read;       /* container stdout, read end (shim side) */
  int err_read;       /* container stderr, read end */
  int stdio[3];       /* what the init gets as 0/1/2: the caller's stdin
                         (or /dev/null) and the pipes' write ends (all
                         close-on-exec here) */
  int tee[2];         /* the caller's stdout/stderr to copy the streams to,
                         or -1 (see setup_stdio in shim.c) */
  struct log_pump *pump;
  const char *root, *id;  /* where failures are recorded (events.json) */
};

/* Fork the shim. Returns the shim's pid in the caller and 0 in the shim
 * (where *s is filled), or -1. The shim keeps the caller's stdio until it
 * has reported, so its own diagnostics never land in the container's log. */
pid_t shim_fork (struct shim *s, ocirt_error_t *err);

/* Caller side: wait for the shim's verdict on the create. */
int shim_wait_report (int report_fd, ocirt_error_t *err);

/* Shim side: report the create's result to the caller and detach from it. */
void shim_report (struct shim *s, ocirt_error_t err);

/* Shim side, after a successful create and before reporting it: start
 * pumping the pipes to log_path (and copying them to the caller's stdout and
 * stderr). A failure here fails the create: the container must not find
 * its output pipe closed behind an "ok". Later failures of the pump become
 * events in <root>/<id>/events.json. */
int shim_start_logging (struct shim *s, const char *root, const char *id, const char *log_path,
                        ocirt_error_t *err);

/* Shim side, after shim_report(ok): reap until `init` exits, record its
 * exit status under <root>/<id>, drain the logs, and exit. `monitor_fd` (or
 * -1) is /dev/container_monitor opened for events: they are appended to
 * <root>/<id>/events.json, and a hard-limit kill is recorded in the state.
 * Never returns. */
__attribute__ ((noreturn)) void shim_serve (struct shim *s, pid_t init, int monitor_fd);

/* Lets go of the code and read-only data the process has faulted in, so
 * that only the pages it goes on to run are resident again (the shim's
 * memory is mostly code). */
void shim_shed_code (void);

/* The lean shim. The shim is a fork of ocirt that ran the whole create, so
 * the libc and ocirt pages that create touched stay resident for the
 * container's life (about 2 MiB; unmapping them did not help, they fault
 * back). So once the init exists, the shim re-executes ocirt's own
 * protected image (/proc/self/exe, see cloned_binary.h) as
 * `ocirt SHIM_LEAN_ARG ...`: the same pid (still the init's parent and a
 * child subreaper, as that setting survives exec), the fds it owns passed
 * by number, and only the pages the log loop touches resident.
 *
 * shim_exec_lean: shim side, after a successful launch and before
 * anything is reported. Returns only on failure (-1, *err set). */
#define SHIM_LEAN_ARG "--ocirt-lean-shim"
int shim_exec_lean (struct shim *s, const char *root, const char *id, const char *log_path, pid_t init,
                    int monitor_fd, ocirt_error_t *err);

/* Lean shim side: take back what shim_exec_lean passed (argv as it built
 * it) into *s, *init and *monitor_fd, and the root, id and log path. The
 * caller then starts logging and reports (see container.c). Returns -1 on
 * an argv it did not build. */
struct shim_lean_args
{
  const char *root, *id, *log_path;
  pid_t init;
  int monitor_fd;
};
int shim_lean_parse (int argc, char **argv, struct shim *s, struct shim_lean_args *a);

#endif
