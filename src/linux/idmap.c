/* idmap.c - see idmap.h. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "procfs.h"

/* One of the two maps: what differs between uid_map and gid_map. */
struct idmap_kind
{
  const char *field;            /* linux.uidMappings */
  const char *proc_file;        /* uid_map */
  const char *helper;           /* newuidmap */
  const char *subid_file;       /* /etc/subuid */
  unsigned own_id;              /* the caller's euid or egid */
};

static struct idmap_kind
kind_uid (void)
{
  return (struct idmap_kind) { "linux.uidMappings", "uid_map", "newuidmap", IDMAP_SUBUID_FILE,
                               (unsigned) geteuid () };
}

static struct idmap_kind
kind_gid (void)
{
  return (struct idmap_kind) { "linux.gidMappings", "gid_map", "newgidmap", IDMAP_SUBGID_FILE,
                               (unsigned) getegid () };
}

bool
idmap_unprivileged (void)
{
  return geteuid () != 0;
}

/* Our own /proc/self/uid_map into buf (NUL-terminated); false if unreadable. */
static bool
read_own_uid_map (char *buf, size_t size)
{
  int fd = open ("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, size - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return true;
}

bool
idmap_in_user_namespace (void)
{
  char buf[128];
  unsigned long inside, outside, count;
  if (!read_own_uid_map (buf, sizeof buf))
    return false;
  return !(sscanf (buf, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 && outside == 0
           && count == 4294967295UL);
}

bool
idmap_map_outside (const char *map, unsigned id, unsigned *outside)
{
  for (const char *line = map; line && *line;)
    {
      unsigned long in, out, count;
      if (sscanf (line, "%lu %lu %lu", &in, &out, &count) == 3 && id >= in && id - in < count)
        {
          *outside = (unsigned) (out + (id - in));
          return true;
        }
      line = strchr (line, '\n');
      if (line)
        line++;
    }
  return false;
}

unsigned
idmap_outer_euid (void)
{
  char buf[4096];
  unsigned euid = (unsigned) geteuid (), outside;
  if (!read_own_uid_map (buf, sizeof buf))
    return euid;
  return idmap_map_outside (buf, euid, &outside) ? outside : euid;
}

/* The one map the kernel lets an unprivileged process write itself: its
 * own id, once (user_namespaces(7), "Defining user and group ID mappings"). */
static bool
is_own_id_only (const struct idmap_kind *k, const struct oci_id_mapping *m, size_t n)
{
  return n == 1 && m[0].host_id == k->own_id && m[0].size == 1;
}

bool
idmap_subids_allow (const char *subids, const char *name, uid_t uid, unsigned host, unsigned size)
{
  char uid_text[16];
  snprintf (uid_text, sizeof uid_text, "%u", (unsigned) uid);
  for (const char *line = subids; line && *line;)
    {
      const char *end = strchrnul (line, '\n');
      char owner[256];
      unsigned long long start, count;
      int used = 0;
      /* "owner:start:count", owner being a name or a numeric uid. */
      if (end - line < (long) sizeof owner + 64
          && sscanf (line, "%255[^:\n]:%llu:%llu%n", owner, &start, &count, &used) == 3
          && line + used == end
          && ((name && strcmp (owner, name) == 0) || strcmp (owner, uid_text) == 0)
          && host >= start && (unsigned long long) host + size <= start + count)
        return true;
      line = *end ? end + 1 : end;
    }
  return false;
}

/* An executable `name` in $PATH, as execvp will look for it. */
static bool
in_path (const char *name)
{
  const char *path = getenv ("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  for (const char *p = path;;)
    {
      const char *end = strchrnul (p, ':');
      char buf[4096];
      if (end > p && snprintf (buf, sizeof buf, "%.*s/%s", (int) (end - p), p, name) < (int) sizeof buf
          && access (buf, X_OK) == 0)
        return true;
      if (*end == '\0')
        return false;
      p = end + 1;
    }
}

static int
check_kind (const struct idmap_kind *k, const struct oci_id_mapping *m, size_t n, ocirt_error_t *err)
{
  if (n == 0 || is_own_id_only (k, m, n))
    return 0;
  cleanup_free char *subids = NULL;
  size_t len = 0;
  int fd = open (k->subid_file, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      int r = read_fd_all (fd, 4096, 1 << 20, &subids, &len);
      close (fd);
      if (r < 0)
        return make_error (err, errno, "%s: read \"%s\"", k->field, k->subid_file);
    }
  struct passwd *pw = getpwuid (geteuid ());
  for (size_t i = 0; i < n; i++)
    {
      if (m[i].size == 1 && m[i].host_id == k->own_id)
        continue;
      if (idmap_subids_allow (subids, pw ? pw->pw_name : NULL, geteuid (), m[i].host_id, m[i].size))
        continue;
      char ids[48];
      if (m[i].size == 1)
        snprintf (ids, sizeof ids, "host id %u is", m[i].host_id);
      else
        snprintf (ids, sizeof ids, "host ids %u-%llu are", m[i].host_id,
                  (unsigned long long) m[i].host_id + m[i].size - 1);
      return make_error (err, EPERM,
                         "%s[%zu]: %s not yours to map: \"%s\" does not grant %s to %s (uid %u), "
                         "and without it only your own id %u can be mapped",
                         k->field, i, ids, k->subid_file, m[i].size == 1 ? "it" : "them all",
                         pw ? pw->pw_name : "?", (unsigned) geteuid (), k->own_id);
    }
  if (!in_path (k->helper))
    return make_error (err, ENOENT,
                       "%s: mapping more than your own id needs %s (package uidmap), which is not in "
                       "PATH",
                       k->field, k->helper);
  return 0;
}

int
idmap_check (const struct oci_linux *lx, ocirt_error_t *err)
{
  if (lx == NULL || !idmap_unprivileged ())
    return 0;
  struct idmap_kind u = kind_uid (), g = kind_gid ();
  if (check_kind (&u, lx->uid_mappings, lx->n_uid_mappings, err) < 0)
    return -1;
  return check_kind (&g, lx->gid_mappings, lx->n_gid_mappings, err);
}

/* "C H S\n" per mapping, the format of uid_map and gid_map. */
static char *
map_text (const struct oci_id_mapping *m, size_t n)
{
  char *buf = malloc (n * 36 + 1);
  size_t len = 0;
  if (buf == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    len += (size_t) sprintf (buf + len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  buf[len] = '\0';
  return buf;
}

static int
write_directly (const struct idmap_kind *k, pid_t pid, const struct oci_id_mapping *m, size_t n,
                int proc_fd, ocirt_error_t *err)
{
  char rel[64], shown[96];
  cleanup_free char *text = map_text (m, n);
  if (text == NULL)
    return make_error (err, ENOMEM, "%s", k->field);
  snprintf (rel, sizeof rel, "%d/%s", (int) pid, k->proc_file);
  snprintf (shown, sizeof shown, "/proc/%s", rel);
  /* The kernel accepts a map only in a single write. */
  if (procfs_write_file (proc_fd, rel, text, strlen (text), shown, err) < 0)
    return wrap_error (err, "%s", k->field);
  return 0;
}

/* Without CAP_SETGID in the parent namespace, gid_map may be written only
 * after setgroups is denied: otherwise the container could drop a group
 * that denies it access (user_namespaces(7), CVE-2014-8989). */
static int
deny_setgroups (pid_t pid, int proc_fd, ocirt_error_t *err)
{
  char rel[64], shown[96];
  snprintf (rel, sizeof rel, "%d/setgroups", (int) pid);
  snprintf (shown, sizeof shown, "/proc/%s", rel);
  if (procfs_write_file (proc_fd, rel, "deny", 4, shown, err) < 0)
    return wrap_error (err, "linux.gidMappings");
  return 0;
}

/* newuidmap PID C H S [C H S]...; its complaint, if any, becomes the error. */
static int
run_helper (const struct idmap_kind *k, pid_t pid, const struct oci_id_mapping *m, size_t n,
            ocirt_error_t *err)
{
  cleanup_free char **argv = calloc (3 * n + 3, sizeof *argv);
  cleanup_free char *numbers = malloc ((3 * n + 1) * 12);
  int out[2];
  if (argv == NULL || numbers == NULL)
    return make_error (err, ENOMEM, "%s", k->field);
  char *p = numbers;
  size_t a = 0;
  argv[a++] = (char *) k->helper;
  argv[a++] = p;
  p += sprintf (p, "%d", (int) pid) + 1;
  for (size_t i = 0; i < n; i++)
    {
      const unsigned v[3] = { m[i].container_id, m[i].host_id, m[i].size };
      for (int j = 0; j < 3; j++)
        {
          argv[a++] = p;
          p += sprintf (p, "%u", v[j]) + 1;
        }
    }
  if (pipe2 (out, O_CLOEXEC) < 0)
    return make_error (err, errno, "%s: pipe", k->helper);
  pid_t child = fork ();
  if (child < 0)
    {
      close (out[0]);
      close (out[1]);
      return make_error (err, errno, "%s: fork", k->helper);
    }
  if (child == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (dup2 (out[1], STDOUT_FILENO) < 0 || dup2 (out[1], STDERR_FILENO) < 0)
        _exit (127);
      execvp (k->helper, argv);
      dprintf (STDERR_FILENO, "exec %s: %s", k->helper, strerror (errno));
      _exit (127);
    }
  close (out[1]);
  char said[512];
  size_t len = 0;
  ssize_t r;
  while ((r = read (out[0], said + len, sizeof said - 1 - len)) > 0 || (r < 0 && errno == EINTR))
    if (r > 0 && (len += (size_t) r) == sizeof said - 1)
      break;
  close (out[0]);
  said[len] = '\0';
  while (len && (said[len - 1] == '\n' || said[len - 1] == ' '))
    said[--len] = '\0';
  int status;
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return make_error (err, errno, "%s: wait", k->helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return make_error (err, EPERM, "%s: %s %d failed: %s", k->field, k->helper, (int) pid,
                     len ? said : "no reason given");
}

static int
write_kind (const struct idmap_kind *k, pid_t pid, const struct oci_id_mapping *m, size_t n,
            int proc_fd, ocirt_error_t *err)
{
  if (n == 0)
    return 0;
  if (!idmap_unprivileged ())
    return write_directly (k, pid, m, n, proc_fd, err);
  if (!is_own_id_only (k, m, n))
    return run_helper (k, pid, m, n, err);
  if (strcmp (k->proc_file, "gid_map") == 0 && deny_setgroups (pid, proc_fd, err) < 0)
    return -1;
  return write_directly (k, pid, m, n, proc_fd, err);
}

int
idmap_write (pid_t pid, const struct oci_linux *lx, int proc_fd, ocirt_error_t *err)
{
  struct idmap_kind u = kind_uid (), g = kind_gid ();
  if (write_kind (&u, pid, lx->uid_mappings, lx->n_uid_mappings, proc_fd, err) < 0)
    return -1;
  return write_kind (&g, pid, lx->gid_mappings, lx->n_gid_mappings, proc_fd, err);
}

/* The throwaway process of idmap_new_userns: born in its own user
 * namespace (clone with CLONE_NEWUSER and no stack: fork's semantics), it
 * waits for the pipe to close and exits. It runs no libc code that fork's
 * handlers would have prepared. */
static pid_t
spawn_userns_holder (const int hold[2])
{
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid == 0)
    {
      char c;
      /* Its copy of the write end would keep the pipe open for ever. */
      close (hold[1]);
      while (read (hold[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  return pid;
}

int
idmap_new_userns (const char *field, const struct oci_id_mapping *uid, size_t n_uid,
                  const struct oci_id_mapping *gid, size_t n_gid, int proc_fd, ocirt_error_t *err)
{
  char uid_field[128], gid_field[128], rel[64];
  int hold[2], fd = -1, ret = 0;

  snprintf (uid_field, sizeof uid_field, "%s.uidMappings", field);
  snprintf (gid_field, sizeof gid_field, "%s.gidMappings", field);
  const struct idmap_kind ku = { uid_field, "uid_map", NULL, NULL, 0 };
  const struct idmap_kind kg = { gid_field, "gid_map", NULL, NULL, 0 };

  if (pipe2 (hold, O_CLOEXEC) < 0)
    return make_error (err, errno, "%s: idmap: pipe", field);
  pid_t pid = spawn_userns_holder (hold);
  close (hold[0]);
  if (pid < 0)
    {
      close (hold[1]);
      return make_error (err, errno, "%s: idmap: clone a user namespace", field);
    }
  if (write_directly (&ku, pid, uid, n_uid, proc_fd, err) < 0
      || write_directly (&kg, pid, gid, n_gid, proc_fd, err) < 0)
    ret = -1;
  else
    {
      snprintf (rel, sizeof rel, "%d/ns/user", (int) pid);
      fd = openat (proc_fd, rel, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        ret = make_error (err, errno, "%s: idmap: open /proc/%s", field, rel);
    }
  close (hold[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret < 0 ? -1 : fd;
}
