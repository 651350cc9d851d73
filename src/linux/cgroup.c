/* cgroup.c - the container's control group: mode detection, hierarchy
 * discovery, path resolution, create/enter, listing, signalling, freezing and
 * removal. See cgroup.h for the contract and cgroup_internal.h for the shared
 * helpers; linux.resources are written by cgroup_v1.c and cgroup_v2.c.
 *
 * Owns: every mkdir/rmdir and every write of cgroup.procs, freezer.state,
 * cgroup.freeze and cgroup.kill made for a container.
 * Must never: fork, keep global state between calls, or touch a cgroup that
 * the given path does not name (except removing the empty "/ocirt" parent of
 * the default path).
 */
#include "cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/strv.h"
#include "../util/fs.h"
#include "../util/mountinfo.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const controller_names[CGC_COUNT] = {
  [CGC_CPU] = "cpu",
  [CGC_CPUACCT] = "cpuacct",
  [CGC_CPUSET] = "cpuset",
  [CGC_MEMORY] = "memory",
  [CGC_DEVICES] = "devices",
  [CGC_FREEZER] = "freezer",
  [CGC_BLKIO] = "blkio",
  [CGC_PIDS] = "pids",
  [CGC_NET_CLS] = "net_cls",
  [CGC_NET_PRIO] = "net_prio",
  [CGC_HUGETLB] = "hugetlb",
  [CGC_PERF_EVENT] = "perf_event",
  [CGC_RDMA] = "rdma",
  [CGC_MISC] = "misc",
};

/* c 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom, 5:0 tty,
 * 5:1 console, 5:2 ptmx, 136:* pts, 10:200 tun (runc allows it too), and
 * mknod of any node (the nodes themselves stay unusable unless allowed). */
const struct cgroup_std_device cgroup_std_devices[] = {
  { 'c', -1, -1, "m" },    { 'b', -1, -1, "m" },   { 'c', 1, 3, "rwm" },
  { 'c', 1, 5, "rwm" },    { 'c', 1, 7, "rwm" },   { 'c', 1, 8, "rwm" },
  { 'c', 1, 9, "rwm" },    { 'c', 5, 0, "rwm" },   { 'c', 5, 1, "rwm" },
  { 'c', 5, 2, "rwm" },    { 'c', 136, -1, "rwm" }, { 'c', 10, 200, "rwm" },
};
const size_t cgroup_n_std_devices = sizeof cgroup_std_devices / sizeof cgroup_std_devices[0];

/* ------------------------------------------------------------------ */
/* mode, names, paths                                                   */

enum cgroup_mode
cgroup_detect_mode (void)
{
  struct statfs st;

  if (statfs (CGROUP_ROOT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return CGROUP_MODE_V2;
  return CGROUP_MODE_V1;
}

int
cgroup_controller_from_name (const char *name, size_t len)
{
  for (int i = 0; i < CGC_COUNT; i++)
    if (strlen (controller_names[i]) == len && memcmp (controller_names[i], name, len) == 0)
      return i;
  return -1;
}

const char *
cgroup_controller_name (enum cgroup_controller c)
{
  return (unsigned) c < CGC_COUNT ? controller_names[c] : "?";
}

char *
cgroup_resolve_path (const char *cgroups_path, const char *id, ocirt_error_t *err)
{
  cleanup_free char *out = NULL;
  const char *s;
  size_t o = 0;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      if (id == NULL || id[0] == '\0' || strchr (id, '/') || strcmp (id, ".") == 0
          || strcmp (id, "..") == 0)
        {
          make_error (err, 0, "invalid container id \"%s\" for a cgroup path", id ? id : "");
          return NULL;
        }
      if (asprintf (&out, CGROUP_DEFAULT_PARENT "/%s", id) < 0)
        abort ();
      return steal_pointer (&out);
    }

  /* A systemd-style "slice:prefix:name" without --systemd-cgroup is, as
   * runc has it, a plain cgroupfs path like any other: kubelet sends that
   * form to a containerd whose runc is not told to use systemd. */
  out = malloc (strlen (cgroups_path) + 2);
  if (out == NULL)
    abort ();

  /* Canonical form: "/a/b", one slash between components, none trailing. */
  for (s = cgroups_path; *s;)
    {
      const char *e;
      size_t len;

      while (*s == '/')
        s++;
      if (*s == '\0')
        break;
      e = strchrnul (s, '/');
      len = (size_t) (e - s);
      if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        {
          make_error (err, 0, "cgroupsPath \"%s\": %.*s is not allowed", cgroups_path,
                      (int) len, s);
          return NULL;
        }
      for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
          {
            make_error (err, 0, "cgroupsPath \"%s\": control characters are not allowed",
                        cgroups_path);
            return NULL;
          }
      out[o++] = '/';
      memcpy (out + o, s, len);
      o += len;
      s = e;
    }
  out[o] = '\0';

  if (o == 0)
    {
      make_error (err, 0, "cgroupsPath \"%s\": the root cgroup cannot hold a container",
                  cgroups_path);
      return NULL;
    }
  return steal_pointer (&out);
}

int
cgroup_dir (char *buf, size_t size, const struct cgroup_hierarchy *h, const char *path,
            ocirt_error_t *err)
{
  int r = snprintf (buf, size, "%s%s", h->mount, path);

  if (r < 0 || (size_t) r >= size)
    return make_error (err, ENAMETOOLONG, "cgroup path \"%s%s\"", h->mount, path);
  return 0;
}

/* ------------------------------------------------------------------ */
/* mountinfo                                                            */

static void
parse_super_options (char *opts, struct cgroup_hierarchy *h)
{
  for (char *tok = strtok (opts, ","); tok; tok = strtok (NULL, ","))
    {
      int c = cgroup_controller_from_name (tok, strlen (tok));

      if (c >= 0)
        h->controllers |= 1u << c;
      else if (strncmp (tok, "name=", 5) == 0)
        h->named = true;
    }
}

/* One mountinfo line; returns true and fills *h when it is a cgroup mount. */
static bool
parse_mountinfo_line (char *line, struct cgroup_hierarchy *h)
{
  struct mountinfo_entry e;

  if (!mountinfo_parse_line (line, &e) || (strcmp (e.fstype, "cgroup") != 0 && strcmp (e.fstype, "cgroup2") != 0))
    return false;
  memset (h, 0, sizeof *h);
  h->created_off = -1;
  h->unified = strcmp (e.fstype, "cgroup2") == 0;
  h->dev_major = e.dev_major;
  h->dev_minor = e.dev_minor;
  if (strlen (e.mount_point) >= sizeof h->mount)
    return false;
  strcpy (h->mount, e.mount_point);
  if (strcmp (h->mount, "/") == 0)
    h->mount[0] = '\0';
  if (!h->unified)
    parse_super_options (e.super_options, h);
  return true;
}

static bool
under_sys_fs_cgroup (const char *mount)
{
  return strncmp (mount, CGROUP_ROOT, strlen (CGROUP_ROOT)) == 0;
}

int
cgroup_layout_parse (const char *mountinfo, struct cgroup_layout *l, ocirt_error_t *err)
{
  cleanup_free char *copy = strdup (mountinfo);
  char *save = NULL;

  if (copy == NULL)
    abort ();
  l->n = 0;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct cgroup_hierarchy h;
      size_t i;

      if (!parse_mountinfo_line (line, &h))
        continue;
      for (i = 0; i < l->n; i++)
        if (l->h[i].dev_major == h.dev_major && l->h[i].dev_minor == h.dev_minor)
          break;
      if (i < l->n)
        {
          /* The same hierarchy mounted twice: keep the canonical place. */
          if (!under_sys_fs_cgroup (l->h[i].mount) && under_sys_fs_cgroup (h.mount))
            l->h[i] = h;
          continue;
        }
      if (l->n == CGROUP_MAX_HIERARCHIES)
        return make_error (err, 0, "more than %d cgroup hierarchies are mounted",
                           CGROUP_MAX_HIERARCHIES);
      l->h[l->n++] = h;
    }
  return 0;
}

