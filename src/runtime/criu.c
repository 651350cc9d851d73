/* criu.c - see criu.h.
 *
 * criu is driven through its command line with the options runc sends over
 * the swrk RPC (runc's libcontainer/container_linux.go, Checkpoint and
 * Restore): one fork and exec per operation, its log in the work dir, and
 * no protobuf in ocirt. The few things only the runtime knows are passed
 * as criu's "external" resources:
 *   - bind mounts: mountpoint <dest> dumped under the key <dest>, restored
 *     from the config's source (--ext-mount-map);
 *   - masked files (/dev/null bound over them): key /dev/null;
 *   - a network namespace joined by path: the key extRootNetNS, restored by
 *     inheriting an fd of that namespace;
 *   - the init's stdio pipes, whose other ends are the shim's: their names
 *     at dump time are kept in descriptors.json (as runc does) and restore
 *     inherits the new shim's pipes in their place.
 */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../oci/config.h"
#include "../linux/cgroup.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/strv.h"
#include "state.h"

/* The key criu gives the container's network namespace when it is not the
 * container's own (runc's criuNsToKey). */
#define CRIU_NETNS_KEY "extRootNetNS"
/* Where the rootfs is bound for criu restore --root (in the state dir). */
#define CRIU_ROOT_DIR "criu-root"
#define CRIU_PID_FILE "criu.pid"
/* Each criu log may be long; only its first error line is reported. */
#define CRIU_LOG_MAX (64 << 20)

int
criu_check_cgroups_mode (const char *mode, ocirt_error_t *err)
{
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  if (mode == NULL)
    return 0;
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (mode, modes[i]) == 0)
      return 0;
  return make_error (err, 0, "Invalid manage cgroups mode \"%s\" (use soft, full, strict or ignore)", mode);
}

int
criu_check_empty_ns (const char *ns, ocirt_error_t *err)
{
  if (ns == NULL || strcmp (ns, "network") == 0)
    return 0;
  return make_error (err, 0, "--empty-ns: namespace \"%s\" is not supported (only network)", ns);
}

static const char *
criu_binary (const struct criu_opts *o)
{
  return o->criu && *o->criu ? o->criu : "criu";
}

/* `criu --version` prints "Version: 3.17.1" (and maybe a GitID line). */
static int
criu_version (const char *criu, int *version, ocirt_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return make_error (err, errno, "CRIU version check failed: pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return make_error (err, errno, "CRIU version check failed: fork");
    }
  if (pid == 0)
    {
      dup2 (p[1], STDOUT_FILENO);
      int null = open ("/dev/null", O_WRONLY);
      if (null >= 0)
        dup2 (null, STDERR_FILENO);
      execlp (criu, criu, "--version", (char *) NULL);
      /* The parent reports a missing binary from this byte. */
      dprintf (STDOUT_FILENO, "\x01%d", errno);
      _exit (127);
    }
  close (p[1]);
  cleanup_free char *out = NULL;
  size_t len = 0;
  int r = read_fd_all (p[0], 256, 64 << 10, &out, &len);
  close (p[0]);
  int status = 0;
  waitpid (pid, &status, 0);
  if (r < 0)
    return make_error (err, errno, "CRIU version check failed: read the output of \"%s --version\"", criu);
  if (len > 1 && out[0] == '\x01')
    return make_error (err, atoi (out + 1), "CRIU version check failed: exec \"%s\"", criu);
  int major = 0, minor = 0, sub = 0;
  const char *v = out ? strstr (out, "Version: ") : NULL;
  if (v == NULL || sscanf (v, "Version: %d.%d.%d", &major, &minor, &sub) < 2)
    return make_error (err, 0, "CRIU version check failed: \"%s --version\" printed no version", criu);
  *version = major * 10000 + minor * 100 + sub;
  return 0;
}

