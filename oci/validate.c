/* validate.c - semantic checks of a parsed config.json.
 *
 * Owns: the rules the JSON types cannot express (versions, absolute paths,
 * namespace combinations, id mappings, enumerated strings). runtime-spec
 * requires an error for values a runtime cannot apply; silently ignoring,
 * say, an AppArmor profile would run the container with less confinement
 * than its owner asked for. What depends on the host (a kernel feature, a
 * mounted filesystem) is checked where it is used, before anything exists.
 *
 * It must never touch the host: every check here is pure, so `ocirt create`
 * fails before any namespace, cgroup or mount exists.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* Fill *err with "<file>: <path>: <message>" and return -1. */
#define fail(err, file, path_fmt, ...)                                   \
  make_error ((err), 0, "%s: " path_fmt, (file), ##__VA_ARGS__)

static bool
is_absolute (const char *p)
{
  return p != NULL && p[0] == '/';
}

static bool
in_list (const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; s && i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

/* ---- ociVersion --------------------------------------------------------- */

/* Read "MAJOR.MINOR.PATCH" with an optional "-pre" or "+build" tail (SemVer
 * 2.0.0). Numbers with leading zeros are refused, as SemVer does. */
static bool
parse_semver (const char *s, unsigned long v[3])
{
  for (int i = 0; i < 3; i++)
    {
      char *end;
      if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return false;
      v[i] = strtoul (s, &end, 10);
      s = end;
      if (i < 2 && *s++ != '.')
        return false;
    }
  if (*s == '\0')
    return true;
  if (*s != '-' && *s != '+')
    return false;
  /* The tail must be non-empty identifiers of [0-9A-Za-z-.+]. */
  s++;
  return *s != '\0' && s[strspn (s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "abcdefghijklmnopqrstuvwxyz-.+")] == '\0';
}

/* Within a major version runtime-spec keeps compatibility, but a 1.4 config
 * may use fields a 1.3 runtime does not know; so accept 1.0 through 1.3,
 * with any patch, pre-release or build tail ("1.0.2-dev" is what runc
 * writes). */
static int
check_version (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  unsigned long v[3];

  if (cfg->oci_version == NULL)
    return fail (err, file, ".ociVersion: missing required property");
  if (!parse_semver (cfg->oci_version, v) || v[0] != 1 || v[1] > 3)
    return fail (err, file, ".ociVersion: unsupported version \"%s\" (ocirt supports %s to %s)",
                 cfg->oci_version, OCI_VERSION_MIN, OCI_VERSION_MAX);
  return 0;
}

/* ---- root, process, mounts ---------------------------------------------- */

static int
check_root (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  if (cfg->root.path == NULL)
    return fail (err, file, ".root.path: missing required property");
  if (cfg->root.path[0] == '\0')
    return fail (err, file, ".root.path: must not be empty");
  return 0;
}

const char *
oci_env_entry_problem (const char *entry)
{
  const char *eq = strchr (entry, '=');

  if (eq == NULL)
    return "invalid environment variable";
  if (eq == entry)
    return "environment variable name can't be empty";
  return NULL;
}

static int
check_process (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  const struct oci_process *p = cfg->process;

  if (p == NULL)
    return 0;
  if (p->n_args == 0)
    return fail (err, file, ".process.args: at least one argument is required");
  if (p->args[0][0] == '\0')
    return fail (err, file, ".process.args[0]: must not be empty");
  if (p->cwd == NULL)
    return fail (err, file, ".process.cwd: missing required property");
  if (!is_absolute (p->cwd))
    return fail (err, file, ".process.cwd: must be an absolute path, not \"%s\"", p->cwd);
  for (size_t i = 0; i < p->n_env; i++)
    {
      const char *problem = oci_env_entry_problem (p->env[i]);
      if (problem)
        return fail (err, file, ".process.env[%zu]: %s: \"%s\"", i, problem, p->env[i]);
    }
  /* The kernel refuses other values with EINVAL, after the namespaces
   * exist; say so while the message can still name the field. */
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return fail (err, file, ".process.oomScoreAdj: must be between -1000 and 1000");
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        return fail (err, file, ".process.rlimits[%zu]: duplicate rlimit \"%s\"", i,
                     p->rlimits[i].type);
  return 0;
}

static int
check_mappings (const struct oci_id_mapping *m, size_t n, const char *where,
                const char *file, ocirt_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      if (m[i].size == 0)
        return fail (err, file, "%s[%zu].size: must be greater than zero", where, i);
      /* The kernel would refuse a range past 2^32 - 1 with EINVAL. */
      if ((uint64_t) m[i].container_id + m[i].size > (uint64_t) UINT32_MAX + 1
          || (uint64_t) m[i].host_id + m[i].size > (uint64_t) UINT32_MAX + 1)
        return fail (err, file, "%s[%zu]: the range overflows 32-bit ids", where, i);
    }
  return 0;
}

static bool
has_option (const struct oci_mount *m, const char *a, const char *b)
{
  for (size_t j = 0; j < m->n_options; j++)
    if (strcmp (m->options[j], a) == 0 || (b && strcmp (m->options[j], b) == 0))
      return true;
  return false;
}

/* An idmap ("idmap", "ridmap" or mappings) is set with
 * mount_setattr(MOUNT_ATTR_IDMAP) on a detached clone of a bind source, so
 * only a bind mount can have one (as runc); without mappings of its own it
 * takes the container's user namespace, which must then exist. */
static int
check_idmapped_mount (const struct oci_config *cfg, size_t i, const char *file, ocirt_error_t *err)
{
  const struct oci_mount *m = &cfg->mounts[i];
  bool mappings = m->n_uid_mappings || m->n_gid_mappings;

  if (!mappings && !has_option (m, "idmap", "ridmap"))
    return 0;
  if (!(m->type && strcmp (m->type, "bind") == 0) && !has_option (m, "bind", "rbind"))
    return fail (err, file, ".mounts[%zu]: idmapped mounts are supported for bind mounts only "
                 "(type \"%s\" has no bind or rbind option)", i, m->type ? m->type : "");
  if (!mappings && !oci_config_namespace (cfg, OCI_NS_USER))
    return fail (err, file, ".mounts[%zu]: idmap without uidMappings and gidMappings takes the "
                 "container's user mappings, but the container has no user namespace", i);
  return 0;
}

static int
check_mounts (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  char where[64];

  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      const struct oci_mount *m = &cfg->mounts[i];

      /* A relative destination is deprecated but valid: the runtime
       * resolves it against "/" inside the root. Only emptiness is an
       * error, since it would mean the root itself. */
      if (m->destination == NULL)
        return fail (err, file, ".mounts[%zu].destination: missing required property", i);
      if (m->destination[0] == '\0')
        return fail (err, file, ".mounts[%zu].destination: must not be empty", i);
      for (size_t j = 0; j < m->n_options; j++)
        if (m->options[j][0] == '\0')
          return fail (err, file, ".mounts[%zu].options[%zu]: must not be empty", i, j);
      snprintf (where, sizeof where, ".mounts[%zu].uidMappings", i);
      if (check_mappings (m->uid_mappings, m->n_uid_mappings, where, file, err) < 0)
        return -1;
      snprintf (where, sizeof where, ".mounts[%zu].gidMappings", i);
      if (check_mappings (m->gid_mappings, m->n_gid_mappings, where, file, err) < 0)
        return -1;
      if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
        return fail (err, file, ".mounts[%zu]: uidMappings and gidMappings must be given together",
                     i);
      if (check_idmapped_mount (cfg, i, file, err) < 0)
        return -1;
    }
  return 0;
}

