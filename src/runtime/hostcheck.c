/* hostcheck.c - the findings of `ocirt check`. See hostcheck.h. */
#include "hostcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/json.h"
#include "../util/mountinfo.h"

#define CGROUP_ROOT_DIR "/sys/fs/cgroup"
#define CGROUP_UNIFIED_DIR "/sys/fs/cgroup/unified"
#define CAP_SYS_RESOURCE_BIT 24
#define CHECK_FILE_MAX (1 << 20)

/* ---- pure parts ---- */

bool
hostcheck_kernel_at_least (const char *release, int major, int minor)
{
  int ma, mi;
  if (release == NULL || sscanf (release, "%d.%d", &ma, &mi) != 2)
    return false;
  return ma > major || (ma == major && mi >= minor);
}

enum hostcheck_cgroup_mode
hostcheck_cgroup_mode (unsigned long root_type, unsigned long unified_type)
{
  if (root_type == CGROUP2_SUPER_MAGIC)
    return HOSTCHECK_CGROUP_V2;
  if (root_type != TMPFS_MAGIC)
    return HOSTCHECK_CGROUP_NONE;
  return unified_type == CGROUP2_SUPER_MAGIC ? HOSTCHECK_CGROUP_HYBRID : HOSTCHECK_CGROUP_V1;
}

const char *
hostcheck_cgroup_mode_name (enum hostcheck_cgroup_mode m)
{
  switch (m)
    {
    case HOSTCHECK_CGROUP_V1: return "v1";
    case HOSTCHECK_CGROUP_HYBRID: return "hybrid";
    case HOSTCHECK_CGROUP_V2: return "v2";
    default: return "none";
    }
}

char *
hostcheck_v1_controllers (const char *proc_cgroups)
{
  size_t cap = (proc_cgroups ? strlen (proc_cgroups) : 0) + 1;
  char *out = calloc (1, cap);
  if (out == NULL || proc_cgroups == NULL)
    return out;
  for (const char *line = proc_cgroups; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      char name[64];
      unsigned hierarchy, num, enabled;
      if (line[0] == '#' || sscanf (line, "%63s %u %u %u", name, &hierarchy, &num, &enabled) != 4)
        continue;
      /* hierarchy 0: not on a v1 hierarchy (unused, or on cgroup2). */
      if (hierarchy == 0 || enabled == 0)
        continue;
      if (*out)
        strcat (out, " ");
      strcat (out, name);
    }
  return out;
}

