// SPDX-License-Identifier: Apache-2.0
/*
 * io_pulse ITERATIONS SLEEP_MS [FILE] - small synchronous writes in pulses
 *
 * Each iteration rewrites FILE (default /tmp/io_pulse.<pid>) with 64 KiB,
 * fsyncs it, prints the iteration and how long the write+fsync took, then
 * sleeps SLEEP_MS.  The file is removed at the end.  Gives the io
 * controller and I/O accounting a steady, recognisable load.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PULSE_BYTES (64 * 1024)

static long parse_arg(const char *s, const char *name)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "io_pulse: bad %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pulse(const char *path, const char *buf)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t done = 0, n;

	if (fd < 0)
		return -1;
	while (done < PULSE_BYTES) {
		n = write(fd, buf + done, PULSE_BYTES - done);
		if (n < 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	if (fsync(fd)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	static char buf[PULSE_BYTES];
	char path[4096];
	long iterations, sleep_ms, i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: io_pulse ITERATIONS SLEEP_MS [FILE]\n");
		return 2;
	}
	iterations = parse_arg(argv[1], "ITERATIONS");
	sleep_ms = parse_arg(argv[2], "SLEEP_MS");
	if (argc == 4)
		snprintf(path, sizeof(path), "%s", argv[3]);
	else
		snprintf(path, sizeof(path), "/tmp/io_pulse.%d", (int)getpid());
	memset(buf, 'x', sizeof(buf));
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 1; i <= iterations; i++) {
		double t0 = now();
		struct timespec ts = {
			.tv_sec = sleep_ms / 1000,
			.tv_nsec = sleep_ms % 1000 * 1000000,
		};

		if (pulse(path, buf)) {
			perror("io_pulse: write");
			unlink(path);
			return 1;
		}
		printf("io_pulse: %ld/%ld wrote+fsynced %d bytes in %.3f s\n",
		       i, iterations, PULSE_BYTES, now() - t0);
		if (i < iterations)
			nanosleep(&ts, NULL);
	}
	unlink(path);
	return 0;
}
