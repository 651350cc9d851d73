// SPDX-License-Identifier: Apache-2.0
/*
 * memory_hog MIB_PER_STEP STEP_MS - grow resident memory step by step
 *
 * Every STEP_MS milliseconds allocates MIB_PER_STEP MiB more and writes to
 * every page of it, so the memory is resident (RSS), not only reserved.
 * After each step prints the running total and the CLOCK_REALTIME time at
 * which it was reached ("memory_hog: 24 MiB t_ns=..."), so that a test can
 * tell how soon a limit acted.  Never stops on its own: it is meant to be
 * killed by a memory limit (cgroup OOM, container_monitor) or by a signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long parse_arg(const char *s, const char *name)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "memory_hog: bad %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	long step_mib, step_ms, total_mib = 0;
	size_t step_bytes;

	if (argc != 3) {
		fprintf(stderr, "usage: memory_hog MIB_PER_STEP STEP_MS\n");
		return 2;
	}
	step_mib = parse_arg(argv[1], "MIB_PER_STEP");
	step_ms = parse_arg(argv[2], "STEP_MS");
	step_bytes = (size_t)step_mib << 20;
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		if (step_bytes) {
			/* mmap, not malloc: each step is a fresh mapping, never reused. */
			char *p = mmap(NULL, step_bytes, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED) {
				perror("memory_hog: mmap");
				return 1;
			}
			memset(p, 0xa5, step_bytes);
			total_mib += step_mib;
		}
		printf("memory_hog: %ld MiB t_ns=%llu\n", total_mib, now_ns());
		sleep_ms(step_ms);
	}
}
