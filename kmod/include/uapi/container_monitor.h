/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR Apache-2.0 */
/*
 * container_monitor.h - user-space API of /dev/container_monitor
 *
 * The one header shared verbatim by the kernel module (kmod/) and by
 * user space (ocirt, the shim, kmod/tests/monitor_test.c).  Every structure
 * has a fixed layout made of __u32/__u64/char arrays, naturally aligned and
 * with explicit padding, so 32-bit and 64-bit callers see the same bytes and
 * no compat translation is needed.
 *
 * Reserved fields must be zero on input; the module answers EINVAL
 * otherwise, which keeps them available for later extensions.
 */
#ifndef _UAPI_CONTAINER_MONITOR_H
#define _UAPI_CONTAINER_MONITOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CMON_DEVICE_PATH	"/dev/container_monitor"

/* Length of a container id, including its terminating NUL. */
#define CMON_ID_LEN		64

/*
 * CMON_IOC_REGISTER: start watching the memory of process @pid.
 *
 * @pid is a process id in the caller's pid namespace.  A limit of zero means
 * "no such limit"; when both are nonzero, @soft_limit must not exceed
 * @hard_limit.  @id must be NUL-terminated within CMON_ID_LEN bytes.
 */
struct cmon_register {
	__u32 pid;
	__u32 reserved;
	__u64 soft_limit;		/* bytes of RSS; 0 = none */
	__u64 hard_limit;		/* bytes of RSS; 0 = none */
	char id[CMON_ID_LEN];		/* container id */
};

/* CMON_IOC_UNREGISTER: stop watching process @pid. */
struct cmon_unregister {
	__u32 pid;
	__u32 reserved;
};

/* Flags reported by CMON_IOC_QUERY. */
#define CMON_FLAG_SOFT_WARNED	(1U << 0)	/* soft limit crossed once */
#define CMON_FLAG_HARD_KILLED	(1U << 1)	/* SIGKILL sent */

/*
 * CMON_IOC_QUERY: @pid and @reserved are input, the rest is output.  @rss is
 * measured at the time of the call.
 */
struct cmon_query {
	__u32 pid;
	__u32 reserved;
	__u64 rss;			/* bytes */
	__u64 soft_limit;
	__u64 hard_limit;
	__u32 flags;			/* CMON_FLAG_* */
	__u32 reserved2;
};

#define CMON_IOC_MAGIC		'M'
#define CMON_IOC_REGISTER	_IOW(CMON_IOC_MAGIC, 1, struct cmon_register)
#define CMON_IOC_UNREGISTER	_IOW(CMON_IOC_MAGIC, 2, struct cmon_unregister)
#define CMON_IOC_QUERY		_IOWR(CMON_IOC_MAGIC, 3, struct cmon_query)

/* Kinds of event. */
#define CMON_EVENT_SOFT		1	/* soft limit crossed (warning) */
#define CMON_EVENT_HARD		2	/* hard limit crossed, SIGKILL sent */

/*
 * Records returned by read(2) on the device, one or more whole records per
 * call.  Every open file has its own queue; each event is delivered to every
 * file open at the time it happens.  When a queue is full the oldest record
 * is dropped; @dropped of the next record read tells how many were lost just
 * before it.
 */
struct cmon_event {
	__u32 pid;			/* in the reader's pid namespace, 0 if none */
	__u32 kind;			/* CMON_EVENT_* */
	__u64 rss;			/* bytes */
	__u64 limit;			/* the limit crossed, bytes */
	__u64 time_ns;			/* CLOCK_REALTIME */
	__u32 dropped;
	__u32 reserved;
	char id[CMON_ID_LEN];
};

#endif /* _UAPI_CONTAINER_MONITOR_H */
