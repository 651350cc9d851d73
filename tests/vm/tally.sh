# tally.sh - sourced by vmcheck.sh and sysvmcheck.sh: what a VM's bats run
# says, as the summary line run-all.sh adds up.
#
# tap_summary NAME OUT STATUS RUNNER - count the TAP lines in OUT and print
# "NAME: P passed, F failed[, S skipped]" on stdout; a VM run that failed
# without a failing test (timeout, stall, bats' own error, nothing run)
# counts as one failure, said on stderr. RUNNER names the script whose
# lines explain a failed run. Returns 0 only when nothing failed.
tap_summary() {
	local name=$1 out=$2 st=$3 runner=$4 p s f
	p=$(grep -cE '^ok [0-9]+' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	p=$((p - s))
	if ((st >= 124 && st <= 126)); then
		echo "$name: ERROR: the VM run failed (status $st, see $runner: lines above)" >&2
		f=$((f + 1))
	elif ((st != 0 && f == 0)); then
		echo "$name: ERROR: bats exited $st without a failing test" >&2
		f=$((f + 1))
	elif ((p + s + f == 0)); then
		echo "$name: ERROR: no test ran in the VM" >&2
		f=$((f + 1))
	fi
	echo "$name: $p passed, $f failed$( ((s)) && echo ", $s skipped")"
	((f == 0))
}