static int
check_criu (const struct criu_opts *o, ocirt_error_t *err)
{
  int version = 0;
  if (criu_version (criu_binary (o), &version, err) < 0)
    return -1;
  if (version < CRIU_MIN_VERSION)
    return make_error (err, 0, "CRIU version %d must be %d or higher", version, CRIU_MIN_VERSION);
  return 0;
}

static char *
absolute (const char *path, ocirt_error_t *err)
{
  char *abs = NULL;
  if (path[0] == '/')
    abs = strdup (path);
  else
    {
      cleanup_free char *cwd = getcwd (NULL, 0);
      if (cwd == NULL || asprintf (&abs, "%s/%s", cwd, path) < 0)
        abs = NULL;
    }
  if (abs == NULL)
    make_error (err, errno, "path \"%s\"", path);
  return abs;
}

/* Create the log criu will write, which proves the work dir writable
 * before criu freezes anything. */
static int
open_log (const char *work, const char *name, ocirt_error_t *err)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", work, name) < 0)
    return make_error (err, errno, "criu log path");
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error (err, errno, "work path \"%s\" is not writable", work);
  close (fd);
  return 0;
}

/* The first "Error (file:line): message" of criu's log: the cause, where
 * the later ones say what gave up because of it. A helper's bare exit
 * status ("exited, status=1") says less than the line that follows it. */
static char *
first_log_error (const char *log_path)
{
  cleanup_free char *log = NULL;
  size_t len = 0;
  cleanup_close int fd = open (log_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read_fd_all (fd, 65536, CRIU_LOG_MAX, &log, &len) < 0 || log == NULL)
    return NULL;
  for (char *line = log; line && *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      char *e = strstr (line, "Error (");
      char *msg = e ? strstr (e, "): ") : NULL;
      if (msg && strncmp (msg + 3, "exited, status=", 15) != 0)
        return strdup (msg + 3);
      line = nl ? nl + 1 : NULL;
    }
  return NULL;
}

/* Run criu with argv; its stdio goes to /dev/null except what inherit_fds
 * lists (moved to fd 3, 4, ... in that order: the argv must name them so).
 * With `place`, the child waits before exec until place() has put it in the
 * container's cgroup or unit: a restore creates the tasks in criu's own
 * cgroup. */
static int
run_criu (const char *const *argv, const int *inherit_fds, int n_inherit, criu_place_fn place,
          void *place_data, const char *verb, const char *log_path, ocirt_error_t *err)
{
  int hold[2] = { -1, -1 };
  if (place && pipe2 (hold, O_CLOEXEC) < 0)
    return make_error (err, errno, "pipe for criu");
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      if (place)
        {
          close (hold[0]);
          close (hold[1]);
        }
      return make_error (err, saved, "fork criu");
    }
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      int base = 3 + n_inherit + 16;
      char go;
      /* Out of the way first, so that the moves below cannot clobber one. */
      int tmp[16];
      for (int i = 0; i < n_inherit && i < 16; i++)
        tmp[i] = fcntl (inherit_fds[i], F_DUPFD_CLOEXEC, base);
      for (int i = 0; i < 3; i++)
        dup2 (null, i);
      for (int i = 0; i < n_inherit && i < 16; i++)
        dup2 (tmp[i], 3 + i);
      if (place)
        {
          close (hold[1]);
          if (read (hold[0], &go, 1) != 1)
            _exit (126);   /* not placed: the parent says why */
        }
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  if (place)
    {
      close (hold[0]);
      int r = place (pid, place_data, err);
      if (r == 0 && write (hold[1], "g", 1) != 1)
        r = make_error (err, errno, "start criu");
      close (hold[1]);
      if (r < 0)
        {
          kill (pid, SIGKILL);
          while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
          return -1;
        }
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return make_error (err, ENOENT, "exec \"%s\"", argv[0]);
  cleanup_free char *why = first_log_error (log_path);
  if (why)
    return make_error (err, 0, "criu %s failed: %s (log: %s)", verb, why, log_path);
  return make_error (err, 0, "criu %s failed with status 0x%x (log: %s)", verb, (unsigned) status, log_path);
}

