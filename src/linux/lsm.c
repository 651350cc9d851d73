/* lsm.c - see lsm.h. */
#include "lsm.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../util/cleanup.h"

#define APPARMOR_ENABLED "/sys/module/apparmor/parameters/enabled"
#define APPARMOR_FS "/sys/kernel/security/apparmor"
#define SELINUX_FS "/sys/fs/selinux"
#define SELINUX_MAGIC 0xf97cff8c /* linux/magic.h */

static bool
apparmor_enabled (void)
{
  struct stat st;
  char c = 0;
  cleanup_close int fd = open (APPARMOR_ENABLED, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, &c, 1) != 1 || c != 'Y')
    return false;
  return stat (APPARMOR_FS, &st) == 0 && S_ISDIR (st.st_mode);
}

static bool
selinux_enabled (void)
{
  struct statfs sfs;
  return statfs (SELINUX_FS, &sfs) == 0 && (unsigned long) sfs.f_type == SELINUX_MAGIC;
}

void
lsm_host_probe (struct lsm_host *h)
{
  h->apparmor = apparmor_enabled ();
  h->selinux = selinux_enabled ();
}

static bool
non_empty (const char *s)
{
  return s != NULL && s[0] != '\0';
}

int
lsm_check_host (const struct oci_process *p, const struct oci_linux *lx,
                const struct lsm_host *h, ocirt_error_t *err)
{
  const struct
  {
    const char *field, *value, *module, *what;
    bool host_has;
  } fields[] = {
    { "process.apparmorProfile", p ? p->apparmor_profile : NULL, "AppArmor",
      "setting AppArmor profiles", h->apparmor },
    { "process.selinuxLabel", p ? p->selinux_label : NULL, "SELinux",
      "setting SELinux process labels", h->selinux },
    { "linux.mountLabel", lx ? lx->mount_label : NULL, "SELinux",
      "setting SELinux mount labels", h->selinux },
  };

  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    {
      if (!non_empty (fields[i].value))
        continue;
      if (!fields[i].host_has)
        return make_error (err, 0, "%s: %s is not enabled on this host", fields[i].field,
                           fields[i].module);
      return make_error (err, 0, "%s: %s is not supported yet", fields[i].field, fields[i].what);
    }
  return 0;
}

int
lsm_check (const struct oci_process *p, const struct oci_linux *lx, ocirt_error_t *err)
{
  struct lsm_host h;

  lsm_host_probe (&h);
  return lsm_check_host (p, lx, &h, err);
}
