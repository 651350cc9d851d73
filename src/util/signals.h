/* signals.h - a foreground parent that stands in for its child.
 *
 * Owns: relaying every signal ocirt receives to the process it waits for
 * (run and exec in the foreground), and turning a wait status into a shell
 * exit code. The caller blocks all signals first, so none is lost between
 * clone and the wait.
 */
#ifndef OCIRT_SIGNALS_H
#define OCIRT_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

/* Forward each signal in `blocked` to pid until pid exits; return its wait
 * status. */
int wait_forwarding_signals (pid_t pid, const sigset_t *blocked);

/* Give a process about to execve a clean signal state: every disposition
 * back to the default and an empty mask. Ignored signals and the mask
 * survive execve, and a container or a hook must not inherit its caller's.
 * Uses the raw syscall, because glibc's sigaction refuses the two signals it
 * reserves for itself (32 and 33), which a caller may still have ignored. */
void signals_reset_for_exec (void);

/* The exit code a shell would report: the code, or 128+N for signal N. */
int exit_code_of (int wait_status);

#endif
