#!/bin/bash
# run-all.sh [unit|bats|vm|sysvm|fuzz|all] - run ocirt's tests and sum up the results.
#
# unit: builds each tests/unit/test_*.c (through the Makefile) and runs it;
#       counts cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)".
# bats: runs every tests/bats/**/*.bats with --tap; counts "ok" / "not ok";
#       "ok ... # skip" counts as skipped, neither passed nor failed.
#       tests/bats/vm/ is left out: those suites need cgroup v2 or the
#       kernel module, and run inside the QEMU VM; tests/bats/sysvm/ too:
#       they need a systemd host and run in the systemd VM.
# vm:   tests/vm/vmcheck.sh (cgroup v2 and the kernel module in a VM); its
#       closing "vmcheck: N passed, N failed[, N skipped]" line is counted.
#       Where QEMU cannot run at all it prints a loud SKIP line.
# sysvm: tests/vm/sysvmcheck.sh (the systemd + cgroup v2 + AppArmor Debian
#       VM: the systemd cgroup driver, AppArmor, the managers with their
#       defaults); its "sysvmcheck: N passed, N failed[, N skipped]" line is
#       counted. Where the image cannot be built it prints a loud SKIP line.
# fuzz: tests/fuzz/run.sh FUZZ_SECONDS (default 30) per libFuzzer target;
#       each target that replays its corpus and fuzzes without a crash is
#       one pass.
# all:  the five (the default).
# Every suite's output is printed as it runs. The last line is
#   N passed, N failed[, N skipped]
# and the exit status is non-zero if anything failed (or did not build/run).
#
# Environment: OCIRT_TEST_RUNTIME (see tests/bats/helpers.bash),
# BATS_TEST_TIMEOUT (seconds per bats test, default 120).
set -uo pipefail

cd "$(dirname "$0")/.."
mode=${1:-all}
case $mode in
unit|bats|vm|sysvm|fuzz|all) ;;
*) echo "usage: $0 [unit|bats|vm|sysvm|fuzz|all]" >&2; exit 2 ;;
esac

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_unit() {
	local src bin st p f
	shopt -s nullglob
	for src in tests/unit/test_*.c; do
		bin=${src%.c}
		echo "=== unit: $bin"
		if ! make -s "$bin" >"$out" 2>&1; then
			cat "$out"
			echo "run-all: $bin did not build"
			failed=$((failed + 1))
			continue
		fi
		"./$bin" </dev/null 2>&1 | tee "$out"
		st=${PIPESTATUS[0]}
		# Summed: a binary may run several cmocka groups.
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$out" | awk '{n += $1} END {if (NR) print n}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$out" | awk '{n += $1} END {if (NR) print n}')
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if ((st != 0)) && [[ -z $f ]]; then
			echo "run-all: $bin exited $st without a cmocka summary"
			failed=$((failed + 1))
		fi
	done
	shopt -u nullglob
}

run_bats() {
	local suite st p f s
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
	while IFS= read -r suite; do
		echo "=== bats: $suite"
		t=$SECONDS
		bats --tap "$suite" </dev/null 2>&1 | tee "$out"
		st=${PIPESTATUS[0]}
		echo "--- $suite: $((SECONDS - t))s"
		s=$(grep -cE '^ok [0-9]+ .*# skip' "$out")
		p=$(grep -cE '^ok [0-9]+' "$out")
		f=$(grep -cE '^not ok [0-9]+' "$out")
		passed=$((passed + p - s))
		failed=$((failed + f))
		skipped=$((skipped + s))
		if ((st != 0 && f == 0)); then
			echo "run-all: $suite exited $st without a failing test"
			failed=$((failed + 1))
		fi
	done < <(find tests/bats \( -path tests/bats/vm -o -path tests/bats/sysvm \) -prune -o -name '*.bats' -type f -print | sort)
}

run_fuzz() {
	local st p f
	echo "=== fuzz: tests/fuzz/run.sh ${FUZZ_SECONDS:-30}"
	st=0
	tests/fuzz/run.sh "${FUZZ_SECONDS:-30}" </dev/null 2>&1 | tee "$out"
	st=${PIPESTATUS[0]}
	p=$(grep -cE '^fuzz: [a-z_]+: ok,' "$out")
	f=$(grep -cE '^fuzz: [a-z_]+: (FAILED|a corpus input fails)' "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	if ((st != 0 && f == 0)) || ((st == 0 && p == 0)); then
		echo "run-all: the fuzz run exited $st with $p target(s) passed"
		failed=$((failed + 1))
	fi
}

# run_vm_suites NAME WHAT - tests/vm/NAME.sh, whose closing line
# "NAME: N passed, N failed[, N skipped]" is counted; "SKIP NAME:" (QEMU or
# the image cannot be had at all) is reported loudly, not counted.
run_vm_suites() {
	local name=$1 what=$2 st line p f s
	echo "=== ${name%check}: tests/vm/$name.sh"
	tests/vm/"$name".sh </dev/null 2>&1 | tee "$out"
	st=${PIPESTATUS[0]}
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -n1)
	if [[ -z $line ]]; then
		if grep -q "^SKIP $name:" "$out"; then
			echo "run-all: *** $what were SKIPPED: $(grep "^SKIP $name:" "$out") ***"
			return
		fi
		echo "run-all: $name exited $st without a summary"
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E "s/^$name: ([0-9]+) passed.*/\1/" <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	if ((st != 0 && f == 0)); then
		echo "run-all: $name exited $st without a failing test"
		failed=$((failed + 1))
	fi
}

run_vm() { run_vm_suites vmcheck "the VM suites"; }

run_sysvm() {
	if [[ -n $sysvm_build_log ]]; then
		echo "=== sysvm: the image built in the background"
		wait
		cat "$sysvm_build_log"
		rm -f "$sysvm_build_log"
	fi
	run_vm_suites sysvmcheck "the systemd VM suites"
}

# The systemd VM's image takes minutes to build (mmdebstrap) but little of
# the CPU's attention: in `all` it is built in the background at the lowest
# priority while the host suites run; sysvmcheck then waits for it (the
# build holds a lock) and finds it ready. Its log is printed before the
# sysvm suites.
sysvm_build_log=
if [[ $mode == all ]]; then
	sysvm_build_log=$(mktemp)
	nice -n 19 tests/vm/sysvm-build.sh >"$sysvm_build_log" 2>&1 </dev/null &
fi

[[ $mode == unit || $mode == all ]] && run_unit
[[ $mode == bats || $mode == all ]] && run_bats
[[ $mode == vm || $mode == all ]] && run_vm
[[ $mode == sysvm || $mode == all ]] && run_sysvm
[[ $mode == fuzz || $mode == all ]] && run_fuzz

# The suites share one empty cgroup parent (never removed per test, as
# suites may run concurrently); once all are done it goes too. rmdir keeps
# it if anything is still inside, which the leak checks would have reported.
rmdir /sys/fs/cgroup/*/ocirt-test 2>/dev/null || true

echo
summary="$passed passed, $failed failed"
((skipped)) && summary+=", $skipped skipped"
echo "$summary"
((failed == 0))
