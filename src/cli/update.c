/* update.c - `ocirt update`: change a container's resource limits, with
 * runc's flags. The flags become a linux.resources object, the same thing
 * --resources takes, and the lifecycle (src/runtime/update.c) does the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "../../oci/config.h"
#include "../runtime/update.h"
#include "../util/cleanup.h"
#include "../util/json.h"
#include "cli.h"

enum
{
  OPT_RESOURCES = 'r',
  OPT_MEMORY = 256,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_SHARES,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
  OPT_L3_CACHE_SCHEMA,
  OPT_MEM_BW_SCHEMA,
};

static const struct option update_options[] = {
  { "resources", required_argument, NULL, OPT_RESOURCES },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
  { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
  { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
  { "cpu-share", required_argument, NULL, OPT_CPU_SHARES },
  { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
  { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
  { "l3-cache-schema", required_argument, NULL, OPT_L3_CACHE_SCHEMA },
  { "mem-bw-schema", required_argument, NULL, OPT_MEM_BW_SCHEMA },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* The values given, as JSON number text or (cpus, mems) strings; NULL when
 * the flag was not given. Indexed by option - OPT_MEMORY. */
#define N_VALUES (OPT_BLKIO_WEIGHT - OPT_MEMORY + 1)

/* docker's units.RAMInBytes, which runc uses: "512m", "1.5g", "100MB",
 * "2GiB", "1024"; binary multiples; -1 is "unlimited". */
static int
parse_ram (const char *flag, const char *s, char *out, size_t size, ocirt_error_t *err)
{
  static const char units[] = "kmgtp";
  char *end;
  double v;
  const char *u;
  uint64_t mult = 1;

  if (strcmp (s, "-1") == 0)
    {
      snprintf (out, size, "-1");
      return 0;
    }
  errno = 0;
  v = strtod (s, &end);
  if (end == s || errno || v < 0 || !isdigit ((unsigned char) s[0]))
    return make_error (err, 0, "--%s: invalid size \"%s\"", flag, s);
  if (*end == ' ')
    end++;
  if (*end && (u = strchr (units, tolower ((unsigned char) *end))) != NULL)
    {
      for (long i = 0; i <= u - units; i++)
        mult *= 1024;
      end++;
      if (tolower ((unsigned char) *end) == 'i')
        end++;
    }
  if (tolower ((unsigned char) *end) == 'b')
    end++;
  if (*end != '\0' || v * (double) mult >= 9.2e18)
    return make_error (err, 0, "--%s: invalid size \"%s\"", flag, s);
  snprintf (out, size, "%" PRId64, (int64_t) (v * (double) mult));
  return 0;
}

/* A signed or unsigned decimal, as runc's strconv.ParseInt/ParseUint. */
static int
parse_int (const char *flag, const char *s, bool is_signed, char *out, size_t size,
           ocirt_error_t *err)
{
  char *end;

  errno = 0;
  if (is_signed)
    {
      long long v = strtoll (s, &end, 10);
      if (end == s || *end || errno)
        return make_error (err, 0, "--%s: invalid value \"%s\": expected an integer", flag, s);
      snprintf (out, size, "%lld", v);
    }
  else
    {
      unsigned long long v = strtoull (s, &end, 10);
      if (end == s || *end || errno || s[0] == '-')
        return make_error (err, 0, "--%s: invalid value \"%s\": expected an unsigned integer",
                           flag, s);
      snprintf (out, size, "%llu", v);
    }
  return 0;
}

static void
gen_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