int
cgroup_layout_load (struct cgroup_layout *l, ocirt_error_t *err)
{
  cleanup_free char *mi = NULL;

  l->mode = cgroup_detect_mode ();
  if (l->mode == CGROUP_MODE_V2)
    {
      /* Unified only: the one mount is all there is; no mountinfo needed. */
      memset (&l->h[0], 0, sizeof l->h[0]);
      strcpy (l->h[0].mount, CGROUP_ROOT);
      l->h[0].unified = true;
      l->h[0].created_off = -1;
      l->n = 1;
      return 0;
    }
  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", PROC_FILE_MAX, &mi, NULL, err) < 0)
    return wrap_error (err, "discover cgroup hierarchies");
  if (cgroup_layout_parse (mi, l, err) < 0)
    return -1;
  for (size_t i = 0; i < l->n; i++)
    if (!l->h[i].unified)
      return 0;
  return make_error (err, 0, "no cgroup v1 hierarchy is mounted under " CGROUP_ROOT);
}

const struct cgroup_hierarchy *
cgroup_layout_find (const struct cgroup_layout *l, enum cgroup_controller c)
{
  for (size_t i = 0; i < l->n; i++)
    if (!l->h[i].unified && (l->h[i].controllers & (1u << c)))
      return &l->h[i];
  return NULL;
}

const struct cgroup_hierarchy *
cgroup_layout_unified (const struct cgroup_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->h[i].unified)
      return &l->h[i];
  return NULL;
}

/* Whether a failure in this hierarchy may be ignored: hybrid's cgroup2 mount
 * is joined for tools that look there, as runc does, but is not required. */
static bool
best_effort (const struct cgroup_layout *l, const struct cgroup_hierarchy *h)
{
  return l->mode == CGROUP_MODE_V1 && h->unified;
}

/* ------------------------------------------------------------------ */
/* file helpers                                                         */

static int
join (char *buf, size_t size, const char *dir, const char *file)
{
  int r = snprintf (buf, size, "%s/%s", dir, file);
  return (r < 0 || (size_t) r >= size) ? -ENAMETOOLONG : 0;
}

