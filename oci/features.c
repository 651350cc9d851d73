/* features.c - see features.h.
 *
 * What is listed, and why:
 *  - hooks: the six of config.md, run by src/runtime/hooks;
 *  - mountOptions: the option words src/linux/mounts.c acts on, from its
 *    own table (mounts_option_name), "idmap" and "ridmap" included;
 *  - linux.namespaces: all eight types namespaces.c creates and joins;
 *  - linux.capabilities, linux.seccomp: the lists capabilities.c and
 *    seccomp.c recognise;
 *  - cgroup v1 and v2 with cgroupfs, rdma included; the systemd driver
 *    (cgroup_systemd.c) as root, and systemdUser: rootless, the caller's
 *    own systemd (cgroup v2 only, as runc);
 *  - apparmor, selinux: true, as runc lists them: src/linux/lsm.c applies
 *    both (whether this host has them is for `ocirt check`);
 *  - mountExtensions.idmap: true (bind mounts, mounts.c);
 *  - netDevices: true (src/linux/netdev.c);
 *  - intelRdt: true, with schemata and enableMonitoring (src/linux/resctrl.c;
 *    whether this host has resctrl is for create to find);
 *  - linux.memoryPolicy: the modes and flags scheduling.c parses (the spec's
 *    whole list; the host's kernel may still refuse the newer ones).
 * potentiallyUnsafeConfigAnnotations is left out, since no annotation of
 * config.json changes what ocirt does.
 */
#include "features.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "config.h"
#include "../src/linux/capabilities.h"
#include "../src/linux/mounts.h"
#include "../src/linux/scheduling.h"
#include "../src/linux/seccomp.h"

#ifndef OCIRT_VERSION
#define OCIRT_VERSION "unknown"
#endif
#ifndef OCIRT_COMMIT
#define OCIRT_COMMIT "unknown"
#endif

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  NULL,
};


/* Every gen_* returns true on success, so a document is one && chain. */

static bool
gen_string (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s)) == yajl_gen_status_ok;
}

static bool
gen_str (yajl_gen g, const char *key, const char *val)
{
  return gen_string (g, key) && gen_string (g, val);
}

static bool
gen_bool (yajl_gen g, const char *key, bool val)
{
  return gen_string (g, key) && yajl_gen_bool (g, val) == yajl_gen_status_ok;
}

static bool
gen_strv (yajl_gen g, const char *key, const char *const *list)
{
  if (!gen_string (g, key) || yajl_gen_array_open (g) != yajl_gen_status_ok)
    return false;
  for (; list && *list; list++)
    if (!gen_string (g, *list))
      return false;
  return yajl_gen_array_close (g) == yajl_gen_status_ok;
}

static bool
gen_open (yajl_gen g, const char *key)
{
  return gen_string (g, key) && yajl_gen_map_open (g) == yajl_gen_status_ok;
}

static bool
gen_close (yajl_gen g)
{
  return yajl_gen_map_close (g) == yajl_gen_status_ok;
}

/* "key": {"enabled": val} */
static bool
gen_enabled (yajl_gen g, const char *key, bool val)
{
  return gen_open (g, key) && gen_bool (g, "enabled", val) && gen_close (g);
}

static bool
gen_namespaces (yajl_gen g)
{
  const char *names[OCI_NS_COUNT + 1];

  for (int t = 0; t < OCI_NS_COUNT; t++)
    names[t] = oci_namespace_name ((enum oci_namespace_type) t);
  names[OCI_NS_COUNT] = NULL;
  return gen_strv (g, "namespaces", names);
}

/* "key": [the names name_at(0), name_at(1), ... up to its first NULL] */
static bool
gen_names (yajl_gen g, const char *key, const char *(*name_at) (size_t))
{
  const char *name;

  if (!gen_string (g, key) || yajl_gen_array_open (g) != yajl_gen_status_ok)
    return false;
  for (size_t i = 0; (name = name_at (i)) != NULL; i++)
    if (!gen_string (g, name))
      return false;
  return yajl_gen_array_close (g) == yajl_gen_status_ok;
}

static bool
gen_linux (yajl_gen g)
{
  return gen_open (g, "linux")
         && gen_namespaces (g)
         && gen_strv (g, "capabilities", caps_known_names ())
         && gen_open (g, "cgroup")
         && gen_bool (g, "v1", true)
         && gen_bool (g, "v2", true)
         && gen_bool (g, "systemd", true)
         && gen_bool (g, "systemdUser", true)
         && gen_bool (g, "rdma", true)
         && gen_close (g)
         && gen_open (g, "seccomp")
         && gen_bool (g, "enabled", true)
         && gen_strv (g, "actions", seccomp_known_actions ())
         && gen_strv (g, "operators", seccomp_known_operators ())
         && gen_strv (g, "archs", seccomp_known_archs ())
         && gen_strv (g, "knownFlags", seccomp_known_flags ())
         && gen_strv (g, "supportedFlags", seccomp_supported_flags ())
         && gen_close (g)
         && gen_enabled (g, "apparmor", true)
         && gen_enabled (g, "selinux", true)
         && gen_open (g, "intelRdt")
         && gen_bool (g, "enabled", true)
         && gen_bool (g, "schemata", true)
         && gen_bool (g, "monitoring", true)
         && gen_close (g)
         && gen_open (g, "mountExtensions")
         && gen_enabled (g, "idmap", true)
         && gen_close (g)
         && gen_enabled (g, "netDevices", true)
         && gen_open (g, "memoryPolicy")
         && gen_names (g, "modes", mpol_mode_name)
         && gen_names (g, "flags", mpol_flag_name)
         && gen_close (g)
         && gen_close (g);
}

static bool
gen_features (yajl_gen g)
{
  return yajl_gen_map_open (g) == yajl_gen_status_ok
         && gen_str (g, "ociVersionMin", OCI_VERSION_MIN)
         && gen_str (g, "ociVersionMax", OCI_VERSION_MAX)
         && gen_strv (g, "hooks", hooks)
         && gen_names (g, "mountOptions", mounts_option_name)
         && gen_linux (g)
         && gen_open (g, "annotations")
         && gen_str (g, "io.github.seccomp.libseccomp.version", seccomp_version_string ())
         && gen_str (g, "org.ocirt.commit", OCIRT_COMMIT)
         && gen_str (g, "org.ocirt.version", OCIRT_VERSION)
         && gen_close (g)
         && gen_close (g);
}

char *
oci_features_json (void)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    {
      errno = ENOMEM;
      return NULL;
    }
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  if (gen_features (g) && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      out = malloc (len + 2);
      if (out)
        {
          memcpy (out, buf, len);
          /* yajl ends a beautified document with a newline; runc too. */
          if (len == 0 || out[len - 1] != '\n')
            out[len++] = '\n';
          out[len] = '\0';
        }
    }
  yajl_gen_free (g);
  if (out == NULL)
    errno = ENOMEM;
  return out;
}
