/* process.c - see process.h. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "procfs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_lookup (const struct oci_process *p, const char *name)
{
  size_t n = strlen (name);
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp (p->env[i], name, n) == 0 && p->env[i][n] == '=')
      return p->env[i] + n + 1;
  return NULL;
}

/* Go's exec.LookPath test, which runc 1.1 uses: a file, not a directory,
 * with some execute bit. Whether *this* user may run it is asked after
 * (eaccess), so that its error is runc's too. */
static int
is_executable_file (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -1;
  if (S_ISDIR (st.st_mode) || (st.st_mode & 0111) == 0)
    {
      errno = EACCES;
      return -1;
    }
  return 0;
}

/* args[0] through PATH, as Go's LookPath: an empty entry means ".", and a
 * match in a relative entry is refused (Go's ErrDot, runc's error), since
 * which file it is depends on the working directory. */
static int
search_path (const struct oci_process *p, const char *name, char **path, ocirt_error_t *err)
{
  const char *search = env_lookup (p, "PATH");
  cleanup_free char *copy = strdup (search ? search : DEFAULT_PATH);
  char *rest = copy;
  if (copy == NULL)
    return make_error (err, ENOMEM, "exec: \"%s\"", name);
  for (char *dir = strsep (&rest, ":"); dir; dir = strsep (&rest, ":"))
    {
      cleanup_free char *candidate = NULL;
      if (asprintf (&candidate, "%s/%s", *dir ? dir : ".", name) < 0)
        return make_error (err, ENOMEM, "exec: \"%s\"", name);
      if (is_executable_file (candidate) < 0)
        continue;
      if (candidate[0] != '/')
        return make_error (err, 0, "exec: \"%s\": cannot run executable found relative to current directory",
                           name);
      *path = steal_pointer (&candidate);
      return 0;
    }
  /* runc's wording, which podman turns into exit code 127. */
  return make_error (err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

int
process_find_executable (const struct oci_process *p, char **path, ocirt_error_t *err)
{
  const char *name = p->args[0];
  cleanup_free char *found = NULL;
  struct stat st;

  if (strchr (name, '/') == NULL)
    {
      if (search_path (p, name, &found, err) < 0)
        return -1;
    }
  else if (stat (name, &st) < 0)
    return make_error (err, errno, "exec: \"%s\": stat %s", name, name);
  else if (is_executable_file (name) < 0)
    return make_error (err, errno, "exec: \"%s\"", name);
  else if ((found = strdup (name)) == NULL)
    return make_error (err, ENOMEM, "exec: \"%s\"", name);
  /* Whether this user may execute it (runc's eaccess check): the caller
   * has switched to the process user already, and an error here still
   * reaches `create`, where after `start` only the container's stderr
   * would see it. */
  if (faccessat (AT_FDCWD, found, X_OK, AT_EACCESS) < 0)
    return make_error (err, errno, "exec %s", found);
  *path = steal_pointer (&found);
  return 0;
}

/* HOME from the container's /etc/passwd for the process uid, else "/". */
static char *
home_for_uid (uint32_t uid)
{
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  char line[1024];
  while (f && fgets (line, sizeof line, f))
    {
      char *fields[7] = { 0 };
      char *s = line;
      int n = 0;
      for (; n < 7 && s; n++)
        fields[n] = strsep (&s, ":");
      if (n == 7 && fields[2] && (uint32_t) strtoul (fields[2], NULL, 10) == uid && fields[5])
        return strdup (fields[5]);
    }
  return strdup ("/");
}

char **
process_build_env (const struct oci_process *p, ocirt_error_t *err)
{
  bool has_home = env_lookup (p, "HOME") != NULL;
  char **env = calloc (p->n_env + 2, sizeof *env);
  if (env == NULL)
    {
      make_error (err, errno, "build environment");
      return NULL;
    }
  size_t n = 0;
  for (size_t i = 0; i < p->n_env; i++)
    env[n++] = p->env[i];
  if (!has_home)
    {
      cleanup_free char *home = home_for_uid (p->user.uid);
      if (home == NULL || asprintf (&env[n++], "HOME=%s", home) < 0)
        {
          free (env);
          make_error (err, ENOMEM, "build environment");
          return NULL;
        }
    }
  return env;
}

int
process_set_hostname (const struct oci_config *cfg, ocirt_error_t *err)
{
  if (cfg->hostname && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return make_error (err, errno, "set hostname \"%s\"", cfg->hostname);
  if (cfg->domainname && setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
    return make_error (err, errno, "set domainname \"%s\"", cfg->domainname);
  return 0;
}

int
process_apply_sysctl (const struct oci_linux *lx, ocirt_error_t *err)
{
  if (lx == NULL || lx->n_sysctl == 0)
    return 0;
  /* The container's /proc was mounted by the config, which may have put a
   * bind or a tmpfs over it or under /proc/sys: every write is checked to
   * land on procfs (CVE-2025-52881). */
  cleanup_close int proc = procfs_open ("/proc", err);
  if (proc < 0)
    return wrap_error (err, "linux.sysctl");
  for (size_t i = 0; i < lx->n_sysctl; i++)
    {
      cleanup_free char *path = NULL;
      if (asprintf (&path, "/proc/sys/%s", lx->sysctl[i].key) < 0)
        return make_error (err, errno, "sysctl");
      /* "net.ipv4.ip_forward" names /proc/sys/net/ipv4/ip_forward. */
      for (char *c = path + strlen ("/proc/sys/"); *c; c++)
        if (*c == '.')
          *c = '/';
      if (procfs_write_file (proc, path + strlen ("/proc/"), lx->sysctl[i].value,
                             strlen (lx->sysctl[i].value), path, err) < 0)
        return wrap_error (err, "linux.sysctl[\"%s\"]", lx->sysctl[i].key);
    }
  return 0;
}

int
process_set_oom_score_adj (const struct oci_process *p, int proc_fd, ocirt_error_t *err)
{
  char buf[16];
  if (p == NULL || !p->has_oom_score_adj)
    return 0;
  int len = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
  if (procfs_write_file (proc_fd, "self/oom_score_adj", buf, (size_t) len, "/proc/self/oom_score_adj", err) < 0)
    {
      if ((*err)->errno_value == EACCES && p->oom_score_adj < 0)
        return wrap_error (err, "process.oomScoreAdj: a negative value needs CAP_SYS_RESOURCE");
      return wrap_error (err, "process.oomScoreAdj");
    }
  return 0;
}

int
process_set_user (const struct oci_user *u, ocirt_error_t *err)
{
  /* The config's gids are gid_t already; the parser caps their number at
   * NGROUPS_MAX, and they are passed as they are, never copied. */
  _Static_assert (sizeof (gid_t) == sizeof u->additional_gids[0], "gid_t is 32 bits");
  const gid_t *gids = (const gid_t *) u->additional_gids;
  /* setgroups is refused in a user namespace whose setgroups file says
   * "deny"; without additional gids that is harmless, so only then is an
   * EPERM tolerated. */
  if (setgroups (u->n_additional_gids, gids) < 0 && !(errno == EPERM && u->n_additional_gids == 0))
    return make_error (err, errno, "setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return make_error (err, errno, "setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return make_error (err, errno, "setuid %u", u->uid);
  if (u->has_umask)
    umask ((mode_t) u->umask);
  return 0;
}

int
process_enter_cwd (const struct oci_process *p, bool *retry, ocirt_error_t *err)
{
  char where[PATH_MAX];
  if (chdir (p->cwd) < 0)
    {
      /* As runc: a cwd root may not enter (a volume chowned to the user on
       * a root_squash mount) gets a second try as the process user. */
      if (retry && (errno == EACCES || errno == EPERM))
        {
          *retry = true;
          return 0;
        }
      return make_error (err, errno, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
    }
  if (retry)
    *retry = false;
  /* A cwd reached through an fd that points outside the container (a
   * /proc/self/fd/N magic link) is "unreachable" from its root: refuse it
   * rather than start the process outside (the CVE-2024-21626 class). */
  if (getcwd (where, sizeof where) == NULL || where[0] != '/')
    return make_error (err, errno ? errno : EPERM,
                       "cwd (\"%s\") set in config.json is outside the container's root", p->cwd);
  return 0;
}

int
process_close_leaked_fds (int preserve_fds, ocirt_error_t *err)
{
  unsigned int first = 3 + (unsigned int) preserve_fds;
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return make_error (err, errno, "close_range");
  return 0;
}
