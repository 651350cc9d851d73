/* test_config.c - config.json parsing and validation, as a specification.
 *
 * Runs unprivileged from the repository root (the corpus is found relative
 * to this file's path). Build:
 *   gcc $(CFLAGS) -o tests/unit/test_config tests/unit/test_config.c \
 *       oci/parse.c oci/parse_linux.c oci/validate.c oci/spec_default.c \
 *       src/util/error.c -lyajl -lcmocka
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../oci/config.h"
#include "../../oci/spec.h"
#include "../../src/util/cleanup.h"

/* A valid config to which the tests add one property at a time. */
#define BASE_PREFIX "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, " \
  "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "
#define BASE_LINUX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}"
#define BASE BASE_PREFIX BASE_LINUX "}"

static char *
corpus_path (const char *name)
{
  char *p = NULL;
  const char *slash = strrchr (__FILE__, '/');
  int dir = slash ? (int) (slash - __FILE__) : 1;

  if (asprintf (&p, "%.*s/corpus/%s", dir, slash ? __FILE__ : ".", name) < 0)
    abort ();
  return p;
}

static struct oci_config *
parse (const char *json, ocirt_error_t *err)
{
  return oci_config_parse (json, strlen (json), "config.json", err);
}

/* Parsing `json` fails with exactly `expected`. */
static void
assert_parse_error (const char *json, const char *expected)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *cfg = parse (json, &err);

  assert_null (cfg);
  assert_non_null (err);
  assert_string_equal (err->message, expected);
}

/* Parsing `json` succeeds and validation fails with exactly `expected`
 * (or succeeds when expected is NULL). */
static void
assert_validate (const char *json, const char *expected)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *cfg = parse (json, &err);

  if (cfg == NULL)
    fail_msg ("parse failed: %s", err->message);
  if (expected == NULL)
    {
      if (oci_config_validate (cfg, "config.json", &err) < 0)
        fail_msg ("validate failed: %s", err->message);
      return;
    }
  assert_int_equal (oci_config_validate (cfg, "config.json", &err), -1);
  assert_string_equal (err->message, expected);
}

/* ---- round trip --------------------------------------------------------- */