int
cgroup_write_raw (const char *dir, const char *file, const char *data, size_t len)
{
  char p[PATH_MAX];
  int fd, r = 0;
  ssize_t w;

  if (join (p, sizeof p, dir, file) < 0)
    return -ENAMETOOLONG;
  fd = open (p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  do
    w = write (fd, data, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    r = -errno;
  else if ((size_t) w != len)
    r = -EIO;
  close (fd);
  return r;
}

ssize_t
cgroup_read_raw (const char *dir, const char *file, char *buf, size_t size)
{
  char p[PATH_MAX];
  size_t len = 0;
  int fd;

  if (join (p, sizeof p, dir, file) < 0)
    return -ENAMETOOLONG;
  fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  while (len + 1 < size)
    {
      ssize_t r = read (fd, buf + len, size - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          close (fd);
          return -e;
        }
      if (r == 0)
        break;
      len += (size_t) r;
    }
  close (fd);
  buf[len] = '\0';
  return (ssize_t) len;
}

bool
cgroup_file_exists (const char *dir, const char *file)
{
  char p[PATH_MAX];

  return join (p, sizeof p, dir, file) == 0 && access (p, F_OK) == 0;
}

int
cgroup_write_field (const char *dir, const char *file, const char *field, ocirt_error_t *err,
                    const char *fmt, ...)
{
  char value[4096];
  va_list ap;
  int n, r;

  va_start (ap, fmt);
  n = vsnprintf (value, sizeof value, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= sizeof value)
    return make_error (err, 0, "%s: value too long for \"%s/%s\"", field, dir, file);
  r = cgroup_write_raw (dir, file, value, (size_t) n);
  if (r == -ENOENT)
    return make_error (err, 0, "%s: not supported by this kernel: \"%s/%s\" does not exist", field,
                       dir, file);
  if (r < 0)
    return make_error (err, -r, "%s: write \"%.64s\" to \"%s/%s\"", field, value, dir, file);
  return 0;
}

/* ------------------------------------------------------------------ */
/* pids                                                                 */

static int
pid_cmp (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int
cgroup_parse_pids (const char *text, pid_t **pids, size_t *n, ocirt_error_t *err)
{
  cleanup_free pid_t *v = NULL;
  size_t len = 0, cap = 0, u = 0;
  const char *s = text;

  while (*s)
    {
      char *end;
      long x;

      if (*s == '\n' || *s == ' ')
        {
          s++;
          continue;
        }
      errno = 0;
      x = strtol (s, &end, 10);
      if (end == s || errno || x <= 0 || x > INT_MAX || (*end && *end != '\n' && *end != ' '))
        return make_error (err, 0, "cgroup.procs: unexpected content \"%.16s\"", s);
      if (len == cap)
        {
          pid_t *nv = realloc (v, (cap = cap ? cap * 2 : 16) * sizeof *v);
          if (nv == NULL)
            abort ();
          v = nv;
        }
      v[len++] = (pid_t) x;
      s = end;
    }
  if (len)
    {
      qsort (v, len, sizeof *v, pid_cmp);
      for (size_t i = 0; i < len; i++)
        if (u == 0 || v[u - 1] != v[i])
          v[u++] = v[i];
    }
  *n = u;
  *pids = steal_pointer (&v);
  return 0;
}

static int
read_pids_in (const char *dir, pid_t **pids, size_t *n, ocirt_error_t *err)
{
  char p[PATH_MAX];
  cleanup_free char *text = NULL;

  if (join (p, sizeof p, dir, "cgroup.procs") < 0)
    return make_error (err, ENAMETOOLONG, "cgroup path \"%s\"", dir);
  if (read_file_at (AT_FDCWD, p, PROC_FILE_MAX, &text, NULL, err) < 0)
    return -1;
  return cgroup_parse_pids (text, pids, n, err);
}

/* The hierarchy whose cgroup.procs lists the container's processes. */
static const struct cgroup_hierarchy *
procs_hierarchy (const struct cgroup_layout *l)
{
  const struct cgroup_hierarchy *h;

  if (l->mode == CGROUP_MODE_V2)
    return &l->h[0];
  h = cgroup_layout_find (l, CGC_PIDS);
  if (h)
    return h;
  for (size_t i = 0; i < l->n; i++)
    if (!l->h[i].unified && l->h[i].controllers)
      return &l->h[i];
  for (size_t i = 0; i < l->n; i++)
    if (!l->h[i].unified)
      return &l->h[i];
  return NULL;
}

int
cgroup_pids (const char *path, pid_t **pids, size_t *n, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *h;
  char dir[PATH_MAX];

  *pids = NULL;
  *n = 0;
  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  h = procs_hierarchy (&l);
  if (h == NULL)
    return make_error (err, 0, "no cgroup hierarchy to list processes from");
  if (cgroup_dir (dir, sizeof dir, h, path, err) < 0)
    return -1;
  if (read_pids_in (dir, pids, n, err) < 0)
    return wrap_error (err, "list processes of cgroup \"%s\"", path);
  return 0;
}

/* ------------------------------------------------------------------ */
/* create / enter                                                       */

/* How many processes dir holds; 0 when it cannot be read. */
static size_t
count_processes (const char *dir)
{
  cleanup_error ocirt_error_t ignored = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (read_pids_in (dir, &pids, &n, &ignored) < 0)
    return 0;
  return n;
}

/* Whether a container's init put in dir would be frozen at once: dir or an
 * ancestor is frozen or freezing. create would then hang on its init's
 * first message instead of failing; runc refuses such a cgroup too. */
static bool
frozen_for_create (enum cgroup_mode mode, const char *dir)
{
  char buf[512];

  if (mode == CGROUP_MODE_V1)
    return cgroup_read_raw (dir, "freezer.state", buf, sizeof buf) > 0
           && strncmp (buf, "THAWED", 6) != 0;
  if (cgroup_read_raw (dir, "cgroup.freeze", buf, sizeof buf) > 0 && buf[0] == '1')
    return true;
  return cgroup_read_raw (dir, "cgroup.events", buf, sizeof buf) > 0
         && strstr (buf, "frozen 1") != NULL;
}

/* The hierarchy whose freezer a container's processes obey. */
static bool
is_freezer_hierarchy (const struct cgroup_layout *l, const struct cgroup_hierarchy *h)
{
  if (l->mode == CGROUP_MODE_V2)
    return true;
  return !h->unified && (h->controllers & (1u << CGC_FREEZER));
}

static int make_dirs_walk (struct cgroup_hierarchy *h, char *dir, char *rel, bool *existed,
                           ocirt_error_t *err);

/* mkdir -p of dir, whose first strlen(h->mount) bytes are the mount point.
 * Records in h->created_off how much of the cgroup path existed before. */
static int
make_dirs (struct cgroup_hierarchy *h, char *dir, bool *existed, ocirt_error_t *err)
{
  size_t mlen = strlen (h->mount);
  char *rel = dir + mlen;

  h->created_off = -1;
  *existed = false;
  /* Fast path: the parent exists (the common "/ocirt/<id>" case). */
  if (mkdir (dir, 0755) == 0)
    {
      h->created_off = (int) (strrchr (rel, '/') - rel);
      return 0;
    }
  if (errno == EEXIST)
    {
      *existed = true;
      return 0;
    }
  if (errno != ENOENT)
    return make_error (err, errno, "create cgroup: mkdir \"%s\"", dir);

  /* mkdir -p. A concurrent removal of an empty parent (another runtime's
   * destroy) can make a level vanish under us: start over a few times. */
  for (int attempt = 0;; attempt++)
    {
      int r = make_dirs_walk (h, dir, rel, existed, err);

      if (r == 0 || errno != ENOENT || attempt == 3)
        return r;
      error_release (err);
    }
}

static int
make_dirs_walk (struct cgroup_hierarchy *h, char *dir, char *rel, bool *existed,
                ocirt_error_t *err)
{
  char *last_slash = rel;

  for (char *p = rel + 1;; p++)
    {
      char c = *p;

      if (c != '/' && c != '\0')
        continue;
      *p = '\0';
      if (mkdir (dir, 0755) == 0)
        {
          if (h->created_off < 0)
            h->created_off = (int) (last_slash - rel);
        }
      else if (errno == EEXIST)
        {
          if (c == '\0')
            *existed = h->created_off < 0;
        }
      else
        {
          int e = errno;
          make_error (err, e, "create cgroup: mkdir \"%s\"", dir);
          *p = c;
          errno = e;
          return -1;
        }
      *p = c;
      if (c == '\0')
        return 0;
      last_slash = p;
    }
}

/* rmdir what make_dirs created, deepest first. */
static void
remove_created (struct cgroup_hierarchy *h, const char *path)
{
  char dir[PATH_MAX];
  size_t mlen = strlen (h->mount);

  if (h->created_off < 0 || snprintf (dir, sizeof dir, "%s%s", h->mount, path) >= (int) sizeof dir)
    return;
  while (strlen (dir + mlen) > (size_t) h->created_off)
    {
      if (rmdir (dir) < 0 && errno != ENOENT)
        break;
      *strrchr (dir + mlen, '/') = '\0';
    }
  h->created_off = -1;
}

static int
enter_dir (const char *dir, const char *buf, size_t len, pid_t pid, ocirt_error_t *err)
{
  int r = cgroup_write_raw (dir, "cgroup.procs", buf, len);

  if (r < 0)
    /* runc's words, which its exec tests look for: the path unquoted. */
    return make_error (err, -r, "error adding pid %d to cgroups: write %s/cgroup.procs", (int) pid,
                       dir);
  return 0;
}

static int
create_one (struct cgroup_layout *l, struct cgroup_hierarchy *h, const char *path, pid_t pid,
            size_t *procs_found, ocirt_error_t *err)
{
  char dir[PATH_MAX], buf[32];
  bool existed;
  int len;

  if (cgroup_dir (dir, sizeof dir, h, path, err) < 0)
    return -1;
  if (make_dirs (h, dir, &existed, err) < 0)
    return -1;
  /* runc 1.1 goes on with a warning, and managers rely on it (a pod's
   * members sharing one cgroup); the caller reports it. */
  if (existed)
    {
      size_t n = count_processes (dir);
      if (n > *procs_found)
        *procs_found = n;
    }
  if (is_freezer_hierarchy (l, h) && frozen_for_create (l->mode, dir))
    return make_error (err, 0, "container's cgroup unexpectedly frozen: \"%s\"", dir);
  if (l->mode == CGROUP_MODE_V2 && cgroup_v2_enable_controllers (h->mount, path, NULL, err) < 0)
    return -1;
  /* A new v1 cpuset cgroup has empty cpus/mems and refuses tasks. */
  if (!h->unified && (h->controllers & (1u << CGC_CPUSET))
      && cgroup_v1_cpuset_init (h, path, err) < 0)
    return -1;
  if (pid <= 0)
    return 0;
  len = snprintf (buf, sizeof buf, "%d", (int) pid);
  return enter_dir (dir, buf, (size_t) len, pid, err);
}

static int
create_all (struct cgroup_layout *l, const char *path, pid_t pid, size_t *procs_found,
            ocirt_error_t *err)
{
  *procs_found = 0;
  for (size_t i = 0; i < l->n; i++)
    {
      struct cgroup_hierarchy *h = &l->h[i];
      cleanup_error ocirt_error_t ignored = NULL;

      if (create_one (l, h, path, pid, procs_found, best_effort (l, h) ? &ignored : err) == 0)
        continue;
      if (best_effort (l, h))
        {
          remove_created (h, path);
          continue;
        }
      /* A pid already moved in keeps a cgroup busy; the caller kills it. */
      for (size_t j = 0; j <= i; j++)
        remove_created (&l->h[j], path);
      return -1;
    }
  return 0;
}

int
cgroup_create_and_enter (const char *path, pid_t pid, size_t *procs_found, ocirt_error_t *err)
{
  struct cgroup_layout l;

  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  return create_all (&l, path, pid, procs_found, err);
}

static int
apply_on (const struct cgroup_layout *l, const char *path, const struct oci_resources *res,
          ocirt_error_t *err)
{
  if (l->mode == CGROUP_MODE_V2)
    return cgroup_v2_apply (l->h[0].mount, path, res, err);
  return cgroup_v1_apply (l, path, res, err);
}

static int
open_for_clone (const char *path, ocirt_error_t *err)
{
  char dir[PATH_MAX];
  int fd;

  if (snprintf (dir, sizeof dir, CGROUP_ROOT "%s", path) >= (int) sizeof dir)
    return make_error (err, ENAMETOOLONG, "cgroup \"%s\"", path);
  fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open cgroup \"%s\"", dir);
  return fd;
}

/* The leaf was there before us (make_dirs made nothing) in a hierarchy
 * that counts; a best-effort one that failed has made nothing either. */
static bool
leaf_existed (const struct cgroup_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    if (!best_effort (l, &l->h[i]) && l->h[i].created_off < 0)
      return true;
  return false;
}

/* The mounts of the hierarchies where the leaf was made (by us, now). */
static void
made_in (const struct cgroup_layout *l, char ***out)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->h[i].created_off >= 0)
      strv_append_printf (out, "%s", l->h[i].mount);
}

