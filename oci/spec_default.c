/* spec_default.c - the config.json that `ocirt spec` writes.
 *
 * Owns: the default document, which has the same content and key order as
 * runc 1.1's `runc spec` (and `runc spec --rootless`), so that tools and
 * tutorials written against runc's template work unchanged. It only reads
 * the caller's effective uid/gid (for the rootless mappings); it never
 * touches the filesystem.
 */
#include "spec.h"

#include "../src/util/json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

/* ---- small yajl_gen wrappers -------------------------------------------- */

static void
key_int (yajl_gen g, const char *k, long long v)
{
  json_gen_str (g, k);
  yajl_gen_integer (g, v);
}

static void
key_bool (yajl_gen g, const char *k, bool v)
{
  json_gen_str (g, k);
  yajl_gen_bool (g, v);
}

/* "key": ["a", "b", ...] from a NULL-terminated list. */
static void
key_strv (yajl_gen g, const char *k, const char *const *v)
{
  json_gen_str (g, k);
  yajl_gen_array_open (g);
  for (; *v; v++)
    json_gen_str (g, *v);
  yajl_gen_array_close (g);
}

/* ---- sections ----------------------------------------------------------- */

static void
gen_process (yajl_gen g)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "TERM=xterm",
    NULL,
  };
  static const char *const caps[] = {
    "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
  };

  json_gen_str (g, "process");
  yajl_gen_map_open (g);
  key_bool (g, "terminal", true);
  json_gen_str (g, "user");
  yajl_gen_map_open (g);
  key_int (g, "uid", 0);
  key_int (g, "gid", 0);
  yajl_gen_map_close (g);
  key_strv (g, "args", args);
  key_strv (g, "env", env);
  json_gen_kv_string (g, "cwd", "/");
  json_gen_str (g, "capabilities");
  yajl_gen_map_open (g);
  key_strv (g, "bounding", caps);
  key_strv (g, "effective", caps);
  key_strv (g, "permitted", caps);
  key_strv (g, "ambient", caps);
  yajl_gen_map_close (g);
  json_gen_str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "type", "RLIMIT_NOFILE");
  key_int (g, "hard", 1024);
  key_int (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  key_bool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const char *dest, const char *type, const char *source,
           const char *const *options)
{
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "destination", dest);
  json_gen_kv_string (g, "type", type);
  json_gen_kv_string (g, "source", source);
  if (options)
    key_strv (g, "options", options);
  yajl_gen_map_close (g);
}

static void
gen_mounts (yajl_gen g, bool rootless)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  /* gid=5 (tty) is dropped when rootless: only the caller's gid is mapped,
   * and devpts refuses a gid the user namespace cannot see. */
  static const char *const devpts[] = {
    "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL,
  };
  static const char *const devpts_rootless[] = {
    "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL,
  };
  static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sysfs[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  /* A user namespace that does not own the network namespace cannot mount
   * a fresh sysfs, so the rootless template bind-mounts the host's. */
  static const char *const sys_bind[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  json_gen_str (g, "mounts");
  yajl_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", NULL);
  gen_mount (g, "/dev", "tmpfs", "tmpfs", dev);
  gen_mount (g, "/dev/pts", "devpts", "devpts", rootless ? devpts_rootless : devpts);
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm);
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  if (rootless)
    gen_mount (g, "/sys", "none", "/sys", sys_bind);
  else
    gen_mount (g, "/sys", "sysfs", "sysfs", sysfs);
  gen_mount (g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
  yajl_gen_array_close (g);
}

static void
gen_mapping (yajl_gen g, const char *key, unsigned int host_id)
{
  json_gen_str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  key_int (g, "containerID", 0);
  key_int (g, "hostID", host_id);
  key_int (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

static void
gen_linux (yajl_gen g, bool rootless)
{
  /* Rootless: no network namespace (an unprivileged user could not give it
   * any connectivity) and a user namespace instead. */
  static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
  static const char *const masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
    "/proc/scsi", NULL,
  };
  static const char *const readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
  };

  json_gen_str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      /* Map root in the container to whoever runs `ocirt spec --rootless`:
       * the effective ids, because those are the ones the kernel lets an
       * unprivileged process map into a new user namespace. */
      gen_mapping (g, "uidMappings", (unsigned int) geteuid ());
      gen_mapping (g, "gidMappings", (unsigned int) getegid ());
    }
  else
    {
      /* Rootless has no device cgroup: it could not be delegated. */
      json_gen_str (g, "resources");
      yajl_gen_map_open (g);
      json_gen_str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      key_bool (g, "allow", false);
      json_gen_kv_string (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  json_gen_str (g, "namespaces");
  yajl_gen_array_open (g);
  for (const char *const *n = rootless ? ns_rootless : ns; *n; n++)
    {
      yajl_gen_map_open (g);
      json_gen_kv_string (g, "type", *n);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  key_strv (g, "maskedPaths", masked);
  key_strv (g, "readonlyPaths", readonly);
  yajl_gen_map_close (g);
}

char *
oci_spec_default (bool rootless)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  if (g == NULL)
    abort ();
  yajl_gen_config (g, yajl_gen_beautify, 1);
  /* Byte for byte what runc writes: tabs, and no newline at the end. */
  yajl_gen_config (g, yajl_gen_indent_string, "\t");

  yajl_gen_map_open (g);
  /* The version runc 1.1 writes; ocirt accepts 1.0.0 through 1.3.x. */
  json_gen_kv_string (g, "ociVersion", "1.0.2-dev");
  gen_process (g);
  json_gen_str (g, "root");
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "path", "rootfs");
  key_bool (g, "readonly", true);
  yajl_gen_map_close (g);
  json_gen_kv_string (g, "hostname", "runc");
  gen_mounts (g, rootless);
  gen_linux (g, rootless);
  yajl_gen_map_close (g);

  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    abort ();
  while (len > 0 && buf[len - 1] == '\n')
    len--;
  out = malloc (len + 1);
  if (out == NULL)
    abort ();
  memcpy (out, buf, len);
  out[len] = '\0';
  yajl_gen_free (g);
  return out;
}
