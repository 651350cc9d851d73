#!/bin/bash
# scheduling.sh [--short] [--out DIR] [--runtime PATH] - CFS scheduling
# experiments with ocirt containers, reproducible.
#
#   (a) nice: two containers run `cpu_hog T` pinned to CPU 0
#       (linux.resources.cpu.cpus = "0"), one at nice 0 and one at nice 15
#       (process.scheduler = SCHED_OTHER with that nice value). CFS gives
#       weights 1024 and 36 - but each container is its own cpu cgroup, and
#       CFS shares the CPU between cgroups by their weight first (equal by
#       default), so across containers nice alone changes nothing.
#   (a') nice+weight: the same, with the cgroups weighted like the nice
#       values (linux.resources.cpu.shares = 1024 and 36; on cgroup v2 that
#       becomes cpu.weight 39 and 2, ~95%): while both run, nice 0 gets ~97%.
#   (b) cpu vs io: `cpu_hog T` and `io_pulse N 100` (write+fsync 64 KiB,
#       sleep 100 ms), both pinned to CPU 0 at nice 0. The I/O-bound one
#       sleeps most of the time and barely takes CPU from the hog.
#
# Each workload runs under busybox `time` inside its container, so wall and
# CPU time are the container process's own, without runtime start-up.
# Prints a table (experiment, container, nice, wall s, cpu s, cpu/wall %),
# a text bar chart, and writes DIR/results.tsv and, with gnuplot,
# DIR/scheduling.png.
#
#   --short         T = 2 s and N = 20 (for tests), instead of T = 10 s, N = 100
#   --out DIR       where results go (default: ./scheduling-results)
#   --runtime PATH  the runtime (default: ./ocirt at the top of the repo)
#
# Needs root, busybox-static and a C compiler (for the rootfs and the
# workloads); gnuplot (gnuplot-nox) for the PNG.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runtime=$repo/ocirt
out=$PWD/scheduling-results
hog=10 pulses=100

die() { echo "scheduling: $*" >&2; exit 1; }

while (($#)); do
	case $1 in
	--short) hog=2 pulses=20; shift ;;
	--out) out=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ $(id -u) == 0 ]] || die "needs root (containers with cgroups)"
[[ -x $runtime ]] || die "runtime $runtime is not built (make)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/ocirt-sched.XXXXXX)
state=$work/state
cgparent=/ocirt-experiments-$$

cleanup() {
	local id
	for id in $("$runtime" --root "$state" list -q 2>/dev/null); do
		"$runtime" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
	done
	rmdir /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The rootfs: busybox plus the static workloads in /usr/local/bin.
"$repo/rootfs-tools/mkrootfs.sh" "$work/rootfs" >/dev/null
"$repo/rootfs-tools/workloads/build.sh" "$work/rootfs/usr/local/bin" >/dev/null

# Does the runtime apply process.scheduler? Else fall back to nice(1).
use_scheduler=true

# bundle ID NICE SHARES CMD... - a bundle in $work/ID running CMD under
# `time` (SHARES: linux.resources.cpu.shares, or "" for the default).
bundle() {
	local id=$1 nice=$2 shares=${3:-null} dir=$work/$1
	shift 3
	mkdir -p "$dir"
	cp -al "$work/rootfs" "$dir/rootfs"
	(cd "$dir" && "$runtime" spec)
	local args
	if $use_scheduler; then
		args=$(jq -cn '$ARGS.positional' --args -- time -f "sched-result %e %U %S" "$@")
	else
		args=$(jq -cn '$ARGS.positional' --args -- time -f "sched-result %e %U %S" nice -n "$nice" "$@")
	fi
	local tmp=$dir/config.json.new
	jq --argjson args "$args" --arg cg "$cgparent/$id" --argjson nice "$nice" --argjson sched "$use_scheduler" \
		--argjson shares "$shares" '
		.process.args = $args
		| .process.terminal = false
		| .process.env += ["PATH=/usr/local/bin:/bin"]
		| .root.readonly = false
		| .linux.cgroupsPath = $cg
		| .linux.resources.cpu.cpus = "0"
		| if $shares then .linux.resources.cpu.shares = $shares else . end
		| if $sched then .process.scheduler = {"policy": "SCHED_OTHER", "nice": $nice} else . end
	' "$dir/config.json" >"$tmp"
	mv "$tmp" "$dir/config.json"
}

# usage ID - the CPU time (ns) of container ID's cgroup so far, if it has
# processes; nothing once it is empty or gone.
usage() {
	local d
	if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
		d=/sys/fs/cgroup/$cgparent/$1
		[[ -n $(head -c 1 "$d/cgroup.procs" 2>/dev/null) ]] || return 0
		awk '$1 == "usage_usec" {print $2 * 1000}' "$d/cpu.stat" 2>/dev/null || true
	else
		d=/sys/fs/cgroup/cpuacct/$cgparent/$1
		[[ -n $(head -c 1 "$d/cgroup.procs" 2>/dev/null) ]] || return 0
		cat "$d/cpuacct.usage" 2>/dev/null || true
	fi
}

# run_pair EXPERIMENT ID1 ID2 - run both bundles at once, collect results.
# Besides wall and CPU time, each gets its share of the CPU time the two
# used while both ran, from their cgroups' CPU usage sampled every 50 ms:
# that share does not depend on other load on the CPU.
run_pair() {
	local exp=$1 a=$2 b=$3 id pids=() rows=() ua ub a0= b0= a1= b1=
	for id in "$a" "$b"; do
		"$runtime" --root "$state" run --bundle "$work/$id" "$id" \
			</dev/null >"$work/$id.out" 2>&1 &
		pids+=($!)
	done
	while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
		ua=$(usage "$a") ub=$(usage "$b")
		if [[ -n $ua && -n $ub ]]; then
			[[ -n $a0 ]] || a0=$ua b0=$ub
			a1=$ua b1=$ub
		fi
		sleep 0.05
	done
	for id in "${pids[@]}"; do
		wait "$id" || true
	done
	for id in "$a" "$b"; do
		local line
		line=$(grep '^sched-result ' "$work/$id.out" | tail -1) ||
			die "$id: no result; its output was: $(cat "$work/$id.out")"
		read -r _ wall user sys <<<"$line"
		rows+=("$id $(cfg_of "$id" nice) $(cfg_of "$id" shares) $wall $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
	done
	printf '%s\n' "${rows[@]}" | awk -v ex="$exp" -v da="$((${a1:-0} - ${a0:-0}))" -v db="$((${b1:-0} - ${b0:-0}))" '
		{ id[NR] = $1; n[NR] = $2; sh[NR] = $3; w[NR] = $4; c[NR] = $5 }
		END {
			share[1] = da + db > 0 ? 100 * da / (da + db) : 0
			share[2] = da + db > 0 ? 100 * db / (da + db) : 0
			for (i = 1; i <= 2; i++)
				printf "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\n", ex, id[i], n[i], sh[i], w[i], c[i], share[i]
		}' >>"$out/results.tsv"
}

# cfg_of ID nice|shares - the container's nice value or cpu.shares.
cfg_of() {
	case $2 in
	nice) jq -r '.process.scheduler.nice // (.process.args | index("-n") as $i | if $i then .[$i + 1] else 0 end)' \
		"$work/$1/config.json" ;;
	shares) jq -r '.linux.resources.cpu.shares // "-"' "$work/$1/config.json" ;;
	esac
}

