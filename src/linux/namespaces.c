/* namespaces.c - see namespaces.h. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "idmap.h"
#include "procfs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_flags[OCI_NS_COUNT] = {
  [OCI_NS_PID] = CLONE_NEWPID,     [OCI_NS_NETWORK] = CLONE_NEWNET,
  [OCI_NS_MOUNT] = CLONE_NEWNS,    [OCI_NS_IPC] = CLONE_NEWIPC,
  [OCI_NS_UTS] = CLONE_NEWUTS,     [OCI_NS_USER] = CLONE_NEWUSER,
  [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

int
ns_clone_flag (enum oci_namespace_type t)
{
  return ns_flags[t];
}

int
ns_plan_build (const struct oci_linux *lx, struct ns_plan *plan, ocirt_error_t *err)
{
  memset (plan, 0, sizeof *plan);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    plan->join_fd[i] = -1;
  if (lx == NULL)
    return 0;

  for (size_t i = 0; i < lx->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &lx->namespaces[i];
      if (ns->path)
        {
          int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            {
              ns_plan_close (plan);
              return make_error (err, errno, "open %s namespace \"%s\"",
                                 oci_namespace_name (ns->type), ns->path);
            }
          plan->join_fd[ns->type] = fd;
          continue;
        }
      if (ns->type == OCI_NS_CGROUP || ns->type == OCI_NS_TIME)
        plan->unshare_flags |= ns_flags[ns->type];
      else
        plan->clone_flags |= ns_flags[ns->type];
    }
  /* See namespaces.h: owned by the joined user namespace, not the host's. */
  if (plan->join_fd[OCI_NS_USER] >= 0)
    {
      plan->unshare_flags |= plan->clone_flags;
      plan->clone_flags = 0;
    }
  return 0;
}

bool
ns_unshared_pid (const struct ns_plan *plan)
{
  return (plan->unshare_flags & CLONE_NEWPID) != 0;
}

void
ns_plan_close (struct ns_plan *plan)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    if (plan->join_fd[i] >= 0)
      {
        close (plan->join_fd[i]);
        plan->join_fd[i] = -1;
      }
}

int
ns_join_pid_for_children (const struct ns_plan *plan, ocirt_error_t *err)
{
  if (plan->join_fd[OCI_NS_PID] >= 0 && setns (plan->join_fd[OCI_NS_PID], CLONE_NEWPID) < 0)
    return make_error (err, errno, "join pid namespace");
  return 0;
}

int
ns_join_user_for_children (struct ns_plan *plan, ocirt_error_t *err)
{
  if (plan->join_fd[OCI_NS_USER] < 0)
    return 0;
  if (setns (plan->join_fd[OCI_NS_USER], CLONE_NEWUSER) < 0)
    return make_error (err, errno, "join user namespace");
  plan->parent_joined |= CLONE_NEWUSER;
  return 0;
}

/* The namespaces joined by path that the parent enters for the clone when
 * the init gets a new user namespace (see ns_clone_init). */
static const struct
{
  enum oci_namespace_type type;
  const char *proc_name;        /* in /proc/self/ns */
} joined_before_userns[] = {
  { OCI_NS_NETWORK, "net" }, { OCI_NS_IPC, "ipc" }, { OCI_NS_UTS, "uts" }, { OCI_NS_CGROUP, "cgroup" },
};
#define N_JOINED_BEFORE_USERNS (sizeof joined_before_userns / sizeof joined_before_userns[0])

/* Back to our own namespaces after the clone: whatever runs next in the
 * parent (prestart and createRuntime hooks, the shim) belongs there. */
static int
leave_joined (int saved[OCI_NS_COUNT], ocirt_error_t *err)
{
  int ret = 0;
  for (size_t i = 0; i < N_JOINED_BEFORE_USERNS; i++)
    {
      enum oci_namespace_type t = joined_before_userns[i].type;
      if (saved[t] < 0)
        continue;
      if (ret == 0 && setns (saved[t], ns_flags[t]) < 0)
        ret = make_error (err, errno, "return to the runtime's %s namespace", oci_namespace_name (t));
      close (saved[t]);
      saved[t] = -1;
    }
  return ret;
}

static int
enter_joined (struct ns_plan *plan, int saved[OCI_NS_COUNT], ocirt_error_t *err)
{
  char path[32];

  for (size_t i = 0; i < N_JOINED_BEFORE_USERNS; i++)
    {
      enum oci_namespace_type t = joined_before_userns[i].type;
      if (plan->join_fd[t] < 0)
        continue;
      snprintf (path, sizeof path, "/proc/self/ns/%s", joined_before_userns[i].proc_name);
      saved[t] = open (path, O_RDONLY | O_CLOEXEC);
      if (saved[t] < 0)
        return make_error (err, errno, "open \"%s\"", path);
      if (setns (plan->join_fd[t], ns_flags[t]) < 0)
        return make_error (err, errno, "join %s namespace", oci_namespace_name (t));
      plan->parent_joined |= ns_flags[t];
    }
  return 0;
}

