/* sysctl_check.c - see sysctl_check.h. */
#include "sysctl_check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* The ipc sysctls runc allows (ipc_sysctls in ipc/ipc_sysctl.c that a
 * container may tune), and the prefix of the mqueue ones. */
static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};
#define MQUEUE_PREFIX "fs.mqueue."
#define NET_PREFIX "net."

static bool
well_formed (const char *key)
{
  const char *c = key;

  if (*key == '\0' || strchr (key, '/') != NULL)
    return false;
  /* Every dot-separated component is non-empty and neither "." nor "..";
   * with dots as separators, "." and ".." show up as empty components. */
  for (;;)
    {
      size_t len = strcspn (c, ".");
      if (len == 0)
        return false;
      if (c[len] == '\0')
        return true;
      c += len + 1;
    }
}

enum sysctl_scope
sysctl_scope_of (const char *key)
{
  if (key == NULL || !well_formed (key))
    return SYSCTL_BAD_NAME;
  for (size_t i = 0; i < N_ELEMENTS (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return SYSCTL_IPC;
  if (strncmp (key, MQUEUE_PREFIX, strlen (MQUEUE_PREFIX)) == 0)
    return SYSCTL_IPC;
  if (strncmp (key, NET_PREFIX, strlen (NET_PREFIX)) == 0)
    return SYSCTL_NET;
  if (strcmp (key, "kernel.domainname") == 0)
    return SYSCTL_UTS;
  if (strcmp (key, "kernel.hostname") == 0)
    return SYSCTL_HOSTNAME;
  return SYSCTL_HOST;
}

static const struct oci_namespace *
find_namespace (const struct oci_linux *lx, enum oci_namespace_type t)
{
  for (size_t i = 0; i < lx->n_namespaces; i++)
    if (lx->namespaces[i].type == t)
      return &lx->namespaces[i];
  return NULL;
}

/* /proc/<who>/ns/<name> for a namespace type. */
static const char *
proc_ns_name (enum oci_namespace_type t)
{
  switch (t)
    {
    case OCI_NS_NETWORK:
      return "net";
    case OCI_NS_MOUNT:
      return "mnt";
    default:
      return oci_namespace_name (t);
    }
}

/* 1 when `path` is the same namespace as /proc/self/ns/X or /proc/1/ns/X,
 * 0 when not, -1 with *err when `path` cannot be examined. /proc/1 may be
 * unreadable (hidepid, another pid namespace): then only self counts. */
static int
is_host_namespace (const char *path, enum oci_namespace_type t, ocirt_error_t *err)
{
  static const char *const who[] = { "self", "1" };
  struct stat target, host;
  char proc[64];

  if (stat (path, &target) < 0)
    return make_error (err, errno, "linux.namespaces: %s namespace path \"%s\"",
                       oci_namespace_name (t), path);
  for (size_t i = 0; i < N_ELEMENTS (who); i++)
    {
      snprintf (proc, sizeof proc, "/proc/%s/ns/%s", who[i], proc_ns_name (t));
      if (stat (proc, &host) < 0)
        continue;
      if (host.st_dev == target.st_dev && host.st_ino == target.st_ino)
        return 1;
    }
  return 0;
}

/* Per namespace type: 0 not yet checked, 1 private, 2 host or absent. */
struct ns_verdicts
{
  int v[OCI_NS_COUNT];
};

static int
require_private (const struct oci_linux *lx, enum oci_namespace_type t, const char *key,
                 struct ns_verdicts *seen, ocirt_error_t *err)
{
  const struct oci_namespace *ns = find_namespace (lx, t);
  const char *name = oci_namespace_name (t);

  if (seen->v[t] == 0)
    {
      int host = 0;
      if (ns && ns->path && (host = is_host_namespace (ns->path, t, err)) < 0)
        return wrap_error (err, "linux.sysctl[\"%s\"]", key);
      seen->v[t] = ns == NULL || host ? 2 : 1;
    }
  if (seen->v[t] == 1)
    return 0;
  if (ns == NULL)
    return make_error (err, 0, "linux.sysctl[\"%s\"]: needs a private %s namespace, and "
                               "linux.namespaces has no %s namespace", key, name, name);
  return make_error (err, 0, "linux.sysctl[\"%s\"]: needs a private %s namespace, but the %s "
                             "namespace joined at \"%s\" is the host's", key, name, name,
                     ns->path);
}

int
sysctl_validate (const struct oci_config *cfg, ocirt_error_t *err)
{
  const struct oci_linux *lx = cfg->linux_;
  struct ns_verdicts seen = { { 0 } };

  if (lx == NULL)
    return 0;
  for (size_t i = 0; i < lx->n_sysctl; i++)
    {
      const char *key = lx->sysctl[i].key;
      int ret = 0;

      switch (sysctl_scope_of (key))
        {
        case SYSCTL_BAD_NAME:
          return make_error (err, 0, "linux.sysctl[\"%s\"]: invalid sysctl name (dotted "
                                     "components, no \"/\", no empty, \".\" or \"..\" "
                                     "component)", key ? key : "");
        case SYSCTL_HOST:
          return make_error (err, 0, "linux.sysctl[\"%s\"]: sysctl is not namespaced, and "
                                     "ocirt only sets namespaced sysctls", key);
        case SYSCTL_HOSTNAME:
          return make_error (err, 0, "linux.sysctl[\"%s\"]: conflicts with the \"hostname\" "
                                     "field of config.json, which sets it", key);
        case SYSCTL_IPC:
          ret = require_private (lx, OCI_NS_IPC, key, &seen, err);
          break;
        case SYSCTL_NET:
          ret = require_private (lx, OCI_NS_NETWORK, key, &seen, err);
          break;
        case SYSCTL_UTS:
          ret = require_private (lx, OCI_NS_UTS, key, &seen, err);
          break;
        }
      if (ret < 0)
        return -1;
    }
  return 0;
}
