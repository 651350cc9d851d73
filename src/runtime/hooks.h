/* hooks.h - running the OCI lifecycle hooks of config.json.
 *
 * Owns: starting one hook process per entry (fork + execve of path, args,
 * env exactly as configured), feeding it the state JSON on stdin, bounding
 * it by its timeout, and turning its end into an error value that names the
 * hook and carries the tail of its output.
 *
 * Never: decides when a hook kind runs, or in which namespace (the caller
 * does, see the lifecycle in container.c/init.c), changes the caller's
 * signal mask or dispositions beyond the call, uses SIGALRM or global state,
 * or lets a runtime fd leak into a hook.
 *
 * Safe to call from the single-threaded container init (after fork, before
 * execve of the user process): it needs fork, pipes, close_range (Linux
 * >= 5.9, as the rest of ocirt) and, where a seccomp filter allows it, a
 * pidfd (without one it polls waitid() every 10 ms).
 */
#ifndef OCIRT_HOOKS_H
#define OCIRT_HOOKS_H

#include <stddef.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* The most of a hook's output kept for its error message: the last bytes,
 * since the reason for a failure is usually printed last. */
#define HOOKS_OUTPUT_TAIL 4096

/* Run the hook at position `index` (0-based, as in config.json and runc's
 * "hook #0") of the `kind` list ("prestart", "createRuntime",
 * "createContainer", "startContainer", "poststart", "poststop").
 *
 * The hook's stdin is a pipe carrying `state_json` and then EOF (a hook
 * that exits or closes stdin without reading it is fine). Its stdout and
 * stderr share one pipe read by the caller: the output is discarded on
 * success and its last HOOKS_OUTPUT_TAIL bytes, trimmed, end the message on
 * failure. The hook starts with an empty signal mask, default signal
 * dispositions, and only fds 0-2 open; its cwd is the caller's.
 *
 * With a timeout, the hook is killed with SIGKILL when it expires (its own
 * children are not: they are the hook's business). The call returns when
 * the hook has exited, without waiting for children that keep its output
 * pipe open.
 *
 * Returns 0, or -1 with *err set to one of
 *   <kind> hook #<index> "<path>": exit status 3: <output>
 *   <kind> hook #<index> "<path>": killed by signal 9
 *   <kind> hook #<index> "<path>": timed out after 2s
 *   <kind> hook #<index> "<path>": exec: no such file or directory
 * or a system error (pipe, fork, poll) with the same prefix. */
int hooks_run_one (const struct oci_hook *hook, const char *kind, size_t index,
                   const char *state_json, ocirt_error_t *err);

/* Run every hook of `list` in order with hooks_run_one(), stopping at the
 * first failure. That is the rule for prestart, createRuntime,
 * createContainer and startContainer; poststop (and, per runtime.md, no
 * other kind) must instead go on after a failure: loop over hooks_run_one()
 * and warn for each. An empty or NULL list succeeds. */
int hooks_run (const struct oci_hook_list *list, const char *kind,
               const char *state_json, ocirt_error_t *err);

#endif
