/* keyring.c - see keyring.h. */
#include "keyring.h"

#include <errno.h>
#include <stdio.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What the kernel gives a new session keyring (possessor: all; user: view,
 * read, link) plus user search, as runc sets it: a process that changes
 * its uid inside the container can still search the keyring it sits in. */
#define SESSION_KEYRING_PERM 0x3f1b0000

int
keyring_join_session (const char *id, ocirt_error_t *err)
{
  char name[128];
  snprintf (name, sizeof name, "_ses.%s", id);
  long key = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (key < 0 && errno == ENOSYS)
    return 0;
  if (key < 0)
    return make_error (err, errno, "join session keyring \"%s\"", name);
  if (syscall (SYS_keyctl, KEYCTL_SETPERM, key, SESSION_KEYRING_PERM, 0, 0) < 0)
    return make_error (err, errno, "set the permissions of session keyring \"%s\"", name);
  return 0;
}
