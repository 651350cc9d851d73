/* seccomp.h - linux.seccomp: building, loading and handing out the filter.
 *
 * Owns: translating the OCI seccomp object into a libseccomp filter, loading
 * it into the calling process, sending a SCMP_ACT_NOTIFY listener fd to the
 * seccomp agent at listenerPath, and the seccomp lists of `ocirt features`.
 *
 * It never forks, never sets no_new_privs and never touches capabilities:
 * the container init decides when the filter goes in (see seccomp_install).
 * It never prints: warnings are handed back to the caller as strings.
 */
#ifndef OCIRT_SECCOMP_H
#define OCIRT_SECCOMP_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* Validate `s` and build its filter into *out (free it with
 * seccomp_release()). Errors name the JSON path, e.g.
 *   linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"
 *
 * Syscall names this libseccomp cannot resolve are skipped, as runc does and
 * as the spec allows; one line per skipped name is appended to *warnings (a
 * NULL-terminated malloc'd string vector that may already hold entries, and
 * that the caller frees with cleanup_strv). Pass warnings == NULL to drop
 * them.
 *
 * Needs no filesystem and no privilege, so call it before pivot_root, ideally
 * in the runtime before the container process is started, while errors can
 * still reach the user. */
int seccomp_prepare (const struct oci_seccomp *s, scmp_filter_ctx *out,
                     char ***warnings, ocirt_error_t *err);

/* True when defaultAction or any rule uses SCMP_ACT_NOTIFY, i.e. when the
 * runtime must expect a listener fd and listenerPath matters. */
bool seccomp_uses_notify (const struct oci_seccomp *s);

/* Load the filter into the calling process, behind runc's ENOSYS stub (see
 * seccomp_enosys_stub), with seccomp(2) itself: the profile's flags, and
 * SECCOMP_FILTER_FLAG_NEW_LISTENER when it uses SCMP_ACT_NOTIFY. The caller guarantees that
 * no_new_privs is already set or that CAP_SYS_ADMIN is still effective; the
 * filter does not set no_new_privs itself, so noNewPrivileges=false is
 * honoured.
 *
 * *notify_fd_out receives the listener fd (owned by the caller) when the
 * filter uses SCMP_ACT_NOTIFY, else -1. Every syscall after this one is
 * filtered: with noNewPrivileges it should be the last step before execve. */
int seccomp_install (scmp_filter_ctx ctx, const struct oci_seccomp *s,
                     int *notify_fd_out, ocirt_error_t *err);

/* Write into p (room for max instructions) the program runc puts in front
 * of the filter: on each architecture of the profile, a syscall whose number
 * is above the highest one the profile names returns ENOSYS, so that a
 * syscall newer than the profile (clone3 in an older one) makes glibc fall
 * back to the older call instead of failing with the default errno. None
 * (0 returned) for a permissive default (ALLOW, LOG, TRACE) or a profile
 * that names no syscall of its architectures. Returns the instruction
 * count; the program jumps to the instruction right after its last. */
size_t seccomp_enosys_stub (const struct oci_seccomp *s, uint32_t default_action,
                            struct sock_filter *p, size_t max);

/* The "container process state" of config-linux.md, as a malloc'd JSON
 * document:
 *   {"ociVersion", "fds":["seccompFd"], "pid", "metadata", "state":{...}}
 * `metadata` (listenerMetadata) may be NULL and is then omitted;
 * `state_json` is the container's state document (runtime.md#state) and is
 * re-serialised, so it must be a valid JSON object. Returns NULL with errno
 * set (EINVAL for a bad state_json). */
char *seccomp_listener_payload (const char *metadata, pid_t pid,
                                const char *state_json);

/* Connect to the AF_UNIX stream socket at listener_path, send `payload` (see
 * seccomp_listener_payload) with notify_fd attached as SCM_RIGHTS to the
 * first sendmsg, and close the connection. notify_fd stays owned by the
 * caller. Run it in the runtime, not in the container: listenerPath is a
 * host path. A failed connect says, as runc does, "failed to connect with
 * seccomp agent specified in the seccomp profile". */
int seccomp_send_notify_fd (const char *listener_path, int notify_fd,
                            const char *payload, ocirt_error_t *err);

/* The runtime's half of the hand-off (runc's): take fd `remote_fd` of the
 * process behind `pidfd` (pidfd_getfd), and send it to the agent at
 * s->listener_path with the container process state for `pid`. */
int seccomp_forward_listener (int pidfd, int remote_fd, const struct oci_seccomp *s, pid_t pid,
                              const char *state_json, ocirt_error_t *err);

/* For `ocirt features` (features-linux.md). All lists are NULL-terminated
 * and static. Actions, operators and architectures are what this build of
 * ocirt + libseccomp recognises; known flags are every flag name ocirt
 * accepts, supported flags the subset that this libseccomp and the running
 * kernel can honour. */
const char *const *seccomp_known_actions (void);
const char *const *seccomp_known_operators (void);
const char *const *seccomp_known_archs (void);
const char *const *seccomp_known_flags (void);
const char *const *seccomp_supported_flags (void);

/* "2.5.4": the libseccomp linked in, from seccomp_version(). */
const char *seccomp_version_string (void);

#endif
