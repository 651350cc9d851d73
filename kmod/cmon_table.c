// SPDX-License-Identifier: GPL-2.0
/*
 * Watched processes and the periodic memory check
 *
 * Owns the table of registered processes and the delayed work that, every
 * interval_ms, measures the RSS of each one against its limits: the first
 * crossing of the soft limit warns once, the first crossing of the hard limit
 * sends SIGKILL once.  Entries whose process has exited are dropped by the
 * next pass.  The work is queued only while the table is non-empty.
 *
 * Must never: signal a process twice, signal a process other than the one
 * registered (a reused pid number), or wait for user space with
 * cmon_table_lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/workqueue.h>

#include "cmon.h"

struct cmon_entry {
	struct list_head node;		/* in cmon_entries */
	struct pid *pid;		/* counted reference, see cmon_get_pid() */
	u64 soft_limit;			/* bytes; 0 = none */
	u64 hard_limit;			/* bytes; 0 = none */
	u32 flags;			/* CMON_FLAG_* */
	char id[CMON_ID_LEN];		/* NUL-terminated container id */
};

/*
 * cmon_table_lock protects cmon_entries, cmon_nr_entries and every field of
 * every entry on the list.  Held by the ioctls and by one pass of the check
 * work, in process context.  Under it a pass takes task_lock (in
 * get_task_mm), signals tasks and takes cmon_events_lock; it never waits for
 * user space, and the last reference to an address space is dropped with
 * mmput_async() so that tearing down an exited process's memory does not
 * happen under it.
 */
static DEFINE_MUTEX(cmon_table_lock);
static LIST_HEAD(cmon_entries);
static unsigned int cmon_nr_entries;

static void cmon_check_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(cmon_check_work, cmon_check_fn);

/*
 * Looks @nr up in the caller's pid namespace (find_vpid), as kill(2) does,
 * and takes a reference to its struct pid.  The reference pins the identity
 * of the process rather than its number: once the process has exited, the
 * struct pid finds no task any more, so a later process that reuses the
 * number is never watched or signalled by mistake.
 */
static struct pid *cmon_get_pid(u32 nr)
{
	struct pid *pid;

	if (!nr || nr > PID_MAX_LIMIT)
		return NULL;

	rcu_read_lock();
	pid = get_pid(find_vpid(nr));
	rcu_read_unlock();
	return pid;
}

/* RSS in bytes of @task; -ESRCH when it has no address space (any more). */
static int cmon_task_rss(struct task_struct *task, u64 *rss)
{
	struct mm_struct *mm;

	mm = get_task_mm(task);
	if (!mm)
		return -ESRCH;
	*rss = (u64)get_mm_rss(mm) << PAGE_SHIFT;
	mmput_async(mm);
	return 0;
}

static int cmon_pid_rss(struct pid *pid, u64 *rss)
{
	struct task_struct *task;
	int ret;

	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task)
		return -ESRCH;
	ret = cmon_task_rss(task, rss);
	put_task_struct(task);
	return ret;
}

static struct cmon_entry *cmon_find(struct pid *pid)
{
	struct cmon_entry *entry;

	lockdep_assert_held(&cmon_table_lock);

	list_for_each_entry(entry, &cmon_entries, node)
		if (entry->pid == pid)
			return entry;
	return NULL;
}

static void cmon_entry_free(struct cmon_entry *entry)
{
	lockdep_assert_held(&cmon_table_lock);

	list_del(&entry->node);
	cmon_nr_entries--;
	put_pid(entry->pid);
	kfree(entry);
}

static int cmon_validate(const struct cmon_register *req)
{
	if (req->reserved)
		return -EINVAL;
	if (req->soft_limit && req->hard_limit &&
	    req->soft_limit > req->hard_limit)
		return -EINVAL;
	if (!memchr(req->id, '\0', sizeof(req->id)))
		return -EINVAL;
	return 0;
}

static void cmon_schedule(void)
{
	unsigned long delay = msecs_to_jiffies(cmon_interval_ms());

	queue_delayed_work(system_wq, &cmon_check_work, delay);
}