static void
kitchen_sink_fills_every_field (void **state)
{
  (void) state;
  cleanup_free char *path = corpus_path ("kitchen-sink.json");
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = oci_config_parse_file (path, &err);

  if (c == NULL)
    fail_msg ("%s", err->message);
  assert_string_equal (c->oci_version, "1.2.0");
  assert_string_equal (c->root.path, "rootfs");
  assert_true (c->root.readonly);
  assert_string_equal (c->hostname, "sink");
  assert_string_equal (c->domainname, "example.org");

  /* process */
  assert_non_null (c->process);
  assert_true (c->process->has_console_size);
  assert_int_equal (c->process->console_height, 25);
  assert_int_equal (c->process->console_width, 80);
  assert_int_equal (c->process->user.uid, 1);
  assert_int_equal (c->process->user.gid, 2);
  assert_true (c->process->user.has_umask);
  assert_int_equal (c->process->user.umask, 18);
  assert_int_equal (c->process->user.n_additional_gids, 3);
  assert_int_equal (c->process->user.additional_gids[2], UINT32_MAX);
  assert_string_equal (c->process->user.username, "u");
  assert_int_equal (c->process->n_args, 3);
  assert_string_equal (c->process->args[2], "echo hi");
  assert_null (c->process->args[3]);   /* NULL-terminated for execve */
  assert_int_equal (c->process->n_env, 2);
  assert_string_equal (c->process->cwd, "/root");
  assert_int_equal (c->process->capabilities->n_bounding, 2);
  assert_int_equal (c->process->capabilities->n_inheritable, 0);
  assert_string_equal (c->process->capabilities->ambient[0], "CAP_KILL");
  assert_int_equal (c->process->n_rlimits, 2);
  assert_int_equal (c->process->rlimits[0].resource, RLIMIT_CORE);
  assert_int_equal (c->process->rlimits[0].soft, 512);
  assert_int_equal (c->process->rlimits[1].resource, RLIMIT_NOFILE);
  assert_true (c->process->rlimits[1].hard == UINT64_MAX);
  assert_true (c->process->no_new_privileges);
  assert_true (c->process->has_oom_score_adj);
  assert_int_equal (c->process->oom_score_adj, -100);

  /* mounts and annotations */
  assert_int_equal (c->n_mounts, 2);
  assert_string_equal (c->mounts[1].destination, "/data");
  assert_string_equal (c->mounts[1].source, "/volumes/testing");
  assert_string_equal (c->mounts[1].type, "none");
  assert_int_equal (c->mounts[1].n_options, 2);
  assert_null (c->mounts[0].options);
  assert_string_equal (oci_annotation (c, "com.example.key1"), "value1");
  assert_null (oci_annotation (c, "absent"));

  /* linux */
  struct oci_linux *l = c->linux_;
  assert_non_null (l);
  assert_int_equal (l->n_namespaces, 8);
  assert_int_equal (l->namespaces[1].type, OCI_NS_NETWORK);
  assert_string_equal (l->namespaces[1].path, "/var/run/netns/x");
  assert_int_equal (l->namespaces[7].type, OCI_NS_TIME);
  assert_int_equal (l->uid_mappings[0].host_id, 1000);
  assert_int_equal (l->gid_mappings[0].size, 32000);
  assert_true (l->time_monotonic.set);
  assert_true (l->time_monotonic.secs == -172800);
  assert_int_equal (l->time_monotonic.nanosecs, 5);
  assert_true (l->time_boottime.set);
  assert_int_equal (l->n_devices, 2);
  assert_string_equal (l->devices[0].type, "c");
  assert_int_equal (l->devices[0].minor, 229);
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 438);
  assert_false (l->devices[1].has_uid);
  assert_string_equal (l->cgroups_path, "/myRuntime/myContainer");
  assert_string_equal (l->rootfs_propagation, "slave");
  assert_int_equal (l->n_masked_paths, 1);
  assert_int_equal (l->n_readonly_paths, 2);
  assert_int_equal (l->n_sysctl, 2);
  assert_string_equal (l->sysctl[0].key, "net.ipv4.ip_forward");

  struct oci_resources *r = l->resources;
  assert_non_null (r);
  assert_int_equal (r->n_devices, 2);
  assert_false (r->devices[0].allow);
  assert_null (r->devices[0].type);
  assert_true (r->devices[1].has_major);
  assert_true (r->memory->has_swap);
  assert_true (r->memory->swap == -1);
  assert_true (r->memory->has_swappiness);
  assert_true (r->memory->check_before_update);
  assert_true (r->cpu->has_burst);
  assert_string_equal (r->cpu->cpus, "2-3");
  assert_int_equal (r->cpu->idle, 1);
  assert_int_equal (r->block_io->weight, 10);
  assert_int_equal (r->block_io->n_weight_device, 2);
  assert_false (r->block_io->weight_device[1].has_leaf_weight);
  assert_int_equal (r->block_io->throttle_write_iops[0].rate, 300);
  assert_int_equal (r->block_io->throttle_read_iops[0].rate, 602);
  assert_string_equal (r->hugepage_limits[0].page_size, "2MB");
  assert_true (r->has_network);
  assert_int_equal (r->class_id, 1048577);
  assert_int_equal (r->net_priorities[0].priority, 500);
  assert_true (r->has_pids_limit);
  assert_int_equal (r->pids_limit, 32771);
  assert_int_equal (r->n_unified, 2);

  struct oci_seccomp *s = l->seccomp;
  assert_string_equal (s->default_action, "SCMP_ACT_ERRNO");
  assert_true (s->has_default_errno_ret);
  assert_int_equal (s->n_architectures, 2);
  assert_string_equal (s->listener_path, "/run/agent.sock");
  assert_int_equal (s->n_syscalls, 3);
  assert_true (s->syscalls[1].args[0].value == UINT64_MAX);
  assert_true (s->syscalls[1].args[0].has_value_two);
  assert_string_equal (s->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
  assert_true (s->syscalls[2].has_errno_ret);
  assert_int_equal (s->syscalls[2].errno_ret, 38);

  assert_int_equal (oci_config_validate (c, "config.json", &err), 0);
}