int
cgroup_create_for_init (const char *path, const struct oci_resources *res, int *clone_fd,
                        bool *existed, char ***made, size_t *procs_found, ocirt_error_t *err)
{
  struct cgroup_layout l;

  *clone_fd = -1;
  *existed = false;
  if (cgroup_layout_load (&l, err) < 0 || create_all (&l, path, 0, procs_found, err) < 0)
    return -1;
  *existed = leaf_existed (&l);
  if (*existed)
    made_in (&l, made);
  if ((res && apply_on (&l, path, res, err) < 0)
      || (l.mode == CGROUP_MODE_V2 && (*clone_fd = open_for_clone (path, err)) < 0))
    {
      /* Still empty: what we made goes again, and only that. */
      for (size_t i = 0; i < l.n; i++)
        remove_created (&l.h[i], path);
      return -1;
    }
  return 0;
}

int
cgroup_enter (const char *path, pid_t pid, ocirt_error_t *err)
{
  struct cgroup_layout l;
  char dir[PATH_MAX], buf[32];
  int len = snprintf (buf, sizeof buf, "%d", (int) pid);

  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_error ocirt_error_t ignored = NULL;
      bool be = best_effort (&l, &l.h[i]);

      if (cgroup_dir (dir, sizeof dir, &l.h[i], path, err) < 0)
        return -1;
      if (enter_dir (dir, buf, (size_t) len, pid, be ? &ignored : err) < 0 && !be)
        return -1;
    }
  return 0;
}

