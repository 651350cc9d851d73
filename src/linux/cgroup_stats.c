/* cgroup_stats.c - the statistics of a container's cgroup and the
 * notification of its OOM kills, for `ocirt events`.
 *
 * Owns: reading the accounting files of v1 (cpuacct, cpu, memory, pids,
 * blkio, hugetlb, cpuset) and v2 (cpu.stat, memory.*, pids.*, io.stat,
 * hugetlb.*, cpuset.*.effective)
 * into one runc-shaped struct cgroup_stats, and the OOM watch (v1 eventfd
 * through cgroup.event_control, v2 inotify on memory.events).
 * Must never: write a control file other than v1's cgroup.event_control, or
 * invent a value that the kernel did not report.
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "scheduling.h"

#define STAT_BUF 65536
/* USER_HZ of cpuacct.stat; fixed at 100 in the kernel ABI. */
#define USER_HZ 100
#define NS_PER_TICK (1000000000ull / USER_HZ)

/* ------------------------------------------------------------------ */
/* small readers                                                        */

static bool
read_u64 (const char *dir, const char *file, uint64_t *v)
{
  char buf[64];

  if (cgroup_read_raw (dir, file, buf, sizeof buf) <= 0)
    return false;
  /* "max" (v2) reads as unlimited: 0 here, as runc reports it for pids
   * and the largest value for memory (see read_limit). */
  *v = strncmp (buf, "max", 3) == 0 ? 0 : strtoull (buf, NULL, 10);
  return true;
}

/* A v2 limit: "max" is the largest value, as v1 reports "no limit". */
static bool
read_limit (const char *dir, const char *file, uint64_t *v)
{
  char buf[64];

  if (cgroup_read_raw (dir, file, buf, sizeof buf) <= 0)
    return false;
  *v = strncmp (buf, "max", 3) == 0 ? UINT64_MAX : strtoull (buf, NULL, 10);
  return true;
}

/* The value of "key N" in a flat keyed file ("nr_periods 3\n..."). */
static bool
keyed (const char *text, const char *key, uint64_t *v)
{
  size_t n = strlen (key);

  for (const char *s = text; s && *s; s = strchr (s, '\n'), s = s ? s + 1 : NULL)
    if (strncmp (s, key, n) == 0 && s[n] == ' ')
      {
        *v = strtoull (s + n + 1, NULL, 10);
        return true;
      }
  return false;
}

static ssize_t
read_text (const char *dir, const char *file, char **out)
{
  cleanup_free char *buf = malloc (STAT_BUF);
  ssize_t r;

  if (buf == NULL)
    abort ();
  r = cgroup_read_raw (dir, file, buf, STAT_BUF);
  if (r < 0)
    return r;
  *out = steal_pointer (&buf);
  return r;
}

/* Space-separated numbers into a malloc'd array. */
static void
parse_list (const char *text, uint64_t **out, size_t *n)
{
  size_t cap = 0;

  *out = NULL;
  *n = 0;
  for (const char *s = text;;)
    {
      char *end;
      uint64_t v;

      s += strspn (s, " \n");
      if (*s == '\0')
        return;
      v = strtoull (s, &end, 10);
      if (end == s)
        return;
      if (*n == cap)
        {
          uint64_t *nv = realloc (*out, (cap = cap ? cap * 2 : 8) * sizeof *nv);
          if (nv == NULL)
            abort ();
          *out = nv;
        }
      (*out)[(*n)++] = v;
      s = end;
    }
}

/* memory.stat ("key value" lines) into s->memory.raw. */
static void
parse_raw (const char *text, struct cgroup_stats *s)
{
  size_t cap = 0;

  for (const char *line = text; *line;)
    {
      const char *sp = strchr (line, ' '), *nl = strchrnul (line, '\n');

      if (sp && sp < nl)
        {
          if (s->memory.n_raw == cap)
            {
              struct cgroup_stat_kv *nv
                = realloc (s->memory.raw, (cap = cap ? cap * 2 : 32) * sizeof *nv);
              if (nv == NULL)
                abort ();
              s->memory.raw = nv;
            }
          s->memory.raw[s->memory.n_raw].key = strndup (line, (size_t) (sp - line));
          s->memory.raw[s->memory.n_raw++].value = strtoull (sp + 1, NULL, 10);
        }
      line = *nl ? nl + 1 : nl;
    }
}

