// SPDX-License-Identifier: GPL-2.0
/*
 * Per-open-file event queues of container_monitor
 *
 * Every open file of the device is a reader with its own fixed-size ring of
 * struct cmon_event.  cmon_events_publish() appends one record to the ring of
 * every reader and wakes it; read(2) and poll(2) consume the ring.  Giving
 * each reader its own ring lets several shims watch the device without
 * stealing each other's events.
 *
 * Must never: block the check work on a reader (a full ring drops its oldest
 * record and counts the loss instead), or copy to user space with
 * cmon_events_lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "cmon.h"

struct cmon_reader {
	/* @node, @head, @count, @dropped and @ring: under cmon_events_lock */
	struct list_head node;		/* in cmon_readers */
	unsigned int head;		/* index of the oldest record */
	unsigned int count;		/* records queued */
	u32 dropped;			/* records lost since the last one read */
	struct cmon_event ring[CMON_EVENT_QUEUE_LEN];

	/* Set at open, constant until release. */
	wait_queue_head_t wait;		/* read(2) sleeps here for @count */
	struct pid_namespace *pid_ns;	/* the opener's; cmon_event.pid is in it */
};

/*
 * cmon_events_lock protects cmon_readers and the ring fields of every reader
 * (see struct cmon_reader).  Taken in process context only: by the check
 * work (publish), read(2), poll(2), open and release.  Nests inside
 * cmon_table_lock; nothing is taken inside it but the readers' wait queue
 * locks (by the wake-ups).
 */
static DEFINE_SPINLOCK(cmon_events_lock);
static LIST_HEAD(cmon_readers);

struct cmon_reader *cmon_reader_open(void)
{
	struct cmon_reader *reader;

	reader = kvzalloc(sizeof(*reader), GFP_KERNEL);
	if (!reader)
		return NULL;
	init_waitqueue_head(&reader->wait);
	reader->pid_ns = get_pid_ns(task_active_pid_ns(current));

	spin_lock(&cmon_events_lock);
	list_add_tail(&reader->node, &cmon_readers);
	spin_unlock(&cmon_events_lock);
	return reader;
}

/* Called once the last reference to the file is gone: no read or poll runs. */
void cmon_reader_release(struct cmon_reader *reader)
{
	spin_lock(&cmon_events_lock);
	list_del(&reader->node);
	spin_unlock(&cmon_events_lock);

	put_pid_ns(reader->pid_ns);
	kvfree(reader);
}

static void cmon_reader_push(struct cmon_reader *reader,
			     const struct cmon_event *ev, struct pid *pid)
{
	struct cmon_event *slot;

	lockdep_assert_held(&cmon_events_lock);

	if (reader->count == CMON_EVENT_QUEUE_LEN) {
		reader->head = (reader->head + 1) % CMON_EVENT_QUEUE_LEN;
		reader->count--;
		if (reader->dropped < U32_MAX)
			reader->dropped++;
	}
	slot = &reader->ring[(reader->head + reader->count) %
			     CMON_EVENT_QUEUE_LEN];
	*slot = *ev;
	slot->pid = pid_nr_ns(pid, reader->pid_ns);
	reader->count++;
}

static bool cmon_reader_pop(struct cmon_reader *reader, struct cmon_event *ev)
{
	bool found = false;

	spin_lock(&cmon_events_lock);
	if (reader->count) {
		*ev = reader->ring[reader->head];
		ev->dropped = reader->dropped;
		reader->dropped = 0;
		reader->head = (reader->head + 1) % CMON_EVENT_QUEUE_LEN;
		reader->count--;
		found = true;
	}
	spin_unlock(&cmon_events_lock);
	return found;
}

static bool cmon_reader_pending(struct cmon_reader *reader)
{
	return READ_ONCE(reader->count) != 0;
}

/*
 * Copies as many whole queued records as fit in @count bytes.  A record whose
 * copy faults is lost: the caller handed a bad buffer.
 */
static ssize_t cmon_reader_copy(struct cmon_reader *reader, char __user *buf,
				size_t count)
{
	struct cmon_event ev;
	size_t done = 0;

	while (count - done >= sizeof(ev) && cmon_reader_pop(reader, &ev)) {
		if (copy_to_user(buf + done, &ev, sizeof(ev)))
			return done ? done : -EFAULT;
		done += sizeof(ev);
	}
	return done;
}

ssize_t cmon_reader_read(struct cmon_reader *reader, char __user *buf,
			 size_t count, bool nonblock)
{
	ssize_t ret;

	if (count < sizeof(struct cmon_event))
		return -EINVAL;

	for (;;) {
		ret = cmon_reader_copy(reader, buf, count);
		if (ret)
			return ret;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(reader->wait,
					       cmon_reader_pending(reader));
		if (ret)
			return ret;
	}
}

__poll_t cmon_reader_poll(struct cmon_reader *reader, struct file *file,
			  poll_table *wait)
{
	poll_wait(file, &reader->wait, wait);
	return cmon_reader_pending(reader) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Queues one event for every open file and wakes its readers. */
void cmon_events_publish(struct pid *pid, u32 kind, u64 rss, u64 limit,
			 const char *id)
{
	struct cmon_event ev = {
		.kind = kind,
		.rss = rss,
		.limit = limit,
		.time_ns = ktime_get_real_ns(),
	};
	struct cmon_reader *reader;

	strscpy(ev.id, id, sizeof(ev.id));

	spin_lock(&cmon_events_lock);
	list_for_each_entry(reader, &cmon_readers, node) {
		cmon_reader_push(reader, &ev, pid);
		wake_up_interruptible_poll(&reader->wait, EPOLLIN | EPOLLRDNORM);
	}
	spin_unlock(&cmon_events_lock);
}