int
cgroup_enter_controller (const char *path, const char *ctrl, pid_t pid, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *h;
  char dir[PATH_MAX], buf[32];
  int len = snprintf (buf, sizeof buf, "%d", (int) pid);

  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  if (l.mode == CGROUP_MODE_V2)
    return make_error (err, 0, "cgroup \"%s:%s\": cgroup v2 has no per-controller cgroups", ctrl, path);
  int c = cgroup_controller_from_name (ctrl, strlen (ctrl));
  h = c < 0 ? NULL : cgroup_layout_find (&l, (enum cgroup_controller) c);
  if (h == NULL)
    /* "unknown controller": runc's words, which its exec tests look for. */
    return make_error (err, 0, "cgroup \"%s:%s\": unknown controller %s (no hierarchy has it)",
                       ctrl, path, ctrl);
  if (cgroup_dir (dir, sizeof dir, h, path, err) < 0)
    return -1;
  return enter_dir (dir, buf, (size_t) len, pid, err);
}

int
cgroup_apply_resources (const char *path, const struct oci_resources *res, ocirt_error_t *err)
{
  struct cgroup_layout l;

  if (res == NULL)
    return 0;
  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  return apply_on (&l, path, res, err);
}

struct oci_memory
cgroup_memory_without_zeros (const struct oci_memory *m)
{
  struct oci_memory z = *m;

  z.has_limit = m->has_limit && m->limit != 0;
  z.has_reservation = m->has_reservation && m->reservation != 0;
  z.has_swap = m->has_swap && m->swap != 0;
  return z;
}

bool
cgroup_kmem_ignored (const struct oci_resources *res, bool zero_is_unset)
{
  const struct oci_memory *m = res ? res->memory : NULL;

  if (m == NULL)
    return false;
  return (m->has_kernel && !(zero_is_unset && m->kernel == 0))
         || (m->has_kernel_tcp && !(zero_is_unset && m->kernel_tcp == 0));
}