static void
add_blkio (struct cgroup_blkio_entry **v, size_t *n, uint64_t major, uint64_t minor,
           const char *op, uint64_t value)
{
  struct cgroup_blkio_entry *nv = realloc (*v, (*n + 1) * sizeof *nv);

  if (nv == NULL)
    abort ();
  *v = nv;
  nv[*n] = (struct cgroup_blkio_entry) { .major = major, .minor = minor, .value = value };
  snprintf (nv[*n].op, sizeof nv[*n].op, "%s", op);
  (*n)++;
}

/* blkio.throttle.io_service_bytes: "8:0 Read 4096" lines and "Total N". */
static void
parse_blkio_v1 (const char *text, struct cgroup_blkio_entry **v, size_t *n)
{
  for (const char *line = text; *line;)
    {
      unsigned long long maj, min, val;
      char op[16];

      if (sscanf (line, "%llu:%llu %15s %llu", &maj, &min, op, &val) == 4)
        add_blkio (v, n, maj, min, op, val);
      line = strchrnul (line, '\n');
      if (*line)
        line++;
    }
}

/* io.stat: "8:0 rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static void
parse_io_stat (const char *text, struct cgroup_stats *s)
{
  static const struct
  {
    const char *key;
    const char *op;
    bool bytes;
  } map[] = {
    { "rbytes", "Read", true }, { "wbytes", "Write", true },   { "dbytes", "Discard", true },
    { "rios", "Read", false },  { "wios", "Write", false },    { "dios", "Discard", false },
  };

  for (const char *line = text; *line;)
    {
      unsigned long long maj, min;
      const char *nl = strchrnul (line, '\n');
      int off = 0;

      if (sscanf (line, "%llu:%llu%n", &maj, &min, &off) == 2)
        for (const char *f = line + off; f < nl;)
          {
            const char *eq;

            f += strspn (f, " ");
            eq = strchr (f, '=');
            if (eq == NULL || eq > nl)
              break;
            for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
              if (strlen (map[i].key) == (size_t) (eq - f) && strncmp (f, map[i].key, (size_t) (eq - f)) == 0)
                {
                  uint64_t v = strtoull (eq + 1, NULL, 10);
                  if (map[i].bytes)
                    add_blkio (&s->blkio.service_bytes, &s->blkio.n_service_bytes, maj, min,
                               map[i].op, v);
                  else
                    add_blkio (&s->blkio.serviced, &s->blkio.n_serviced, maj, min, map[i].op, v);
                }
            f = strchrnul (eq, ' ');
          }
      line = *nl ? nl + 1 : nl;
    }
}

/* The page sizes the kernel offers: "hugetlb.2MB.<suffix>" files in dir. */
static void
read_hugetlb (const char *dir, bool v2, struct cgroup_stats *s)
{
  static const char *const sizes[] = { "64KB", "2MB", "32MB", "512MB", "1GB", "16GB" };
  char file[64];

  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      struct cgroup_hugetlb_entry e = { 0 };
      cleanup_free char *events = NULL;

      snprintf (file, sizeof file, v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes",
                sizes[i]);
      if (!read_u64 (dir, file, &e.usage))
        continue;
      snprintf (e.page_size, sizeof e.page_size, "%s", sizes[i]);
      if (v2)
        {
          /* v2 has no high-water mark; runc reports max as the usage. */
          e.max = e.usage;
          snprintf (file, sizeof file, "hugetlb.%s.events", sizes[i]);
          if (read_text (dir, file, &events) > 0)
            keyed (events, "max", &e.failcnt);
        }
      else
        {
          snprintf (file, sizeof file, "hugetlb.%s.max_usage_in_bytes", sizes[i]);
          read_u64 (dir, file, &e.max);
          snprintf (file, sizeof file, "hugetlb.%s.failcnt", sizes[i]);
          read_u64 (dir, file, &e.failcnt);
        }
      struct cgroup_hugetlb_entry *nv = realloc (s->hugetlb, (s->n_hugetlb + 1) * sizeof *nv);
      if (nv == NULL)
        abort ();
      s->hugetlb = nv;
      s->hugetlb[s->n_hugetlb++] = e;
    }
}

/* A cpuset list file ("0-1,3\n") as the numbers in it; none when the file
 * is missing or empty (a new v1 cpuset before it is given cpus). */