# Probe: is process.scheduler accepted?
bundle probe 15 "" true
if ! "$runtime" --root "$state" run --bundle "$work/probe" probe </dev/null >"$work/probe.out" 2>&1; then
	if grep -q scheduler "$work/probe.out"; then
		echo "note: the runtime refuses process.scheduler; using nice(1) inside the containers" >&2
		use_scheduler=false
	else
		die "probe container failed: $(cat "$work/probe.out")"
	fi
fi
"$runtime" --root "$state" delete --force probe >/dev/null 2>&1 || true

printf 'experiment\tcontainer\tnice\tshares\twall_s\tcpu_s\tshare_both_pct\n' >"$out/results.tsv"

bundle nice0 0 "" cpu_hog "$hog"
bundle nice15 15 "" cpu_hog "$hog"
run_pair nice nice0 nice15

# CFS's weights for nice 0 and 15 (kernel/sched/core.c sched_prio_to_weight).
bundle w-nice0 0 1024 cpu_hog "$hog"
bundle w-nice15 15 36 cpu_hog "$hog"
run_pair nice+weight w-nice0 w-nice15

bundle cpu 0 "" cpu_hog "$hog"
bundle io 0 "" io_pulse "$pulses" 100
run_pair cpu-vs-io cpu io

# The table.
echo
printf '%-12s %-9s %4s %6s %7s %7s %8s %10s\n' experiment container nice shares "wall s" "cpu s" "cpu/wall" "both ran"
tail -n +2 "$out/results.tsv" | while IFS=$'\t' read -r exp id nice shares wall cpu both; do
	printf '%-12s %-9s %4s %6s %7.2f %7.2f %7.0f%% %9s%%\n' "$exp" "$id" "$nice" "$shares" "$wall" "$cpu" \
		"$(awk -v c="$cpu" -v w="$wall" 'BEGIN {print (w > 0 ? 100 * c / w : 0)}')" "$both"
done
echo "cpu/wall: CPU used over the container's life; both ran: its part of the CPU time the two used while both ran"

# The text chart: one row per container, '#' = CPU time, '.' = the rest of
# its wall time (runnable but waiting, or sleeping), on a common scale.
echo
max=$(tail -n +2 "$out/results.tsv" | awk -F'\t' '$5 > m {m = $5} END {print m}')
tail -n +2 "$out/results.tsv" | awk -F'\t' -v max="$max" -v width=50 '
	{
		cpu = int($6 / max * width + 0.5); wall = int($5 / max * width + 0.5)
		if (wall < cpu) wall = cpu
		bar = ""
		for (i = 0; i < cpu; i++) bar = bar "#"
		for (; i < wall; i++) bar = bar "."
		printf "%-12s %-9s |%-" width "s| %5.2f s wall, %5.2f s cpu\n", $1, $2, bar, $5, $6
	}'
echo "'#' cpu time, '.' waiting or sleeping; scale: ${max} s = 50 columns"

if command -v gnuplot >/dev/null; then
	gnuplot <<-GP
		set terminal pngcairo size 900,500 noenhanced
		set output "$out/scheduling.png"
		set title "ocirt containers pinned to CPU 0: wall vs CPU time"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set ylabel "seconds"
		set key top right
		set datafile separator "\t"
		set xtics rotate by -20
		set key autotitle columnhead
		plot "$out/results.tsv" using 5:xticlabels(stringcolumn(2)." (nice ".stringcolumn(3).")") title "wall", \
		     "" using 6 title "cpu"
	GP
	echo "chart: $out/scheduling.png"
else
	echo "gnuplot not found (apt-get install gnuplot-nox): no PNG" >&2
fi
echo "results: $out/results.tsv"