static void
unknown_properties_are_ignored (void **state)
{
  (void) state;
  assert_validate (BASE_PREFIX "\"vm\": {\"hypervisor\": {}}, \"x-new\": [[{}]], "
                   "\"linux\": {\"namespaces\": [{\"type\": \"mount\", \"z\": 1}], \"future\": true}}",
                   NULL);
}

static void
duplicate_keys_take_the_last_value (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c
      = parse ("{\"ociVersion\": \"1.0.0\", \"hostname\": \"a\", \"hostname\": \"b\"}", &err);

  assert_non_null (c);
  assert_string_equal (c->hostname, "b");
}

/* A hook's env: absent or null means the runtime's own environment, an
 * empty list an empty one (Go's nil and empty slices, as runc runs them). */
static void
hook_env_absent_null_and_empty_differ (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c
      = parse ("{\"ociVersion\": \"1.0.0\", \"hooks\": {\"prestart\": ["
               "{\"path\": \"/a\"}, {\"path\": \"/b\", \"env\": null}, "
               "{\"path\": \"/c\", \"env\": []}, {\"path\": \"/d\", \"env\": [\"X=1\"]}]}}",
               &err);

  assert_non_null (c);
  assert_int_equal (c->hooks.prestart.n_hooks, 4);
  assert_false (c->hooks.prestart.hooks[0].has_env);
  assert_false (c->hooks.prestart.hooks[1].has_env);
  assert_true (c->hooks.prestart.hooks[2].has_env);
  assert_int_equal (c->hooks.prestart.hooks[2].n_env, 0);
  assert_true (c->hooks.prestart.hooks[3].has_env);
  assert_int_equal (c->hooks.prestart.hooks[3].n_env, 1);
}

/* ---- type errors -------------------------------------------------------- */

/* "additionalGids": [0, 0, ...] with n entries. */
static char *
gids_config (size_t n)
{
  size_t len = 64 + 2 * n;
  char *json = malloc (len);
  char *p = json;
  if (json == NULL)
    abort ();
  p += sprintf (p, "{\"process\": {\"user\": {\"additionalGids\": [");
  for (size_t i = 0; i < n; i++)
    p += sprintf (p, i ? ",0" : "0");
  sprintf (p, "]}}}");
  return json;
}

/* The init copied the list onto its stack (alloca) with the length the JSON
 * gave: a long enough list ran it past its stack. NGROUPS_MAX is what
 * setgroups takes, and the most the parser accepts. */
static void
additional_gids_are_capped_at_ngroups_max (void **state)
{
  (void) state;
  cleanup_free char *max = gids_config (NGROUPS_MAX);
  cleanup_free char *over = gids_config (NGROUPS_MAX + 1);
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *cfg = parse (max, &err);
  assert_non_null (cfg);
  assert_int_equal (cfg->process->user.n_additional_gids, NGROUPS_MAX);
  assert_parse_error (over, "config.json: .process.user.additionalGids: more than NGROUPS_MAX (65536) entries");
}

/* Device numbers were int64 cast to the kernel's 12-bit major and 20-bit
 * minor: 4096:0 became 0:0's neighbour, -2 a huge number. */
static void
device_numbers_must_fit_dev_t (void **state)
{
  (void) state;
  assert_parse_error (BASE_PREFIX "\"linux\": {\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\","
                      " \"major\": 4096, \"minor\": 0}]}}",
                      "config.json: .linux.devices[0].major: 4096 is out of range (0 to 4095)");
  assert_parse_error (BASE_PREFIX "\"linux\": {\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\","
                      " \"major\": 1, \"minor\": -1}]}}",
                      "config.json: .linux.devices[0].minor: -1 is out of range (0 to 1048575)");
  assert_parse_error (BASE_PREFIX "\"linux\": {\"resources\": {\"devices\": [{\"allow\": true,"
                      " \"major\": -2}]}}}",
                      "config.json: .linux.resources.devices[0].major: -2 is out of range (0 to 4095, or -1 for any)");
  assert_parse_error (BASE_PREFIX "\"linux\": {\"resources\": {\"blockIO\": {\"throttleReadBpsDevice\":"
                      " [{\"major\": 8, \"minor\": 1048576, \"rate\": 1}]}}}}",
                      "config.json: .linux.resources.blockIO.throttleReadBpsDevice[0].minor: 1048576 is out of range"
                      " (0 to 1048575)");
  assert_parse_error (BASE_PREFIX "\"linux\": {\"resources\": {\"blockIO\": {\"weightDevice\":"
                      " [{\"major\": 9223372036854775807, \"minor\": 0}]}}}}",
                      "config.json: .linux.resources.blockIO.weightDevice[0].major: 9223372036854775807 is out of"
                      " range (0 to 4095)");
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *cfg
    = parse (BASE_PREFIX "\"linux\": {\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"major\": 4095,"
             " \"minor\": 1048575}], \"resources\": {\"devices\": [{\"allow\": false, \"major\": -1,"
             " \"minor\": -1, \"access\": \"rwm\"}]}}}", &err);
  assert_non_null (cfg);
  assert_int_equal (cfg->linux_->devices[0].major, 4095);
  assert_int_equal (cfg->linux_->resources->devices[0].minor, -1);
}