static void
read_id_list (const char *dir, const char *file, uint64_t **out, size_t *n)
{
  cleanup_free char *text = NULL;
  cleanup_error ocirt_error_t ignored = NULL;
  cpu_set_t *set = NULL;
  size_t size = 0, k = 0;

  *out = NULL;
  *n = 0;
  if (read_text (dir, file, &text) <= 0)
    return;
  text[strcspn (text, "\n")] = '\0';
  if (*text == '\0' || cpu_list_parse (text, file, &set, &size, &ignored) < 0)
    return;
  *out = calloc ((size_t) CPU_COUNT_S (size, set) + 1, sizeof **out);
  if (*out == NULL)
    abort ();
  for (size_t c = 0; c < size * 8; c++)
    if (CPU_ISSET_S (c, size, set))
      (*out)[k++] = c;
  *n = k;
  CPU_FREE (set);
}

/* ------------------------------------------------------------------ */
/* v1                                                                   */

/* The container's directory in the hierarchy of c, if it is mounted. */
static bool
v1_dir (const struct cgroup_layout *l, enum cgroup_controller c, const char *path, char *dir,
        size_t size)
{
  const struct cgroup_hierarchy *h = cgroup_layout_find (l, c);
  cleanup_error ocirt_error_t ignored = NULL;

  return h && cgroup_dir (dir, size, h, path, &ignored) == 0;
}

static void
v1_cpu (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s)
{
  char dir[PATH_MAX];
  cleanup_free char *text = NULL;

  if (v1_dir (l, CGC_CPUACCT, path, dir, sizeof dir))
    {
      uint64_t v;

      read_u64 (dir, "cpuacct.usage", &s->cpu.total);
      if (read_text (dir, "cpuacct.usage_percpu", &text) >= 0)
        parse_list (text, &s->cpu.percpu, &s->cpu.n_percpu);
      free (steal_pointer (&text));
      /* runc takes user/system from cpuacct.stat, in USER_HZ ticks. */
      if (read_text (dir, "cpuacct.stat", &text) >= 0)
        {
          if (keyed (text, "user", &v))
            s->cpu.user = v * NS_PER_TICK;
          if (keyed (text, "system", &v))
            s->cpu.kernel = v * NS_PER_TICK;
        }
      free (steal_pointer (&text));
      /* "cpu user system" then one line per cpu. */
      if (read_text (dir, "cpuacct.usage_all", &text) > 0)
        {
          const char *line = strchr (text, '\n');
          size_t cap = 0;

          while (line && *++line)
            {
              unsigned long long cpu, user, sys;

              if (sscanf (line, "%llu %llu %llu", &cpu, &user, &sys) != 3)
                break;
              if (s->cpu.n_percpu_user == cap)
                {
                  cap = cap ? cap * 2 : 8;
                  s->cpu.percpu_user = realloc (s->cpu.percpu_user, cap * sizeof (uint64_t));
                  s->cpu.percpu_kernel = realloc (s->cpu.percpu_kernel, cap * sizeof (uint64_t));
                  if (s->cpu.percpu_user == NULL || s->cpu.percpu_kernel == NULL)
                    abort ();
                }
              s->cpu.percpu_user[s->cpu.n_percpu_user++] = user;
              s->cpu.percpu_kernel[s->cpu.n_percpu_kernel++] = sys;
              line = strchr (line, '\n');
            }
        }
    }
  if (v1_dir (l, CGC_CPU, path, dir, sizeof dir) && read_text (dir, "cpu.stat", &text) > 0)
    {
      s->cpu.has_throttling = keyed (text, "nr_periods", &s->cpu.periods);
      keyed (text, "nr_throttled", &s->cpu.throttled_periods);
      keyed (text, "throttled_time", &s->cpu.throttled_time);
    }
}

static bool
v1_mem_entry (const char *dir, const char *prefix, struct cgroup_mem_entry *e)
{
  char file[64];
  bool ok;

  snprintf (file, sizeof file, "%susage_in_bytes", prefix);
  ok = read_u64 (dir, file, &e->usage);
  snprintf (file, sizeof file, "%slimit_in_bytes", prefix);
  read_u64 (dir, file, &e->limit);
  snprintf (file, sizeof file, "%smax_usage_in_bytes", prefix);
  read_u64 (dir, file, &e->max);
  snprintf (file, sizeof file, "%sfailcnt", prefix);
  read_u64 (dir, file, &e->failcnt);
  return ok;
}

