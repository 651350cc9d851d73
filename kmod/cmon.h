/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the container_monitor module
 *
 * cmon_main.c   owns the module lifetime, the misc device and its fops.
 * cmon_table.c  owns the table of watched processes and the periodic check.
 * cmon_events.c owns the per-open-file event queues.
 *
 * Nothing here is visible to user space; the uapi lives in
 * include/uapi/container_monitor.h.
 */
#ifndef _CMON_H
#define _CMON_H

#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/types.h>

#include "include/uapi/container_monitor.h"

/* Upper bound on watched processes, so a caller cannot exhaust memory. */
#define CMON_MAX_ENTRIES	4096

/* Records queued per open file before the oldest is dropped. */
#define CMON_EVENT_QUEUE_LEN	256

/* Lowest accepted value of the interval_ms module parameter. */
#define CMON_MIN_INTERVAL_MS	10

/* cmon_main.c */
unsigned int cmon_interval_ms(void);

/* cmon_table.c */
int cmon_table_register(const struct cmon_register *req);
int cmon_table_unregister(const struct cmon_unregister *req);
int cmon_table_query(struct cmon_query *req);
void cmon_table_kick(void);
void cmon_table_stop(void);

/* cmon_events.c */
struct cmon_reader;

struct cmon_reader *cmon_reader_open(void);
void cmon_reader_release(struct cmon_reader *reader);
ssize_t cmon_reader_read(struct cmon_reader *reader, char __user *buf,
			 size_t count, bool nonblock);
__poll_t cmon_reader_poll(struct cmon_reader *reader, struct file *file,
			  poll_table *wait);
void cmon_events_publish(struct pid *pid, u32 kind, u64 rss, u64 limit,
			 const char *id);

#endif /* _CMON_H */
