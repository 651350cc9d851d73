// SPDX-License-Identifier: Apache-2.0
/*
 * cpu_hog SECONDS - burn SECONDS of CPU time, then report the wall time
 *
 * Spins until the process has used SECONDS of CPU time (as the kernel
 * accounts it), then prints how long that took on the wall clock: under a
 * CPU quota (cpu.max) the wall time grows, which is what tests measure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	volatile unsigned long spin = 0;
	double seconds, cpu0, wall0;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: cpu_hog SECONDS\n");
		return 2;
	}
	seconds = strtod(argv[1], &end);
	if (end == argv[1] || *end || seconds < 0) {
		fprintf(stderr, "cpu_hog: bad SECONDS '%s'\n", argv[1]);
		return 2;
	}

	cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
	wall0 = now(CLOCK_MONOTONIC);
	while (now(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < seconds) {
		for (int i = 0; i < 100000; i++)
			spin++;
	}
	printf("cpu_hog: %.3f s of CPU in %.3f s of wall time\n",
	       now(CLOCK_PROCESS_CPUTIME_ID) - cpu0,
	       now(CLOCK_MONOTONIC) - wall0);
	return 0;
}
