/* state.c - the per-container state directory <root>/<id>/ and state.json.
 *
 * Owns: id validation, the creation, locking and removal of <root>/<id>, the
 * atomic state.json (yajl), and the few /proc facts that tell whether the
 * recorded pid is still the same process.
 *
 * Never: decide a container's status, print anything, or follow a symlink
 * inside the state root. See state.h for the locking rules.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yajl_gen.h>
#include <yajl_tree.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"

/* JSON field names of state.json: one place, used by writer and reader. */
#define K_OCI_VERSION "ociVersion"
#define K_ID "id"
#define K_PID "pid"
#define K_START_TIME "start_time"
#define K_BUNDLE "bundle"
#define K_ROOTFS "rootfs"
#define K_CREATED "created"
#define K_OWNER "owner"
#define K_ANNOTATIONS "annotations"
#define K_CGROUP_PATH "cgroup_path"
#define K_CREATED_DONE "created_done"
#define K_NO_PIVOT "no_pivot"
#define K_NO_NEW_KEYRING "no_new_keyring"
#define K_CGROUP_EXISTED "cgroup_existed"
#define K_CGROUP_MADE_IN "cgroup_made_in"
#define K_SYSTEMD_UNIT "systemd_unit"
#define K_SYSTEMD_USER "systemd_user"
#define K_EXIT "exit"
#define K_EXIT_CODE "code"
#define K_EXIT_SIGNAL "signal"
#define K_SHIM_LOG "shim_log"
#define K_SHIM_PID "shim_pid"
#define K_SHIM_START_TIME "shim_start_time"
#define K_MONITOR_KILLED "monitor_killed"

/* state.json is a few hundred bytes; the cap only stops a corrupt or hostile
 * file from making us allocate without bound. */
#define STATE_FILE_MAX (16 * 1024 * 1024)
/* The shim's record of how the init ended: "<code> <signal> <0|1>\n", the
 * last being whether the kernel memory monitor sent the kill. */
#define EXIT_FILE "exit"

/* Our documents nest three deep. yajl frees its tree recursively, so an
 * absurdly nested (fuzzed) input would overflow the stack: refuse it first. */
#define STATE_JSON_MAX_DEPTH 64

/* Like make_error() without the errno text, but keeping errno_value, so a
 * caller can test for ENOENT/EEXIST while the message keeps runc's exact
 * wording (which managers match on, and "no such file or directory" would
 * turn into exit 127 in podman). */
static int
make_error_code (ocirt_error_t *err, int errnum, const char *msg)
{
  make_error (err, 0, "%s", msg);
  (*err)->errno_value = errnum;
  return -1;
}

/* ---- ids ---------------------------------------------------------------- */

static bool
id_char_ok (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
         || c == '_' || c == '+' || c == '.' || c == '-';
}

/* The id as it may appear inside an error message: quoted, control and
 * non-ASCII bytes escaped (an id with a newline must not split a log line),
 * and cut short so a 1 KiB id does not drown the message. */
static char *
quote_id (const char *id)
{
  const size_t shown_max = 64;
  size_t len = strlen (id);
  size_t shown = len > shown_max ? shown_max : len;
  char *out = malloc (shown * 4 + 8);
  char *p = out;

  if (out == NULL)
    abort ();
  *p++ = '"';
  for (size_t i = 0; i < shown; i++)
    {
      unsigned char c = (unsigned char) id[i];
      if (c == '"' || c == '\\')
        {
          *p++ = '\\';
          *p++ = (char) c;
        }
      else if (c < 0x20 || c >= 0x7f)
        p += sprintf (p, "\\x%02x", c);
      else
        *p++ = (char) c;
    }
  *p++ = '"';
  if (shown < len)
    p += sprintf (p, "...");
  *p = '\0';
  return out;
}

int
state_validate_id (const char *id, ocirt_error_t *err)
{
  const char *why = NULL;
  size_t len = id ? strlen (id) : 0;

  if (len == 0)
    why = "it is empty";
  else if (len > STATE_ID_MAX)
    why = "it is longer than 1024 characters";
  else if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    why = "it must not be \".\" or \"..\"";
  else
    for (size_t i = 0; i < len && why == NULL; i++)
      if (!id_char_ok ((unsigned char) id[i]))
        why = "only letters, digits and _+.- are allowed";

  if (why == NULL)
    return 0;
  cleanup_free char *q = quote_id (id ? id : "");
  return make_error (err, 0, "invalid container id %s: %s", q, why);
}

static bool
id_is_valid (const char *id)
{
  cleanup_error ocirt_error_t ignored = NULL;
  return state_validate_id (id, &ignored) == 0;
}

/* ---- the state root and <root>/<id> -------------------------------------- */

