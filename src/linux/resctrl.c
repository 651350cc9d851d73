/* resctrl.c - linux.intelRdt (see resctrl.h). */
#include "resctrl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/mountinfo.h"

#define RDTGROUP_SUPER_MAGIC 0x7655821

static bool
exists_at (int dirfd, const char *name)
{
  struct stat st;
  return fstatat (dirfd, name, &st, 0) == 0;
}

/* The mount point of resctrl in mountinfo: /sys/fs/resctrl if it is one,
 * else the first. NULL when none. */
static char *
find_mount_point (char *mountinfo)
{
  struct mountinfo_entry e;
  char *found = NULL;

  for (char *cur = mountinfo; mountinfo_next (&cur, &e);)
    if (strcmp (e.fstype, "resctrl") == 0)
      {
        if (strcmp (e.mount_point, "/sys/fs/resctrl") == 0)
          return e.mount_point;
        if (found == NULL)
          found = e.mount_point;
      }
  return found;
}

int
resctrl_open (struct resctrl *r, ocirt_error_t *err)
{
  cleanup_free char *mountinfo = NULL;
  size_t len;
  struct statfs sfs;

  memset (r, 0, sizeof *r);
  r->root_fd = -1;
  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", PROC_FILE_MAX, &mountinfo, &len, err) < 0)
    return -1;
  const char *mp = find_mount_point (mountinfo);
  if (mp == NULL)
    return 0;
  r->root_fd = open (mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->root_fd < 0)
    return make_error (err, errno, "resctrl: open %s", mp);
  /* What mountinfo names may since have been covered. */
  if (fstatfs (r->root_fd, &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
    {
      resctrl_close (r);
      return make_error (err, 0, "resctrl: %s is not the resctrl filesystem", mp);
    }
  r->cat = exists_at (r->root_fd, "info/L3") || exists_at (r->root_fd, "info/L3CODE");
  r->mba = exists_at (r->root_fd, "info/MB");
  r->mon = exists_at (r->root_fd, "info/L3_MON");
  return 0;
}

void
resctrl_close (struct resctrl *r)
{
  if (r->root_fd >= 0)
    close (r->root_fd);
  r->root_fd = -1;
}

static bool
has_text (const char *s)
{
  return s && *s;
}

int
resctrl_check (const struct resctrl *r, const struct oci_intel_rdt *rdt, bool *apply, const char **warning,
               ocirt_error_t *err)
{
  bool mounted = r->root_fd >= 0;

  *apply = false;
  *warning = NULL;
  if (rdt == NULL)
    return 0;
  /* runc's words for the two schemas it knows. */
  if (has_text (rdt->l3_cache_schema) && !r->cat)
    return make_error (err, 0, "intelRdt.l3CacheSchema is specified in config, but Intel RDT/CAT is not enabled");
  if (has_text (rdt->mem_bw_schema) && !r->mba)
    return make_error (err, 0, "intelRdt.memBwSchema is specified in config, but Intel RDT/MBA is not enabled");
  if (rdt->n_schemata && !mounted)
    return make_error (err, 0, "intelRdt.schemata is specified in config, but no resctrl filesystem is mounted");
  if (rdt->enable_monitoring && !r->mon)
    return make_error (err, 0, "intelRdt.enableMonitoring is set in config, but resctrl monitoring is not enabled%s",
                       mounted ? " (no info/L3_MON)" : " (no resctrl filesystem is mounted)");
  if (!mounted)
    {
      *warning = "intelRdt is specified in config, but no resctrl filesystem is mounted: the container runs "
                 "without it, as with runc";
      return 0;
    }
  *apply = true;
  return 0;
}

const char *
resctrl_group_name (const struct oci_intel_rdt *rdt, const char *id)
{
  if (!has_text (rdt->clos_id))
    return id;
  return strcmp (rdt->clos_id, "/") == 0 ? "" : rdt->clos_id;
}

/* What the kernel said about the last failed write, in info/last_cmd_status
 * (a bare EINVAL tells nothing): appended to *err. */
static int
last_cmd_error (const struct resctrl *r, ocirt_error_t *err)
{
  cleanup_error ocirt_error_t ignored = NULL;
  cleanup_free char *status = NULL;
  size_t len;

  if (read_file_at (r->root_fd, "info/last_cmd_status", 4096, &status, &len, &ignored) == 0)
    {
      while (len && status[len - 1] == '\n')
        status[--len] = '\0';
      if (len)
        return wrap_error (err, "resctrl (info/last_cmd_status: %s)", status);
    }
  return -1;
}

/* The group directory as a path under the root ("." for the root). */
static const char *
group_path (const char *name)
{
  return *name ? name : ".";
}

static int
write_tasks (const struct resctrl *r, int dirfd, const char *where, pid_t pid, ocirt_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d\n", (int) pid);

  if (write_file_at (dirfd, "tasks", buf, (size_t) n, err) < 0)
    {
      last_cmd_error (r, err);
      return wrap_error (err, "resctrl group \"%s\"", where);
    }
  return 0;
}

/* One write of every line, each ending in a newline, as the kernel wants:
 * l3CacheSchema, memBwSchema, then schemata (runtime-spec's order). */
static int
write_schemata (const struct resctrl *r, int group_fd, const struct oci_intel_rdt *rdt, const char *where,
                ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream (&text, &size);

  if (f == NULL)
    abort ();
  if (has_text (rdt->l3_cache_schema))
    fprintf (f, "%s\n", rdt->l3_cache_schema);
  if (has_text (rdt->mem_bw_schema))
    fprintf (f, "%s\n", rdt->mem_bw_schema);
  for (size_t i = 0; i < rdt->n_schemata; i++)
    fprintf (f, "%s\n", rdt->schemata[i]);
  fclose (f);
  if (size == 0)
    return 0;
  if (write_file_at (group_fd, "schemata", text, size, err) < 0)
    {
      last_cmd_error (r, err);
      return wrap_error (err, "resctrl group \"%s\": schemata", where);
    }
  return 0;
}

static bool
gives_schema (const struct oci_intel_rdt *rdt)
{
  return has_text (rdt->l3_cache_schema) || has_text (rdt->mem_bw_schema) || rdt->n_schemata;
}

/* Open the group, making it when the config gives a schema (or names no
 * closID); *made says whether this call made it. */
static int
open_group (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *name, bool *made,
            ocirt_error_t *err)
{
  *made = false;
  if (*name && (gives_schema (rdt) || !has_text (rdt->clos_id)))
    {
      if (mkdirat (r->root_fd, name, 0755) == 0)
        *made = true;
      else if (errno != EEXIST)
        {
          make_error (err, errno, "resctrl: create group \"%s\"", name);
          last_cmd_error (r, err);
          return -1;
        }
    }
  int fd = openat (r->root_fd, group_path (name), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return make_error (err, ENOENT,
                       "intelRdt.closID \"%s\": the group does not exist in resctrl (it must be made "
                       "beforehand when l3CacheSchema, memBwSchema and schemata are empty)",
                       name);
  if (fd < 0)
    return make_error (err, errno, "resctrl: open group \"%s\"", name);
  return fd;
}

/* mon_groups/<id> of the group, made when missing (*made then). */
static int
open_mon_group (const struct resctrl *r, int group_fd, const char *id, bool make, bool *made,
                ocirt_error_t *err)
{
  char path[512];

  snprintf (path, sizeof path, "mon_groups/%s", id);
  if (make && mkdirat (group_fd, path, 0755) == 0)
    *made = true;
  else if (make && errno != EEXIST)
    {
      make_error (err, errno, "resctrl: create MON group \"%s\"", path);
      last_cmd_error (r, err);
      return -1;
    }
  int fd = openat (group_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "resctrl: open MON group \"%s\"", path);
  return fd;
}

/* The group's tasks, then the MON group's (the kernel takes a task into a
 * MON group only from its parent group). With make_mon the MON group is
 * made when missing, and *made_mon says so. */
static int
enter (const struct resctrl *r, const struct oci_intel_rdt *rdt, int group_fd, const char *name,
       const char *id, bool make_mon, bool *made_mon, pid_t pid, ocirt_error_t *err)
{
  if (write_tasks (r, group_fd, group_path (name), pid, err) < 0)
    return -1;
  if (!rdt->enable_monitoring)
    return 0;
  cleanup_close int mon_fd = open_mon_group (r, group_fd, id, make_mon, made_mon, err);
  if (mon_fd < 0 || write_tasks (r, mon_fd, id, pid, err) < 0)
    return wrap_error (err, "resctrl group \"%s\"", group_path (name));
  return 0;
}

int
resctrl_join (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id, pid_t pid,
              ocirt_error_t *err)
{
  const char *name = resctrl_group_name (rdt, id);
  bool made, made_mon = false;
  cleanup_close int group_fd = open_group (r, rdt, name, &made, err);

  if (group_fd < 0)
    return -1;
  if (write_schemata (r, group_fd, rdt, group_path (name), err) == 0
      && enter (r, rdt, group_fd, name, id, true, &made_mon, pid, err) == 0)
    return 0;
  /* Nothing left behind: the MON group and the group, if made here. */
  if (made_mon)
    {
      char path[512];
      snprintf (path, sizeof path, "mon_groups/%s", id);
      unlinkat (group_fd, path, AT_REMOVEDIR);
    }
  if (made)
    unlinkat (r->root_fd, name, AT_REMOVEDIR);
  return -1;
}

int
resctrl_add_process (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id, pid_t pid,
                     ocirt_error_t *err)
{
  const char *name = resctrl_group_name (rdt, id);
  cleanup_close int group_fd = openat (r->root_fd, group_path (name), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* No group (resctrl was mounted after create, or the group was
   * removed): the kernel has put the init's tasks in the default group,
   * and the process joins them there. */
  if (group_fd < 0 && errno == ENOENT)
    return 0;
  if (group_fd < 0)
    return make_error (err, errno, "resctrl: open group \"%s\"", group_path (name));
  bool made_mon = false;
  return enter (r, rdt, group_fd, name, id, false, &made_mon, pid, err);
}

int
resctrl_remove (const struct resctrl *r, const struct oci_intel_rdt *rdt, const char *id, ocirt_error_t *err)
{
  const char *name = resctrl_group_name (rdt, id);

  if (rdt->enable_monitoring)
    {
      char path[512];
      snprintf (path, sizeof path, "%s/mon_groups/%s", group_path (name), id);
      if (unlinkat (r->root_fd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return make_error (err, errno, "resctrl: remove MON group \"%s\"", path);
    }
  /* A closID names a group made or shared by others (runc leaves it too). */
  if (!has_text (rdt->clos_id) && unlinkat (r->root_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return make_error (err, errno, "resctrl: remove group \"%s\"", name);
  return 0;
}