static int
check_hooks (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  const struct
  {
    const char *key;
    const struct oci_hook_list *list;
  } lists[] = {
    { "prestart", &cfg->hooks.prestart },
    { "createRuntime", &cfg->hooks.create_runtime },
    { "createContainer", &cfg->hooks.create_container },
    { "startContainer", &cfg->hooks.start_container },
    { "poststart", &cfg->hooks.poststart },
    { "poststop", &cfg->hooks.poststop },
  };

  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    for (size_t j = 0; j < lists[i].list->n_hooks; j++)
      if (!is_absolute (lists[i].list->hooks[j].path))
        return fail (err, file, ".hooks.%s[%zu].path: must be an absolute path", lists[i].key, j);
  return 0;
}

/* ---- linux -------------------------------------------------------------- */

static int
check_namespaces (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  const struct oci_linux *l = cfg->linux_;
  const struct oci_namespace *userns, *timens;
  size_t n = l ? l->n_namespaces : 0;

  for (size_t i = 0; i < n; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      for (size_t j = 0; j < i; j++)
        if (l->namespaces[j].type == ns->type)
          return fail (err, file, ".linux.namespaces[%zu]: duplicate namespace \"%s\"", i,
                       oci_namespace_name (ns->type));
      if (ns->path && !is_absolute (ns->path))
        return fail (err, file, ".linux.namespaces[%zu].path: must be an absolute path", i);
    }

  /* Without a mount namespace the container runs in the caller's, chrooted
   * into its rootfs, and its mounts land there, as in runc. Masking would
   * then hide host files from the host: runc refuses it, in these words. */
  if (oci_config_namespace (cfg, OCI_NS_MOUNT) == NULL && l
      && (l->n_masked_paths || l->n_readonly_paths))
    return fail (err, file, ".linux.%s: unable to restrict sys entries without a private MNT "
                 "namespace", l->n_masked_paths ? "maskedPaths" : "readonlyPaths");

  /* The hostname is per uts namespace: setting it in the host's would
   * rename the host. */
  if (cfg->hostname && cfg->hostname[0] && oci_config_namespace (cfg, OCI_NS_UTS) == NULL)
    return fail (err, file, ".hostname: setting the hostname requires a private uts namespace");
  if (cfg->domainname && cfg->domainname[0] && oci_config_namespace (cfg, OCI_NS_UTS) == NULL)
    return fail (err, file,
                 ".domainname: setting the domainname requires a private uts namespace");

  userns = oci_config_namespace (cfg, OCI_NS_USER);
  if (userns && userns->path == NULL && l->n_uid_mappings == 0)
    return fail (err, file, ".linux.uidMappings: a new user namespace requires uid mappings");
  if (userns && userns->path == NULL && l->n_gid_mappings == 0)
    return fail (err, file, ".linux.gidMappings: a new user namespace requires gid mappings");
  if (userns == NULL && l && (l->n_uid_mappings || l->n_gid_mappings))
    return fail (err, file, ".linux.%s: id mappings require a user namespace",
                 l->n_uid_mappings ? "uidMappings" : "gidMappings");

  timens = oci_config_namespace (cfg, OCI_NS_TIME);
  if (l && (l->time_monotonic.set || l->time_boottime.set))
    {
      if (timens == NULL)
        return fail (err, file, ".linux.timeOffsets: time offsets require a time namespace");
      /* Offsets can only be written before the first process enters. */
      if (timens->path)
        return fail (err, file,
                     ".linux.timeOffsets: time offsets cannot be set on a joined time namespace");
    }
  return 0;
}

