/* events.c - `ocirt events`: a container's statistics and OOM kills, as
 * runc prints them (one JSON object per line).
 *
 * Owns: the runc-shaped JSON of struct cgroup_stats (field names of runc's
 * libcontainer/cgroups stats types), the --interval loop and the event line
 * format (events.h). The statistics themselves come from cgroup_stats.c.
 */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "../linux/cgroup.h"
#include "../util/cleanup.h"
#include "../util/duration.h"
#include "../util/json.h"
#include "cli.h"

#define DEFAULT_INTERVAL_NS (5ull * 1000000000ull)
/* How often the loop checks that the container still runs. */
#define STATUS_POLL_MS 200

static void
yajl_gen_freep (yajl_gen *g)
{
  if (*g)
    yajl_gen_free (*g);
}
#define cleanup_gen __attribute__ ((cleanup (yajl_gen_freep)))

/* ------------------------------------------------------------------ */
/* generation helpers                                                   */

/* yajl_gen_integer stops at LLONG_MAX; "no limit" is UINT64_MAX. */
static void
u64 (yajl_gen g, const char *k, uint64_t v)
{
  char buf[24];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);

  if (k)
    json_gen_str (g, k);
  yajl_gen_number (g, buf, (size_t) n);
}

/* runc's omitempty: a zero is left out. */
static void
u64_nz (yajl_gen g, const char *k, uint64_t v)
{
  if (v)
    u64 (g, k, v);
}

static void
u64_array (yajl_gen g, const char *k, const uint64_t *v, size_t n)
{
  json_gen_str (g, k);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    u64 (g, NULL, v[i]);
  yajl_gen_array_close (g);
}

/* ------------------------------------------------------------------ */
/* events                                                               */

int
events_emit (FILE *out, const char *type, const char *id, const char *data_json,
             ocirt_error_t *err)
{
  cleanup_gen yajl_gen g = yajl_gen_alloc (NULL);
  yajl_val data = NULL;
  const unsigned char *buf;
  size_t len;
  int r = 0;

  if (g == NULL)
    abort ();
  if (data_json)
    {
      char errbuf[256] = "";

      data = yajl_tree_parse (data_json, errbuf, sizeof errbuf);
      if (data == NULL)
        return make_error (err, 0, "event \"%s\": invalid data JSON: %s", type, errbuf);
    }
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "type", type);
  json_gen_kv_string (g, "id", id);
  if (data)
    {
      json_gen_str (g, "data");
      json_gen_value (g, data);
      yajl_tree_free (data);
    }
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  if (fwrite (buf, 1, len, out) != len || fputc ('\n', out) == EOF || fflush (out) == EOF)
    r = make_error (err, errno, "write event");
  return r;
}

static void
gen_mem_entry (yajl_gen g, const char *k, const struct cgroup_mem_entry *e)
{
  json_gen_str (g, k);
  yajl_gen_map_open (g);
  u64 (g, "limit", e->limit);
  u64_nz (g, "usage", e->usage);
  u64_nz (g, "max", e->max);
  u64 (g, "failcnt", e->failcnt);
  yajl_gen_map_close (g);
}