pid_t
ns_clone_init (struct ns_plan *plan, int *pidfd, int cgroup_fd, bool *in_cgroup, ocirt_error_t *err)
{
  int saved[OCI_NS_COUNT];
  pid_t pid = -1;

  for (int i = 0; i < OCI_NS_COUNT; i++)
    saved[i] = -1;
  if (ns_join_pid_for_children (plan, err) < 0)
    return -1;
  /* A process in the new user namespace has no capability over the host's
   * namespaces, so it cannot setns() into a network namespace given by
   * path (/run/netns/x, /proc/1/ns/net). runc's nsexec joins those first
   * and unshares the user namespace after; here the clone inherits them
   * from us. */
  if ((plan->clone_flags & CLONE_NEWUSER) && enter_joined (plan, saved, err) < 0)
    {
      ocirt_error_t ignored = NULL;
      if (leave_joined (saved, &ignored) < 0)
        error_release (&ignored);
      return -1;
    }
  pid = ns_clone ((unsigned long) plan->clone_flags, pidfd, cgroup_fd, in_cgroup);
  if (pid == 0)
    {
      for (int i = 0; i < OCI_NS_COUNT; i++)
        if (saved[i] >= 0)
          close (saved[i]);
      return 0;
    }
  int saved_errno = errno;
  if (leave_joined (saved, err) < 0)
    return -1;
  if (pid < 0)
    return make_error (err, saved_errno, "clone the container init");
  return pid;
}

static int
write_time_offsets (const struct oci_linux *lx, int proc_fd, ocirt_error_t *err)
{
  char buf[128];
  int len = 0;
  if (lx->time_monotonic.set)
    len += snprintf (buf + len, sizeof buf - (size_t) len, "monotonic %lld %u\n",
                     (long long) lx->time_monotonic.secs, lx->time_monotonic.nanosecs);
  if (lx->time_boottime.set)
    len += snprintf (buf + len, sizeof buf - (size_t) len, "boottime %lld %u\n",
                     (long long) lx->time_boottime.secs, lx->time_boottime.nanosecs);
  if (len == 0)
    return 0;
  /* One write per clock: the kernel accepts several lines, but an error then
   * cannot say which clock was refused. */
  char *line = buf;
  while (*line)
    {
      char *nl = strchr (line, '\n');
      if (procfs_write_file (proc_fd, "self/timens_offsets", line, (size_t) (nl - line + 1),
                             "/proc/self/timens_offsets", err) < 0)
        return wrap_error (err, "linux.timeOffsets");
      line = nl + 1;
    }
  return 0;
}

int
ns_join_and_unshare (const struct ns_plan *plan, const struct oci_linux *lx, int proc_fd,
                     ocirt_error_t *err)
{
  /* user first: joining it grants the capabilities the other setns() calls
   * are checked against. pid was joined by the parent, and time is joined
   * last because it only takes effect for the exec'd program. */
  static const enum oci_namespace_type order[] = {
    OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP,
    OCI_NS_MOUNT, OCI_NS_TIME,
  };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      enum oci_namespace_type t = order[i];
      if (plan->parent_joined & ns_flags[t])
        continue;
      if (plan->join_fd[t] >= 0 && setns (plan->join_fd[t], ns_flags[t]) < 0)
        return make_error (err, errno, "join %s namespace", oci_namespace_name (t));
    }
  if (plan->unshare_flags && unshare (plan->unshare_flags) < 0)
    return make_error (err, errno, "unshare the new namespaces");
  if ((plan->unshare_flags & CLONE_NEWTIME) && lx)
    return write_time_offsets (lx, proc_fd, err);
  return 0;
}

static pid_t
clone_in_cgroup (unsigned long flags, int *pidfd, int cgroup_fd, bool *in_cgroup)
{
  struct clone_args args = {
    .flags = (uint64_t) flags | CLONE_PIDFD,
    .pidfd = (uint64_t) (uintptr_t) pidfd,
    .exit_signal = SIGCHLD,
  };

  *in_cgroup = false;
  if (cgroup_fd >= 0)
    {
      struct clone_args into = args;
      into.flags |= CLONE_INTO_CGROUP;
      into.cgroup = (uint64_t) cgroup_fd;
      pid_t pid = (pid_t) syscall (SYS_clone3, &into, sizeof into);
      if (pid >= 0 || (errno != EINVAL && errno != E2BIG))
        {
          *in_cgroup = pid >= 0;
          return pid;
        }
    }
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
}

pid_t
ns_clone (unsigned long flags, int *pidfd, int cgroup_fd, bool *in_cgroup)
{
  /* The child may be born in the container's pid namespace (a new one, or
   * the one exec joined) holding the host's fds and ocirt's capabilities:
   * were it dumpable for even a moment, container root could open its
   * /proc/<pid>/fd and mem. So it is born non-dumpable; the parent, which
   * no container process can see, gets its setting back. */
  int dumpable = prctl (PR_GET_DUMPABLE, 0, 0, 0, 0);
  /* An unprivileged parent writes the id maps of a new user namespace
   * (or has newuidmap write them), which needs the child's /proc files to
   * be the caller's, not root's: such a child stays dumpable until it has
   * its maps (init.c). It is the first process of a new pid namespace or
   * none, and everything it holds is the caller's anyway. */
  if ((flags & CLONE_NEWUSER) && idmap_unprivileged ())
    dumpable = 0;
  if (dumpable > 0 && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return -1;
  pid_t pid = clone_in_cgroup (flags, pidfd, cgroup_fd, in_cgroup);
  if (pid != 0 && dumpable > 0)
    {
      int saved = errno;
      prctl (PR_SET_DUMPABLE, dumpable, 0, 0, 0);
      errno = saved;
    }
  return pid;
}
