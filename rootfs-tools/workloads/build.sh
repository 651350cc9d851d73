#!/bin/sh
# build.sh OUTDIR - build the static test workloads into OUTDIR
#
#   memory_hog MIB_PER_STEP STEP_MS    grow RSS step by step, forever
#   cpu_hog SECONDS                    burn CPU time, print the wall time
#   io_pulse ITERATIONS SLEEP_MS [F]   write+fsync 64 KiB, then sleep
#
# Static, so that they run in any rootfs (busybox, scratch) and in the test
# VM without shared libraries.  CC and CFLAGS are honoured.
set -eu

[ $# -eq 1 ] || { echo "usage: build.sh OUTDIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
for prog in memory_hog cpu_hog io_pulse; do
	${CC:-cc} -static -O2 -Wall -Wextra -Werror ${CFLAGS:-} \
		-o "$out/$prog" "$src/$prog.c"
done