int
cgroup_open_unified (const char *path, ocirt_error_t *err)
{
  if (cgroup_detect_mode () != CGROUP_MODE_V2)
    return make_error (err, 0, "cgroup \"%s\": not a cgroup v2 host", path);
  return open_for_clone (path, err);
}

/* ------------------------------------------------------------------ */
/* signals, freezer, removal                                            */

/* Signal the pids listed in dir/cgroup.procs. A cgroup removed meanwhile
 * holds no process. */
static int
kill_pids_in (const char *dir, int sig, ocirt_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;

  if (read_pids_in (dir, &pids, &n, err) < 0)
    {
      if ((*err)->errno_value != ENOENT)
        return -1;
      error_release (err);
      return 0;
    }
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return make_error (err, errno, "kill pid %d", (int) pids[i]);
  return 0;
}

typedef int (*cgroup_visit_fn) (const char *dir, const void *arg, ocirt_error_t *err);

/* fn on dir and on every cgroup below it, parents first or (children_first)
 * deepest first. A container may make cgroups of its own below its cgroup
 * (a nested runtime or systemd with a writable cgroupfs): signalling,
 * thawing and removal must reach those too, as runc's do. A cgroup that
 * vanishes meanwhile is skipped. */
static int
walk_cgroups (const char *dir, bool children_first, cgroup_visit_fn fn, const void *arg,
              ocirt_error_t *err)
{
  struct dirent *e;
  DIR *d;
  int ret = 0;

  if (!children_first && fn (dir, arg, err) < 0)
    return -1;
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : make_error (err, errno, "open cgroup \"%s\"", dir);
  while (ret == 0 && (e = readdir (d)) != NULL)
    {
      char sub[PATH_MAX];

      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (join (sub, sizeof sub, dir, e->d_name) < 0)
        ret = make_error (err, ENAMETOOLONG, "cgroup path \"%s/%s\"", dir, e->d_name);
      else
        ret = walk_cgroups (sub, children_first, fn, arg, err);
    }
  closedir (d);
  if (ret == 0 && children_first)
    ret = fn (dir, arg, err);
  return ret;
}

static int
signal_visit (const char *dir, const void *arg, ocirt_error_t *err)
{
  return kill_pids_in (dir, *(const int *) arg, err);
}

/* Best effort: a level that cannot be thawed is left for remove_dir's
 * retries to report. */
static int
thaw_visit (const char *dir, const void *arg, ocirt_error_t *err)
{
  enum cgroup_mode mode = *(const enum cgroup_mode *) arg;

  (void) err;
  if (mode == CGROUP_MODE_V1)
    cgroup_write_raw (dir, "freezer.state", "THAWED", 6);
  else
    cgroup_write_raw (dir, "cgroup.freeze", "0", 1);
  return 0;
}

/* Signal every process in dir and below: cgroup.kill (v2, 5.14+) kills the
 * whole subtree atomically; otherwise each cgroup.procs in turn. */
static int
signal_tree (const struct cgroup_layout *l, const char *dir, int sig, ocirt_error_t *err)
{
  if (l->mode == CGROUP_MODE_V2 && sig == SIGKILL && cgroup_write_raw (dir, "cgroup.kill", "1", 1) == 0)
    return 0;
  return walk_cgroups (dir, false, signal_visit, &sig, err);
}