static void
gen_blkio (yajl_gen g, const char *k, const struct cgroup_blkio_entry *e, size_t n)
{
  if (n == 0)
    return;
  json_gen_str (g, k);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      u64 (g, "major", e[i].major);
      u64 (g, "minor", e[i].minor);
      json_gen_kv_string (g, "op", e[i].op);
      u64 (g, "value", e[i].value);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

/* runc's CPUSet: the lists left out when empty, the flags always. */
static void
gen_cpuset (yajl_gen g, const struct cgroup_stats *s)
{
  char buf[24];
  int n;

  json_gen_str (g, "cpuset");
  yajl_gen_map_open (g);
  if (s->cpuset.n_cpus)
    u64_array (g, "cpus", s->cpuset.cpus, s->cpuset.n_cpus);
  u64 (g, "cpu_exclusive", s->cpuset.cpu_exclusive);
  if (s->cpuset.n_mems)
    u64_array (g, "mems", s->cpuset.mems, s->cpuset.n_mems);
  u64 (g, "mem_hardwall", s->cpuset.mem_hardwall);
  u64 (g, "mem_exclusive", s->cpuset.mem_exclusive);
  u64 (g, "memory_migrate", s->cpuset.memory_migrate);
  u64 (g, "memory_spread_page", s->cpuset.memory_spread_page);
  u64 (g, "memory_spread_slab", s->cpuset.memory_spread_slab);
  u64 (g, "memory_pressure", s->cpuset.memory_pressure);
  u64 (g, "sched_load_balance", s->cpuset.sched_load_balance);
  json_gen_str (g, "sched_relax_domain_level");
  n = snprintf (buf, sizeof buf, "%" PRId64, s->cpuset.sched_relax_domain_level);
  yajl_gen_number (g, buf, (size_t) n);
  yajl_gen_map_close (g);
}

/* The "data" object of a stats event (runc's types.Stats). */
static char *
stats_json (const struct cgroup_stats *s)
{
  cleanup_gen yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);

  json_gen_str (g, "cpu");
  yajl_gen_map_open (g);
  json_gen_str (g, "usage");
  yajl_gen_map_open (g);
  u64 (g, "total", s->cpu.total);
  u64_array (g, "percpu", s->cpu.percpu, s->cpu.n_percpu);
  if (s->cpu.n_percpu_kernel)
    u64_array (g, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel);
  if (s->cpu.n_percpu_user)
    u64_array (g, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user);
  u64 (g, "kernel", s->cpu.kernel);
  u64 (g, "user", s->cpu.user);
  yajl_gen_map_close (g);
  json_gen_str (g, "throttling");
  yajl_gen_map_open (g);
  u64_nz (g, "periods", s->cpu.periods);
  u64_nz (g, "throttled_periods", s->cpu.throttled_periods);
  u64_nz (g, "throttled_time", s->cpu.throttled_time);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  gen_cpuset (g, s);

  json_gen_str (g, "memory");
  yajl_gen_map_open (g);
  u64_nz (g, "cache", s->memory.cache);
  if (s->memory.has_usage)
    gen_mem_entry (g, "usage", &s->memory.usage);
  if (s->memory.has_swap)
    gen_mem_entry (g, "swap", &s->memory.swap);
  if (s->memory.has_kernel)
    gen_mem_entry (g, "kernel", &s->memory.kernel);
  if (s->memory.has_kernel_tcp)
    gen_mem_entry (g, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.n_raw)
    {
      json_gen_str (g, "raw");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < s->memory.n_raw; i++)
        u64 (g, s->memory.raw[i].key, s->memory.raw[i].value);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);

  json_gen_str (g, "pids");
  yajl_gen_map_open (g);
  u64 (g, "current", s->pids.current);
  u64_nz (g, "limit", s->pids.limit);
  yajl_gen_map_close (g);

  json_gen_str (g, "blkio");
  yajl_gen_map_open (g);
  gen_blkio (g, "ioServiceBytesRecursive", s->blkio.service_bytes, s->blkio.n_service_bytes);
  gen_blkio (g, "ioServicedRecursive", s->blkio.serviced, s->blkio.n_serviced);
  yajl_gen_map_close (g);

  json_gen_str (g, "hugetlb");
  yajl_gen_map_open (g);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    {
      json_gen_str (g, s->hugetlb[i].page_size);
      yajl_gen_map_open (g);
      u64_nz (g, "usage", s->hugetlb[i].usage);
      u64_nz (g, "max", s->hugetlb[i].max);
      u64 (g, "failcnt", s->hugetlb[i].failcnt);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);

  /* runc's last two: its Intel RDT statistics (empty, as runc's without
   * RDT; ocirt does not read them) and the interfaces of libcontainer's
   * own network config, which an OCI bundle never has. */
  json_gen_str (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  json_gen_str (g, "network_interfaces");
  yajl_gen_null (g);

  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  return strndup ((const char *) buf, len);
}

static int
emit_stats (const char *id, const char *cgroup_path, ocirt_error_t *err)
{
  struct cgroup_stats s;
  cleanup_free char *data = NULL;

  if (cgroup_stats_read (cgroup_path, &s, err) < 0)
    return -1;
  data = stats_json (&s);
  cgroup_stats_clear (&s);
  return events_emit (stdout, "stats", id, data, err);
}

/* ------------------------------------------------------------------ */
/* the verb                                                             */

static bool
is_live (enum container_status status)
{
  return status == STATUS_CREATED || status == STATUS_RUNNING || status == STATUS_PAUSED;
}

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* True while the container is alive; false once it stopped or was deleted. */
static bool
still_live (struct cli_globals *g, const char *id)
{
  struct container_state st = { 0 };
  enum container_status status;
  cleanup_error ocirt_error_t ignored = NULL;
  bool live = container_load (&g->ctx, id, &st, &status, &ignored) == 0 && is_live (status);

  state_clear (&st);
  return live;
}

/* Copy the complete lines the shim has appended to <root>/<id>/events.json
 * since *offset: the kernel memory monitor's soft warnings and hard kills,
 * already in the shape of the other events. */