static int
check_devices (const struct oci_linux *l, const char *file, ocirt_error_t *err)
{
  static const char *const types[] = { "c", "b", "u", "p" };

  for (size_t i = 0; i < l->n_devices; i++)
    {
      const struct oci_device *d = &l->devices[i];
      if (!in_list (d->type, types, ARRAY_SIZE (types)))
        return fail (err, file, ".linux.devices[%zu].type: unknown device type \"%s\"", i,
                     d->type);
      if (!is_absolute (d->path))
        return fail (err, file, ".linux.devices[%zu].path: must be an absolute path", i);
    }
  return 0;
}

static int
check_resources (const struct oci_resources *r, const char *file, ocirt_error_t *err)
{
  static const char *const types[] = { "a", "c", "b" };

  if (r == NULL)
    return 0;
  /* runc 1.1's rules and wording: an empty type is "a"; any access
   * string but "" is taken, and its letters other than r, w and m are
   * ignored ("rwx" is "rw"). A missing access is "rwm" (crun; runc
   * refuses it). */
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      if (d->type && d->type[0] && !in_list (d->type, types, ARRAY_SIZE (types)))
        return fail (err, file,
                     ".linux.resources.devices[%zu].type: invalid cgroup device type \"%s\"", i,
                     d->type);
      if (d->access && d->access[0] == '\0')
        return fail (err, file,
                     ".linux.resources.devices[%zu].access: device access cannot be empty", i);
    }
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const char *s = r->hugepage_limits[i].page_size;
      size_t digits = strspn (s, "0123456789");
      if (digits == 0 || s[0] == '0' || !strchr ("KMG", s[digits]) || s[digits] == '\0'
          || strcmp (s + digits + 1, "B") != 0)
        return fail (err, file,
                     ".linux.resources.hugepageLimits[%zu].pageSize: invalid page size \"%s\"",
                     i, s);
    }
  /* The name starts a line of rdma.max: blanks would split it into
   * other keys. */
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const char *dev = r->rdma[i].device;
      if (dev[0] == '\0' || dev[strcspn (dev, " \t\n")] != '\0')
        return fail (err, file, ".linux.resources.rdma: invalid device name \"%s\"", dev);
    }
  for (size_t i = 0; i < r->n_unified; i++)
    if (r->unified[i].key[0] == '\0')
      return fail (err, file, ".linux.resources.unified: empty key");
  return 0;
}

