#!/usr/bin/env bats
# experiments.bats - contrib/experiments/scheduling.sh in --short mode: the
# table is sane, not exact (other load on the CPU changes the times).

load helpers

setup_file() {
	if [[ $(basename "${OCIRT_TEST_RUNTIME:-ocirt}") != ocirt* ]]; then
		skip_file "runs ocirt containers"
		return 0
	fi
	if ! command -v cc >/dev/null; then
		skip_file "no C compiler for the workloads"
		return 0
	fi
	RESULTS=$BATS_FILE_TMPDIR/results
	"$REPO/contrib/experiments/scheduling.sh" --short --out "$RESULTS" --runtime "$OCIRT" \
		>"$BATS_FILE_TMPDIR/stdout" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/stdout" >&3
		return 1
	}
	export RESULTS
}

setup() { common_setup; }
teardown() { common_teardown; }

# field EXPERIMENT CONTAINER COLUMN - one value of results.tsv.
field() {
	awk -F'\t' -v e="$1" -v c="$2" -v col="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
		$1 == e && $2 == c { print $idx[col] }' "$RESULTS/results.tsv"
}

# gt A B - A > B as numbers.
gt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'
}

@test "the script prints the table, the text chart and writes results.tsv" {
	run cat "$BATS_FILE_TMPDIR/stdout"
	assert_output --regexp 'experiment +container +nice +shares +wall s +cpu s +cpu/wall +both ran'
	assert_output --regexp 'nice0 +\|#+\.*'
	assert_equal "$(tail -n +2 "$RESULTS/results.tsv" | wc -l)" 6
	if command -v gnuplot >/dev/null; then
		run file "$RESULTS/scheduling.png"
		assert_output --partial "PNG image data"
	fi
}

@test "every cpu_hog container used its 2 s of CPU, and no wall time is shorter than its CPU time" {
	for c in nice:nice0 nice:nice15 nice+weight:w-nice0 nice+weight:w-nice15 cpu-vs-io:cpu; do
		cpu=$(field "${c%%:*}" "${c#*:}" cpu_s)
		wall=$(field "${c%%:*}" "${c#*:}" wall_s)
		gt "$cpu" 1.9 || fail "$c: cpu $cpu"
		gt "$wall" "$(awk -v c="$cpu" 'BEGIN {print c - 0.05}')" || fail "$c: wall $wall < cpu $cpu"
	done
}

@test "both hogs pinned to CPU 0 contend: together they take at least their summed CPU time" {
	w0=$(field nice nice0 wall_s)
	w15=$(field nice nice15 wall_s)
	longest=$(awk -v a="$w0" -v b="$w15" 'BEGIN {print (a > b ? a : b)}')
	gt "$longest" 3.8
}

@test "with cgroup weights like the nice values, nice 0 gets clearly more CPU than nice 15 and ends first" {
	s0=$(field nice+weight w-nice0 share_both_pct)
	s15=$(field nice+weight w-nice15 share_both_pct)
	gt "$s0" 80 || fail "nice 0 got $s0% while both ran"
	gt 20 "$s15" || fail "nice 15 got $s15% while both ran"
	gt "$(field nice+weight w-nice15 wall_s)" "$(field nice+weight w-nice0 wall_s)"
}

@test "with nice alone, each container's cgroup gets an equal part of the CPU" {
	s0=$(field nice nice0 share_both_pct)
	gt "$s0" 35 && gt 65 "$s0" || fail "nice 0 got $s0% while both ran"
}

@test "the I/O-bound container uses little CPU, and the CPU-bound one most of it" {
	cpu=$(field cpu-vs-io io cpu_s)
	gt 0.3 "$cpu" || fail "io_pulse used $cpu s of CPU"
	gt "$(field cpu-vs-io cpu share_both_pct)" 80
}