static void
sleep_us (long us)
{
  struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* v1: "FROZEN"/"FREEZING"/"THAWED"; v2: "frozen 0|1" in cgroup.events. */
static int
freezer_dir (const struct cgroup_layout *l, const char *path, char *dir, size_t size,
             ocirt_error_t *err)
{
  const struct cgroup_hierarchy *h
    = l->mode == CGROUP_MODE_V2 ? &l->h[0] : cgroup_layout_find (l, CGC_FREEZER);

  if (h == NULL)
    return make_error (err, 0, "cgroup \"%s\": the freezer controller is not mounted", path);
  return cgroup_dir (dir, size, h, path, err);
}

static bool
state_reached (enum cgroup_mode mode, const char *dir, bool freeze)
{
  char buf[512];

  if (mode == CGROUP_MODE_V1)
    {
      if (cgroup_read_raw (dir, "freezer.state", buf, sizeof buf) < 0)
        return false;
      return strncmp (buf, freeze ? "FROZEN" : "THAWED", 6) == 0;
    }
  if (cgroup_read_raw (dir, "cgroup.events", buf, sizeof buf) < 0)
    return false;
  const char *f = strstr (buf, "frozen ");
  return f && f[7] == (freeze ? '1' : '0');
}

static int
write_freeze (enum cgroup_mode mode, const char *dir, bool freeze, ocirt_error_t *err)
{
  const char *file = mode == CGROUP_MODE_V1 ? "freezer.state" : "cgroup.freeze";
  const char *v = mode == CGROUP_MODE_V1 ? (freeze ? "FROZEN" : "THAWED") : (freeze ? "1" : "0");
  int r = cgroup_write_raw (dir, file, v, strlen (v));

  if (r < 0)
    return make_error (err, -r, "%s cgroup: write \"%s\" to \"%s/%s\"",
                       freeze ? "freeze" : "thaw", v, dir, file);
  return 0;
}

int
cgroup_freeze_dir (enum cgroup_mode mode, const char *dir, bool freeze, ocirt_error_t *err)
{
  long waited = 0, step = 100;

  if (write_freeze (mode, dir, freeze, err) < 0)
    return -1;
  /* Freezing waits for every task to stop; bounded at about 2 seconds.
   * v1 is re-asked each round, as runc does, because a task forked while
   * FREEZING can keep the state there. */
  while (!state_reached (mode, dir, freeze))
    {
      if (waited >= 2000000)
        {
          cleanup_error ocirt_error_t ignored = NULL;

          if (freeze)
            write_freeze (mode, dir, false, &ignored);
          return make_error (err, ETIMEDOUT, "%s cgroup \"%s\"", freeze ? "freeze" : "thaw", dir);
        }
      sleep_us (step);
      waited += step;
      if (step < 50000)
        step *= 2;
      if (mode == CGROUP_MODE_V1 && write_freeze (mode, dir, freeze, err) < 0)
        return -1;
    }
  return 0;
}

bool
cgroup_dir_frozen (enum cgroup_mode mode, const char *dir)
{
  return state_reached (mode, dir, true);
}

int
cgroup_freeze (const char *path, bool freeze, ocirt_error_t *err)
{
  struct cgroup_layout l;
  char dir[PATH_MAX];

  if (cgroup_layout_load (&l, err) < 0 || freezer_dir (&l, path, dir, sizeof dir, err) < 0)
    return -1;
  return cgroup_freeze_dir (l.mode, dir, freeze, err);
}

bool
cgroup_is_frozen (const char *path)
{
  struct cgroup_layout l;
  cleanup_error ocirt_error_t err = NULL;
  char dir[PATH_MAX];

  if (cgroup_layout_load (&l, &err) < 0 || freezer_dir (&l, path, dir, sizeof dir, &err) < 0)
    return false;
  return state_reached (l.mode, dir, true);
}

int
cgroup_kill_all (const char *path, int sig, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *h;
  char dir[PATH_MAX], fdir[PATH_MAX];
  cleanup_error ocirt_error_t ignored = NULL;
  bool froze;
  int r;

  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  h = procs_hierarchy (&l);
  if (h == NULL || cgroup_dir (dir, sizeof dir, h, path, err) < 0)
    return h ? -1 : make_error (err, 0, "no cgroup hierarchy to signal processes in");
  /* A stopped container's cgroup may be gone: there is nothing to signal. */
  if (access (dir, F_OK) < 0 && errno == ENOENT)
    return 0;
  /* As runc: freeze, signal, thaw. Frozen, no process can fork a child
   * between the listing and the signal. A cgroup that cannot be frozen (no
   * freezer, a task stuck in the kernel) is signalled all the same. */
  froze = freezer_dir (&l, path, fdir, sizeof fdir, &ignored) == 0
          && cgroup_freeze_dir (l.mode, fdir, true, &ignored) == 0;
  r = signal_tree (&l, dir, sig, err);
  /* Thawed in any case, so a paused container's processes act on the
   * signal too; it is left running, as runc leaves it. */
  if (froze && cgroup_freeze_dir (l.mode, fdir, false, r < 0 ? &ignored : err) < 0 && r == 0)
    r = -1;
  if (r < 0)
    return wrap_error (err, "signal processes of cgroup \"%s\"", path);
  return 0;
}

/* rmdir with bounded retries while the kernel reports the cgroup busy
 * (exiting tasks). Each retry kills what is still listed, unless `gently`:
 * then what stays busy stays. */
static int
remove_dir_retrying (const char *dir, bool unified_v2, bool gently, ocirt_error_t *err)
{
  long step = 1000, waited = 0;

  for (;;)
    {
      cleanup_error ocirt_error_t ignored = NULL;

      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || waited >= 1000000)
        return make_error (err, errno, "remove cgroup \"%s\"", dir);
      if (!gently && (!unified_v2 || cgroup_write_raw (dir, "cgroup.kill", "1", 1) < 0))
        kill_pids_in (dir, SIGKILL, &ignored);
      sleep_us (step);
      waited += step;
      if (step < 128000)
        step *= 2;
    }
}

/* Remove the empty parents of the default path, up to and including
 * "/ocirt". Another container's cgroup keeps them (ENOTEMPTY/EBUSY). */
static void
remove_default_parents (const struct cgroup_hierarchy *h, const char *path)
{
  char dir[PATH_MAX];
  size_t mlen = strlen (h->mount), plen = strlen (CGROUP_DEFAULT_PARENT);

  if (strncmp (path, CGROUP_DEFAULT_PARENT "/", plen + 1) != 0
      || snprintf (dir, sizeof dir, "%s%s", h->mount, path) >= (int) sizeof dir)
    return;
  for (;;)
    {
      *strrchr (dir + mlen, '/') = '\0';
      if (strlen (dir + mlen) < plen || rmdir (dir) < 0)
        return;
    }
}

static int
remove_dir (const char *dir, bool unified_v2, ocirt_error_t *err)
{
  return remove_dir_retrying (dir, unified_v2, false, err);
}

static int
remove_visit (const char *dir, const void *arg, ocirt_error_t *err)
{
  return remove_dir (dir, *(const bool *) arg, err);
}

static int
remove_gently_visit (const char *dir, const void *arg, ocirt_error_t *err)
{
  return remove_dir_retrying (dir, *(const bool *) arg, true, err);
}

/* SIGKILL everything in the cgroup and below, then thaw it all: a frozen
 * task dies only once thawed (v1, and v2 without cgroup.kill). Best
 * effort: remove_dir retries and reports what stays. */