/* The group `name` with the (json key, option) pairs given among values. */
static void
gen_group (yajl_gen g, const char *name, char *const *values, const char *const *keys,
           const int *opts, size_t n)
{
  bool any = false;

  for (size_t i = 0; i < n; i++)
    any |= values[opts[i] - OPT_MEMORY] != NULL;
  if (!any)
    return;
  gen_key (g, name);
  yajl_gen_map_open (g);
  for (size_t i = 0; i < n; i++)
    {
      const char *v = values[opts[i] - OPT_MEMORY];

      if (v == NULL)
        continue;
      gen_key (g, keys[i]);
      if (opts[i] == OPT_CPUSET_CPUS || opts[i] == OPT_CPUSET_MEMS)
        yajl_gen_string (g, (const unsigned char *) v, strlen (v));
      else
        yajl_gen_number (g, v, strlen (v));
    }
  yajl_gen_map_close (g);
}

static char *
flags_json (char *const *values, size_t *len)
{
  static const char *const mem_keys[] = { "limit", "reservation", "swap", "kernel", "kernelTCP" };
  static const int mem_opts[] = { OPT_MEMORY, OPT_MEMORY_RESERVATION, OPT_MEMORY_SWAP,
                                  OPT_KERNEL_MEMORY, OPT_KERNEL_MEMORY_TCP };
  static const char *const cpu_keys[] = { "shares", "quota", "period", "realtimeRuntime",
                                          "realtimePeriod", "cpus", "mems" };
  static const int cpu_opts[] = { OPT_CPU_SHARES, OPT_CPU_QUOTA, OPT_CPU_PERIOD,
                                  OPT_CPU_RT_RUNTIME, OPT_CPU_RT_PERIOD, OPT_CPUSET_CPUS,
                                  OPT_CPUSET_MEMS };
  static const char *const blkio_keys[] = { "weight" };
  static const int blkio_opts[] = { OPT_BLKIO_WEIGHT };
  static const char *const pids_keys[] = { "limit" };
  static const int pids_opts[] = { OPT_PIDS_LIMIT };
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  gen_group (g, "memory", values, mem_keys, mem_opts, 5);
  gen_group (g, "cpu", values, cpu_keys, cpu_opts, 7);
  gen_group (g, "blockIO", values, blkio_keys, blkio_opts, 1);
  gen_group (g, "pids", values, pids_keys, pids_opts, 1);
  yajl_gen_map_close (g);
  /* Only memory can fail here, as for the generator above. */
  char *out = json_gen_take (g, len);
  if (out == NULL)
    abort ();
  return out;
}

static void
free_values (char *(*values)[N_VALUES])
{
  for (size_t i = 0; i < N_VALUES; i++)
    free ((*values)[i]);
}

