/* cni.h - calling CNI plugins as the CNI spec (1.0) describes.
 *
 * Owns: finding a plugin binary on CNI_PATH, running it with the CNI_*
 * environment and its network configuration on stdin, turning a plugin's
 * error object into an error value, and chaining the plugins of a
 * conflist (ADD in order with prevResult, DEL in reverse order).
 *
 * Never: touches netlink, iptables or IPAM itself (the plugins do), changes
 * the caller's namespaces (ocirt-net does, before calling in), or decides
 * where a result is recorded.
 */
#ifndef OCIRT_CNI_H
#define OCIRT_CNI_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../util/error.h"

/* The directory Debian's containernetworking-plugins installs into. */
#define CNI_DEFAULT_PATH "/usr/lib/cni"

struct cni_call
{
  const char *command;      /* "ADD" or "DEL" */
  const char *container_id;
  const char *netns;        /* CNI_NETNS: a path to the container's netns */
  const char *ifname;       /* CNI_IFNAME, e.g. "eth0" */
  const char *cni_path;     /* CNI_PATH: directories separated by ':' */
};

/* Run the plugin `type` with `config` on stdin. On success *out is its
 * stdout (possibly empty, as for DEL). On failure *err carries the plugin's
 * "msg" (and "details"), or how it ended. */
int cni_exec_plugin (const struct cni_call *c, const char *type, const char *config, char **out,
                     ocirt_error_t *err);

/* The configuration one plugin of `conflist` receives: the plugin's own
 * object plus the list's "cniVersion" and "name", and "prevResult" when
 * prev_result is not NULL. Returns NULL only when out of memory. */
char *cni_plugin_config (yajl_val conflist, yajl_val plugin, yajl_val prev_result);

/* Check that `conflist` has a name, a cniVersion and a non-empty plugins
 * array whose entries each have a "type". */
int cni_conflist_validate (yajl_val conflist, ocirt_error_t *err);

/* ADD every plugin of the list in order; *result is the last plugin's
 * result. If a plugin fails, the plugins already added are deleted again
 * (best effort) before returning the error. */
int cni_conflist_add (const struct cni_call *c, yajl_val conflist, char **result, ocirt_error_t *err);

/* DEL every plugin of the list in reverse order, each with `prev_result`
 * (the ADD's final result, or NULL if unknown). Every plugin is called even
 * if one fails; the first failure is returned. */
int cni_conflist_del (const struct cni_call *c, yajl_val conflist, yajl_val prev_result,
                      ocirt_error_t *err);

/* Emit any yajl tree value into g (objects and arrays recursively). */
void cni_gen_value (yajl_gen g, yajl_val v);

/* The string value at `key` of object v, or NULL. */
const char *cni_string (yajl_val v, const char *key);

#endif