static void
type_errors_name_file_path_and_problem (void **state)
{
  (void) state;
  assert_parse_error (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"},"
                      " {\"type\": \"foo\"}]}}",
                      "config.json: .linux.namespaces[2].type: unknown namespace type \"foo\"");
  assert_parse_error ("{\"process\": {\"args\": \"sh\"}}",
                      "config.json: .process.args: expected an array of strings");
  assert_parse_error ("{\"process\": {\"args\": [\"sh\", 1]}}",
                      "config.json: .process.args: expected an array of strings");
  assert_parse_error ("{\"process\": {\"user\": {\"uid\": -1}}}",
                      "config.json: .process.user.uid: expected a non-negative integer");
  assert_parse_error ("{\"process\": {\"user\": {\"uid\": 4294967296}}}",
                      "config.json: .process.user.uid: 4294967296 is out of range (0 to 4294967295)");
  assert_parse_error ("{\"process\": {\"user\": {\"gid\": 1.5}}}",
                      "config.json: .process.user.gid: expected a non-negative integer");
  assert_parse_error ("{\"process\": {\"user\": {\"additionalGids\": [1, -2]}}}",
                      "config.json: .process.user.additionalGids[1]: expected a non-negative integer");
  assert_parse_error ("{\"process\": {\"oomScoreAdj\": \"1\"}}",
                      "config.json: .process.oomScoreAdj: expected an integer");
  assert_parse_error ("{\"process\": {\"oomScoreAdj\": 2147483648}}",
                      "config.json: .process.oomScoreAdj: 2147483648 is out of range (-2147483648 to 2147483647)");
  assert_parse_error ("{\"process\": {\"terminal\": \"yes\"}}",
                      "config.json: .process.terminal: expected a boolean");
  assert_parse_error ("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}}",
                      "config.json: .process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"");
  assert_parse_error ("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 1}]}}",
                      "config.json: .process.rlimits[0].hard: missing required property");
  assert_parse_error ("{\"hostname\": 7}", "config.json: .hostname: expected a string");
  assert_parse_error ("{\"mounts\": {}}", "config.json: .mounts: expected an array");
  assert_parse_error ("{\"mounts\": [3]}", "config.json: .mounts[0]: expected an object");
  assert_parse_error ("{\"root\": []}", "config.json: .root: expected an object");
  assert_parse_error ("[]", "config.json: .: expected an object");
  assert_parse_error ("{\"annotations\": {\"a.b\": 1}}",
                      "config.json: .annotations[\"a.b\"]: expected a string");
  assert_parse_error ("{\"linux\": {\"sysctl\": {\"net.x\": true}}}",
                      "config.json: .linux.sysctl[\"net.x\"]: expected a string");
  assert_parse_error ("{\"linux\": {\"resources\": {\"blockIO\": {\"weight\": 65536}}}}",
                      "config.json: .linux.resources.blockIO.weight: 65536 is out of range (0 to 65535)");
  assert_parse_error ("{\"linux\": {\"resources\": {\"memory\": {\"limit\": 9223372036854775808}}}}",
                      "config.json: .linux.resources.memory.limit: 9223372036854775808 is out of range "
                      "(-9223372036854775808 to 9223372036854775807)");
  assert_parse_error ("{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                      "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
                      "\"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
                      "config.json: .linux.seccomp.syscalls[0].args[0].value: 18446744073709551616 is out "
                      "of range (0 to 18446744073709551615)");
  assert_parse_error ("{\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 0}]}}",
                      "config.json: .linux.uidMappings[0].size: missing required property");
  assert_parse_error ("{\"linux\": {\"timeOffsets\": {\"realtime\": {\"secs\": 1}}}}",
                      "config.json: .linux.timeOffsets.realtime: unknown clock \"realtime\"");
  assert_parse_error ("{\"linux\": {\"netDevices\": {\"eth0\": {\"name\": 1}}}}",
                      "config.json: .linux.netDevices.eth0.name: expected a string");
}

static void
malformed_json_is_refused (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = parse ("{\"a\": [1, }", &err);

  assert_null (c);
  assert_true (strncmp (err->message, "config.json: invalid JSON: ", 27) == 0);
  assert_null (strchr (err->message, '\n'));
}

static void
deep_nesting_is_refused (void **state)
{
  (void) state;
  size_t n = 100000;
  cleanup_free char *json = malloc (n + 1);

  memset (json, '[', n);
  json[n] = '\0';
  assert_parse_error (json, "config.json: invalid JSON: nested deeper than 64 levels");
  /* Brackets inside strings do not count. */
  memset (json, ' ', n);
  memcpy (json, "{\"hostname\": \"", 14);
  memset (json + 14, '[', 200);
  memcpy (json + 214, "\"}", 3);
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = parse (json, &err);
  assert_non_null (c);
}

static void
invalid_utf8_and_nul_are_refused (void **state)
{
  (void) state;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = parse ("{\"hostname\": \"\xff\xfe\"}", &err);

  assert_null (c);
  assert_non_null (strstr (err->message, "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string"));
  assert_parse_error ("{\"hostname\": \"a\\u0000b\"}", "config.json: invalid JSON: \\u0000 in a string");
  /* An escaped backslash followed by "u0000" is plain text. */
  c = parse ("{\"hostname\": \"a\\\\u0000b\"}", &err);
  assert_non_null (c);
  assert_string_equal (c->hostname, "a\\u0000b");
  oci_config_free (c);

  c = oci_config_parse ("{}\0{}", 5, "config.json", &err);
  assert_null (c);
  assert_string_equal (err->message, "config.json: invalid JSON: NUL byte at offset 2");
}

/* ---- files -------------------------------------------------------------- */

static void
files_that_are_not_regular_are_refused (void **state)
{
  (void) state;
  char dir[] = "/tmp/ocirt-test-config-XXXXXX";
  cleanup_free char *fifo = NULL, *link = NULL, *big = NULL, *missing = NULL, *expected = NULL;
  cleanup_error ocirt_error_t err = NULL;
  struct oci_config *c;
  int fd;

  assert_non_null (mkdtemp (dir));
  assert_true (asprintf (&fifo, "%s/fifo", dir) > 0);
  assert_true (asprintf (&link, "%s/zero", dir) > 0);
  assert_true (asprintf (&big, "%s/big", dir) > 0);
  assert_true (asprintf (&missing, "%s/config.json", dir) > 0);

  /* A FIFO with no writer: opening it must not block. */
  assert_int_equal (mkfifo (fifo, 0600), 0);
  c = oci_config_parse_file (fifo, &err);
  assert_null (c);
  free (expected);
  assert_true (asprintf (&expected, "%s: not a regular file", fifo) > 0);
  assert_string_equal (err->message, expected);

  assert_int_equal (symlink ("/dev/zero", link), 0);
  c = oci_config_parse_file (link, &err);
  assert_null (c);
  free (expected);
  assert_true (asprintf (&expected, "%s: not a regular file", link) > 0);
  assert_string_equal (err->message, expected);

  fd = open (big, O_WRONLY | O_CREAT, 0600);
  assert_true (fd >= 0);
  assert_int_equal (ftruncate (fd, 65 * 1024 * 1024), 0);
  close (fd);
  c = oci_config_parse_file (big, &err);
  assert_null (c);
  free (expected);
  assert_true (asprintf (&expected, "%s: file too large (over 64 MiB)", big) > 0);
  assert_string_equal (err->message, expected);

  c = oci_config_parse_file (missing, &err);
  assert_null (c);
  free (expected);
  assert_true (asprintf (&expected, "open %s: no such file or directory", missing) > 0);
  assert_string_equal (err->message, expected);
  assert_int_equal (err->errno_value, ENOENT);

  unlink (fifo);
  unlink (link);
  unlink (big);
  rmdir (dir);
}

/* ---- validation --------------------------------------------------------- */

static void
validation_errors (void **state)
{
  (void) state;
  assert_validate (BASE, NULL);
  assert_validate ("{\"ociVersion\": \"2.0.0\"}",
                   "config.json: .ociVersion: unsupported version \"2.0.0\" (ocirt supports 1.0.0 to 1.3.0+dev)");
  assert_validate ("{\"ociVersion\": \"garbage\"}",
                   "config.json: .ociVersion: unsupported version \"garbage\" (ocirt supports 1.0.0 to 1.3.0+dev)");
  assert_validate ("{\"ociVersion\": \"1.4.0\"}",
                   "config.json: .ociVersion: unsupported version \"1.4.0\" (ocirt supports 1.0.0 to 1.3.0+dev)");
  assert_validate ("{}", "config.json: .ociVersion: missing required property");
  assert_validate ("{\"ociVersion\": \"1.3.0+dev\"}", "config.json: .root.path: missing required property");
  assert_validate ("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"cwd\": \"/\"}}",
                   "config.json: .process.args: at least one argument is required");
  assert_validate ("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"a\"], "
                   "\"cwd\": \"tmp\"}}",
                   "config.json: .process.cwd: must be an absolute path, not \"tmp\"");
  assert_validate (BASE_PREFIX "\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"\"}], " BASE_LINUX "}",
                   "config.json: .mounts[1].destination: must not be empty");
  assert_validate (BASE_PREFIX "\"mounts\": [{\"destination\": \"relative/ok\"}], " BASE_LINUX "}", NULL);
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, "
                   "{\"type\": \"ipc\"}, {\"type\": \"pid\"}]}}",
                   "config.json: .linux.namespaces[3]: duplicate namespace \"pid\"");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\", \"path\": \"proc/1/ns/mnt\"}]}}",
                   "config.json: .linux.namespaces[0].path: must be an absolute path");
  /* No mount namespace: the caller's is used, as in runc, which refuses
   * masked and read-only paths then. */
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}", NULL);
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}], "
                   "\"maskedPaths\": [\"/proc/kcore\"]}}",
                   "config.json: .linux.maskedPaths: unable to restrict sys entries without a "
                   "private MNT namespace");
  assert_validate (BASE_PREFIX "\"linux\": {\"readonlyPaths\": [\"/proc/sys\"]}}",
                   "config.json: .linux.readonlyPaths: unable to restrict sys entries without a "
                   "private MNT namespace");
  assert_validate (BASE_PREFIX "\"hostname\": \"h\", " BASE_LINUX "}",
                   "config.json: .hostname: setting the hostname requires a private uts namespace");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}]}}",
                   "config.json: .linux.uidMappings: a new user namespace requires uid mappings");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\", "
                   "\"path\": \"/proc/1/ns/user\"}]}}", NULL);
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}], "
                   "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}], "
                   "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
                   "config.json: .linux.uidMappings[0].size: must be greater than zero");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                   "\"timeOffsets\": {\"boottime\": {\"secs\": 1}}}}",
                   "config.json: .linux.timeOffsets: time offsets require a time namespace");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                   "\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]}}",
                   "config.json: .linux.devices[0].type: unknown device type \"x\"");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], "
                   "\"devices\": [{\"type\": \"c\", \"path\": \"dev/x\"}]}}",
                   "config.json: .linux.devices[0].path: must be an absolute path");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"\": \"1\"}}}",
                   "config.json: .linux.sysctl: empty sysctl name");
  assert_validate (BASE_PREFIX "\"hooks\": {\"poststop\": [{\"path\": \"rel\"}]}, " BASE_LINUX "}",
                   "config.json: .hooks.poststop[0].path: must be an absolute path");
  assert_validate (BASE_PREFIX "\"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"rlimits\": ["
                   "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
                   "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]}, " BASE_LINUX "}",
                   "config.json: .process.rlimits[1]: duplicate rlimit \"RLIMIT_NOFILE\"");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": "
                   "{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}}}}}", NULL);
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": "
                   "{\"rdma\": {\"mlx5_1 hca_object=1\": {\"hcaHandles\": 3}}}}}",
                   "config.json: .linux.resources.rdma: invalid device name \"mlx5_1 hca_object=1\"");
  assert_validate (BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": "
                   "{\"rdma\": {\"\": {\"hcaHandles\": 3}}}}}",
                   "config.json: .linux.resources.rdma: invalid device name \"\"");
}