static int
v1_memory (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s,
           ocirt_error_t *err)
{
  char dir[PATH_MAX];
  cleanup_free char *text = NULL;

  if (!v1_dir (l, CGC_MEMORY, path, dir, sizeof dir))
    return 0;
  s->memory.has_usage = v1_mem_entry (dir, "memory.", &s->memory.usage);
  if (!s->memory.has_usage)
    return make_error (err, 0, "read memory statistics: \"%s/memory.usage_in_bytes\" cannot be "
                               "read (does the container exist?)", dir);
  s->memory.has_swap = v1_mem_entry (dir, "memory.memsw.", &s->memory.swap);
  s->memory.has_kernel = v1_mem_entry (dir, "memory.kmem.", &s->memory.kernel);
  s->memory.has_kernel_tcp = v1_mem_entry (dir, "memory.kmem.tcp.", &s->memory.kernel_tcp);
  if (read_text (dir, "memory.stat", &text) > 0)
    {
      parse_raw (text, s);
      keyed (text, "cache", &s->memory.cache);
    }
  return 0;
}

static void
v1_pids (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s)
{
  char dir[PATH_MAX];

  if (!v1_dir (l, CGC_PIDS, path, dir, sizeof dir))
    return;
  s->pids.has_current = read_u64 (dir, "pids.current", &s->pids.current);
  read_u64 (dir, "pids.max", &s->pids.limit);
}

static void
v1_blkio (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s)
{
  char dir[PATH_MAX];
  cleanup_free char *text = NULL;

  if (!v1_dir (l, CGC_BLKIO, path, dir, sizeof dir))
    return;
  if (read_text (dir, "blkio.throttle.io_service_bytes_recursive", &text) > 0)
    parse_blkio_v1 (text, &s->blkio.service_bytes, &s->blkio.n_service_bytes);
  free (steal_pointer (&text));
  if (read_text (dir, "blkio.throttle.io_serviced_recursive", &text) > 0)
    parse_blkio_v1 (text, &s->blkio.serviced, &s->blkio.n_serviced);
}

/* runc's CPUSetStats: the lists and the flags of the cpuset hierarchy. */
static void
v1_cpuset (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s)
{
  char dir[PATH_MAX];
  char buf[32];

  if (!v1_dir (l, CGC_CPUSET, path, dir, sizeof dir))
    return;
  read_id_list (dir, "cpuset.cpus", &s->cpuset.cpus, &s->cpuset.n_cpus);
  read_id_list (dir, "cpuset.mems", &s->cpuset.mems, &s->cpuset.n_mems);
  read_u64 (dir, "cpuset.cpu_exclusive", &s->cpuset.cpu_exclusive);
  read_u64 (dir, "cpuset.mem_hardwall", &s->cpuset.mem_hardwall);
  read_u64 (dir, "cpuset.mem_exclusive", &s->cpuset.mem_exclusive);
  read_u64 (dir, "cpuset.memory_migrate", &s->cpuset.memory_migrate);
  read_u64 (dir, "cpuset.memory_spread_page", &s->cpuset.memory_spread_page);
  read_u64 (dir, "cpuset.memory_spread_slab", &s->cpuset.memory_spread_slab);
  read_u64 (dir, "cpuset.memory_pressure", &s->cpuset.memory_pressure);
  read_u64 (dir, "cpuset.sched_load_balance", &s->cpuset.sched_load_balance);
  if (cgroup_read_raw (dir, "cpuset.sched_relax_domain_level", buf, sizeof buf) > 0)
    s->cpuset.sched_relax_domain_level = strtoll (buf, NULL, 10);
}

