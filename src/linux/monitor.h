/* monitor.h - ocirt's client of the kernel memory monitor
 * (kmod/, /dev/container_monitor).
 *
 * Owns: mapping linux.resources.memory onto the monitor's limits
 * (reservation -> soft, limit -> hard; the annotations
 * org.ocirt.monitor.soft / org.ocirt.monitor.hard, in bytes, override
 * both), registering and unregistering the container init, and decoding
 * the device's event records. It never decides what to do about an event:
 * the shim records them.
 *
 * Precedence: the cgroup limits stay the first line of enforcement (the
 * kernel's OOM killer acts at once, on the whole cgroup). The monitor is a
 * sampled backstop on the init's RSS, checked every interval: a hard limit
 * below the cgroup limit makes the monitor kill first; above it, the cgroup
 * OOM killer acts first. Its soft limit is the only one that warns.
 */
#ifndef OCIRT_MONITOR_H
#define OCIRT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../kmod/include/uapi/container_monitor.h"
#include "../../oci/config.h"
#include "../util/error.h"
#include "../util/log.h"

#define MONITOR_ANNOTATION_SOFT "org.ocirt.monitor.soft"
#define MONITOR_ANNOTATION_HARD "org.ocirt.monitor.hard"

struct monitor_limits
{
  uint64_t soft;   /* bytes, 0 = none */
  uint64_t hard;
};

/* The limits for this config; false when there are none to register. */
bool monitor_limits_from_config (const struct oci_config *cfg, struct monitor_limits *l,
                                 ocirt_error_t *err);

/* Register `pid` when the device exists. Without the device this is not an
 * error: cgroups alone enforce the limits, and --debug says so. */
int monitor_register (const struct log_sink *log, pid_t pid, const char *id,
                      const struct monitor_limits *l, ocirt_error_t *err);

/* Forget `pid` (ENOENT and a missing device are fine). */
void monitor_unregister (pid_t pid);

/* Open the device for events, non-blocking; -1 when it does not exist. */
int monitor_open_events (void);

/* Read the next event for container `id`; 1 when *ev is filled, 0 when no
 * more are queued. Events of other containers are skipped. */
int monitor_read_event (int fd, const char *id, struct cmon_event *ev);

#endif
