/* init.h - the container init: the process ocirt clones, which sets up the
 * container around itself and finally execs the user's program.
 *
 * Owns: the order of the privileged steps between clone and exec. Each step
 * lives in src/linux/; this file only sequences them and reports the first
 * failure to the parent over the sync socket. It never prints and never
 * returns.
 */
#ifndef OCIRT_INIT_H
#define OCIRT_INIT_H

#include <seccomp.h>
#include <stdbool.h>

#include "../../oci/config.h"
#include "../linux/capabilities.h"
#include "../linux/namespaces.h"
#include "../linux/rootfs.h"
#include "../util/log.h"

struct init_args
{
  const struct oci_config *cfg;
  const char *id;                 /* for the state the hooks read */
  const struct oci_process *process;  /* cfg->process, or exec's process */
  const char *rootfs;             /* absolute host path */
  const char *bundle;             /* absolute; relative mount sources resolve here */
  const struct ns_plan *ns;
  const struct rootfs_sources *sources; /* bind sources opened by the runtime, or NULL */
  int sync_fd;                    /* our end of the socketpair */
  const int *stdio;               /* fds to become 0/1/2, or NULL: inherit */
  int fifo_fd;                    /* O_PATH fd of <state>/exec.fifo, or -1 (run) */
  int proc_fd;                    /* O_PATH fd of the host /proc */
  bool no_pivot;
  bool no_new_keyring;            /* stay in the caller's session keyring */
  int preserve_fds;
  const struct caps_set *caps;    /* NULL: leave capabilities alone */
  scmp_filter_ctx seccomp;        /* NULL: no filter */
  bool dumpable_until_go;         /* an unprivileged parent writes our id
                                     maps (see ns_clone) */
  const struct log_sink *log;     /* the runtime's, for --debug lines; or NULL */
};

/* create/run: the container's init, which builds the container around
 * itself and waits on the exec fifo until `start`. */
__attribute__ ((noreturn)) void container_init (const struct init_args *a);

/* exec: join a running container (no rootfs, no exec fifo); success is the
 * sync socket closing at execve (it is O_CLOEXEC). */
__attribute__ ((noreturn)) void exec_init (const struct init_args *a);

#endif