/* runc 1.1's rules for linux.resources.devices: an empty type is "a",
 * any access but "" is taken (letters other than r, w, m are ignored). */
static void
device_rules_are_checked_as_runc_checks_them (void **state)
{
  (void) state;
#define DEVICE_RULE(type, access)                                                               \
  BASE_PREFIX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": {\"devices\": ["   \
              "{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"" type "\", "     \
              "\"major\": 1, \"minor\": 3" access "}]}}}"
  assert_validate (DEVICE_RULE ("c", ", \"access\": \"rwm\""), NULL);
  assert_validate (DEVICE_RULE ("", ", \"access\": \"rwm\""), NULL);
  assert_validate (DEVICE_RULE ("a", ", \"access\": \"mwr\""), NULL);
  assert_validate (DEVICE_RULE ("c", ", \"access\": \"rrw\""), NULL);
  assert_validate (DEVICE_RULE ("c", ", \"access\": \"rwx\""), NULL);
  assert_validate (DEVICE_RULE ("c", ", \"access\": \"RWM\""), NULL);
  assert_validate (DEVICE_RULE ("c", ""), NULL);
  assert_validate (DEVICE_RULE ("c", ", \"access\": \"\""),
                   "config.json: .linux.resources.devices[1].access: device access cannot be empty");
  assert_validate (DEVICE_RULE ("u", ", \"access\": \"rwm\""),
                   "config.json: .linux.resources.devices[1].type: invalid cgroup device type \"u\"");
  assert_validate (DEVICE_RULE ("p", ", \"access\": \"rwm\""),
                   "config.json: .linux.resources.devices[1].type: invalid cgroup device type \"p\"");
#undef DEVICE_RULE
}