static void
stop_everything (const struct cgroup_layout *l, const char *path, const char *procs_dir)
{
  cleanup_error ocirt_error_t ignored = NULL;
  char fdir[PATH_MAX];

  signal_tree (l, procs_dir, SIGKILL, &ignored);
  if (freezer_dir (l, path, fdir, sizeof fdir, &ignored) == 0)
    walk_cgroups (fdir, false, thaw_visit, &l->mode, &ignored);
}

int
cgroup_destroy (const char *path, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *ph;
  char dir[PATH_MAX];
  int ret = 0;

  if (cgroup_layout_load (&l, err) < 0)
    return -1;

  /* First stop everything, so that the rmdirs below rarely need a retry. */
  ph = procs_hierarchy (&l);
  if (ph && cgroup_dir (dir, sizeof dir, ph, path, err) == 0 && access (dir, F_OK) == 0)
    stop_everything (&l, path, dir);

  for (size_t i = 0; i < l.n; i++)
    {
      cleanup_error ocirt_error_t e = NULL;
      const struct cgroup_hierarchy *h = &l.h[i];
      bool unified_v2 = l.mode == CGROUP_MODE_V2;

      if (cgroup_dir (dir, sizeof dir, h, path, &e) == 0
          && walk_cgroups (dir, true, remove_visit, &unified_v2, &e) == 0)
        {
          remove_default_parents (h, path);
          continue;
        }
      if (best_effort (&l, h) || ret < 0)
        continue;
      ret = -1;
      error_release (err);
      *err = steal_pointer (&e);
    }
  return ret;
}

static bool
strv_has (char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

/* Remove the leaf from the hierarchies it was made in: those are ocirt's,
 * whoever made it in the others. Best effort, as a found cgroup's end, and
 * without killing: another container may have found it since, and joined. */
static void
remove_made (const struct cgroup_layout *l, const char *path, char *const *made)
{
  bool unified_v2 = l->mode == CGROUP_MODE_V2;
  char dir[PATH_MAX];

  for (size_t i = 0; made && i < l->n; i++)
    {
      cleanup_error ocirt_error_t ignored = NULL;

      if (strv_has (made, l->h[i].mount) && cgroup_dir (dir, sizeof dir, &l->h[i], path, &ignored) == 0)
        walk_cgroups (dir, true, remove_gently_visit, &unified_v2, &ignored);
    }
}

int
cgroup_release (const char *path, bool kill, char *const *made, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *ph, *fh;
  char dir[PATH_MAX];

  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  ph = procs_hierarchy (&l);
  if (ph == NULL || cgroup_dir (dir, sizeof dir, ph, path, err) < 0 || access (dir, F_OK) < 0)
    {
      error_release (err);
      remove_made (&l, path, made);
      return 0;
    }
  if (kill && kill_pids_in (dir, SIGKILL, err) < 0)
    return wrap_error (err, "kill the processes of cgroup \"%s\"", path);
  /* A frozen task dies only once thawed. */
  if (l.mode == CGROUP_MODE_V2)
    cgroup_write_raw (dir, "cgroup.freeze", "0", 1);
  else if ((fh = cgroup_layout_find (&l, CGC_FREEZER)) && cgroup_dir (dir, sizeof dir, fh, path, err) == 0)
    cgroup_write_raw (dir, "freezer.state", "THAWED", 6);
  error_release (err);
  remove_made (&l, path, made);
  return 0;
}

uint64_t
cgroup_hugepage_size (const char *page_size)
{
  static const char *const units[] = { "KB", "MB", "GB", "TB" };
  const char *s = page_size;
  uint64_t n = 0;

  if (*s < '1' || *s > '9')
    return 0;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      if (n > UINT64_MAX / 10)
        return 0;
      n = n * 10 + (uint64_t) (*s - '0');
    }
  for (int i = 0; i < 4; i++)
    if (strcmp (s, units[i]) == 0)
      {
        int shift = 10 * (i + 1);
        return n > (UINT64_MAX >> shift) ? 0 : n << shift;
      }
  return 0;
}

/* ---- rdma (the same rdma.max on v1 and v2) ---- */

int
cgroup_rdma_format (const struct oci_rdma *r, char *buf, size_t size)
{
  char handles[32] = "", objects[32] = "";
  int n;

  if (!r->has_hca_handles && !r->has_hca_objects)
    return 0;
  if (r->has_hca_handles)
    snprintf (handles, sizeof handles, " hca_handle=%" PRIu32, r->hca_handles);
  if (r->has_hca_objects)
    snprintf (objects, sizeof objects, " hca_object=%" PRIu32, r->hca_objects);
  n = snprintf (buf, size, "%s%s%s", r->device, handles, objects);
  return n < 0 || (size_t) n >= size ? -1 : n;
}

int
cgroup_write_rdma (const char *dir, const struct oci_rdma *r, size_t n, ocirt_error_t *err)
{
  char line[512];

  for (size_t i = 0; i < n; i++)
    {
      int len = cgroup_rdma_format (&r[i], line, sizeof line);
      if (len < 0)
        return make_error (err, ENAMETOOLONG, "linux.resources.rdma: device name \"%s\" is too long",
                           r[i].device);
      if (len > 0 && cgroup_write_field (dir, "rdma.max", "linux.resources.rdma", err, "%s", line) < 0)
        return -1;
    }
  return 0;
}