/* The options common to dump and restore, as runc sets them. */
static void
common_args (char ***argv, const struct criu_opts *o, const char *images, const char *work, const char *log)
{
  strv_append_printf (argv, "--images-dir=%s", images);
  strv_append_printf (argv, "--work-dir=%s", work);
  strv_append_printf (argv, "--log-file=%s", log);
  strv_append_printf (argv, "-v4");
  if (o->shell_job)
    strv_append_printf (argv, "--shell-job");
  if (o->tcp_established)
    strv_append_printf (argv, "--tcp-established");
  if (o->ext_unix_sk)
    strv_append_printf (argv, "--ext-unix-sk");
  if (o->file_locks)
    strv_append_printf (argv, "--file-locks");
  if (o->auto_dedup)
    strv_append_printf (argv, "--auto-dedup");
  strv_append_printf (argv, "--manage-cgroups=%s", o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft");
  /* Only the network namespace (runc's "network", criu's "net"), as
   * criu_check_empty_ns has made sure. */
  if (o->empty_ns)
    strv_append_printf (argv, "--empty-ns=net");
}

static bool
is_bind (const struct oci_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->n_options; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

/* Dump: each bind mount is external under the key of its destination, and
 * each masked file (a bind of /dev/null) under the key /dev/null. */
static void
dump_external_mounts (char ***argv, const struct oci_config *cfg, pid_t pid)
{
  const struct oci_linux *lx = cfg->linux_;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (is_bind (&cfg->mounts[i]))
      strv_append_printf (argv, "--ext-mount-map=%s:%s", cfg->mounts[i].destination, cfg->mounts[i].destination);
  for (size_t i = 0; lx && i < lx->n_masked_paths; i++)
    {
      char path[PATH_MAX];
      struct stat st;
      snprintf (path, sizeof path, "/proc/%d/root%s", (int) pid, lx->masked_paths[i]);
      if (stat (path, &st) == 0 && !S_ISDIR (st.st_mode))
        strv_append_printf (argv, "--ext-mount-map=%s:/dev/null", lx->masked_paths[i]);
    }
}

/* runc's descriptors.json: what fds 0, 1 and 2 of the init were, e.g.
 * ["/dev/null","pipe:[1234]","pipe:[1235]"]. */
static int
write_descriptors (const char *images, pid_t pid, ocirt_error_t *err)
{
  cleanup_free char *json = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&json, &len);
  if (f == NULL)
    return make_error (err, errno, "descriptors");
  fputc ('[', f);
  for (int i = 0; i < 3; i++)
    {
      char link[64], target[PATH_MAX];
      snprintf (link, sizeof link, "/proc/%d/fd/%d", (int) pid, i);
      ssize_t n = readlink (link, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      fputs (i ? ",\"" : "\"", f);
      for (char *c = target; *c; c++)
        {
          if (*c == '"' || *c == '\\')
            fputc ('\\', f);
          fputc (*c, f);
        }
      fputc ('"', f);
    }
  fputs ("]\n", f);
  fclose (f);
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", images, CRIU_DESCRIPTORS_FILE) < 0)
    return make_error (err, errno, "descriptors");
  return write_file_atomic (path, json, len, 0600, err);
}

/* The image dir, made 0700 if missing (criu images hold the container's
 * memory), or an error naming it. */
static int
make_image_dir (const char *images, ocirt_error_t *err)
{
  if (mkdir (images, 0700) < 0 && errno != EEXIST)
    return make_error (err, errno, "image path \"%s\"", images);
  return 0;
}

static ino_t
ns_inode (pid_t pid, const char *ns)
{
  char path[64];
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns);
  return stat (path, &st) == 0 ? st.st_ino : 0;
}

/* runc's checks of --parent-path, in its words: criu takes it relative to
 * the image directory, and only an existing one makes an incremental dump
 * (criu would fail later, with only its log to say why). */
static int
check_parent_path (const struct criu_opts *o, bool images_made, ocirt_error_t *err)
{
  cleanup_free char *parent = NULL;
  struct stat st;

  if (o->parent_path == NULL)
    return 0;
  if (o->parent_path[0] == '/')
    return make_error (err, 0, "--parent-path must be relative");
  if (!images_made)
    return 0;
  if (asprintf (&parent, "%s/%s", o->image_path ? o->image_path : CRIU_DEFAULT_IMAGE_PATH,
                o->parent_path) < 0)
    return make_error (err, errno, "invalid --parent-path");
  if (stat (parent, &st) < 0)
    return make_error (err, errno, "invalid --parent-path: stat %s", parent);
  return 0;
}

int
criu_dump (const struct criu_opts *o, const struct container_state *st, const struct oci_config *cfg,
           ocirt_error_t *err)
{
  if (criu_check_cgroups_mode (o->manage_cgroups_mode, err) < 0 || criu_check_empty_ns (o->empty_ns, err) < 0
      || check_parent_path (o, false, err) < 0 || check_criu (o, err) < 0)
    return -1;
  cleanup_free char *images = absolute (o->image_path ? o->image_path : CRIU_DEFAULT_IMAGE_PATH, err);
  if (images == NULL || make_image_dir (images, err) < 0 || check_parent_path (o, true, err) < 0)
    return -1;
  cleanup_free char *work = o->work_path ? absolute (o->work_path, err) : strdup (images);
  if (work == NULL || (o->work_path && make_image_dir (work, err) < 0))
    return -1;
  const char *log_name = o->pre_dump ? "pre-dump.log" : "dump.log";
  cleanup_free char *log = NULL;
  if (asprintf (&log, "%s/%s", work, log_name) < 0)
    return make_error (err, errno, "criu log");
  if (open_log (work, log_name, err) < 0)
    return -1;

  cleanup_strv char **argv = NULL;
  strv_append_printf (&argv, "%s", criu_binary (o));
  strv_append_printf (&argv, "%s", o->pre_dump ? "pre-dump" : "dump");
  strv_append_printf (&argv, "--tree=%d", (int) st->pid);
  common_args (&argv, o, images, work, log);
  /* The rootfs is the container's "/": criu needs it to tell its mounts
   * from the host's. */
  strv_append_printf (&argv, "--root=%s", st->rootfs);
  if (o->pre_dump || o->parent_path)
    strv_append_printf (&argv, "--track-mem");
  if (o->parent_path)
    strv_append_printf (&argv, "--prev-images-dir=%s", o->parent_path);
  if (o->leave_running && !o->pre_dump)
    strv_append_printf (&argv, "--leave-running");
  /* A paused container: criu takes the tasks through the frozen cgroup (as
   * runc passes it), since it cannot seize them one by one. */
  if (st->cgroup_path && cgroup_is_frozen (st->cgroup_path))
    strv_append_printf (&argv, "--freeze-cgroup=/sys/fs/cgroup%s%s",
                        cgroup_detect_mode () == CGROUP_MODE_V1 ? "/freezer" : "", st->cgroup_path);
  if (!o->pre_dump)
    dump_external_mounts (&argv, cfg, st->pid);
  const struct oci_namespace *net = oci_config_namespace (cfg, OCI_NS_NETWORK);
  if (net && net->path)
    strv_append_printf (&argv, "--external=net[%lu]:%s", (unsigned long) ns_inode (st->pid, "net"), CRIU_NETNS_KEY);
  if (argv == NULL)
    return make_error (err, ENOMEM, "criu arguments");
  if (!o->pre_dump && write_descriptors (images, st->pid, err) < 0)
    return -1;
  return run_criu ((const char *const *) argv, NULL, 0, NULL, NULL, o->pre_dump ? "pre-dump" : "dump", log, err);
}

/* ---- restore ------------------------------------------------------------ */

/* Is descriptors.json's entry i a pipe (whose other end was the old
 * shim's, and is now the new one's)? A tiny parse: the file is ours or
 * runc's, an array of three strings. */
static bool
descriptor_name (const char *json, int index, char *out, size_t size)
{
  const char *p = json;
  for (int i = 0; p && i <= index; i++)
    {
      p = strchr (p, '"');
      if (p == NULL)
        return false;
      const char *end = ++p;
      while (*end && *end != '"')
        end += end[0] == '\\' && end[1] ? 2 : 1;
      if (i == index)
        {
          size_t n = (size_t) (end - p) < size - 1 ? (size_t) (end - p) : size - 1;
          memcpy (out, p, n);
          out[n] = '\0';
          return true;
        }
      p = *end ? end + 1 : NULL;
    }
  return false;
}

/* Restore: bind mounts from their sources, masked files from /dev/null. */
static void
restore_external_mounts (char ***argv, const struct oci_config *cfg)
{
  const struct oci_linux *lx = cfg->linux_;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (is_bind (&cfg->mounts[i]))
      strv_append_printf (argv, "--ext-mount-map=%s:%s", cfg->mounts[i].destination, cfg->mounts[i].source);
  if (lx && lx->n_masked_paths)
    strv_append_printf (argv, "--ext-mount-map=/dev/null:/dev/null");
}

/* The rootfs bound on <state dir>/criu-root for --root, as runc does: criu
 * mounts the restored mount namespace's tree under it. */
static char *
bind_root (int dir_fd, const char *rootfs, ocirt_error_t *err)
{
  char *path = NULL;
  if (mkdirat (dir_fd, CRIU_ROOT_DIR, 0700) < 0 && errno != EEXIST)
    {
      make_error (err, errno, "create %s", CRIU_ROOT_DIR);
      return NULL;
    }
  if (asprintf (&path, "/proc/self/fd/%d/%s", dir_fd, CRIU_ROOT_DIR) < 0)
    return NULL;
  char real[PATH_MAX];
  if (realpath (path, real) == NULL)
    {
      make_error (err, errno, "%s", CRIU_ROOT_DIR);
      free (path);
      return NULL;
    }
  free (path);
  if (mount (rootfs, real, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      make_error (err, errno, "bind the rootfs \"%s\" for criu", rootfs);
      unlinkat (dir_fd, CRIU_ROOT_DIR, AT_REMOVEDIR);
      return NULL;
    }
  return strdup (real);
}

static void
unbind_root (int dir_fd, const char *path)
{
  umount2 (path, MNT_DETACH);
  unlinkat (dir_fd, CRIU_ROOT_DIR, AT_REMOVEDIR);
}

static pid_t
read_restored_pid (int dir_fd, ocirt_error_t *err)
{
  cleanup_free char *s = NULL;
  size_t len = 0;
  if (read_file_at (dir_fd, CRIU_PID_FILE, 64, &s, &len, err) < 0)
    return wrap_error (err, "criu's pid file");
  unlinkat (dir_fd, CRIU_PID_FILE, 0);
  long pid = strtol (s, NULL, 10);
  if (pid <= 0)
    return make_error (err, EPROTO, "criu's pid file holds \"%s\"", s);
  return (pid_t) pid;
}

pid_t
criu_restore (const struct criu_opts *o, const struct criu_restore_target *t, ocirt_error_t *err)
{
  if (criu_check_cgroups_mode (o->manage_cgroups_mode, err) < 0 || criu_check_empty_ns (o->empty_ns, err) < 0
      || check_criu (o, err) < 0)
    return -1;
  cleanup_free char *images = absolute (o->image_path ? o->image_path : CRIU_DEFAULT_IMAGE_PATH, err);
  if (images == NULL)
    return -1;
  cleanup_close int images_fd = open (images, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (images_fd < 0)
    return make_error (err, errno, "image path \"%s\"", images);
  if (faccessat (images_fd, "inventory.img", F_OK, 0) < 0)
    return make_error (err, errno, "image path \"%s\": no checkpoint there (inventory.img)", images);
  cleanup_free char *work = o->work_path ? absolute (o->work_path, err) : strdup (images);
  if (work == NULL || (o->work_path && make_image_dir (work, err) < 0))
    return -1;
  cleanup_free char *log = NULL;
  if (asprintf (&log, "%s/restore.log", work) < 0)
    return make_error (err, errno, "criu log");
  if (open_log (work, "restore.log", err) < 0)
    return -1;

  char real_dir[PATH_MAX], link[64];
  snprintf (link, sizeof link, "/proc/self/fd/%d", t->dir_fd);
  ssize_t n = readlink (link, real_dir, sizeof real_dir - 1);
  if (n < 0)
    return make_error (err, errno, "state dir");
  real_dir[n] = '\0';

  cleanup_strv char **argv = NULL;
  int inherit[4], n_inherit = 0;
  strv_append_printf (&argv, "%s", criu_binary (o));
  strv_append_printf (&argv, "restore");
  common_args (&argv, o, images, work, log);
  /* The init becomes our child (the shim's, which reaps it and logs), and
   * criu returns as soon as it runs. */
  strv_append_printf (&argv, "--restore-sibling");
  strv_append_printf (&argv, "--restore-detached");
  strv_append_printf (&argv, "--pidfile=%s/%s", real_dir, CRIU_PID_FILE);
  if (t->cgroup_path)
    strv_append_printf (&argv, "--cgroup-root=%s", t->cgroup_path);
  if (o->lsm_profile)
    strv_append_printf (&argv, "--lsm-profile=%s", o->lsm_profile);
  if (o->lsm_mount_context)
    strv_append_printf (&argv, "--lsm-mount-context=%s", o->lsm_mount_context);
  restore_external_mounts (&argv, t->cfg);

  /* The old shim's pipes are replaced by ours (or our own stdio). */
  cleanup_free char *desc = NULL;
  size_t desc_len = 0;
  ocirt_error_t ignored = NULL;
  if (read_file_at (images_fd, CRIU_DESCRIPTORS_FILE, 64 << 10, &desc, &desc_len, &ignored) == 0)
    for (int i = 0; i < 3; i++)
      {
        char name[PATH_MAX];
        if (!descriptor_name (desc, i, name, sizeof name) || strncmp (name, "pipe:", 5) != 0)
          continue;
        inherit[n_inherit] = t->stdio ? t->stdio[i] : i;
        strv_append_printf (&argv, "--inherit-fd=fd[%d]:%s", 3 + n_inherit, name);
        n_inherit++;
      }
  error_release (&ignored);
  const struct oci_namespace *net = oci_config_namespace (t->cfg, OCI_NS_NETWORK);
  cleanup_close int netns = -1;
  if (net && net->path)
    {
      netns = open (net->path, O_RDONLY | O_CLOEXEC);
      if (netns < 0)
        return make_error (err, errno, "network namespace \"%s\"", net->path);
      inherit[n_inherit] = netns;
      strv_append_printf (&argv, "--inherit-fd=fd[%d]:%s", 3 + n_inherit, CRIU_NETNS_KEY);
      n_inherit++;
    }

  cleanup_free char *root = bind_root (t->dir_fd, t->rootfs, err);
  if (root == NULL)
    return -1;
  strv_append_printf (&argv, "--root=%s", root);
  if (argv == NULL)
    {
      unbind_root (t->dir_fd, root);
      return make_error (err, ENOMEM, "criu arguments");
    }
  int r = run_criu ((const char *const *) argv, inherit, n_inherit, t->place, t->place_data, "restore", log, err);
  unbind_root (t->dir_fd, root);
  if (r < 0)
    return -1;
  return read_restored_pid (t->dir_fd, err);
}
