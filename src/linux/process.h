/* process.h - the identity and program of the container process.
 *
 * Owns: finding the executable inside the container (with runc's wording for
 * the errors podman maps to 126/127), the environment (HOME filled in like
 * runc), the uid/gid/supplementary groups/umask switch, the working
 * directory, oom_score_adj, hostname, sysctl, and closing leaked fds. It runs
 * in the container init after pivot_root; it never mounts.
 */
#ifndef OCIRT_PROCESS_H
#define OCIRT_PROCESS_H

#include <stdbool.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* Resolve args[0] as runc 1.1 does (Go's exec.LookPath, then eaccess), so
 * call it in process.cwd and as the process user: a relative path is taken
 * from the working directory, PATH comes from the process env (or the
 * default PATH). runc's errors, which podman maps to exit codes 127/126:
 *   exec: "x": executable file not found in $PATH
 *   exec: "x": cannot run executable found relative to current directory
 *   exec: "./x": stat ./x: no such file or directory
 *   exec: "/bin": permission denied            (a directory, no x bit)
 *   exec /bin/x: permission denied             (not executable by the user) */
int process_find_executable (const struct oci_process *p, char **path, ocirt_error_t *err);

/* A NULL-terminated copy of process.env with HOME added when missing. */
char **process_build_env (const struct oci_process *p, ocirt_error_t *err);

int process_set_hostname (const struct oci_config *cfg, ocirt_error_t *err);
int process_apply_sysctl (const struct oci_linux *lx, ocirt_error_t *err);
/* Through proc_fd, the host /proc taken before the clone. */
int process_set_oom_score_adj (const struct oci_process *p, int proc_fd, ocirt_error_t *err);

/* setgroups, setresgid, setresuid, umask. */
int process_set_user (const struct oci_user *u, ocirt_error_t *err);

/* chdir(process.cwd), resolved in the new root, then check that it is
 * inside it. With `retry`, a permission error is not one yet: *retry is set
 * and the caller tries again (retry NULL) once it is the process user. */
int process_enter_cwd (const struct oci_process *p, bool *retry, ocirt_error_t *err);

/* Mark every fd >= 3 + preserve_fds close-on-exec, so no host fd (state dir,
 * /proc, sync socket) survives into the container (CVE-2024-21626 class). */
int process_close_leaked_fds (int preserve_fds, ocirt_error_t *err);

#endif