static int
v1_collect (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s,
            ocirt_error_t *err)
{
  const struct cgroup_hierarchy *hh = cgroup_layout_find (l, CGC_HUGETLB);
  const struct cgroup_hierarchy *u = cgroup_layout_unified (l);
  char dir[PATH_MAX];
  cleanup_error ocirt_error_t ignored = NULL;

  if (v1_memory (l, path, s, err) < 0)
    return -1;
  v1_cpu (l, path, s);
  v1_pids (l, path, s);
  v1_blkio (l, path, s);
  v1_cpuset (l, path, s);
  /* Hybrid hosts may carry hugetlb on the cgroup2 mount only. */
  if (hh && cgroup_dir (dir, sizeof dir, hh, path, &ignored) == 0)
    read_hugetlb (dir, false, s);
  else if (u && cgroup_dir (dir, sizeof dir, u, path, &ignored) == 0)
    read_hugetlb (dir, true, s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* v2                                                                   */

static int
v2_collect (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s,
            ocirt_error_t *err)
{
  char dir[PATH_MAX];
  cleanup_free char *text = NULL;
  uint64_t v;

  if (cgroup_dir (dir, sizeof dir, &l->h[0], path, err) < 0)
    return -1;
  if (read_text (dir, "cpu.stat", &text) < 0)
    return make_error (err, errno, "read cpu statistics: \"%s/cpu.stat\" cannot be read (does "
                                   "the container exist?)", dir);
  /* usec in v2; runc reports nanoseconds as on v1. */
  if (keyed (text, "usage_usec", &v))
    s->cpu.total = v * 1000;
  if (keyed (text, "user_usec", &v))
    s->cpu.user = v * 1000;
  if (keyed (text, "system_usec", &v))
    s->cpu.kernel = v * 1000;
  if ((s->cpu.has_throttling = keyed (text, "nr_periods", &s->cpu.periods)))
    {
      keyed (text, "nr_throttled", &s->cpu.throttled_periods);
      if (keyed (text, "throttled_usec", &v))
        s->cpu.throttled_time = v * 1000;
    }
  free (steal_pointer (&text));

  if ((s->memory.has_usage = read_u64 (dir, "memory.current", &s->memory.usage.usage)))
    {
      read_limit (dir, "memory.max", &s->memory.usage.limit);
      read_u64 (dir, "memory.peak", &s->memory.usage.max);
      if (read_text (dir, "memory.events", &text) > 0)
        keyed (text, "max", &s->memory.usage.failcnt);
      free (steal_pointer (&text));
      /* runc's "swap" on v2 is memory+swap, like v1's memsw. */
      if ((s->memory.has_swap = read_u64 (dir, "memory.swap.current", &s->memory.swap.usage)))
        {
          uint64_t max;

          s->memory.swap.usage += s->memory.usage.usage;
          read_limit (dir, "memory.swap.max", &max);
          s->memory.swap.limit = max == UINT64_MAX || s->memory.usage.limit == UINT64_MAX
                                   ? UINT64_MAX
                                   : max + s->memory.usage.limit;
          if (read_u64 (dir, "memory.swap.peak", &max))
            s->memory.swap.max = max + s->memory.usage.max;
          if (read_text (dir, "memory.swap.events", &text) > 0)
            keyed (text, "max", &s->memory.swap.failcnt);
          free (steal_pointer (&text));
        }
      if (read_text (dir, "memory.stat", &text) > 0)
        {
          parse_raw (text, s);
          keyed (text, "file", &s->memory.cache);
        }
      free (steal_pointer (&text));
    }
  s->pids.has_current = read_u64 (dir, "pids.current", &s->pids.current);
  read_u64 (dir, "pids.max", &s->pids.limit);
  if (read_text (dir, "io.stat", &text) > 0)
    parse_io_stat (text, s);
  read_hugetlb (dir, true, s);
  /* v2 has no cpuset flags: the sets the container may use. */
  read_id_list (dir, "cpuset.cpus.effective", &s->cpuset.cpus, &s->cpuset.n_cpus);
  read_id_list (dir, "cpuset.mems.effective", &s->cpuset.mems, &s->cpuset.n_mems);
  return 0;
}

int
cgroup_stats_collect (const struct cgroup_layout *l, const char *path, struct cgroup_stats *s,
                      ocirt_error_t *err)
{
  int r;

  memset (s, 0, sizeof *s);
  r = l->mode == CGROUP_MODE_V2 ? v2_collect (l, path, s, err) : v1_collect (l, path, s, err);
  if (r < 0)
    cgroup_stats_clear (s);
  return r;
}

int
cgroup_stats_read (const char *path, struct cgroup_stats *s, ocirt_error_t *err)
{
  struct cgroup_layout l;

  memset (s, 0, sizeof *s);
  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  return cgroup_stats_collect (&l, path, s, err);
}

void
cgroup_stats_clear (struct cgroup_stats *s)
{
  free (s->cpu.percpu);
  free (s->cpu.percpu_kernel);
  free (s->cpu.percpu_user);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free (s->memory.raw[i].key);
  free (s->memory.raw);
  free (s->blkio.service_bytes);
  free (s->blkio.serviced);
  free (s->hugetlb);
  free (s->cpuset.cpus);
  free (s->cpuset.mems);
  memset (s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ */
/* OOM notification                                                     */

static int
oom_kills_v2 (const char *dir, uint64_t *n)
{
  char buf[512];
  ssize_t r = cgroup_read_raw (dir, "memory.events", buf, sizeof buf);

  if (r < 0)
    return (int) r;
  *n = 0;
  keyed (buf, "oom_kill", n);
  return 0;
}

int
cgroup_oom_watch_open (const char *path, struct cgroup_oom_watch *w, ocirt_error_t *err)
{
  struct cgroup_layout l;
  const struct cgroup_hierarchy *h;
  char line[PATH_MAX + 32];
  int r;

  w->fd = w->ctl_fd = -1;
  w->oom_kills = 0;
  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  w->v2 = l.mode == CGROUP_MODE_V2;
  h = w->v2 ? &l.h[0] : cgroup_layout_find (&l, CGC_MEMORY);
  if (h == NULL)
    return make_error (err, 0, "watch for OOM kills: the memory cgroup controller is not mounted");
  if (cgroup_dir (w->dir, sizeof w->dir, h, path, err) < 0)
    return -1;

  if (w->v2)
    {
      char file[PATH_MAX + 32];

      if ((r = oom_kills_v2 (w->dir, &w->oom_kills)) < 0)
        return make_error (err, -r, "watch for OOM kills: read \"%s/memory.events\"", w->dir);
      w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (w->fd < 0)
        return make_error (err, errno, "watch for OOM kills: inotify_init1");
      snprintf (file, sizeof file, "%s/memory.events", w->dir);
      if (inotify_add_watch (w->fd, file, IN_MODIFY) < 0)
        {
          r = errno;
          cgroup_oom_watch_close (w);
          return make_error (err, r, "watch for OOM kills: inotify_add_watch \"%s\"", file);
        }
      return 0;
    }

  /* v1: "<eventfd> <fd of memory.oom_control>" into cgroup.event_control. */
  snprintf (line, sizeof line, "%s/memory.oom_control", w->dir);
  w->ctl_fd = open (line, O_RDONLY | O_CLOEXEC);
  if (w->ctl_fd < 0)
    return make_error (err, errno, "watch for OOM kills: open \"%s\"", line);
  w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    {
      r = errno;
      cgroup_oom_watch_close (w);
      return make_error (err, r, "watch for OOM kills: eventfd");
    }
  snprintf (line, sizeof line, "%d %d", w->fd, w->ctl_fd);
  if ((r = cgroup_write_raw (w->dir, "cgroup.event_control", line, strlen (line))) < 0)
    {
      cgroup_oom_watch_close (w);
      return make_error (err, -r, "watch for OOM kills: write \"%s/cgroup.event_control\"",
                         w->dir);
    }
  return 0;
}

int
cgroup_oom_watch_consume (struct cgroup_oom_watch *w, ocirt_error_t *err)
{
  if (w->v2)
    {
      char buf[4096];
      uint64_t now;

      while (read (w->fd, buf, sizeof buf) > 0)
        ;
      if (oom_kills_v2 (w->dir, &now) < 0 || now <= w->oom_kills)
        return 0;
      uint64_t n = now - w->oom_kills;
      w->oom_kills = now;
      return n > INT32_MAX ? INT32_MAX : (int) n;
    }

  uint64_t count;
  ssize_t r = read (w->fd, &count, sizeof count);

  if (r < 0 && errno == EAGAIN)
    return 0;
  if (r != (ssize_t) sizeof count)
    return make_error (err, errno, "read the OOM eventfd of \"%s\"", w->dir);
  /* The eventfd is also signalled when the cgroup is removed. */
  if (!cgroup_file_exists (w->dir, "cgroup.event_control"))
    return 0;
  return count > INT32_MAX ? INT32_MAX : (int) count;
}

void
cgroup_oom_watch_close (struct cgroup_oom_watch *w)
{
  if (w->fd >= 0)
    close (w->fd);
  if (w->ctl_fd >= 0)
    close (w->ctl_fd);
  w->fd = w->ctl_fd = -1;
}