char *
hostcheck_status_field (const char *proc_status, const char *key)
{
  size_t klen = strlen (key);
  for (const char *line = proc_status; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (strncmp (line, key, klen) == 0 && line[klen] == ':')
      {
        const char *v = line + klen + 1;
        v += strspn (v, " \t");
        return strndup (v, strcspn (v, "\n"));
      }
  return NULL;
}

bool
hostcheck_has_cap (const char *proc_status, int cap)
{
  cleanup_free char *v = hostcheck_status_field (proc_status, "CapEff");
  if (v == NULL || cap < 0 || cap > 63)
    return false;
  unsigned long long mask = strtoull (v, NULL, 16);
  return (mask >> cap) & 1;
}

/* The fs type of the mount at "/" that is on top, from mountinfo. */
static char *
root_mount_fstype (const char *mountinfo)
{
  cleanup_free char *copy = mountinfo ? strdup (mountinfo) : NULL;
  struct mountinfo_entry e;
  char *found = NULL;
  for (char *cur = copy; cur && mountinfo_next (&cur, &e);)
    if (strcmp (e.mount_point, "/") == 0)
      {
        free (found);
        found = strdup (e.fstype);
      }
  return found;
}

bool
hostcheck_root_is_initramfs (unsigned long root_type, const char *mountinfo)
{
  if (root_type == RAMFS_MAGIC)
    return true;
  cleanup_free char *fstype = root_mount_fstype (mountinfo);
  return fstype && strcmp (fstype, "rootfs") == 0;
}

/* ---- the report ---- */

static void
add (struct hostcheck_report *r, const char *name, bool ok, bool required, const char *fix,
     const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static void
add (struct hostcheck_report *r, const char *name, bool ok, bool required, const char *fix,
     const char *fmt, ...)
{
  va_list ap;
  struct hostcheck_item *items = realloc (r->items, (r->n + 1) * sizeof *items);
  if (items == NULL)
    abort ();
  r->items = items;
  struct hostcheck_item *it = &r->items[r->n++];
  it->name = strdup (name);
  it->ok = ok;
  it->required = required;
  it->fix = ok || fix == NULL ? NULL : strdup (fix);
  va_start (ap, fmt);
  if (vasprintf (&it->detail, fmt, ap) < 0)
    abort ();
  va_end (ap);
}

static void
check_kernel (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  const char *rel = p->kernel_release ();
  bool ok = hostcheck_kernel_at_least (rel, HOSTCHECK_MIN_KERNEL_MAJOR, HOSTCHECK_MIN_KERNEL_MINOR);
  add (r, "kernel", ok, true, "boot a kernel >= 5.9 (ocirt needs close_range)", "%s (%d.%d or later needed)",
       rel ? rel : "unknown", HOSTCHECK_MIN_KERNEL_MAJOR, HOSTCHECK_MIN_KERNEL_MINOR);
}

static void
check_namespaces (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  static const struct
  {
    const char *ns, *config;
    bool required;
  } all[] = {
    { "mnt", "CONFIG_NAMESPACES", true },    { "uts", "CONFIG_UTS_NS", true },
    { "ipc", "CONFIG_IPC_NS", true },        { "pid", "CONFIG_PID_NS", true },
    { "net", "CONFIG_NET_NS", true },        { "user", "CONFIG_USER_NS", false },
    { "cgroup", "CONFIG_CGROUPS", false },   { "time", "CONFIG_TIME_NS (Linux 5.6)", false },
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    {
      char path[64], name[64], fix[128];
      snprintf (path, sizeof path, "/proc/self/ns/%s", all[i].ns);
      snprintf (name, sizeof name, "namespace %s", all[i].ns);
      snprintf (fix, sizeof fix, "build the kernel with %s", all[i].config);
      bool ok = p->exists (path);
      add (r, name, ok, all[i].required, fix, "%s %s", path, ok ? "exists" : "is missing");
    }
}

static void
check_cgroups (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  unsigned long root = 0, unified = 0;
  if (p->fs_type (CGROUP_ROOT_DIR, &root) < 0)
    root = 0;
  if (p->fs_type (CGROUP_UNIFIED_DIR, &unified) < 0)
    unified = 0;
  enum hostcheck_cgroup_mode mode = hostcheck_cgroup_mode (root, unified);
  if (mode == HOSTCHECK_CGROUP_NONE)
    {
      add (r, "cgroup", false, true, "mount cgroup2 on " CGROUP_ROOT_DIR " (mount -t cgroup2 none " CGROUP_ROOT_DIR ")",
           "no cgroup filesystem on " CGROUP_ROOT_DIR);
      return;
    }
  cleanup_free char *v2 = NULL;
  if (mode != HOSTCHECK_CGROUP_V1)
    {
      const char *dir = mode == HOSTCHECK_CGROUP_V2 ? CGROUP_ROOT_DIR : CGROUP_UNIFIED_DIR;
      char path[128];
      snprintf (path, sizeof path, "%s/cgroup.controllers", dir);
      v2 = p->read_file (path);
      if (v2)
        v2[strcspn (v2, "\n")] = '\0';
    }
  if (mode == HOSTCHECK_CGROUP_V2)
    {
      bool ok = v2 && *v2;
      add (r, "cgroup", ok, true, "enable controllers (cgroup_enable= on the kernel command line)",
           "v2 (unified), controllers: %s", ok ? v2 : "none");
      return;
    }
  cleanup_free char *proc = p->read_file ("/proc/cgroups");
  cleanup_free char *v1 = hostcheck_v1_controllers (proc);
  /* The default config's device rules need the v1 devices controller. */
  bool devices = v1 && (strcmp (v1, "devices") == 0 || strstr (v1, "devices ") == v1 || strstr (v1, " devices"));
  add (r, "cgroup", devices, true, "mount the v1 devices controller on " CGROUP_ROOT_DIR "/devices",
       "%s, v1 controllers: %s%s%s", hostcheck_cgroup_mode_name (mode), v1 && *v1 ? v1 : "none",
       mode == HOSTCHECK_CGROUP_HYBRID ? "; v2 (unified) controllers: " : "",
       mode == HOSTCHECK_CGROUP_HYBRID ? (v2 && *v2 ? v2 : "none") : "");
}

static void
check_seccomp (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  cleanup_free char *status = p->read_file ("/proc/self/status");
  cleanup_free char *mode = hostcheck_status_field (status, "Seccomp");
  const char *lib = p->libseccomp_version ();
  add (r, "seccomp", mode != NULL, true, "build the kernel with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER",
       "kernel %s, libseccomp %s", mode ? "supports seccomp" : "has no seccomp", lib);
}

static void
check_userns (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  cleanup_free char *max = p->read_file ("/proc/sys/user/max_user_namespaces");
  long n = max ? strtol (max, NULL, 10) : 0;
  add (r, "user namespaces", n > 0, false, "sysctl -w user.max_user_namespaces=15000 (needed for rootless and linux.uidMappings)",
       "max_user_namespaces = %s", max ? (max[strcspn (max, "\n")] = '\0', max) : "missing");
}

static void
check_pivot_root (const struct hostcheck_probe *p, const char *state_dir, struct hostcheck_report *r)
{
  unsigned long root = 0;
  if (p->fs_type ("/", &root) < 0)
    root = 0;
  cleanup_free char *mi = p->read_file ("/proc/self/mountinfo");
  bool initramfs = hostcheck_root_is_initramfs (root, mi);
  add (r, "pivot_root", !initramfs, true, "pivot_root fails on an initramfs root; use --no-pivot or switch_root",
       "/ is %s (state dir %s)", initramfs ? "an initramfs (rootfs)" : "a regular mount", state_dir);
}

static void
check_monitor (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  bool ok = p->exists (HOSTCHECK_MONITOR_DEV);
  add (r, "container monitor", ok, false, "optional: load kmod/container_monitor.ko for kernel memory monitoring",
       "%s %s", HOSTCHECK_MONITOR_DEV, ok ? "present" : "absent");
}

static void
check_cni (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  static const char *const plugins[] = { "bridge", "host-local", "portmap", "loopback" };
  char missing[128] = "";
  for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++)
    {
      char path[128];
      snprintf (path, sizeof path, "%s/%s", HOSTCHECK_CNI_DIR, plugins[i]);
      if (!p->executable (path))
        {
          strcat (missing, *missing ? " " : "");
          strcat (missing, plugins[i]);
        }
    }
  add (r, "CNI plugins", *missing == '\0', false, "apt-get install containernetworking-plugins (for ocirt-net)",
       *missing ? "missing in %s: %s" : "bridge host-local portmap loopback in %s%s", HOSTCHECK_CNI_DIR, missing);
}

static void
check_cap_sys_resource (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  cleanup_free char *status = p->read_file ("/proc/self/status");
  bool ok = hostcheck_has_cap (status, CAP_SYS_RESOURCE_BIT);
  add (r, "CAP_SYS_RESOURCE", ok, false, "rlimits above the hard limit and negative oomScoreAdj will fail",
       "%s the effective set", ok ? "in" : "not in");
}

static void
check_state_dir (const struct hostcheck_probe *p, const char *state_dir, struct hostcheck_report *r)
{
  int e = p->dir_writable (state_dir);
  add (r, "state dir", e == 0, true, "pass a writable --root, or run as root", "%s %s%s", state_dir,
       e == 0 ? "is writable" : "is not writable: ", e == 0 ? "" : errno_text (e));
}

/* What runc does with the LSM fields follows from these (see lsm.h). */
static void
check_lsm (const struct hostcheck_probe *p, struct hostcheck_report *r)
{
  cleanup_free char *aa = p->read_file (HOSTCHECK_APPARMOR_ENABLED);
  bool apparmor = aa && aa[0] == 'Y' && p->exists (HOSTCHECK_APPARMOR_FS);
  add (r, "AppArmor", apparmor, false,
       "process.apparmorProfile fails create (as with runc): boot a kernel with AppArmor (apparmor=1 security=apparmor)",
       "%s", apparmor ? "enabled: process.apparmorProfile is applied"
                      : aa ? "built into the kernel but not enabled" : "not in this kernel");

  unsigned long type = 0;
  bool selinuxfs = p->fs_type (HOSTCHECK_SELINUX_FS, &type) == 0 && type == SELINUX_MAGIC;
  cleanup_free char *enforce = selinuxfs ? p->read_file (HOSTCHECK_SELINUX_FS "/enforce") : NULL;
  add (r, "SELinux", enforce != NULL, false,
       "process.selinuxLabel is refused and linux.mountLabel fails the mounts it labels (as with runc)",
       "%s", enforce == NULL ? "not enabled (no selinuxfs at " HOSTCHECK_SELINUX_FS ")"
             : enforce[0] == '1' ? "enabled, enforcing: process.selinuxLabel and linux.mountLabel are applied"
                                 : "enabled, permissive: process.selinuxLabel and linux.mountLabel are applied");
}

void
hostcheck_run (const struct hostcheck_probe *p, const char *state_dir, struct hostcheck_report *r)
{
  r->items = NULL;
  r->n = 0;
  check_kernel (p, r);
  check_namespaces (p, r);
  check_cgroups (p, r);
  check_seccomp (p, r);
  check_userns (p, r);
  check_pivot_root (p, state_dir, r);
  check_state_dir (p, state_dir, r);
  check_cap_sys_resource (p, r);
  check_cni (p, r);
  check_monitor (p, r);
  check_lsm (p, r);
}

bool
hostcheck_passed (const struct hostcheck_report *r)
{
  for (size_t i = 0; i < r->n; i++)
    if (r->items[i].required && !r->items[i].ok)
      return false;
  return true;
}

void
hostcheck_report_free (struct hostcheck_report *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      free (r->items[i].name);
      free (r->items[i].detail);
      free (r->items[i].fix);
    }
  free (r->items);
  r->items = NULL;
  r->n = 0;
}

static void
gen_str (yajl_gen g, const char *s)
{
  if (s)
    yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  else
    yajl_gen_null (g);
}

char *
hostcheck_report_json (const struct hostcheck_report *r)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return NULL;
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < r->n; i++)
    {
      const struct hostcheck_item *it = &r->items[i];
      yajl_gen_map_open (g);
      gen_str (g, "name");
      gen_str (g, it->name);
      gen_str (g, "ok");
      yajl_gen_bool (g, it->ok);
      gen_str (g, "detail");
      gen_str (g, it->detail);
      gen_str (g, "fix");
      gen_str (g, it->fix);
      gen_str (g, "required");
      yajl_gen_bool (g, it->required);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  return json_gen_take (g, NULL);
}