/* linux.intelRdt: closID is a directory name under the resctrl root (runc's
 * rule) or "/" (runtime-spec: the root); each schemata entry is one line. */
static void
intel_rdt_rules (void **state)
{
  (void) state;
  static const struct
  {
    const char *rdt;
    const char *expected;
  } cases[] = {
    { "{\"closID\": \"g\"}", NULL },
    { "{\"closID\": \"/\"}", NULL },
    { "{}", NULL },
    { "{\"l3CacheSchema\": \"L3:0=f\", \"memBwSchema\": \"MB:0=50\", \"schemata\": [\"L2:0=3\"], "
      "\"enableMonitoring\": true}",
      NULL },
    { "{\"closID\": \"a/b\"}", "config.json: .linux.intelRdt.closID: invalid intelRdt.ClosID \"a/b\"" },
    { "{\"closID\": \"..\"}", "config.json: .linux.intelRdt.closID: invalid intelRdt.ClosID \"..\"" },
    { "{\"closID\": \".\"}", "config.json: .linux.intelRdt.closID: invalid intelRdt.ClosID \".\"" },
    { "{\"closID\": \"/g\"}", "config.json: .linux.intelRdt.closID: invalid intelRdt.ClosID \"/g\"" },
    { "{\"schemata\": [\"L3:0=f\", \"MB:0=5\\nL2:0=1\"]}",
      "config.json: .linux.intelRdt.schemata[1]: must not contain a newline" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *json = NULL;
      assert_true (asprintf (&json,
                             "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": "
                             "{\"namespaces\": [{\"type\": \"mount\"}], \"intelRdt\": %s}}",
                             cases[i].rdt)
                   > 0);
      assert_validate (json, cases[i].expected);
    }
}

/* ---- ocirt spec --------------------------------------------------------- */

static void
spec_default_parses_and_validates (void **state)
{
  (void) state;
  cleanup_free char *json = oci_spec_default (false);
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = parse (json, &err);

  assert_non_null (c);
  /* As runc's: no newline after the closing brace. */
  assert_int_equal (json[strlen (json) - 1], '}');
  assert_string_equal (c->oci_version, "1.0.2-dev");
  assert_string_equal (c->hostname, "runc");
  assert_int_equal (c->n_mounts, 7);
  assert_int_equal (c->linux_->n_namespaces, 5);
  assert_int_equal (c->linux_->n_masked_paths, 10);
  /* Like runc's template it asks for a terminal, which ocirt supports:
   * the whole document validates. */
  assert_true (c->process->terminal);
  assert_int_equal (oci_config_validate (c, "config.json", &err), 0);
}

static void
spec_rootless_maps_the_caller (void **state)
{
  (void) state;
  cleanup_free char *json = oci_spec_default (true);
  cleanup_error ocirt_error_t err = NULL;
  cleanup_config struct oci_config *c = parse (json, &err);
  bool user = false, net = false;

  assert_non_null (c);
  for (size_t i = 0; i < c->linux_->n_namespaces; i++)
    {
      user |= c->linux_->namespaces[i].type == OCI_NS_USER;
      net |= c->linux_->namespaces[i].type == OCI_NS_NETWORK;
    }
  assert_true (user);
  assert_false (net);
  assert_int_equal (c->linux_->n_uid_mappings, 1);
  assert_int_equal (c->linux_->uid_mappings[0].host_id, geteuid ());
  assert_int_equal (c->linux_->gid_mappings[0].host_id, getegid ());
  assert_int_equal (c->linux_->uid_mappings[0].size, 1);
  assert_null (c->linux_->resources);
  assert_string_equal (c->mounts[5].source, "/sys");
  c->process->terminal = false;
  assert_int_equal (oci_config_validate (c, "config.json", &err), 0);
}

static void
namespace_names_round_trip (void **state)
{
  (void) state;
  for (int t = 0; t < OCI_NS_COUNT; t++)
    assert_int_equal (oci_namespace_from_name (oci_namespace_name ((enum oci_namespace_type) t)), t);
  assert_string_equal (oci_namespace_name (OCI_NS_NETWORK), "network");
  assert_int_equal (oci_namespace_from_name ("net"), -1);
  assert_null (oci_namespace_name (OCI_NS_COUNT));
}

static void
corpus_files_parse (void **state)
{
  (void) state;
  static const char *const files[] = { "runc-default.json", "kitchen-sink.json" };

  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    {
      cleanup_free char *path = corpus_path (files[i]);
      cleanup_error ocirt_error_t err = NULL;
      cleanup_config struct oci_config *c = NULL;

      c = oci_config_parse_file (path, &err);
      if (c == NULL)
        fail_msg ("%s", err->message);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (kitchen_sink_fills_every_field),
    cmocka_unit_test (unknown_properties_are_ignored),
    cmocka_unit_test (duplicate_keys_take_the_last_value),
    cmocka_unit_test (hook_env_absent_null_and_empty_differ),
    cmocka_unit_test (type_errors_name_file_path_and_problem),
    cmocka_unit_test (additional_gids_are_capped_at_ngroups_max),
    cmocka_unit_test (device_numbers_must_fit_dev_t),
    cmocka_unit_test (malformed_json_is_refused),
    cmocka_unit_test (deep_nesting_is_refused),
    cmocka_unit_test (invalid_utf8_and_nul_are_refused),
    cmocka_unit_test (files_that_are_not_regular_are_refused),
    cmocka_unit_test (validation_errors),
    cmocka_unit_test (device_rules_are_checked_as_runc_checks_them),
    cmocka_unit_test (intel_rdt_rules),
    cmocka_unit_test (spec_default_parses_and_validates),
    cmocka_unit_test (spec_rootless_maps_the_caller),
    cmocka_unit_test (namespace_names_round_trip),
    cmocka_unit_test (corpus_files_parse),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
