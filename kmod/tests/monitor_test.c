// SPDX-License-Identifier: Apache-2.0
/*
 * monitor_test - exercise /dev/container_monitor from user space
 *
 *   monitor_test [selftest]             every ioctl and error path, as TAP
 *   monitor_test register PID SOFT HARD ID
 *   monitor_test unregister PID
 *   monitor_test query PID              one "pid=... rss=... flags=..." line
 *   monitor_test events N TIMEOUT_MS    print N events, one line each
 *   monitor_test watch PID SOFT HARD ID N TIMEOUT_MS
 *                                       register, then print N events read
 *                                       from the same open file (no race
 *                                       between registering and listening)
 *
 * Sizes are bytes, or with a K/M/G suffix.  Helper subcommands exit 0 on
 * success, 1 on failure (the errno name on stderr), 2 on a usage error.
 * Must run as root; the EPERM tests drop privileges in forked children.
 *
 * Build: gcc -static -O2 -Wall -Wextra -I../include/uapi monitor_test.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "container_monitor.h"

/* A limit far above what the test's own processes use. */
#define BIG (1ULL << 30)

#define INTERVAL_PARAM "/sys/module/container_monitor/parameters/interval_ms"

static int tap_count;
static int tap_failed;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *errno_name(int err)
{
	return err ? strerrorname_np(err) ?: "?" : "success";
}

/* ok when @ret is -1 with errno @want; the note names what came instead. */
static void tap_errno(int ret, int want, const char *what)
{
	int got = ret < 0 ? errno : 0;

	if (got == want)
		tap(1, "%s -> %s", what, errno_name(want));
	else
		tap(0, "%s -> %s (got %s)", what, errno_name(want),
		    errno_name(got));
}

static int cm_open(int flags)
{
	return open(CMON_DEVICE_PATH, flags | O_CLOEXEC);
}

static int cm_register(int fd, pid_t pid, uint64_t soft, uint64_t hard,
		       const char *id)
{
	struct cmon_register req = {
		.pid = pid,
		.soft_limit = soft,
		.hard_limit = hard,
	};

	snprintf(req.id, sizeof(req.id), "%s", id);
	return ioctl(fd, CMON_IOC_REGISTER, &req);
}

static int cm_unregister(int fd, pid_t pid)
{
	struct cmon_unregister req = { .pid = pid };

	return ioctl(fd, CMON_IOC_UNREGISTER, &req);
}

static int cm_query(int fd, pid_t pid, struct cmon_query *q)
{
	memset(q, 0, sizeof(*q));
	q->pid = pid;
	return ioctl(fd, CMON_IOC_QUERY, q);
}

/* Waits up to @timeout_ms for one event; 1 got it, 0 timed out, -1 error. */
static int cm_next_event(int fd, struct cmon_event *ev, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret;
	n = read(fd, ev, sizeof(*ev));
	if (n == sizeof(*ev))
		return 1;
	if (n >= 0)
		errno = EIO;
	return -1;
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case CMON_EVENT_SOFT:
		return "SOFT";
	case CMON_EVENT_HARD:
		return "HARD";
	default:
		return "UNKNOWN";
	}
}

static void print_event(const struct cmon_event *ev)
{
	printf("event pid=%" PRIu32 " kind=%s rss=%" PRIu64 " limit=%" PRIu64
	       " time_ns=%" PRIu64 " dropped=%" PRIu32 " id=%s\n",
	       ev->pid, kind_name(ev->kind), (uint64_t)ev->rss,
	       (uint64_t)ev->limit, (uint64_t)ev->time_ns, ev->dropped,
	       ev->id);
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int interval_ms(void)
{
	FILE *f = fopen(INTERVAL_PARAM, "r");
	int ms = 1000;

	if (f) {
		if (fscanf(f, "%d", &ms) != 1)
			ms = 1000;
		fclose(f);
	}
	return ms;
}

/* A child that only sleeps: something alive, with memory, to register. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

/* A pid number that names no process: a child that has been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/*
 * Runs @fn in a child after dropping privilege the way @how says; the child
 * exits with the errno of @fn's result (0 when it succeeded).
 */
enum drop { DROP_SETUID, DROP_CAP_SYS_ADMIN };

static int drop_privilege(enum drop how)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (how == DROP_SETUID)
		return setresgid(65534, 65534, 65534) ||
		       setresuid(65534, 65534, 65534);

	/* Still uid 0, but without CAP_SYS_ADMIN in any set. */
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data);
}

