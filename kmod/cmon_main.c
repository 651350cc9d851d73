// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/container_monitor: module lifetime, device and ioctls
 *
 * Owns the misc device, its file operations and the interval_ms parameter.
 * The ioctls (register, unregister, query; CAP_SYS_ADMIN only) go to
 * cmon_table.c; read(2) and poll(2) go to the opener's event queue in
 * cmon_events.c.
 *
 * Must never: let an ioctl through without CAP_SYS_ADMIN in the initial user
 * namespace, or leave the check work queued once the module is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>

#include "cmon.h"

/* The uapi layouts are ABI: ioctl numbers and read(2) records encode them. */
static_assert(sizeof(struct cmon_register) == 88);
static_assert(sizeof(struct cmon_unregister) == 8);
static_assert(sizeof(struct cmon_query) == 40);
static_assert(sizeof(struct cmon_event) == 104);

/*
 * interval_ms is read locklessly by the check work.  cmon_running tells the
 * parameter's setter whether the check work may be queued; it is written and
 * read under kernel_param_lock(THIS_MODULE), which sysfs writes of the
 * parameter hold.
 */
static unsigned int interval_ms = 1000;
static bool cmon_running;

unsigned int cmon_interval_ms(void)
{
	return READ_ONCE(interval_ms);
}

static int cmon_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < CMON_MIN_INTERVAL_MS)
		return -EINVAL;

	WRITE_ONCE(interval_ms, ms);
	if (cmon_running)
		cmon_table_kick();
	return 0;
}

static const struct kernel_param_ops cmon_interval_ops = {
	.set = cmon_interval_set,
	.get = param_get_uint,
};
module_param_cb(interval_ms, &cmon_interval_ops, &interval_ms, 0644);
MODULE_PARM_DESC(interval_ms, "Milliseconds between two checks (>= 10, default 1000)");

static long cmon_ioctl_register(void __user *uarg)
{
	struct cmon_register req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return cmon_table_register(&req);
}

static long cmon_ioctl_unregister(void __user *uarg)
{
	struct cmon_unregister req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	return cmon_table_unregister(&req);
}

static long cmon_ioctl_query(void __user *uarg)
{
	struct cmon_query req;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = cmon_table_query(&req);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static long cmon_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	long (*handler)(void __user *uarg);

	switch (cmd) {
	case CMON_IOC_REGISTER:
		handler = cmon_ioctl_register;
		break;
	case CMON_IOC_UNREGISTER:
		handler = cmon_ioctl_unregister;
		break;
	case CMON_IOC_QUERY:
		handler = cmon_ioctl_query;
		break;
	default:
		return -ENOTTY;
	}

	/*
	 * Checked at each call rather than at open, so that a descriptor
	 * handed to a less privileged process cannot watch or kill anything.
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return handler((void __user *)arg);
}

static int cmon_open(struct inode *inode, struct file *file)
{
	struct cmon_reader *reader;

	reader = cmon_reader_open();
	if (!reader)
		return -ENOMEM;
	file->private_data = reader;
	return stream_open(inode, file);
}

static int cmon_release(struct inode *inode, struct file *file)
{
	cmon_reader_release(file->private_data);
	return 0;
}

static ssize_t cmon_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return cmon_reader_read(file->private_data, buf, count,
				file->f_flags & O_NONBLOCK);
}

static __poll_t cmon_poll(struct file *file, poll_table *wait)
{
	return cmon_reader_poll(file->private_data, file, wait);
}

static const struct file_operations cmon_fops = {
	.owner		= THIS_MODULE,
	.open		= cmon_open,
	.release	= cmon_release,
	.read		= cmon_read,
	.poll		= cmon_poll,
	.unlocked_ioctl	= cmon_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

static struct miscdevice cmon_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "container_monitor",
	.fops	= &cmon_fops,
	.mode	= 0600,
};

static int __init cmon_init(void)
{
	int ret;

	ret = misc_register(&cmon_miscdev);
	if (ret)
		return ret;

	kernel_param_lock(THIS_MODULE);
	cmon_running = true;
	kernel_param_unlock(THIS_MODULE);

	pr_info("ready, checking every %u ms\n", cmon_interval_ms());
	return 0;
}

/*
 * An open file holds a reference to the module, so by the time this runs no
 * ioctl, read or poll is in flight.  The device goes first so that nothing
 * new can open it; then the work is stopped, then the table is emptied.
 */
static void __exit cmon_exit(void)
{
	misc_deregister(&cmon_miscdev);

	kernel_param_lock(THIS_MODULE);
	cmon_running = false;
	kernel_param_unlock(THIS_MODULE);

	cmon_table_stop();
}

module_init(cmon_init);
module_exit(cmon_exit);

MODULE_DESCRIPTION("Per-process memory soft/hard limits for container runtimes");
MODULE_AUTHOR("ocirt developers");
MODULE_LICENSE("GPL");