static void
relay_monitor_events (const char *path, off_t *offset)
{
  char buf[4096];
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  for (;;)
    {
      ssize_t n = pread (fd, buf, sizeof buf, *offset);
      if (n <= 0)
        break;
      /* Only whole records: the shim writes each line in one write. */
      char *last = memrchr (buf, '\n', (size_t) n);
      if (last == NULL)
        break;
      size_t len = (size_t) (last - buf) + 1;
      fwrite (buf, 1, len, stdout);
      *offset += (off_t) len;
    }
  fflush (stdout);
}

/* Stats every interval, an "oom" event per OOM kill, and the memory
 * monitor's events, until the container stops. */
static int
stream (struct cli_globals *g, const char *id, const char *cgroup_path, uint64_t interval,
        ocirt_error_t *err)
{
  struct cgroup_oom_watch w;
  uint64_t next = now_ns () + interval;
  int ret = 0;
  off_t monitor_offset = 0;
  cleanup_free char *monitor_path = NULL;

  if (asprintf (&monitor_path, "%s/%s/%s", g->root, id, STATE_EVENTS_FILE) < 0)
    return make_error (err, errno, "events");

  if (cgroup_oom_watch_open (cgroup_path, &w, err) < 0)
    return -1;
  for (;;)
    {
      struct pollfd p = { .fd = w.fd, .events = POLLIN };
      uint64_t now = now_ns ();

      relay_monitor_events (monitor_path, &monitor_offset);
      int wait_ms = next > now ? (int) ((next - now) / 1000000) : 0;

      if (wait_ms > STATUS_POLL_MS)
        wait_ms = STATUS_POLL_MS;
      if (poll (&p, 1, wait_ms) < 0 && errno != EINTR)
        {
          ret = make_error (err, errno, "events: poll");
          break;
        }
      if (p.revents & POLLIN)
        {
          int n = cgroup_oom_watch_consume (&w, err);

          if (n < 0)
            {
              ret = -1;
              break;
            }
          for (int i = 0; i < n && ret == 0; i++)
            ret = events_emit (stdout, "oom", id, NULL, err);
          if (ret < 0)
            break;
        }
      if (!still_live (g, id))
        {
          relay_monitor_events (monitor_path, &monitor_offset);
          /* An OOM kill is often what stopped it: report one that the
           * kernel signalled while we were checking. */
          int n = cgroup_oom_watch_consume (&w, err);

          for (int i = 0; i < n && ret == 0; i++)
            ret = events_emit (stdout, "oom", id, NULL, err);
          if (n < 0)
            ret = -1;
          break;
        }
      if (now_ns () >= next)
        {
          if (emit_stats (id, cgroup_path, err) < 0)
            {
              /* The container may have stopped between the check and the
               * read: that ends the stream, it is not an error. */
              if (!still_live (g, id))
                error_release (err);
              else
                ret = -1;
              break;
            }
          next += interval;
          if (next < now_ns ())
            next = now_ns () + interval;
        }
    }
  cgroup_oom_watch_close (&w);
  return ret;
}

static const struct option events_options[] = {
  { "stats", no_argument, NULL, 's' },
  { "interval", required_argument, NULL, 'i' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_events (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  uint64_t interval = DEFAULT_INTERVAL_NS;
  bool once = false;
  int c;

  while ((c = cli_getopt (&verb_events, argc, argv, "+h", events_options, err)) != -1)
    switch (c)
      {
      case 's':
        once = true;
        break;
      case 'i':
        if (duration_parse (optarg, &interval, err) < 0)
          return wrap_error (err, "--interval");
        if (interval == 0)
          return make_error (err, 0, "--interval: duration must be greater than 0");
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_events, argc, argv, 1, 1, err) < 0)
    return -1;

  const char *id = argv[optind];
  struct container_state st = { 0 };
  enum container_status status;
  int r;

  if (container_load (&g->ctx, id, &st, &status, err) < 0)
    return -1;
  if (!is_live (status))
    r = make_error (err, 0, "container with id %s is not running", id);
  else if (st.cgroup_path == NULL)
    r = make_error (err, 0, "cgroups not configured for container");
  else if (once)
    r = emit_stats (id, st.cgroup_path, err);
  else
    r = stream (g, id, st.cgroup_path, interval, err);
  state_clear (&st);
  return r < 0 ? -1 : 0;
}

const struct cli_verb verb_events = {
  .name = "events",
  .run = run_events,
  .usage = "events [options] <container-id>",
  .summary = "display container events: OOM kills and resource usage statistics",
  .help = "   --stats                   print the statistics once, then exit\n"
          "   --interval DURATION       statistics interval of the stream, e.g. 500ms, 1s "
          "(default 5s)\n",
};
