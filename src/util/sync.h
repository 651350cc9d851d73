/* sync.h - typed messages between ocirt and the container init it clones.
 *
 * Owns: the wire format on the socketpair that links the two processes
 * before exec. Each message is a fixed header plus an optional payload
 * (an error text). The child never prints: every failure before exec travels
 * back here, so the caller reports it with context and cleans up.
 */
#ifndef OCIRT_SYNC_H
#define OCIRT_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum sync_type
{
  SYNC_GO = 1,       /* parent -> child: cgroup joined, id maps written */
  SYNC_READY,        /* child -> parent: set up, about to wait for start */
  SYNC_ERROR,        /* child -> parent: errno + message, then exit */
  SYNC_PID,          /* child -> parent: the pid of the init it forked, then
                        exit (a pid namespace made after joining a user
                        namespace by path; namespaces.h) */
  SYNC_HOOKS,        /* child -> parent: namespaces exist, run createRuntime */
  SYNC_HOOKS_DONE,   /* parent -> child: they succeeded, go on */
  SYNC_TERMINAL,     /* child -> parent: the pty master follows (SCM_RIGHTS) */
  SYNC_TERMINAL_DONE, /* parent -> child: the master is placed and sized */
  SYNC_SECCOMP,      /* child -> parent: the filter is in; value is the fd
                        number of its SCMP_ACT_NOTIFY listener, which the
                        parent takes with pidfd_getfd for the agent */
  SYNC_SECCOMP_DONE, /* parent -> child: the agent has it */
};

struct sync_msg
{
  uint32_t type;
  int32_t value;     /* errno for SYNC_ERROR, pid for SYNC_PID */
  uint32_t len;      /* payload bytes that follow */
};

int sync_send (int fd, enum sync_type type, int32_t value, const char *payload,
               ocirt_error_t *err);

/* sync_send for a child under its seccomp filter: a header without payload,
 * in one write(2), the call every profile allows (runc's init syncs with
 * write too, which is why SCMP_ACT_NOTIFY may not name it). */
int sync_send_filtered (int fd, enum sync_type type, int32_t value, ocirt_error_t *err);

/* Receive one message. The payload (if any) is returned NUL-terminated in
 * *payload (malloc'd). EOF is reported as an error "peer exited". */
int sync_recv (int fd, struct sync_msg *msg, char **payload, ocirt_error_t *err);

/* Child side: ship *err to the parent as SYNC_ERROR. */
void sync_send_error (int fd, ocirt_error_t err);

/* Parent side: wait for `want`; a SYNC_ERROR becomes *err with the child's
 * message and errno. */
int sync_expect (int fd, enum sync_type want, int32_t *value, ocirt_error_t *err);

#endif
