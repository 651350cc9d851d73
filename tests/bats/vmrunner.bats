#!/usr/bin/env bats
# vmrunner.bats - the systemd VM's runner (tests/vm/sysvm.sh) as make check
# relies on it: a command that hangs in the VM is stopped, with the VM's
# own account of what it was doing, not left to the 30 min timeout.
# (A CI run once hung there for 14 min and said nothing of why.)

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	# The first VM run of a fresh clone builds the image (about a minute)
	# and boots it (half a minute): more than the default per-test limit.
	export BATS_TEST_TIMEOUT=600
}

setup() {
	common_setup
	ocirt_only "the VM runner is ocirt's test harness"
}

@test "sysvm.sh --stall stops a VM whose command goes silent and prints what its processes were doing" {
	local t0 took
	t0=$SECONDS
	run --separate-stderr "$REPO/tests/vm/sysvm.sh" --stall 20 --cmd 'echo started; exec sleep 10000'
	took=$((SECONDS - t0))
	[[ $output != "SKIP sysvm:"* ]] || skip "${output#SKIP sysvm: }"
	assert_equal "$status" 124 || { echo "$stderr" >&2; false; }
	assert_output "started"
	# The report: the process tree, then each of the command's processes
	# with its kernel stack.
	grep -q "^sysvm: ERROR: STALL: the command printed nothing for 20s" <<<"$stderr" ||
		fail "no stall message: $stderr"
	grep -q "^sysvm: stall: == processes" <<<"$stderr" || fail "no process list: $stderr"
	grep -qE "^sysvm: stall: +[0-9]+ +[0-9]+ S +hrtimer_nanosleep .* sleep 10000" <<<"$stderr" ||
		fail "the sleeping command is not in the process list: $stderr"
	grep -A2 -E "^sysvm: stall: -- [0-9]+/[0-9]+ sleep \(sleep 10000" <<<"$stderr" | grep -q "hrtimer_nanosleep" ||
		fail "no kernel stack for the command: $stderr"
	grep -q "^sysvm: ERROR: STALL: stopped the VM" <<<"$stderr" || fail "no stop message: $stderr"
	# Stopped soon after the stall, not at the 1800 s timeout (the image
	# build of a fresh clone included).
	((took < 400)) || fail "took ${took}s"
}