static int in_child(enum drop how, int (*fn)(int fd, pid_t arg), int fd,
		    pid_t arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (drop_privilege(how))
			_exit(255);
		_exit(fn(fd, arg) < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int child_register(int fd, pid_t pid)
{
	return cm_register(fd, pid, 0, 0, "unprivileged");
}

static int child_query(int fd, pid_t pid)
{
	struct cmon_query q;

	return cm_query(fd, pid, &q);
}

static int child_unregister(int fd, pid_t pid)
{
	return cm_unregister(fd, pid);
}

static int child_open(int fd, pid_t pid)
{
	(void)fd;
	(void)pid;
	return cm_open(O_RDONLY);
}

/* @fd is non-blocking with nothing queued: EAGAIN means read was allowed. */
static int child_read(int fd, pid_t pid)
{
	struct cmon_event ev;

	(void)pid;
	if (read(fd, &ev, sizeof(ev)) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

static void expect_child(int got, int want, const char *what)
{
	if (got == want)
		tap(1, "%s -> %s", what, errno_name(want));
	else
		tap(0, "%s -> %s (got %s)", what, errno_name(want),
		    got < 0 ? "child failure" :
		    got == 255 ? "cannot drop privilege" : errno_name(got));
}

static void test_device(void)
{
	struct stat st;

	tap(stat(CMON_DEVICE_PATH, &st) == 0 && S_ISCHR(st.st_mode) &&
	    (st.st_mode & 07777) == 0600 && st.st_uid == 0,
	    "%s is a character device, mode 0600, owned by root",
	    CMON_DEVICE_PATH);
}

static void test_register_errors(int fd, pid_t sleeper)
{
	struct cmon_register req = { .pid = getpid() };
	void *bad;

	tap_errno(cm_register(fd, sleeper, BIG, BIG, "st-a"), 0,
		  "register a live process (soft == hard)");
	tap_errno(cm_register(fd, sleeper, BIG, 2 * BIG, "st-a"), EEXIST,
		  "register the same process twice");
	tap_errno(cm_register(fd, dead_pid(), 0, 0, "st-b"), ESRCH,
		  "register an exited (reaped) pid");
	tap_errno(cm_register(fd, 0, 0, 0, "st-b"), ESRCH, "register pid 0");
	tap_errno(cm_register(fd, 0x7fffffff, 0, 0, "st-b"), ESRCH,
		  "register a pid beyond pid_max");
	tap_errno(cm_register(fd, getpid(), 2 * BIG, BIG, "st-b"), EINVAL,
		  "register with soft > hard");

	memset(req.id, 'x', sizeof(req.id));
	tap_errno(ioctl(fd, CMON_IOC_REGISTER, &req), EINVAL,
		  "register with an id that is not NUL-terminated");
	req.id[0] = '\0';
	req.reserved = 1;
	tap_errno(ioctl(fd, CMON_IOC_REGISTER, &req), EINVAL,
		  "register with a nonzero reserved field");

	tap_errno(ioctl(fd, CMON_IOC_REGISTER, (void *)8), EFAULT,
		  "register with a bad pointer");
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	tap_errno(ioctl(fd, CMON_IOC_QUERY, bad), EFAULT,
		  "query with an unreadable buffer");
	munmap(bad, 4096);

	tap_errno(ioctl(fd, _IO(CMON_IOC_MAGIC, 99), 0), ENOTTY,
		  "unknown ioctl number");
	tap_errno(ioctl(fd, _IOW(CMON_IOC_MAGIC, 1, uint32_t), &req), ENOTTY,
		  "register number with the wrong size");
}

static void test_limits_zero(int fd)
{
	pid_t a = spawn_sleeper(), b = spawn_sleeper();

	tap_errno(cm_register(fd, a, BIG, 0, "st-soft-only"), 0,
		  "register soft only (hard 0 = none, no soft > hard)");
	tap_errno(cm_register(fd, b, 0, 0, "st-none"), 0,
		  "register with no limits (watch only)");
	cm_unregister(fd, a);
	cm_unregister(fd, b);
	reap(a);
	reap(b);
}

static void test_query(int fd, pid_t sleeper)
{
	struct cmon_query q;
	int ret;

	ret = cm_query(fd, sleeper, &q);
	tap(ret == 0 && q.rss > 0 && q.rss < BIG && q.soft_limit == BIG &&
	    q.hard_limit == BIG && q.flags == 0,
	    "query a registered process: rss %" PRIu64 " > 0, limits, no flags",
	    (uint64_t)q.rss);
	tap_errno(cm_query(fd, getpid(), &q), ENOENT,
		  "query a live process that is not registered");
	tap_errno(cm_query(fd, dead_pid(), &q), ENOENT,
		  "query a pid that names no process");
	tap_errno(cm_unregister(fd, getpid()), ENOENT,
		  "unregister a process that is not registered");
	tap_errno(cm_unregister(fd, sleeper), 0, "unregister a registered process");
	tap_errno(cm_query(fd, sleeper, &q), ENOENT, "query after unregister");
	tap_errno(cm_unregister(fd, sleeper), ENOENT, "unregister twice");
}

static void test_privilege(int fd, pid_t sleeper)
{
	static const struct {
		enum drop how;
		const char *who;
	} drops[] = {
		{ DROP_SETUID, "as uid 65534" },
		{ DROP_CAP_SYS_ADMIN, "as uid 0 without CAP_SYS_ADMIN" },
	};
	char what[128];
	size_t i;
	int nb;

	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		snprintf(what, sizeof(what), "register %s", drops[i].who);
		expect_child(in_child(drops[i].how, child_register, fd, sleeper),
			     EPERM, what);
		snprintf(what, sizeof(what), "query %s", drops[i].who);
		expect_child(in_child(drops[i].how, child_query, fd, sleeper),
			     EPERM, what);
		snprintf(what, sizeof(what), "unregister %s", drops[i].who);
		expect_child(in_child(drops[i].how, child_unregister, fd,
				      sleeper), EPERM, what);
	}
	expect_child(in_child(DROP_SETUID, child_open, fd, 0), EACCES,
		     "open the device as uid 65534");
	nb = cm_open(O_RDONLY | O_NONBLOCK);
	expect_child(in_child(DROP_SETUID, child_read, nb, 0), 0,
		     "read events from an inherited descriptor as uid 65534");
	close(nb);
}

static void test_read_errors(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmon_event ev;
	int nb;

	nb = cm_open(O_RDONLY | O_NONBLOCK);
	tap_errno(read(nb, &ev, sizeof(ev)), EAGAIN,
		  "non-blocking read with no event queued");
	tap_errno(read(nb, &ev, sizeof(ev) - 1), EINVAL,
		  "read into a buffer smaller than one record");
	close(nb);
	tap(poll(&pfd, 1, 0) == 0, "poll reports nothing to read");
	tap(lseek(fd, 0, SEEK_SET) < 0 && errno == ESPIPE,
	    "the device is not seekable");
}

static void check_event(const struct cmon_event *ev, int got, pid_t pid,
			uint32_t kind, uint64_t limit, const char *id,
			uint64_t since, const char *what)
{
	int ok = got == 1 && ev->pid == (uint32_t)pid && ev->kind == kind &&
		 ev->limit == limit && ev->rss > limit &&
		 !strcmp(ev->id, id) && ev->dropped == 0 &&
		 ev->time_ns >= since && ev->time_ns <= now_ns();

	tap(ok, "%s", what);
	if (!ok && got == 1) {
		printf("# ");
		print_event(ev);
	} else if (!ok) {
		printf("# no event (%s)\n", got ? strerror(errno) : "timeout");
	}
}

/* The soft limit warns once and leaves the process alone; every reader sees it. */
static void test_soft_event(int fd, int wait_ms)
{
	int other = cm_open(O_RDONLY);
	pid_t pid = spawn_sleeper();
	struct cmon_event ev;
	struct cmon_query q;
	uint64_t since = now_ns();
	int got;

	tap_errno(cm_register(fd, pid, 4096, 0, "st-soft"), 0,
		  "register with a soft limit below the current rss");
	got = cm_next_event(fd, &ev, wait_ms);
	check_event(&ev, got, pid, CMON_EVENT_SOFT, 4096, "st-soft", since,
		    "a SOFT event is read from the registering descriptor");
	got = cm_next_event(other, &ev, wait_ms);
	check_event(&ev, got, pid, CMON_EVENT_SOFT, 4096, "st-soft", since,
		    "the same SOFT event is read from another open descriptor");
	tap(cm_next_event(fd, &ev, 2 * interval_ms() + 200) == 0,
	    "the soft limit warns once, not at every check");
	tap(cm_query(fd, pid, &q) == 0 && q.flags == CMON_FLAG_SOFT_WARNED &&
	    kill(pid, 0) == 0,
	    "query shows SOFT_WARNED and the process still runs");
	cm_unregister(fd, pid);
	reap(pid);
	close(other);
}

/* The hard limit kills with SIGKILL, once, and the entry goes away. */
static void test_hard_event(int fd, int wait_ms)
{
	pid_t pid = spawn_sleeper();
	struct cmon_event ev;
	struct cmon_query q;
	uint64_t since = now_ns();
	int got, status;

	tap_errno(cm_register(fd, pid, 0, 4096, "st-hard"), 0,
		  "register with a hard limit below the current rss");
	got = cm_next_event(fd, &ev, wait_ms);
	check_event(&ev, got, pid, CMON_EVENT_HARD, 4096, "st-hard", since,
		    "a HARD event is read");
	tap(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL, "the process was killed by SIGKILL");
	tap_errno(cm_query(fd, pid, &q), ENOENT,
		  "query of the killed (reaped) process");
	tap(cm_next_event(fd, &ev, 2 * interval_ms() + 200) == 0,
	    "no second event for the killed process");
}

static int selftest(void)
{
	int wait_ms = 3 * interval_ms() + 2000;
	pid_t sleeper;
	int fd;

	test_device();
	fd = cm_open(O_RDWR);
	tap(fd >= 0, "open %s as root", CMON_DEVICE_PATH);
	if (fd < 0) {
		printf("Bail out! cannot open %s: %s\n", CMON_DEVICE_PATH,
		       strerror(errno));
		return 1;
	}

	sleeper = spawn_sleeper();
	test_register_errors(fd, sleeper);
	test_privilege(fd, sleeper);
	test_query(fd, sleeper);
	reap(sleeper);
	test_limits_zero(fd);
	test_read_errors(fd);
	test_soft_event(fd, wait_ms);
	test_hard_event(fd, wait_ms);
	close(fd);

	printf("1..%d\n", tap_count);
	printf("# %d passed, %d failed\n", tap_count - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

/* Helper subcommands, for scripts. */

static int usage(void)
{
	fprintf(stderr,
		"usage: monitor_test [selftest]\n"
		"       monitor_test register PID SOFT HARD ID\n"
		"       monitor_test unregister PID\n"
		"       monitor_test query PID\n"
		"       monitor_test events N TIMEOUT_MS\n"
		"       monitor_test watch PID SOFT HARD ID N TIMEOUT_MS\n");
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "monitor_test: %s: %s (%s)\n", what,
		strerrorname_np(errno) ?: "?", strerror(errno));
	return 1;
}

/* Bytes, or with a K, M or G suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G':
		v <<= 10;
		/* fall through */
	case 'M':
		v <<= 10;
		/* fall through */
	case 'K':
		v <<= 10;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 0x7fffffff)
		return -1;
	*out = v;
	return 0;
}

static int cmd_events(int fd, int n, int timeout_ms)
{
	struct cmon_event ev;
	int got = 0;

	while (got < n) {
		int ret = cm_next_event(fd, &ev, timeout_ms);

		if (ret < 0)
			return fail("read");
		if (ret == 0) {
			fprintf(stderr, "monitor_test: timeout after %d of %d events\n",
				got, n);
			return 1;
		}
		print_event(&ev);
		got++;
	}
	return 0;
}

static int cmd_register(int fd, char **argv)
{
	uint64_t soft, hard;
	int pid;

	if (parse_int(argv[0], &pid) || parse_size(argv[1], &soft) ||
	    parse_size(argv[2], &hard))
		return usage();
	if (cm_register(fd, pid, soft, hard, argv[3]))
		return fail("register");
	return 0;
}

static int cmd_query(int fd, const char *arg)
{
	struct cmon_query q;
	int pid;

	if (parse_int(arg, &pid))
		return usage();
	if (cm_query(fd, pid, &q))
		return fail("query");
	printf("pid=%d rss=%" PRIu64 " soft=%" PRIu64 " hard=%" PRIu64
	       " flags=%s%s%s\n", pid, (uint64_t)q.rss,
	       (uint64_t)q.soft_limit, (uint64_t)q.hard_limit,
	       q.flags ? "" : "none",
	       q.flags & CMON_FLAG_SOFT_WARNED ? "soft_warned," : "",
	       q.flags & CMON_FLAG_HARD_KILLED ? "hard_killed," : "");
	return 0;
}

static int helper(int argc, char **argv)
{
	const char *cmd = argv[1];
	int fd, pid, n, timeout_ms, ret;

	fd = cm_open(O_RDWR);
	if (fd < 0)
		return fail("open " CMON_DEVICE_PATH);

	if (!strcmp(cmd, "register") && argc == 6)
		return cmd_register(fd, argv + 2);
	if (!strcmp(cmd, "query") && argc == 3)
		return cmd_query(fd, argv[2]);
	if (!strcmp(cmd, "unregister") && argc == 3) {
		if (parse_int(argv[2], &pid))
			return usage();
		return cm_unregister(fd, pid) ? fail("unregister") : 0;
	}
	if (!strcmp(cmd, "events") && argc == 4) {
		if (parse_int(argv[2], &n) || parse_int(argv[3], &timeout_ms))
			return usage();
		return cmd_events(fd, n, timeout_ms);
	}
	if (!strcmp(cmd, "watch") && argc == 8) {
		if (parse_int(argv[6], &n) || parse_int(argv[7], &timeout_ms))
			return usage();
		ret = cmd_register(fd, argv + 2);
		return ret ?: cmd_events(fd, n, timeout_ms);
	}
	return usage();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "selftest")))
		return selftest();
	return helper(argc, argv);
}
