/* lsm.h - process.apparmorProfile, process.selinuxLabel, linux.mountLabel,
 * applied as runc 1.1.5 applies them.
 *
 * Owns: the checks made before clone, the writes to this thread's LSM attr
 * files in the init (or the exec'd process), and what linux.mountLabel adds
 * to a mount's data.
 *  - AppArmor: "exec <profile>" is written to
 *    /proc/thread-self/attr/apparmor/exec (attr/exec on kernels before 5.8),
 *    which switches the profile at the execve of the user's program. runc
 *    writes it whether or not the host has AppArmor, so a host without it
 *    fails `create` (the kernel refuses the write) with runc's wording:
 *      unable to apply apparmor profile: apparmor failed to apply profile:
 *      write /proc/thread-self/attr/exec: invalid argument
 *  - SELinux: a process label on a host whose SELinux is not enabled is
 *    refused before anything is made, in runc's words ("selinux label is
 *    specified in config, but selinux is disabled or not supported");
 *    otherwise it goes to attr/keycreate around the creation of the session
 *    keyring and to attr/exec. linux.mountLabel is not checked (runc does
 *    not): it becomes context="<label>" in the data of the mounts runc puts
 *    it on, and a kernel without SELinux refuses those mounts.
 * Every write goes through procfs.c to the host's /proc, opened before the
 * clone, never through a /proc the container's config mounted
 * (CVE-2019-16884, CVE-2025-52881: a fake attr file that swallows the
 * label). It never prints.
 */
#ifndef OCIRT_LSM_H
#define OCIRT_LSM_H

#include <stdbool.h>
#include <stddef.h>

#include "../../oci/config.h"
#include "../util/error.h"

/* The attr files, beneath a procfs root. */
#define LSM_ATTR_APPARMOR_EXEC "thread-self/attr/apparmor/exec"
#define LSM_ATTR_EXEC "thread-self/attr/exec"
#define LSM_ATTR_KEYCREATE "thread-self/attr/keycreate"

/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux and its
 * "enforce" is readable (go-selinux's test, which runc uses). */
bool lsm_selinux_enabled (void);

/* Pure: the checks before clone, for a host whose SELinux is (not)
 * enabled. p and lx may be NULL. */
int lsm_check_host (const struct oci_process *p, const struct oci_linux *lx, bool selinux,
                    ocirt_error_t *err);

/* lsm_check_host for this host; probes it only when a label is set, so a
 * config without one costs no syscall. Call it before the clone. */
int lsm_check (const struct oci_process *p, const struct oci_linux *lx, ocirt_error_t *err);

/* The seam around the one kernel call: write buf to the attr file `rel`
 * beneath the procfs fd `proc`, in one write(2). On failure *at_open tells
 * whether the file could not be opened (it does not exist, or is not on
 * procfs) or the LSM refused the value. */
struct lsm_attr_io
{
  int (*write) (int proc, const char *rel, const char *shown, const char *buf, size_t len,
                bool *at_open, ocirt_error_t *err);
};

/* Through procfs_open_file: the real one. */
extern const struct lsm_attr_io lsm_procfs_io;

/* In the child, before no_new_privs, the capability drop and the seccomp
 * filter: the AppArmor profile and the SELinux exec label of p, both taking
 * effect at execve. proc is the host /proc (procfs_open). */
int lsm_apply_exec_io (const struct lsm_attr_io *io, int proc, const struct oci_process *p,
                       ocirt_error_t *err);
int lsm_apply_exec (int proc, const struct oci_process *p, ocirt_error_t *err);

/* Around the creation of the session keyring: label it with p's SELinux
 * label (set), then reset attr/keycreate (reset), as runc does. No-op
 * without a label; a kernel without attr/keycreate is fine (go-selinux). */
int lsm_keyring_label_io (const struct lsm_attr_io *io, int proc, const struct oci_process *p, bool set,
                          ocirt_error_t *err);
int lsm_keyring_label (int proc, const struct oci_process *p, bool set, ocirt_error_t *err);

/* Whether runc puts linux.mountLabel into the data of a mount of this type
 * (type NULL for a bind): every fresh filesystem (tmpfs, devpts, shm...),
 * not a bind (the kernel ignores a bind's data), not proc, sysfs, mqueue
 * (labelled with an xattr instead, see lsm_label_file) or cgroup. */
bool lsm_mount_takes_label (const char *type, bool bind);

/* runc's label.FormatMountLabel: data plus context="<label>", comma-joined.
 * malloc'd; NULL when out of memory. */
char *lsm_mount_data (const char *data, const char *label);

/* After a mount with lsm_mount_data's data failed: say why when the kernel
 * refused context= (EINVAL) because SELinux is not enabled. Returns -1. */
int lsm_mount_error_hint (ocirt_error_t *err);

/* runc's label.SetFileLabel for mqueue: the security.selinux xattr of path,
 * when SELinux is enabled; otherwise nothing. */
int lsm_label_file (const char *path, const char *label, ocirt_error_t *err);

#endif
