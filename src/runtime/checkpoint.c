/* checkpoint.c - `checkpoint`: the lifecycle around a criu dump.
 *
 * Owns: which containers may be checkpointed (running or paused), the lock
 * held while criu works, and the end of a container that was dumped
 * without --leave-running (as runc, it is destroyed: state and cgroup).
 * What criu is told is criu.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "../../oci/config.h"
#include "../util/cleanup.h"
#include "container.h"
#include "criu.h"

/* Wait (bounded) until criu's SIGKILL of the dumped tree has ended it. */
static void
wait_gone (const struct container_state *st)
{
  for (int i = 0; i < 500 && state_process_alive (st->pid, st->start_time); i++)
    usleep (10000);
}

/* Held while criu works: the lock, so that no delete or exec runs against
 * a tree that is being frozen and dumped. */
static int
dump_locked (const struct runtime_ctx *ctx, const char *id, const struct container_state *st,
             const struct criu_opts *o, ocirt_error_t *err)
{
  cleanup_close int root_fd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return make_error (err, errno, "open state root \"%s\"", ctx->root);
  cleanup_close int dir_fd = state_dir_open (root_fd, id, LOCK_EX, err);
  if (dir_fd < 0)
    return -1;
  cleanup_config struct oci_config *cfg = container_read_config (dir_fd, err);
  if (cfg == NULL)
    return -1;
  return criu_dump (o, st, cfg, err);
}

int
container_checkpoint (const struct runtime_ctx *ctx, const char *id, const struct criu_opts *o,
                      ocirt_error_t *err)
{
  struct container_state st = { 0 };
  enum container_status status;
  int ret = -1;

  if (container_load (ctx, id, &st, &status, err) < 0)
    return -1;
  if (status != STATUS_RUNNING && status != STATUS_PAUSED)
    {
      make_error (err, 0, "Container cannot be checkpointed in %s state", container_status_name (status));
      goto out;
    }
  if (dump_locked (ctx, id, &st, o, err) < 0)
    goto out;
  /* As runc: a checkpoint that did not leave the container running has
   * ended it (criu killed the tree); its cgroup and state go too. */
  if (!o->leave_running && !o->pre_dump)
    {
      wait_gone (&st);
      if (container_delete (ctx, id, true, err) < 0)
        goto out;
    }
  ret = 0;
out:
  state_clear (&st);
  if (ret < 0)
    wrap_error (err, "checkpoint container \"%s\"", id);
  return ret;
}
