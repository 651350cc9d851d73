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

/* Resolve args[0] against PATH from the process env (or the default PATH).
 * Errors: `exec: "x": executable file not found in $PATH`,
 *         `exec "/bin/x": no such file or directory` / `permission denied`. */
int process_find_executable (const struct oci_process *p, char **path, ocirt_error_t *err);

/* A NULL-terminated copy of process.env with HOME added when missing. */
char **process_build_env (const struct oci_process *p, ocirt_error_t *err);

int process_set_hostname (const struct oci_config *cfg, ocirt_error_t *err);
int process_apply_sysctl (const struct oci_linux *lx, ocirt_error_t *err);
/* Through proc_fd, the host /proc taken before the clone. */
int process_set_oom_score_adj (const struct oci_process *p, int proc_fd, ocirt_error_t *err);

/* setgroups, setresgid, setresuid, umask. */
int process_set_user (const struct oci_user *u, ocirt_error_t *err);

/* chdir(process.cwd), resolved in the new root. */
int process_enter_cwd (const struct oci_process *p, ocirt_error_t *err);

/* Mark every fd >= 3 + preserve_fds close-on-exec, so no host fd (state dir,
 * /proc, sync socket) survives into the container (CVE-2024-21626 class). */
int process_close_leaked_fds (int preserve_fds, ocirt_error_t *err);

#endif