int cmon_table_register(const struct cmon_register *req)
{
	struct cmon_entry *entry;
	u64 rss;
	int ret;

	ret = cmon_validate(req);
	if (ret)
		return ret;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->soft_limit = req->soft_limit;
	entry->hard_limit = req->hard_limit;
	strscpy(entry->id, req->id, sizeof(entry->id));

	entry->pid = cmon_get_pid(req->pid);
	if (!entry->pid) {
		ret = -ESRCH;
		goto out_free;
	}
	/* A kernel thread or an exiting process has no memory to watch. */
	ret = cmon_pid_rss(entry->pid, &rss);
	if (ret)
		goto out_put;

	mutex_lock(&cmon_table_lock);
	if (cmon_find(entry->pid)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (cmon_nr_entries >= CMON_MAX_ENTRIES) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	list_add_tail(&entry->node, &cmon_entries);
	cmon_nr_entries++;
	mutex_unlock(&cmon_table_lock);

	/* A no-op when a pass is already pending. */
	cmon_schedule();
	return 0;

out_unlock:
	mutex_unlock(&cmon_table_lock);
out_put:
	put_pid(entry->pid);
out_free:
	kfree(entry);
	return ret;
}

int cmon_table_unregister(const struct cmon_unregister *req)
{
	struct cmon_entry *entry;
	struct pid *pid;
	int ret = 0;

	if (req->reserved)
		return -EINVAL;
	pid = cmon_get_pid(req->pid);
	if (!pid)
		return -ENOENT;

	mutex_lock(&cmon_table_lock);
	entry = cmon_find(pid);
	if (entry)
		cmon_entry_free(entry);
	else
		ret = -ENOENT;
	mutex_unlock(&cmon_table_lock);

	put_pid(pid);
	return ret;
}

int cmon_table_query(struct cmon_query *req)
{
	struct cmon_entry *entry;
	struct pid *pid;
	int ret = 0;

	if (req->reserved || req->reserved2)
		return -EINVAL;
	pid = cmon_get_pid(req->pid);
	if (!pid)
		return -ENOENT;

	mutex_lock(&cmon_table_lock);
	entry = cmon_find(pid);
	if (entry) {
		req->soft_limit = entry->soft_limit;
		req->hard_limit = entry->hard_limit;
		req->flags = entry->flags;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&cmon_table_lock);

	/* An exited process is as good as unregistered: the next pass drops it. */
	if (!ret && cmon_pid_rss(pid, &req->rss))
		ret = -ENOENT;

	put_pid(pid);
	return ret;
}

static void cmon_check_soft(struct cmon_entry *entry, u64 rss)
{
	if (!entry->soft_limit || rss <= entry->soft_limit ||
	    (entry->flags & CMON_FLAG_SOFT_WARNED))
		return;

	entry->flags |= CMON_FLAG_SOFT_WARNED;
	pr_warn_ratelimited("container '%s' pid %d: rss %llu bytes exceeds soft limit %llu\n",
			    entry->id, pid_nr(entry->pid), rss,
			    entry->soft_limit);
	cmon_events_publish(entry->pid, CMON_EVENT_SOFT, rss,
			    entry->soft_limit, entry->id);
}

static void cmon_check_hard(struct cmon_entry *entry, struct task_struct *task,
			    u64 rss)
{
	if (!entry->hard_limit || rss <= entry->hard_limit ||
	    (entry->flags & CMON_FLAG_HARD_KILLED))
		return;

	entry->flags |= CMON_FLAG_HARD_KILLED;
	send_sig(SIGKILL, task, 1);
	pr_warn_ratelimited("container '%s' pid %d: rss %llu bytes exceeds hard limit %llu, sent SIGKILL\n",
			    entry->id, pid_nr(entry->pid), rss,
			    entry->hard_limit);
	cmon_events_publish(entry->pid, CMON_EVENT_HARD, rss,
			    entry->hard_limit, entry->id);
}

/* Returns false when the process is gone and @entry is to be dropped. */
static bool cmon_check_entry(struct cmon_entry *entry)
{
	struct task_struct *task;
	bool alive;
	u64 rss;

	task = get_pid_task(entry->pid, PIDTYPE_PID);
	if (!task)
		return false;

	alive = !cmon_task_rss(task, &rss);
	if (alive) {
		cmon_check_soft(entry, rss);
		cmon_check_hard(entry, task, rss);
	}
	put_task_struct(task);
	return alive;
}

static void cmon_check_fn(struct work_struct *work)
{
	struct cmon_entry *entry, *tmp;
	bool again;

	mutex_lock(&cmon_table_lock);
	list_for_each_entry_safe(entry, tmp, &cmon_entries, node)
		if (!cmon_check_entry(entry))
			cmon_entry_free(entry);
	again = !list_empty(&cmon_entries);
	mutex_unlock(&cmon_table_lock);

	/*
	 * A register that fills an empty table after the test above finds
	 * the work running, not pending, and queues it itself.
	 */
	if (again)
		cmon_schedule();
}

/* Applies a new interval now rather than after the pending pass. */
void cmon_table_kick(void)
{
	unsigned long delay = msecs_to_jiffies(cmon_interval_ms());

	mod_delayed_work(system_wq, &cmon_check_work, delay);
}

/* Called with the device gone and no file open: nothing registers any more. */
void cmon_table_stop(void)
{
	struct cmon_entry *entry, *tmp;

	cancel_delayed_work_sync(&cmon_check_work);

	mutex_lock(&cmon_table_lock);
	list_for_each_entry_safe(entry, tmp, &cmon_entries, node)
		cmon_entry_free(entry);
	mutex_unlock(&cmon_table_lock);
}