static int
check_seccomp (const struct oci_seccomp *s, const char *file, ocirt_error_t *err)
{
  static const char *const actions[] = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
  };
  static const char *const ops[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
  };
  static const char *const flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  };

  if (s == NULL)
    return 0;
  if (!in_list (s->default_action, actions, ARRAY_SIZE (actions)))
    return fail (err, file, ".linux.seccomp.defaultAction: unknown action \"%s\"",
                 s->default_action);
  for (size_t i = 0; i < s->n_flags; i++)
    if (!in_list (s->flags[i], flags, ARRAY_SIZE (flags)))
      return fail (err, file, ".linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      if (sc->n_names == 0)
        return fail (err, file, ".linux.seccomp.syscalls[%zu].names: at least one name is required",
                     i);
      if (!in_list (sc->action, actions, ARRAY_SIZE (actions)))
        return fail (err, file, ".linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i,
                     sc->action);
      for (size_t j = 0; j < sc->n_args; j++)
        if (!in_list (sc->args[j].op, ops, ARRAY_SIZE (ops)))
          return fail (err, file, ".linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"",
                       i, j, sc->args[j].op);
    }
  return 0;
}

static int
check_linux (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  static const char *const propagations[] = {
    "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
  };
  const struct oci_linux *l = cfg->linux_;

  if (l == NULL)
    return 0;
  if (check_mappings (l->uid_mappings, l->n_uid_mappings, ".linux.uidMappings", file, err) < 0
      || check_mappings (l->gid_mappings, l->n_gid_mappings, ".linux.gidMappings", file, err) < 0
      || check_devices (l, file, err) < 0
      || check_resources (l->resources, file, err) < 0
      || check_seccomp (l->seccomp, file, err) < 0)
    return -1;
  for (size_t i = 0; i < l->n_sysctl; i++)
    if (l->sysctl[i].key[0] == '\0')
      return fail (err, file, ".linux.sysctl: empty sysctl name");
  if (l->rootfs_propagation && l->rootfs_propagation[0]
      && !in_list (l->rootfs_propagation, propagations, ARRAY_SIZE (propagations)))
    return fail (err, file, ".linux.rootfsPropagation: unknown propagation \"%s\"",
                 l->rootfs_propagation);
  for (size_t i = 0; i < l->n_masked_paths; i++)
    if (!is_absolute (l->masked_paths[i]))
      return fail (err, file, ".linux.maskedPaths[%zu]: must be an absolute path", i);
  for (size_t i = 0; i < l->n_readonly_paths; i++)
    if (!is_absolute (l->readonly_paths[i]))
      return fail (err, file, ".linux.readonlyPaths[%zu]: must be an absolute path", i);
  return 0;
}

/* runc's rule for closID: a directory name under the resctrl root, not "."
 * or ".."; runtime-spec adds "/", the root itself (the default group). Each
 * line of schemata is one line of the schemata file. */
static int
check_intel_rdt (const struct oci_intel_rdt *r, const char *file, ocirt_error_t *err)
{
  if (r == NULL)
    return 0;
  const char *c = r->clos_id;
  if (c && strcmp (c, "/") != 0 && (strcmp (c, ".") == 0 || strcmp (c, "..") == 0 || strchr (c, '/')))
    return fail (err, file, ".linux.intelRdt.closID: invalid intelRdt.ClosID \"%s\"", c);
  for (size_t i = 0; i < r->n_schemata; i++)
    if (strchr (r->schemata[i], '\n'))
      return fail (err, file, ".linux.intelRdt.schemata[%zu]: must not contain a newline", i);
  return 0;
}

int
oci_config_validate (const struct oci_config *cfg, const char *file, ocirt_error_t *err)
{
  if (check_version (cfg, file, err) < 0
      || check_root (cfg, file, err) < 0
      || check_process (cfg, file, err) < 0
      || check_mounts (cfg, file, err) < 0
      || check_hooks (cfg, file, err) < 0
      || check_namespaces (cfg, file, err) < 0
      || check_linux (cfg, file, err) < 0
      || check_intel_rdt (cfg->linux_ ? cfg->linux_->intel_rdt : NULL, file, err) < 0)
    return -1;
  return 0;
}