static int
run_update (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  __attribute__ ((cleanup (free_values))) char *values[N_VALUES] = { 0 };
  cleanup_free char *json = NULL;
  const char *resources = NULL;
  struct update_rdt rdt = { 0 };
  size_t len = 0;
  int c, idx = -1;

  /* Its own getopt loop (it needs the option index): runc takes
   * `update ID --pids-limit 20` too. */
  cli_reorder_args (argc, argv, "+r:h", update_options);
  while ((c = getopt_long_only (argc, argv, "+r:h", update_options, &idx)) != -1)
    {
      const char *flag = idx >= 0 ? update_options[idx].name : "resources";
      char num[32];
      int r = 0;

      idx = -1;
      switch (c)
        {
        case 'h':
          cli_print_help (&verb_update);
          return 0;
        case '?':
          return make_error (err, 0, "update: unknown or incomplete option \"%s\" (see 'ocirt "
                                     "update --help')", argv[optind - 1]);
        case OPT_RESOURCES:
          resources = optarg;
          continue;
        /* Not resources: they apply with --resources too, as in runc. */
        case OPT_L3_CACHE_SCHEMA:
          rdt.l3_cache_schema = *optarg ? optarg : NULL;
          continue;
        case OPT_MEM_BW_SCHEMA:
          rdt.mem_bw_schema = *optarg ? optarg : NULL;
          continue;
        case OPT_MEMORY:
        case OPT_MEMORY_RESERVATION:
        case OPT_MEMORY_SWAP:
        case OPT_KERNEL_MEMORY:
        case OPT_KERNEL_MEMORY_TCP:
          r = parse_ram (flag, optarg, num, sizeof num, err);
          break;
        case OPT_CPU_QUOTA:
        case OPT_CPU_RT_RUNTIME:
        case OPT_PIDS_LIMIT:
          r = parse_int (flag, optarg, true, num, sizeof num, err);
          break;
        case OPT_CPU_PERIOD:
        case OPT_CPU_SHARES:
        case OPT_CPU_RT_PERIOD:
        case OPT_BLKIO_WEIGHT:
          r = parse_int (flag, optarg, false, num, sizeof num, err);
          break;
        case OPT_CPUSET_CPUS:
        case OPT_CPUSET_MEMS:
          snprintf (num, sizeof num, "%s", "");
          break;
        default:
          return make_error (err, 0, "update: unexpected option");
        }
      if (r < 0)
        return -1;
      free (values[c - OPT_MEMORY]);
      values[c - OPT_MEMORY] = strdup (num[0] ? num : optarg);
    }
  if (cli_require_args (&verb_update, argc, argv, 1, 1, err) < 0)
    return -1;

  /* As runc: with --resources, the other flags are ignored. */
  if (resources)
    {
      if (strcmp (resources, "-") == 0)
        {
          size_t cap = 0;
          FILE *m = open_memstream (&json, &cap);
          char buf[4096];
          size_t n;

          if (m == NULL)
            return make_error (err, errno, "read --resources from stdin");
          while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
            fwrite (buf, 1, n, m);
          fclose (m);
          len = cap;
          if (ferror (stdin))
            return make_error (err, errno, "read --resources from stdin");
        }
      else
        {
          json = oci_read_json_file (resources, &len, err);
          if (json == NULL)
            return wrap_error (err, "--resources");
        }
    }
  else
    json = flags_json (values, &len);
  return container_update (&g->ctx, argv[optind], json, len,
                           resources ? (strcmp (resources, "-") == 0 ? "<stdin>" : resources)
                                     : "update flags",
                           &rdt, err) < 0
           ? -1
           : 0;
}

const struct cli_verb verb_update = {
  .name = "update",
  .run = run_update,
  .usage = "update [options] <container-id>",
  .summary = "update container resource constraints",
  .help = "   --resources FILE, -r FILE linux.resources JSON to apply ('-': stdin); the other\n"
          "                             flags are then ignored\n"
          "   --memory SIZE             memory limit (bytes, or 512m, 1g...; -1 unlimited)\n"
          "   --memory-reservation SIZE soft limit\n"
          "   --memory-swap SIZE        memory+swap limit (-1 unlimited)\n"
          "   --kernel-memory SIZE      ignored with a warning, as in runc (no-op since Linux 5.16)\n"
          "   --kernel-memory-tcp SIZE  ignored with a warning, as in runc\n"
          "   --cpu-quota N             CFS quota in usecs per period (-1 unlimited)\n"
          "   --cpu-period N            CFS period in usecs\n"
          "   --cpu-share(s) N          CPU shares (relative weight)\n"
          "   --cpu-rt-period N         realtime period in usecs (v1)\n"
          "   --cpu-rt-runtime N        realtime runtime in usecs (v1)\n"
          "   --cpuset-cpus LIST        CPUs to use, e.g. 0-2,4\n"
          "   --cpuset-mems LIST        memory nodes to use\n"
          "   --pids-limit N            maximum number of pids (-1 or 0: unlimited)\n"
          "   --blkio-weight N          block IO weight, 10 to 1000 (0: unset, as in runc)\n"
          "   --l3-cache-schema S       Intel RDT L3 cache schema of the container's resctrl\n"
          "                             group, e.g. L3:0=f (made if the config had no intelRdt)\n"
          "   --mem-bw-schema S         Intel RDT memory bandwidth schema, e.g. MB:0=50\n",
};
