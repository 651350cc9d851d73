#!/bin/bash
# bench.sh - compare ocirt with runc and crun on this machine (a benchmark,
# not a timed test: it reports, it does not fail on a slow result).
#
# For each runtime present (./ocirt, runc, crun), BENCH_N (default 50)
# sequential `RUNTIME --root <tmp> run --bundle B <id>` of busybox /bin/true
# with one identical config.json (runc's default spec, cgroupsPath set so all
# use the v1 hierarchies). The runtimes are interleaved per iteration
# (A B C A B C ...) to spread noise fairly.
#
# Identical settings: crun refuses this hybrid host unless
# /sys/fs/cgroup/unified is unmounted, so the whole benchmark runs in one
# private mount namespace (`unshare -m`) with it lazily unmounted, for all
# runtimes alike. The host's mounts are untouched.
#
# Reported: median, p10 and p90 wall time (monotonic clock, the runtime
# spawned directly), ratio of the medians to crun's and to runc's, the
# median peak RSS from `/usr/bin/time -f %M` in a second run of each
# iteration (the largest of the runtime and the processes it reaped, its
# container init included; measured through the small `time` process
# because a child forked from python would inherit python's RSS high-water
# mark), and the binary size. A floor row (`unshare -pfmuin chroot
# rootfs /bin/true`) shows the cost of namespaces + new root + exec alone.
#
# A row "ocirt-ro" is ocirt run from a read-only bind of its binary, which
# skips the re-exec that protects the binary (CVE-2019-5736): the two ocirt
# rows side by side are what that protection costs.
#
# Environment: BENCH_N, BENCH_RUNTIMES (e.g. "ocirt crun"), OCIRT (path).
set -euo pipefail

cd "$(dirname "$0")/../.."
repo=$(pwd)
N=${BENCH_N:-50}
OCIRT=${OCIRT:-$repo/ocirt}

runtimes=()
for rt in ${BENCH_RUNTIMES:-ocirt runc crun}; do
	case $rt in
	ocirt) [[ -x $OCIRT ]] && runtimes+=("ocirt=$OCIRT") || echo "bench: ocirt not built, skipped" >&2 ;;
	*) p=$(command -v "$rt" || true); [[ -n $p ]] && runtimes+=("$rt=$p") || echo "bench: $rt not installed, skipped" >&2 ;;
	esac
done
((${#runtimes[@]})) || { echo "bench: no runtime to measure" >&2; exit 1; }

work=$repo/tests/.work/bench
rm -rf "$work"
mkdir -p "$work"
root=$(mktemp -d /tmp/ocirt-bench-root.XXXXXX)
# The log benches write their outputs to tmpfs: on a disk, the writeback of
# the gigabytes written by earlier rounds slows later ones at random, and
# what is compared is the copying, not the disk.
logdir=$(mktemp -d /dev/shm/ocirt-bench-log.XXXXXX)
trap 'rm -rf "$root" "$logdir"; rmdir /sys/fs/cgroup/*/ocirt-bench 2>/dev/null || true' EXIT

# One config for everyone: runc's default spec (the reference), /bin/true.
spec_rt=runc
command -v runc >/dev/null || spec_rt=${runtimes[0]#*=}
rootfs-tools/mkbundle.sh --copy --set '.linux.cgroupsPath="/ocirt-bench/c"' \
	"$work/bundle" "$spec_rt" -- /bin/true >/dev/null

echo "bench: $N runs of /bin/true per runtime, interleaved; $(nproc) cores, kernel $(uname -r)"

# shellcheck disable=SC2016
export BENCH_PY='
import os, subprocess, sys, time

n = int(sys.argv[1]); bundle = sys.argv[2]; root = sys.argv[3]
rts = [a.split("=", 1) for a in sys.argv[4:]]
floor = ["unshare", "-pfmuin", "--mount-proc", "chroot", bundle + "/rootfs", "/bin/true"]
cmds = [(name, path, None) for name, path in rts] + [("floor", None, floor)]
wall = {c[0]: [] for c in cmds}
rss = {c[0]: [] for c in cmds}
fails = {c[0]: 0 for c in cmds}
devnull = os.open(os.devnull, os.O_RDWR)
rssfile = root + "/rss"

def spawn(argv):
    exe = argv[0] if "/" in argv[0] else "/usr/bin/" + argv[0]
    pid = os.posix_spawn(exe, argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                       (os.POSIX_SPAWN_DUP2, devnull, 1)])
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

for i in range(n):
    for name, path, argv in cmds:
        if argv is None:
            argv = [path, "--root", root, "run", "--bundle", bundle, "b-%s-%d" % (name, i)]
        t0 = time.monotonic_ns()
        st = spawn(argv)
        t1 = time.monotonic_ns()
        if st != 0:
            fails[name] += 1
            continue
        wall[name].append((t1 - t0) / 1e6)
        if argv[0] != "unshare":
            argv = argv[:-1] + [argv[-1] + "-rss"]
        if spawn(["/usr/bin/time", "-f", "%M", "-o", rssfile] + argv) == 0:
            with open(rssfile) as f:
                rss[name].append(int(f.read().split()[-1]))

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))]