/* ---- the real host ---- */

static const char *
sys_kernel_release (void)
{
  static struct utsname u;
  return uname (&u) == 0 ? u.release : NULL;
}

static int
sys_fs_type (const char *path, unsigned long *type)
{
  struct statfs st;
  if (statfs (path, &st) < 0)
    return -1;
  *type = (unsigned long) st.f_type;
  return 0;
}

static char *
sys_read_file (const char *path)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  if (f == NULL)
    return NULL;
  char *buf = malloc (CHECK_FILE_MAX + 1);
  if (buf == NULL)
    return NULL;
  size_t n = fread (buf, 1, CHECK_FILE_MAX, f);
  buf[n] = '\0';
  return buf;
}

static bool
sys_exists (const char *path)
{
  return access (path, F_OK) == 0;
}

static bool
sys_executable (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

/* Try what create will do: make a file in the directory. A directory that
 * does not exist yet is judged by its nearest existing ancestor, since
 * ocirt makes it on first use. */
static int
sys_dir_writable (const char *dir)
{
  cleanup_free char *d = strdup (dir);
  struct stat st;
  while (stat (d, &st) < 0)
    {
      char *slash = strrchr (d, '/');
      if (errno != ENOENT || slash == NULL)
        return errno;
      if (slash == d)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
  if (!S_ISDIR (st.st_mode))
    return ENOTDIR;
  cleanup_free char *tmp = NULL;
  if (asprintf (&tmp, "%s/.ocirt-check-XXXXXX", d) < 0)
    return ENOMEM;
  int fd = mkstemp (tmp);
  if (fd < 0)
    return errno;
  close (fd);
  unlink (tmp);
  return 0;
}

static const char *
sys_libseccomp_version (void)
{
  static char buf[32];
  const struct scmp_version *v = seccomp_version ();
  snprintf (buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
  return buf;
}

const struct hostcheck_probe hostcheck_system_probe = {
  .kernel_release = sys_kernel_release,
  .fs_type = sys_fs_type,
  .read_file = sys_read_file,
  .exists = sys_exists,
  .executable = sys_executable,
  .dir_writable = sys_dir_writable,
  .libseccomp_version = sys_libseccomp_version,
};