int
state_root_open (const char *root, ocirt_error_t *err)
{
  cleanup_free char *path = NULL;
  size_t len;
  int fd;

  if (root == NULL || root[0] == '\0')
    return make_error (err, 0, "state root is empty");
  path = strdup (root);
  if (path == NULL)
    abort ();
  len = strlen (path);
  while (len > 1 && path[len - 1] == '/')
    path[--len] = '\0';

  /* Parents get the usual 0755: they are often shared (/run). Only the root
   * itself is 0700, because it lists every container's bundle and pids. */
  for (char *s = path + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (path, 0755) < 0 && errno != EEXIST)
        return make_error (err, errno, "create state root parent \"%s\"", path);
      *s = '/';
    }
  if (mkdir (path, 0700) < 0 && errno != EEXIST)
    return make_error (err, errno, "create state root \"%s\"", path);

  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open state root \"%s\"", path);
  return fd;
}

static int
flock_retry (int fd, int op)
{
  int r;
  do
    r = flock (fd, op);
  while (r < 0 && errno == EINTR);
  return r;
}

/* True if fd is still the directory named id in root_fd. A `delete` that held
 * the lock before us may have removed it (or a new `create` may even have
 * put a fresh one in its place) while we waited in flock(). */
static bool
dir_still_linked (int root_fd, const char *id, int fd)
{
  struct stat by_fd, by_name;

  if (fstat (fd, &by_fd) < 0 || by_fd.st_nlink == 0)
    return false;
  if (fstatat (root_fd, id, &by_name, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  return by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino;
}

static int
open_dir_nofollow (int dir_fd, const char *name)
{
  return openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* The fallback for file systems without RENAME_NOREPLACE: mkdirat() is just
 * as exclusive, but leaves a short window before flock() in which another
 * command can open and lock the empty directory. */
static int
create_by_mkdir (int root_fd, const char *id, ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  if (mkdirat (root_fd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return make_error_code (err, EEXIST, "container with given ID already exists");
      return make_error (err, errno, "create state directory \"%s\"", id);
    }
  fd = open_dir_nofollow (root_fd, id);
  if (fd < 0)
    return make_error (err, errno, "open state directory \"%s\"", id);
  if (flock_retry (fd, LOCK_EX) < 0)
    return make_error (err, errno, "lock state directory \"%s\"", id);
  if (!dir_still_linked (root_fd, id, fd))
    return make_error (err, EAGAIN, "state directory \"%s\" was removed while being created", id);
  return steal_fd (&fd);
}

#define CREATING_PREFIX "~creating-"

/* Remove the private "~creating-<pid>-<n>" directories of creates that were
 * killed between their mkdirat() and their rename: nothing else would ever
 * find them (they are not ids), so each crash would leak one. A directory
 * is taken only if its creator is gone (no such pid, or a zombie) and
 * nobody holds its lock; a reused pid only delays the clean-up. The creator
 * writes no file before the rename, so rmdir suffices and never takes more. */
static void
sweep_stale_creating (int root_fd)
{
  cleanup_close int fd = openat (root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir;
  struct dirent *de;

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    return;
  fd = -1;  /* owned by dir now */
  while ((de = readdir (dir)) != NULL)
    {
      char *end;
      long pid;

      if (strncmp (de->d_name, CREATING_PREFIX, strlen (CREATING_PREFIX)) != 0)
        continue;
      pid = strtol (de->d_name + strlen (CREATING_PREFIX), &end, 10);
      if (pid <= 0 || *end != '-' || pid == (long) getpid ())
        continue;
      if (state_process_alive ((pid_t) pid, proc_start_time ((pid_t) pid)))
        continue;
      cleanup_close int d = open_dir_nofollow (dirfd (dir), de->d_name);
      if (d >= 0 && flock (d, LOCK_EX | LOCK_NB) == 0)
        unlinkat (dirfd (dir), de->d_name, AT_REMOVEDIR);
    }
  closedir (dir);
}

int
state_dir_create (int root_fd, const char *id, ocirt_error_t *err)
{
  static unsigned attempt;
  char tmp[64];
  cleanup_close int fd = -1;

  if (state_validate_id (id, err) < 0)
    return -1;
  sweep_stale_creating (root_fd);

  /* The directory is born under a private name, locked, and only then
   * renamed to <id> with RENAME_NOREPLACE. So nobody can ever open <id>
   * unlocked and half made, and of two racing creates exactly one rename
   * succeeds. The '~' keeps the private name out of state_list_ids(). */
  for (int tries = 0;; tries++)
    {
      snprintf (tmp, sizeof tmp, CREATING_PREFIX "%ld-%u", (long) getpid (), attempt++);
      if (mkdirat (root_fd, tmp, 0700) == 0)
        break;
      /* A leftover of a crashed process that had our pid: pick another. */
      if (errno != EEXIST || tries >= 100)
        return make_error (err, errno, "create state directory \"%s\"", id);
    }

  fd = open_dir_nofollow (root_fd, tmp);
  if (fd < 0 || flock_retry (fd, LOCK_EX) < 0)
    {
      int saved = errno;
      unlinkat (root_fd, tmp, AT_REMOVEDIR);
      return make_error (err, saved, "open state directory \"%s\"", id);
    }

  if (renameat2 (root_fd, tmp, root_fd, id, RENAME_NOREPLACE) == 0)
    return steal_fd (&fd);

  int saved = errno;
  unlinkat (root_fd, tmp, AT_REMOVEDIR);
  if (saved == EINVAL || saved == ENOSYS)
    {
      close (steal_fd (&fd));
      return create_by_mkdir (root_fd, id, err);
    }
  if (saved == EEXIST)
    return make_error_code (err, EEXIST, "container with given ID already exists");
  return make_error (err, saved, "create state directory \"%s\"", id);
}

int
state_dir_open (int root_fd, const char *id, int lock_op, ocirt_error_t *err)
{
  if (state_validate_id (id, err) < 0)
    return -1;
  if (lock_op != LOCK_EX && lock_op != LOCK_SH && lock_op != 0)
    return make_error (err, EINVAL, "lock state directory \"%s\"", id);
  /* Readers need no lock: every file here is replaced by rename, so they
   * see a whole old or a whole new state, and they never wait behind a
   * create that is still running its hooks. */
  if (lock_op == 0)
    {
      int fd = open_dir_nofollow (root_fd, id);
      if (fd < 0 && errno == ENOENT)
        return make_error_code (err, ENOENT, "container does not exist");
      if (fd < 0)
        return make_error (err, errno, "open state directory \"%s\"", id);
      return fd;
    }

  /* Retrying covers a delete followed by a new create of the same id while we
   * waited: then the new directory is the container the caller means. The
   * bound only guards against a pathological churn. */
  for (int tries = 0; tries < 100; tries++)
    {
      cleanup_close int fd = open_dir_nofollow (root_fd, id);
      if (fd < 0)
        {
          if (errno == ENOENT)
            {
              /* `delete --force` of a create that was killed before its
               * directory got its name must still leave the root clean. */
              sweep_stale_creating (root_fd);
              return make_error_code (err, ENOENT, "container does not exist");
            }
          return make_error (err, errno, "open state directory \"%s\"", id);
        }
      /* The lock is flock() on the directory's own fd: it needs no extra lock
       * file that could outlive the directory, and it dies with the process,
       * so a crashed command never leaves a container locked. */
      if (flock_retry (fd, lock_op) < 0)
        return make_error (err, errno, "lock state directory \"%s\"", id);
      if (dir_still_linked (root_fd, id, fd))
        return steal_fd (&fd);
      if (faccessat (root_fd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        break;
    }
  return make_error_code (err, ENOENT, "container does not exist");
}

/* Unlink every entry of the open state directory. */
static int
remove_entries (int fd, const char *id, ocirt_error_t *err)
{
  DIR *dir;
  struct dirent *de;
  int ret = 0;

  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return make_error (err, errno, "read state directory \"%s\"", id);
    }
  errno = 0;
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      /* The entries are plain files today; an empty directory is removed
       * too, so a future subdirectory shows up as an error, not a leak. */
      int flags = de->d_type == DT_DIR ? AT_REMOVEDIR : 0;
      int r = unlinkat (dirfd (dir), de->d_name, flags);
      if (r < 0 && errno == EISDIR)
        r = unlinkat (dirfd (dir), de->d_name, AT_REMOVEDIR);
      if (r < 0 && errno != ENOENT)
        {
          ret = make_error (err, errno, "remove \"%s/%s\"", id, de->d_name);
          break;
        }
      errno = 0;
    }
  if (ret == 0 && errno != 0)
    ret = make_error (err, errno, "read state directory \"%s\"", id);
  closedir (dir);
  return ret;
}

int
state_dir_remove (int root_fd, const char *id, ocirt_error_t *err)
{
  if (state_validate_id (id, err) < 0)
    return -1;

  /* A writer that does not take the lock (the shim's log pump opens its
   * file after create has returned; it appends events) may add a file
   * after our scan: then rmdir says ENOTEMPTY, and we scan again. The
   * bound only guards against a writer that never stops. */
  for (int tries = 0;; tries++)
    {
      /* No flock here: the caller already holds the lock through its own fd,
       * and a second open file description would wait for that lock forever. */
      int fd = open_dir_nofollow (root_fd, id);
      if (fd < 0)
        {
          if (errno == ENOENT)
            return 0;
          return make_error (err, errno, "open state directory \"%s\"", id);
        }
      if (remove_entries (fd, id, err) < 0)
        return -1;
      if (unlinkat (root_fd, id, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno != ENOTEMPTY || tries >= 10)
        return make_error (err, errno, "remove state directory \"%s\"", id);
    }
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
state_list_ids (int root_fd, char ***ids, size_t *n, ocirt_error_t *err)
{
  cleanup_strv char **out = NULL;
  size_t count = 0, cap = 0;
  struct dirent *de;
  DIR *dir;
  int fd;

  *ids = NULL;
  *n = 0;
  /* A fresh open, not dup(): a dup shares the read offset with root_fd. */
  fd = openat (root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open state root");
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      int saved = errno;
      close (fd);
      return make_error (err, saved, "read state root");
    }

  out = calloc (1, sizeof *out);
  if (out == NULL)
    abort ();
  errno = 0;
  while ((de = readdir (dir)) != NULL)
    {
      struct stat sb;
      bool is_dir = de->d_type == DT_DIR;

      /* Also skips ".", "..", and the "~creating-" names of state_dir_create. */
      if (!id_is_valid (de->d_name))
        continue;
      if (de->d_type == DT_UNKNOWN)
        is_dir = fstatat (dirfd (dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0
                 && S_ISDIR (sb.st_mode);
      if (!is_dir)
        continue;
      if (count + 1 >= cap)
        {
          cap = cap ? cap * 2 : 16;
          char **grown = realloc (out, cap * sizeof *out);
          if (grown == NULL)
            abort ();
          out = grown;
        }
      out[count] = strdup (de->d_name);
      if (out[count] == NULL)
        abort ();
      out[++count] = NULL;
      errno = 0;
    }
  if (errno != 0)
    {
      int saved = errno;
      closedir (dir);
      return make_error (err, saved, "read state root");
    }
  closedir (dir);

  qsort (out, count, sizeof *out, cmp_str);
  *ids = steal_pointer (&out);
  *n = count;
  return 0;
}

/* ---- state.json: format ----------------------------------------------------- */

static bool
gen_key (yajl_gen g, const char *key)
{
  return yajl_gen_string (g, (const unsigned char *) key, strlen (key)) == yajl_gen_status_ok;
}

/* NULL strings are left out, so they read back as NULL (not as ""). */
static bool
gen_str (yajl_gen g, const char *key, const char *val)
{
  if (val == NULL)
    return true;
  return gen_key (g, key)
         && yajl_gen_string (g, (const unsigned char *) val, strlen (val)) == yajl_gen_status_ok;
}

static bool
gen_int (yajl_gen g, const char *key, long long val)
{
  return gen_key (g, key) && yajl_gen_integer (g, val) == yajl_gen_status_ok;
}

static bool
gen_bool (yajl_gen g, const char *key, bool val)
{
  return gen_key (g, key) && yajl_gen_bool (g, val) == yajl_gen_status_ok;
}

static bool
gen_annotations (yajl_gen g, const struct container_state *st)
{
  if (st->n_annotations == 0)
    return true;
  if (!gen_key (g, K_ANNOTATIONS) || yajl_gen_map_open (g) != yajl_gen_status_ok)
    return false;
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      const char *v = st->annotation_values[i] ? st->annotation_values[i] : "";
      if (st->annotation_keys[i] == NULL || !gen_str (g, st->annotation_keys[i], v))
        return false;
    }
  return yajl_gen_map_close (g) == yajl_gen_status_ok;
}

static bool
gen_strv (yajl_gen g, const char *key, char *const *v)
{
  if (v == NULL)
    return true;
  if (!gen_key (g, key) || yajl_gen_array_open (g) != yajl_gen_status_ok)
    return false;
  for (; *v; v++)
    if (yajl_gen_string (g, (const unsigned char *) *v, strlen (*v)) != yajl_gen_status_ok)
      return false;
  return yajl_gen_array_close (g) == yajl_gen_status_ok;
}

static bool
gen_exit (yajl_gen g, const struct container_state *st)
{
  if (!st->has_exit)
    return true;
  return gen_key (g, K_EXIT) && yajl_gen_map_open (g) == yajl_gen_status_ok
         && gen_int (g, K_EXIT_CODE, st->exit_code)
         && gen_int (g, K_EXIT_SIGNAL, st->exit_signal)
         && gen_bool (g, K_MONITOR_KILLED, st->monitor_killed)
         && yajl_gen_map_close (g) == yajl_gen_status_ok;
}

static bool
gen_state (yajl_gen g, const struct container_state *st)
{
  /* Start times are jiffies since boot: far below LLONG_MAX. */
  return yajl_gen_map_open (g) == yajl_gen_status_ok
         && gen_str (g, K_OCI_VERSION, st->oci_version)
         && gen_str (g, K_ID, st->id)
         && gen_int (g, K_PID, st->pid)
         && gen_int (g, K_START_TIME, (long long) st->start_time)
         && gen_str (g, K_BUNDLE, st->bundle)
         && gen_str (g, K_ROOTFS, st->rootfs)
         && gen_str (g, K_CREATED, st->created)
         && gen_str (g, K_OWNER, st->owner)
         && gen_annotations (g, st)
         && gen_str (g, K_CGROUP_PATH, st->cgroup_path)
         && gen_bool (g, K_CGROUP_EXISTED, st->cgroup_existed)
         && gen_strv (g, K_CGROUP_MADE_IN, st->cgroup_made_in)
         && gen_str (g, K_SYSTEMD_UNIT, st->systemd_unit)
         && gen_bool (g, K_SYSTEMD_USER, st->systemd_user)
         && gen_bool (g, K_CREATED_DONE, st->created_done)
         && gen_bool (g, K_NO_PIVOT, st->no_pivot)
         && gen_bool (g, K_NO_NEW_KEYRING, st->no_new_keyring)
         && gen_exit (g, st)
         && gen_str (g, K_SHIM_LOG, st->shim_log)
         && gen_int (g, K_SHIM_PID, st->shim_pid)
         && gen_int (g, K_SHIM_START_TIME, (long long) st->shim_start_time)
         && yajl_gen_map_close (g) == yajl_gen_status_ok;
}

char *
state_format (const struct container_state *st)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return NULL;
  /* Refuse invalid UTF-8 here: written raw, it would make the file
   * unreadable later, far from the code that put it there. */
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);
  if (! gen_state (g, st))
    {
      yajl_gen_free (g);
      return NULL;
    }
  return json_gen_take (g, NULL);
}

/* ---- state.json: parse -------------------------------------------------- */

/* Checks yajl cannot be asked to make: nesting depth (see
 * STATE_JSON_MAX_DEPTH), raw NUL bytes (yajl_tree_parse would stop at the
 * first one and parse a prefix) and \u0000 escapes (yajl_tree strings are
 * NUL-terminated, so one would silently cut a path short). Comments are
 * refused because yajl_tree_parse allows them, and a quote inside a comment
 * would fool this scan's idea of where strings are. */
static int
json_prescan (const char *json, size_t len, ocirt_error_t *err)
{
  bool in_string = false;
  int depth = 0;

  for (size_t i = 0; i < len; i++)
    {
      char c = json[i];
      if (c == '\0')
        return make_error (err, 0, STATE_FILE ": invalid JSON: NUL byte at offset %zu", i);
      if (in_string)
        {
          if (c == '"')
            in_string = false;
          else if (c == '\\' && i + 1 < len)
            {
              if (json[i + 1] == 'u' && i + 6 <= len && memcmp (json + i + 2, "0000", 4) == 0)
                return make_error (err, 0, STATE_FILE ": invalid JSON: \\u0000 in a string");
              if (json[i + 1] == '\0')
                return make_error (err, 0, STATE_FILE ": invalid JSON: NUL byte at offset %zu", i + 1);
              i++;
            }
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '/')
        return make_error (err, 0, STATE_FILE ": invalid JSON: unexpected '/' at offset %zu", i);
      else if (c == '{' || c == '[')
        {
          if (++depth > STATE_JSON_MAX_DEPTH)
            return make_error (err, 0, STATE_FILE ": invalid JSON: nested too deeply");
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  return 0;
}

/* JSON null counts as absent for every optional field. */
static yajl_val
field (yajl_val obj, const char *key)
{
  yajl_val v = json_object_get (obj, key);
  return YAJL_IS_NULL (v) ? NULL : v;
}

static int
parse_str (yajl_val obj, const char *key, char **out, ocirt_error_t *err)
{
  yajl_val v = field (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return make_error (err, 0, STATE_FILE ": .%s: expected a string", key);
  *out = strdup (v->u.string);
  if (*out == NULL)
    abort ();
  return 0;
}

static int
parse_int (yajl_val obj, const char *path, const char *key, long long min, long long max,
           long long *out, ocirt_error_t *err)
{
  yajl_val v = field (obj, key);
  *out = 0;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_INTEGER (v))
    return make_error (err, 0, STATE_FILE ": %s%s: expected an integer", path, key);
  if (v->u.number.i < min || v->u.number.i > max)
    return make_error (err, 0, STATE_FILE ": %s%s: %lld is out of range", path, key,
                       v->u.number.i);
  *out = v->u.number.i;
  return 0;
}

static int
parse_bool (yajl_val obj, const char *key, bool *out, ocirt_error_t *err)
{
  yajl_val v = field (obj, key);
  *out = false;
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return make_error (err, 0, STATE_FILE ": .%s: expected a boolean", key);
  *out = YAJL_IS_TRUE (v);
  return 0;
}

static int
parse_annotations (yajl_val obj, struct container_state *st, ocirt_error_t *err)
{
  yajl_val v = field (obj, K_ANNOTATIONS);
  size_t n;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return make_error (err, 0, STATE_FILE ": ." K_ANNOTATIONS ": expected an object");
  n = v->u.object.len;
  if (n == 0)
    return 0;
  st->annotation_keys = calloc (n, sizeof (char *));
  st->annotation_values = calloc (n, sizeof (char *));
  if (st->annotation_keys == NULL || st->annotation_values == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      const char *key = v->u.object.keys[i];
      yajl_val val = v->u.object.values[i];
      if (!YAJL_IS_STRING (val))
        {
          cleanup_free char *q = quote_id (key);
          return make_error (err, 0, STATE_FILE ": ." K_ANNOTATIONS "[%s]: expected a string", q);
        }
      st->annotation_keys[i] = strdup (key);
      st->annotation_values[i] = strdup (val->u.string);
      if (st->annotation_keys[i] == NULL || st->annotation_values[i] == NULL)
        abort ();
      /* Counted as we go, so state_clear() frees exactly what exists. */
      st->n_annotations = i + 1;
    }
  return 0;
}

static int
parse_strv (yajl_val obj, const char *key, char ***out, ocirt_error_t *err)
{
  yajl_val v = field (obj, key);

  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return make_error (err, 0, STATE_FILE ": .%s: expected an array", key);
  *out = calloc (v->u.array.len + 1, sizeof (char *));
  if (*out == NULL)
    abort ();
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      if (!YAJL_IS_STRING (v->u.array.values[i]))
        return make_error (err, 0, STATE_FILE ": .%s[%zu]: expected a string", key, i);
      if (((*out)[i] = strdup (v->u.array.values[i]->u.string)) == NULL)
        abort ();
    }
  return 0;
}

static int
parse_exit (yajl_val obj, struct container_state *st, ocirt_error_t *err)
{
  yajl_val v = field (obj, K_EXIT);
  long long code, sig;

  if (v == NULL)
    return 0;
  if (!YAJL_IS_OBJECT (v))
    return make_error (err, 0, STATE_FILE ": ." K_EXIT ": expected an object");
  if (parse_int (v, "." K_EXIT ".", K_EXIT_CODE, 0, 255, &code, err) < 0
      || parse_int (v, "." K_EXIT ".", K_EXIT_SIGNAL, 0, _NSIG - 1, &sig, err) < 0
      || parse_bool (v, K_MONITOR_KILLED, &st->monitor_killed, err) < 0)
    return -1;
  st->has_exit = true;
  st->exit_code = (int) code;
  st->exit_signal = (int) sig;
  return 0;
}

static int
parse_tree (yajl_val root, struct container_state *st, ocirt_error_t *err)
{
  long long pid, start, shim_pid, shim_start;

  if (!YAJL_IS_OBJECT (root))
    return make_error (err, 0, STATE_FILE ": expected a JSON object");
  if (parse_str (root, K_OCI_VERSION, &st->oci_version, err) < 0
      || parse_str (root, K_ID, &st->id, err) < 0
      || parse_int (root, ".", K_PID, 0, INT_MAX, &pid, err) < 0
      || parse_int (root, ".", K_START_TIME, 0, LLONG_MAX, &start, err) < 0
      || parse_str (root, K_BUNDLE, &st->bundle, err) < 0
      || parse_str (root, K_ROOTFS, &st->rootfs, err) < 0
      || parse_str (root, K_CREATED, &st->created, err) < 0
      || parse_str (root, K_OWNER, &st->owner, err) < 0
      || parse_annotations (root, st, err) < 0
      || parse_str (root, K_CGROUP_PATH, &st->cgroup_path, err) < 0
      || parse_bool (root, K_CGROUP_EXISTED, &st->cgroup_existed, err) < 0
      || parse_strv (root, K_CGROUP_MADE_IN, &st->cgroup_made_in, err) < 0
      || parse_str (root, K_SYSTEMD_UNIT, &st->systemd_unit, err) < 0
      || parse_bool (root, K_SYSTEMD_USER, &st->systemd_user, err) < 0
      || parse_bool (root, K_CREATED_DONE, &st->created_done, err) < 0
      || parse_bool (root, K_NO_PIVOT, &st->no_pivot, err) < 0
      || parse_bool (root, K_NO_NEW_KEYRING, &st->no_new_keyring, err) < 0
      || parse_exit (root, st, err) < 0
      || parse_str (root, K_SHIM_LOG, &st->shim_log, err) < 0
      || parse_int (root, ".", K_SHIM_PID, 0, INT_MAX, &shim_pid, err) < 0
      || parse_int (root, ".", K_SHIM_START_TIME, 0, LLONG_MAX, &shim_start, err) < 0)
    return -1;
  st->pid = (pid_t) pid;
  st->start_time = (unsigned long long) start;
  st->shim_pid = (pid_t) shim_pid;
  st->shim_start_time = (unsigned long long) shim_start;

  /* The id names a directory and is printed to managers: a tampered file
   * must not smuggle a path or a control character through it. */
  if (st->id == NULL)
    return make_error (err, 0, STATE_FILE ": ." K_ID ": missing");
  if (state_validate_id (st->id, err) < 0)
    return wrap_error (err, STATE_FILE ": ." K_ID);
  return 0;
}

int
state_parse (const char *json, size_t len, struct container_state *st, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  char errbuf[256];
  yajl_val root;
  int ret;

  memset (st, 0, sizeof *st);
  if (json_prescan (json, len, err) < 0)
    return -1;
  /* yajl_tree_parse wants a NUL-terminated string; json need not be one. */
  text = malloc (len + 1);
  if (text == NULL)
    abort ();
  memcpy (text, json, len);
  text[len] = '\0';

  errbuf[0] = '\0';
  root = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (root == NULL)
    {
      /* yajl's message spans lines (a snippet and a caret): keep the first. */
      errbuf[strcspn (errbuf, "\n")] = '\0';
      return make_error (err, 0, STATE_FILE ": invalid JSON: %s",
                         errbuf[0] ? errbuf : "empty or truncated document");
    }
  ret = parse_tree (root, st, err);
  yajl_tree_free (root);
  if (ret < 0)
    state_clear (st);
  return ret;
}

/* ---- state.json: the file ------------------------------------------------ */

/* Put `len` bytes in place of dir_fd/name at once, through the temp file
 * `tmp`. No fsync: rename alone gives readers and killed writers the whole
 * old or the whole new file, which is what matters. fsync adds durability
 * across a power loss, and the state describes processes that cannot
 * outlive one (the root is normally a tmpfs under /run); on a disk it cost
 * 3-4 ms per write, a fifth of a whole container run. ext4 also allocates
 * a file renamed over another before the rename commits. Returns -1 with
 * errno set. */
static int
replace_file (int dir_fd, const char *name, const char *tmp, const char *data, size_t len)
{
  int fd = openat (dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  int saved;

  if (fd < 0)
    return -1;
  if (write_all (fd, data, len) < 0)
    {
      saved = errno;
      close (fd);
      goto fail;
    }
  if (close (fd) < 0 || renameat (dir_fd, tmp, dir_fd, name) < 0)
    {
      saved = errno;
      goto fail;
    }
  return 0;

fail:
  unlinkat (dir_fd, tmp, 0);
  errno = saved;
  return -1;
}

int
state_write (int dir_fd, const struct container_state *st, ocirt_error_t *err)
{
  cleanup_free char *json = state_format (st);
  char tmp[64];

  if (json == NULL)
    return make_error (err, 0, "write " STATE_FILE ": a field is not valid UTF-8");

  /* Writers hold LOCK_EX, so no reader sees a write in progress; the temp
   * file and rename are for crashes: a command killed mid-write must leave
   * the whole old file, never a truncated one that no later command (not
   * even `delete`) can read. The pid keeps two processes' temp files apart. */
  snprintf (tmp, sizeof tmp, STATE_FILE ".tmp-%ld", (long) getpid ());
  if (replace_file (dir_fd, STATE_FILE, tmp, json, strlen (json)) < 0)
    return make_error (err, errno, "write " STATE_FILE);
  return 0;
}

/* Decimal digits of v at p; returns the end. */
static char *
put_uint (char *p, unsigned v)
{
  char digits[10];
  int n = 0;

  do
    digits[n++] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

/* A file of its own rather than a field of state.json: the shim writes it
 * as its very last act, and reading, re-formatting and rewriting state.json
 * there (yajl, strtod, printf) mapped 350-500 KiB more code than the shim
 * needed while logging, which set its peak resident size. Formatted by
 * hand for the same reason. */
int
state_write_exit (int dir_fd, int code, int signal, bool monitor_killed, ocirt_error_t *err)
{
  char rec[32], *p = rec;

  if (code < 0 || code > 255 || signal < 0 || signal >= _NSIG)
    return make_error (err, EINVAL, "write " EXIT_FILE ": code %d, signal %d", code, signal);
  p = put_uint (p, (unsigned) code);
  *p++ = ' ';
  p = put_uint (p, (unsigned) signal);
  *p++ = ' ';
  *p++ = monitor_killed ? '1' : '0';
  *p++ = '\n';
  /* One writer, the shim, which holds LOCK_EX: a fixed temp name does. */
  if (replace_file (dir_fd, EXIT_FILE, EXIT_FILE ".tmp", rec, (size_t) (p - rec)) < 0)
    return make_error (err, errno, "write " EXIT_FILE);
  return 0;
}

/* Parse a decimal number in [0, max] at *p, followed by `end`. */
static bool
take_uint (const char **p, unsigned max, char end, unsigned *out)
{
  unsigned v = 0;
  const char *s = *p;

  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      v = v * 10 + (unsigned) (*s - '0');
      if (v > max)
        return false;
    }
  if (*s != end)
    return false;
  *p = s + 1;
  *out = v;
  return true;
}

/* Merge the shim's exit record into *st, if it wrote one. */
static int
read_exit (int dir_fd, struct container_state *st, ocirt_error_t *err)
{
  cleanup_close int fd = openat (dir_fd, EXIT_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  char rec[32];
  const char *p = rec;
  unsigned code, sig, killed;
  ssize_t n;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return make_error (err, errno, "read " EXIT_FILE);
  n = read (fd, rec, sizeof rec - 1);
  if (n < 0)
    return make_error (err, errno, "read " EXIT_FILE);
  rec[n] = '\0';
  if (! take_uint (&p, 255, ' ', &code) || ! take_uint (&p, _NSIG - 1, ' ', &sig)
      || ! take_uint (&p, 1, '\n', &killed) || *p != '\0')
    return make_error (err, 0, EXIT_FILE ": not a record of how the init ended: \"%.*s\"",
                       (int) strcspn (rec, "\n"), rec);
  st->has_exit = true;
  st->exit_code = (int) code;
  st->exit_signal = (int) sig;
  st->monitor_killed = killed != 0;
  return 0;
}

int
state_read (int dir_fd, struct container_state *st, ocirt_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0;

  memset (st, 0, sizeof *st);
  fd = openat (dir_fd, STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || read_fd_all (fd, 4096, STATE_FILE_MAX, &buf, &len) < 0)
    return make_error (err, errno, "read " STATE_FILE);
  if (state_parse (buf, len, st, err) < 0)
    return -1;
  if (read_exit (dir_fd, st, err) < 0)
    {
      state_clear (st);
      return -1;
    }
  return 0;
}

void
state_clear (struct container_state *st)
{
  free (st->oci_version);
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      free (st->annotation_keys[i]);
      free (st->annotation_values[i]);
    }
  free (st->annotation_keys);
  free (st->annotation_values);
  free (st->cgroup_path);
  for (char **m = st->cgroup_made_in; m && *m; m++)
    free (*m);
  free (st->cgroup_made_in);
  free (st->shim_log);
  free (st->systemd_unit);
  memset (st, 0, sizeof *st);
}

/* ---- the live process ---------------------------------------------------- */

/* Reads the state letter (field 3) and starttime (field 22) of
 * /proc/<pid>/stat. Field 2 is "(comm)", and comm is chosen by the process:
 * it may hold spaces and ')', so the fields start after the LAST ')'. */
static int
proc_stat_read (pid_t pid, char *state, unsigned long long *start_time)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  size_t len = 0;
  char *p, *end;

  if (pid <= 0)
    return -1;
  snprintf (path, sizeof path, "/proc/%ld/stat", (long) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  while (len < sizeof buf - 1)
    {
      ssize_t r = read (fd, buf + len, sizeof buf - 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';

  p = memrchr (buf, ')', len);
  if (p == NULL || p[1] != ' ' || p[2] == '\0')
    return -1;
  p += 2;
  *state = *p;
  /* p is at field 3; step over fields 3..21 to reach field 22. */
  for (int f = 3; f < 22; f++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  errno = 0;
  *start_time = strtoull (p, &end, 10);
  if (errno != 0 || end == p)
    return -1;
  return 0;
}

unsigned long long
proc_start_time (pid_t pid)
{
  unsigned long long start;
  char state;

  if (proc_stat_read (pid, &state, &start) < 0)
    return 0;
  return start;
}

bool
state_process_alive (pid_t pid, unsigned long long start_time)
{
  unsigned long long start;
  char state;

  /* A pid alone is not an identity: once the init is reaped, the kernel may
   * hand its number to an unrelated process. The start time (in clock ticks
   * since boot) is fixed for a process's life, so pid + start time is.
   * A zombie has exited; only its parent has not reaped it yet. */
  if (proc_stat_read (pid, &state, &start) < 0)
    return false;
  return start == start_time && state != 'Z' && state != 'X' && state != 'x';
}

char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char date[32];
  char *out = NULL;

  if (clock_gettime (CLOCK_REALTIME, &ts) < 0 || gmtime_r (&ts.tv_sec, &tm) == NULL)
    return NULL;
  if (strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    return NULL;
  if (asprintf (&out, "%s.%09ldZ", date, ts.tv_nsec) < 0)
    return NULL;
  return out;
}