med = {k: pct(v, 50) for k, v in wall.items() if v}
paths = dict(rts)
print()
print("%-8s %9s %8s %8s %8s %8s %10s %10s %6s" % ("runtime", "median", "p10", "p90", "x crun", "x runc", "peak RSS", "binary", "fails"))
for name, _, _ in cmds:
    v = wall[name]
    size = "-"
    if name in paths:
        size = "%d KB" % (os.path.getsize(paths[name]) // 1024)
    if not v:
        print("%-8s %9s %8s %8s %8s %8s %10s %10s %6d" % (name, "-", "-", "-", "-", "-", "-", size, fails[name]))
        continue
    def ratio(ref):
        return "%.2f" % (med[name] / med[ref]) if ref in med else "-"
    print("%-8s %6.1f ms %5.1f ms %5.1f ms %8s %8s %7.1f MB %10s %6d" % (
        name, med[name], pct(v, 10), pct(v, 90), ratio("crun"), ratio("runc"),
        pct(rss[name], 50) / 1024 if rss[name] else 0, size, fails[name]))
print()
print("floor: unshare -pfmuin --mount-proc chroot rootfs /bin/true (no runtime)")
if "ocirt" in med and "ocirt-ro" in med:
    print("binary protection (CVE-2019-5736): ocirt re-executes from a read-only overlay, "
          "ocirt-ro runs from a read-only mount and does not: %.2fx (%+.1f ms per start)"
          % (med["ocirt"] / med["ocirt-ro"], med["ocirt"] - med["ocirt-ro"]))
if any(fails.values()):
    print("bench: some runs failed (see the fails column)", file=sys.stderr)
'
# The cost of the CVE-2019-5736 protection: ocirt re-executes itself from a
# read-only overlay of its binary unless the binary already sits on a
# read-only mount. "ocirt-ro" is the same binary bound read-only (inside the
# private mount namespace), so it skips that re-exec: ocirt against ocirt-ro
# is what the protection costs per start.
ro_bin=
if [[ " ${runtimes[*]} " == *" ocirt=$OCIRT "* ]]; then
	ro_bin=$work/ocirt-ro
	touch "$ro_bin"
	runtimes+=("ocirt-ro=$ro_bin")
fi
OCIRT_BIN=$OCIRT OCIRT_RO=$ro_bin unshare -m sh -c '
	umount -l /sys/fs/cgroup/unified 2>/dev/null
	if [ -n "$OCIRT_RO" ]; then
		mount --bind "$OCIRT_BIN" "$OCIRT_RO" && mount -o remount,bind,ro "$OCIRT_RO" || exit 1
	fi
	exec python3 -c "$BENCH_PY" "$@"' \
	bench "$N" "$work/bundle" "$root" "${runtimes[@]}"

# Log throughput of the shim: only once ocirt has one (`ocirt logs`).
#  1. the pipeline alone: tests/bench/log_throughput.c (pump vs `cat > file`,
#     BENCH_LOG_MB MiB, bytes checked);
#  2. end to end: tests/bench/log_e2e.py, BENCH_LOG_E2E_MB (256) MiB of
#     100-byte lines from a container through `run -d --shim always`, beside
#     the same pipeline on the host and podman's conmon, BENCH_LOG_ROUNDS (9)
#     interleaved rounds: medians, ratios, CPU per MiB, RSS. A row host+25%
#     times the host pipeline beside a process taking a quarter of one CPU:
#     what any neighbour costs it, to read the shim's cost against; a row
#     cat times the same container without a shim, read by `cat > FILE`:
#     what the cheapest reader of its output gets. Then
#     BENCH_LOG_PLACEMENT_ROUNDS (5) rounds of host, ocirt and cat with yes,
#     head and the reader pinned to CPUs 0 and 1 in two fixed placements:
#     each against the host pipeline placed the same way.
echo
mb=${BENCH_LOG_MB:-1024}
if [[ -x $OCIRT ]] && "$OCIRT" logs --help >/dev/null 2>&1; then
	if [[ -f tests/bench/log_throughput.c ]]; then
		if gcc -O2 -Wall -std=gnu11 -D_GNU_SOURCE -pthread -o "$work/log_throughput" \
			tests/bench/log_throughput.c src/shim/pump.c src/shim/ringbuf.c \
			src/shim/logfile.c src/util/error.c src/util/fs.c 2>"$work/log_throughput.err"; then
			echo "log pipeline (tests/bench/log_throughput.c, $mb MiB):"
			"$work/log_throughput" "$logdir" "$mb" 3 || echo "log pipeline: the bench failed"
		else
			echo "log pipeline: tests/bench/log_throughput.c did not build:"
			cat "$work/log_throughput.err"
		fi
	fi

	# End to end through a container, beside the host pipeline and conmon:
	# tests/bench/log_e2e.py (medians of interleaved rounds, the empty run
	# subtracted). The container runs the host's own coreutils yes and head,
	# copied in with the libraries they load, so that both sides run the
	# very same pipeline; taskset pins them for the placement rounds.
	for bin in yes head taskset; do
		path=$(command -v "$bin")
		mkdir -p "$work/bundle/rootfs/usr/local/bin"
		cp "$path" "$work/bundle/rootfs/usr/local/bin/"
		for lib in $(ldd "$path" | grep -o '/[^ ]*'); do
			mkdir -p "$work/bundle/rootfs$(dirname "$lib")"
			cp -L "$lib" "$work/bundle/rootfs$lib"
		done
	done
	echo
	python3 tests/bench/log_e2e.py --ocirt "$OCIRT" --bundle "$work/bundle" --logdir "$logdir" \
		--mib "${BENCH_LOG_E2E_MB:-256}" --rounds "${BENCH_LOG_ROUNDS:-9}" \
		--placements "${BENCH_LOG_PLACEMENT_ROUNDS:-5}" ||
		echo "log path end to end: the bench failed"
else
	echo "log throughput: not available (shim not built)"
fi
