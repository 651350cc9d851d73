/* lsm.c - see lsm.h. */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "procfs.h"

#define SELINUX_FS "/sys/fs/selinux"
#define SELINUX_ENFORCE SELINUX_FS "/enforce"
#define SELINUX_MAGIC 0xf97cff8c /* linux/magic.h */
#define SELINUX_XATTR "security.selinux"

/* runc's words for a process label on a host without SELinux. */
#define SELINUX_DISABLED "selinux label is specified in config, but selinux is disabled or not supported"

static bool
non_empty (const char *s)
{
  return s != NULL && s[0] != '\0';
}

bool
lsm_selinux_enabled (void)
{
  struct statfs sfs;
  char c;
  if (statfs (SELINUX_FS, &sfs) < 0 || (unsigned long) sfs.f_type != SELINUX_MAGIC)
    return false;
  cleanup_close int fd = open (SELINUX_ENFORCE, O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read (fd, &c, 1) == 1;
}

int
lsm_check_host (const struct oci_process *p, const struct oci_linux *lx, bool selinux, ocirt_error_t *err)
{
  if (p && non_empty (p->selinux_label) && !selinux)
    return make_error (err, 0, "process.selinuxLabel: %s", SELINUX_DISABLED);
  /* The label is quoted in the mount data: a quote in it would end the
   * context= option and let the rest pass as further mount options. */
  if (lx && lx->mount_label && strpbrk (lx->mount_label, "\"\n"))
    return make_error (err, 0, "linux.mountLabel \"%s\": a label cannot contain a double quote or a newline",
                       lx->mount_label);
  return 0;
}

int
lsm_check (const struct oci_process *p, const struct oci_linux *lx, ocirt_error_t *err)
{
  /* Only a process label needs to know the host. */
  bool selinux = p && non_empty (p->selinux_label) ? lsm_selinux_enabled () : false;
  return lsm_check_host (p, lx, selinux, err);
}

/* ---- the attr files ------------------------------------------------------ */

static int
procfs_attr_write (int proc, const char *rel, const char *shown, const char *buf, size_t len, bool *at_open,
                   ocirt_error_t *err)
{
  *at_open = true;
  cleanup_close int fd = procfs_open_file (proc, rel, O_WRONLY, shown, err);
  if (fd < 0)
    return -1;
  *at_open = false;
  /* One write: an LSM takes the attribute whole, and an empty write resets
   * it (go-selinux writes nil). Not write_whole(): the messages are runc's,
   * which name the file without quotes ("write /proc/...: ..."). */
  ssize_t w = write (fd, buf, len);
  if (w < 0)
    return make_error (err, errno, "write %s", shown);
  if ((size_t) w != len)
    return make_error (err, EIO, "short write to %s", shown);
  return 0;
}

const struct lsm_attr_io lsm_procfs_io = { .write = procfs_attr_write };

/* The file a user knows, for messages: "/proc/" + rel. */
static void
shown_path (char *buf, size_t size, const char *rel)
{
  snprintf (buf, size, "/proc/%s", rel);
}

static int
attr_write (const struct lsm_attr_io *io, int proc, const char *rel, const char *value, bool *at_open,
            ocirt_error_t *err)
{
  char shown[64];
  shown_path (shown, sizeof shown, rel);
  return io->write (proc, rel, shown, value, strlen (value), at_open, err);
}

/* runc's apparmor.ApplyProfile (aa_change_onexec): the per-LSM file since
 * Linux 5.8, the shared one before. The errors keep runc's words. */
static int
apparmor_apply (const struct lsm_attr_io *io, int proc, const char *profile, ocirt_error_t *err)
{
  cleanup_free char *cmd = NULL;
  bool at_open = false, legacy = false;

  if (asprintf (&cmd, "exec %s", profile) < 0)
    return make_error (err, ENOMEM, "process.apparmorProfile \"%s\"", profile);
  int r = attr_write (io, proc, LSM_ATTR_APPARMOR_EXEC, cmd, &at_open, err);
  if (r < 0 && at_open && (*err)->errno_value == ENOENT)
    {
      error_release (err);
      legacy = true;
      r = attr_write (io, proc, LSM_ATTR_EXEC, cmd, &at_open, err);
    }
  if (r == 0)
    return 0;
  int e = (*err)->errno_value;
  /* Why the kernel said no, when it can be told: the per-LSM directory
   * exists exactly when the kernel is built with AppArmor, and a profile
   * name AppArmor does not know is ENOENT. */
  const char *hint = "";
  if (!at_open && e == EINVAL && legacy)
    hint = " (this kernel has no AppArmor)";
  else if (!at_open && e == ENOENT)
    hint = " (no such profile is loaded: load it with apparmor_parser)";
  wrap_error (err, "process.apparmorProfile \"%s\": unable to apply apparmor profile: "
              "apparmor failed to apply profile", profile);
  if (*hint)
    {
      cleanup_free char *msg = strdup ((*err)->message);
      if (msg)
        make_error (err, 0, "%s%s", msg, hint);
      (*err)->errno_value = e;
    }
  return -1;
}

static int
selinux_exec_label (const struct lsm_attr_io *io, int proc, const char *label, ocirt_error_t *err)
{
  bool at_open;
  if (attr_write (io, proc, LSM_ATTR_EXEC, label, &at_open, err) < 0)
    return wrap_error (err, "process.selinuxLabel \"%s\": set the exec label", label);
  return 0;
}

int
lsm_apply_exec_io (const struct lsm_attr_io *io, int proc, const struct oci_process *p, ocirt_error_t *err)
{
  if (non_empty (p->apparmor_profile) && apparmor_apply (io, proc, p->apparmor_profile, err) < 0)
    return -1;
  if (non_empty (p->selinux_label) && selinux_exec_label (io, proc, p->selinux_label, err) < 0)
    return -1;
  return 0;
}

int
lsm_apply_exec (int proc, const struct oci_process *p, ocirt_error_t *err)
{
  return lsm_apply_exec_io (&lsm_procfs_io, proc, p, err);
}

int
lsm_keyring_label_io (const struct lsm_attr_io *io, int proc, const struct oci_process *p, bool set,
                      ocirt_error_t *err)
{
  bool at_open;
  if (!non_empty (p->selinux_label))
    return 0;
  const char *value = set ? p->selinux_label : "";
  if (attr_write (io, proc, LSM_ATTR_KEYCREATE, value, &at_open, err) == 0)
    return 0;
  /* A kernel without keyrings has no attr/keycreate (go-selinux). */
  if (at_open && (*err)->errno_value == ENOENT)
    {
      error_release (err);
      return 0;
    }
  return wrap_error (err, "process.selinuxLabel \"%s\": %s the keyring label", p->selinux_label,
                     set ? "set" : "reset");
}

int
lsm_keyring_label (int proc, const struct oci_process *p, bool set, ocirt_error_t *err)
{
  return lsm_keyring_label_io (&lsm_procfs_io, proc, p, set, err);
}

/* ---- linux.mountLabel ------------------------------------------------------ */

bool
lsm_mount_takes_label (const char *type, bool bind)
{
  static const char *const unlabelled[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2" };
  if (bind || type == NULL)
    return false;
  for (size_t i = 0; i < sizeof unlabelled / sizeof unlabelled[0]; i++)
    if (strcmp (type, unlabelled[i]) == 0)
      return false;
  return true;
}

char *
lsm_mount_data (const char *data, const char *label)
{
  char *out = NULL;
  if (asprintf (&out, "%s%scontext=\"%s\"", non_empty (data) ? data : "", non_empty (data) ? "," : "",
                label) < 0)
    return NULL;
  return out;
}

int
lsm_mount_error_hint (ocirt_error_t *err)
{
  int e = (*err)->errno_value;
  if (e != EINVAL || lsm_selinux_enabled ())
    return -1;
  cleanup_free char *msg = strdup ((*err)->message);
  if (msg)
    make_error (err, 0, "%s (linux.mountLabel needs SELinux, which is not enabled on this host)", msg);
  (*err)->errno_value = e;
  return -1;
}

int
lsm_label_file (const char *path, const char *label, ocirt_error_t *err)
{
  if (!non_empty (label) || !lsm_selinux_enabled ())
    return 0;
  if (setxattr (path, SELINUX_XATTR, label, strlen (label), 0) < 0)
    return make_error (err, errno, "linux.mountLabel \"%s\": label %s", label, path);
  return 0;
}
