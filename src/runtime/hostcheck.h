/* hostcheck.h - can this host run ocirt's containers? (`ocirt check`)
 *
 * Owns: the list of host findings (kernel, namespaces, cgroups, seccomp,
 * user namespaces, pivot_root, the kernel monitor device, CNI plugins,
 * CAP_SYS_RESOURCE, the state directory, AppArmor and SELinux) and which
 * of them the default config (`ocirt spec`) needs. Every fact comes through a struct
 * hostcheck_probe, so the decisions are unit-tested with a fake host.
 *
 * Never: changes the host (the state-dir probe creates and removes one
 * temporary file), prints, or stops at the first missing thing.
 *
 * Required for the default config (a missing one makes `ocirt check` exit
 * 1): kernel >= HOSTCHECK_MIN_KERNEL, the mnt, uts, ipc, pid and net
 * namespaces, a cgroup filesystem with usable controllers (on v1/hybrid:
 * the devices controller), seccomp filters, pivot_root (a root that is not
 * an initramfs) and a writable state directory. Informational: the cgroup,
 * user and time namespaces, user namespace limits, /dev/container_monitor,
 * CNI plugins, CAP_SYS_RESOURCE, AppArmor and SELinux.
 */
#ifndef OCIRT_HOSTCHECK_H
#define OCIRT_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* close_range(2), which ocirt's init and hooks rely on. */
#define HOSTCHECK_MIN_KERNEL_MAJOR 5
#define HOSTCHECK_MIN_KERNEL_MINOR 9
#define HOSTCHECK_CNI_DIR "/usr/lib/cni"
#define HOSTCHECK_MONITOR_DEV "/dev/container_monitor"
/* runc's test for AppArmor: the module says Y and its securityfs is there. */
#define HOSTCHECK_APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"
#define HOSTCHECK_APPARMOR_FS "/sys/kernel/security/apparmor"
#define HOSTCHECK_SELINUX_FS "/sys/fs/selinux"

/* The facts of the host, one narrow call each. */
struct hostcheck_probe
{
  /* uname's release, e.g. "6.1.0-13-amd64". */
  const char *(*kernel_release) (void);
  /* statfs(path).f_type into *type; 0, or -1 if path cannot be statfs'd. */
  int (*fs_type) (const char *path, unsigned long *type);
  /* A whole (small) file, malloc'd and NUL-terminated, or NULL. */
  char *(*read_file) (const char *path);
  bool (*exists) (const char *path);
  bool (*executable) (const char *path);
  /* 0 if a file can be created in dir (or dir can be made), else an errno. */
  int (*dir_writable) (const char *dir);
  /* libseccomp's version as "major.minor.micro". */
  const char *(*libseccomp_version) (void);
};

/* The real host. */
extern const struct hostcheck_probe hostcheck_system_probe;

struct hostcheck_item
{
  char *name;     /* "kernel", "namespace pid", "cgroup", ... */
  bool ok;
  bool required;  /* needed by the default config */
  char *detail;   /* what was found */
  char *fix;      /* what to do when !ok (NULL when ok or nothing to do) */
};

struct hostcheck_report
{
  struct hostcheck_item *items;
  size_t n;
};

/* Probe everything; state_dir is the runtime's --root. Never fails: an
 * unreadable fact is a finding. */
void hostcheck_run (const struct hostcheck_probe *p, const char *state_dir, struct hostcheck_report *r);

/* True when every required item is ok. */
bool hostcheck_passed (const struct hostcheck_report *r);

void hostcheck_report_free (struct hostcheck_report *r);

/* The report as a JSON array of {name, ok, detail, fix, required}. */
char *hostcheck_report_json (const struct hostcheck_report *r);

/* --- pure parts, exposed for the unit tests --- */

/* Does release "X.Y[.Z][-...]" reach major.minor? False if unparsable. */
bool hostcheck_kernel_at_least (const char *release, int major, int minor);

enum hostcheck_cgroup_mode
{
  HOSTCHECK_CGROUP_NONE,
  HOSTCHECK_CGROUP_V1,      /* legacy: v1 hierarchies only */
  HOSTCHECK_CGROUP_HYBRID,  /* v1 hierarchies plus cgroup2 at unified/ */
  HOSTCHECK_CGROUP_V2,      /* unified only */
};

/* From the statfs types of /sys/fs/cgroup and /sys/fs/cgroup/unified
 * (0 when that path cannot be statfs'd). */
enum hostcheck_cgroup_mode hostcheck_cgroup_mode (unsigned long root_type, unsigned long unified_type);
const char *hostcheck_cgroup_mode_name (enum hostcheck_cgroup_mode m);

/* The v1 controllers that are enabled and mounted on a v1 hierarchy, from
 * the text of /proc/cgroups, space-separated (malloc'd, maybe ""). */
char *hostcheck_v1_controllers (const char *proc_cgroups);

/* Is capability `cap` set in the "CapEff:" line of /proc/self/status? */
bool hostcheck_has_cap (const char *proc_status, int cap);

/* The value of a "Key:\t..." line of /proc/self/status (malloc'd), or NULL. */
char *hostcheck_status_field (const char *proc_status, const char *key);

/* Is / an initramfs (rootfs), where pivot_root fails? From statfs("/")'s
 * type and the fs type of "/" in /proc/self/mountinfo ("rootfs" there is
 * the initramfs even when it is a tmpfs). */
bool hostcheck_root_is_initramfs (unsigned long root_type, const char *mountinfo);

#endif
