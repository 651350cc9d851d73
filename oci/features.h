/* features.h - the document `ocirt features` prints (runtime-spec
 * features.md and features-linux.md).
 *
 * Owns: the statement of what this build of ocirt implements. It must list
 * only what ocirt really does: a manager reads it to decide what it may put
 * in config.json, so a field listed here and then refused (or, worse,
 * ignored) by `create` is a bug in this file. Per features.md, it describes
 * the build, not the host: AppArmor is "enabled": false because ocirt cannot
 * switch profiles, whatever the host runs.
 *
 * It reads the lists other modules own (capability names, seccomp actions,
 * operators, architectures and flags) through their accessors, and never
 * touches the host otherwise. It never prints.
 */
#ifndef OCIRT_OCI_FEATURES_H
#define OCIRT_OCI_FEATURES_H

/* The features document as malloc'd JSON, indented by four spaces as runc
 * prints it, with a trailing newline. NULL with errno set (ENOMEM) on
 * failure. */
char *oci_features_json (void);

#endif
