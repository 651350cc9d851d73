/* netdev.h - linux.netDevices: host network devices moved into the
 * container's network namespace (runtime-spec config-linux.md, "Network
 * Devices").
 *
 * Owns: the checks of the device names, and the rtnetlink conversation
 * that moves a device, renames it on the way (a "%d" template lets the
 * kernel pick a free name), gives it back its permanent addresses of
 * global scope, which the kernel drops on the move, and brings it up.
 *
 * Never: moves a device back (the spec forbids it: when the namespace
 * goes, the kernel returns physical devices to the host and destroys
 * virtual ones), configures routes, or creates devices. Errors name the
 * field: linux.netDevices["eth1"]: ...
 */
#ifndef OCIRT_NETDEV_H
#define OCIRT_NETDEV_H

#include "../../oci/config.h"
#include "../util/error.h"

/* Before anything is created: every name is one the kernel accepts
 * (a "%d" template for the new one), no two devices get the same name,
 * each host device exists, and the container has a network namespace of
 * its own (new or joined by path) to put them in. */
int netdev_validate (const struct oci_config *cfg, ocirt_error_t *err);

/* Parent, once the init is in its namespaces: move every device of lx
 * into the network namespace netns_fd, with its addresses, and up.
 * proc_fd is the host's /proc (procfs_open). */
int netdev_move_all (const struct oci_linux *lx, int netns_fd, int proc_fd, ocirt_error_t *err);

#endif
