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
#  1. the pipeline alone: tests/bench/log_throughput.c (pump vs `cat > file`);
#  2. end to end: a container writes BENCH_LOG_MB MiB of text lines through
#     `run -d --shim always`; timed until the shim exits (the log is then
#     complete), against the same stream through `cat > file`, best of
#     three each; bytes checked with `logs`.
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

	# 64 MiB of text lines, written BENCH_LOG_MB/64 times.
	# (yes dies of SIGPIPE when head is done: not an error.)
	yes 'the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ' |
		head -c 64M > "$work/bundle/rootfs/logsrc" || true
	reps=$(((mb + 63) / 64))
	bytes_in=$((reps * 64 * 1048576))
	rootfs-tools/mkbundle.sh --edit "$work/bundle" \
		".process.args=[\"sh\",\"-c\",\"for i in \$(seq $reps); do cat /logsrc; done\"]"
	id=bench-log-$$
	log=$logdir/container.log
	# Three timed rounds, each a plain copy then the shim, and the best of
	# each is kept (throughput on a shared machine: noise only slows).
	# Nothing else runs meanwhile: on 2 cores, sampling every 10 ms would
	# take CPU from the shim. A fourth, untimed run samples the shim's peak
	# RSS (VmHWM) and CPU time (utime+stime, in clock ticks). The shim exits
	# once the init is gone and the log is complete.
	plain_ns=0 shim_ns=0 shim_hwm=0 shim_ticks=0
	for pass in 1 2 3 sampled; do
		if [[ $pass != sampled ]]; then
			start=$(date +%s%N)
			for _ in $(seq "$reps"); do cat "$work/bundle/rootfs/logsrc"; done | cat > "$logdir/plain.out"
			ns=$(($(date +%s%N) - start))
			((plain_ns == 0 || ns < plain_ns)) && plain_ns=$ns
			rm -f "$logdir/plain.out"
		fi
		rm -f "$log"
		"$OCIRT" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
		start=$(date +%s%N)
		"$OCIRT" --root "$root" run -d --shim always --log-path "$log" --bundle "$work/bundle" "$id" \
			</dev/null >/dev/null 2>&1 || echo "log throughput: run -d --shim always failed"
		shim=$(jq -r '.shim_pid // 0' "$root/$id/state.json" 2>/dev/null || echo 0)
		while ((shim > 0)) && kill -0 "$shim" 2>/dev/null; do
			if [[ $pass == sampled && -r /proc/$shim/status ]]; then
				h=$(awk '/^VmHWM:/ {print $2}' "/proc/$shim/status" 2>/dev/null)
				t=$(awk '{print $14 + $15}' "/proc/$shim/stat" 2>/dev/null)
				((${h:-0} > shim_hwm)) && shim_hwm=$h
				((${t:-0} > shim_ticks)) && shim_ticks=$t
				sleep 0.01
			else
				sleep 0.02
			fi
		done
		ns=$(($(date +%s%N) - start))
		[[ $pass != sampled ]] && ((shim_ns == 0 || ns < shim_ns)) && shim_ns=$ns
	done
	bytes_out=$("$OCIRT" --root "$root" logs "$id" 2>/dev/null | wc -c)
	"$OCIRT" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	awk -v b="$bytes_in" -v o="$bytes_out" -v p="$plain_ns" -v s="$shim_ns" 'BEGIN {
		mbs = b / 1048576
		printf "log throughput, end to end (%d MiB of text lines): shim %.0f MB/s, cat > file %.0f MB/s: %.0f%% of cat\n",
			mbs, mbs / (s / 1e9), mbs / (p / 1e9), 100 * p / s
		printf "log bytes: %d written, %d read back with `ocirt logs`%s\n", b, o, (b == o ? "" : "  MISMATCH")
	}'
	awk -v h="$shim_hwm" -v t="$shim_ticks" -v hz="$(getconf CLK_TCK)" -v mb="$mb" 'BEGIN {
		printf "shim under load: peak RSS %.1f MiB, CPU %.2f s for %d MiB (%.2f ms per MiB)\n",
			h / 1024, t / hz, mb, 1000 * t / hz / mb
	}'
	# An idle shim: a container that only sleeps.
	rootfs-tools/mkbundle.sh --edit "$work/bundle" '.process.args=["sleep","5"]'
	"$OCIRT" --root "$root" run -d --shim always --bundle "$work/bundle" "$id-idle" </dev/null >/dev/null 2>&1
	sleep 0.5
	idle=$(jq -r '.shim_pid // 0' "$root/$id-idle/state.json" 2>/dev/null || echo 0)
	if ((idle > 0)) && [[ -r /proc/$idle/status ]]; then
		awk '/^VmRSS:/ {printf "shim idle: RSS %.1f MiB\n", $2 / 1024}' "/proc/$idle/status"
	fi
	"$OCIRT" --root "$root" delete --force "$id-idle" >/dev/null 2>&1 || true
else
	echo "log throughput: not available (shim not built)"
fi
