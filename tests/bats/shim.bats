#!/usr/bin/env bats
# shim.bats - ocirt's per-container shim in standalone use (README "Standalone
# or under a manager: the shim"): bats is not a child subreaper, so `create`
# and `run -d` leave an `ocirt-shim` that is the init's parent, records its
# stdout and stderr in a CRI-format log (`ocirt logs`) and its exit status
# in the state, and then exits. Every test is ocirt_only: runc has no shim.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

LOG_RECORD='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}) (stdout|stderr) [PF] '

# run_detached [ID [ARGS...]] - `run -d` $BUNDLE, its stdio on a file.
run_detached() {
	local id=${1:-$CTR_ID} st=0
	(($#)) && shift
	ocirt run -d --bundle "$BUNDLE" "$@" "$id" </dev/null \
		>"$BATS_TEST_TMPDIR/$id.out" 2>&1 || st=$?
	if ((st != 0)); then
		cat "$BATS_TEST_TMPDIR/$id.out" >&2
		fail "run -d $id failed with exit $st"
	fi
}

# shim_of PID - the parent of PID, which must be an ocirt-shim.
shim_of() {
	local ppid
	ppid=$(ps -o ppid= -p "$1" | tr -d ' ')
	[[ $(cat "/proc/$ppid/comm") == ocirt-shim ]] ||
		fail "the parent of $1 is $ppid ($(cat "/proc/$ppid/comm" 2>/dev/null)), not ocirt-shim"
	echo "$ppid"
}

# shims_of_test - pids of live processes whose command line names this
# test's state root (the shims it started).
shims_of_test() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		{ tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qxF -e "$STATE_ROOT" -e "--root=$STATE_ROOT" || continue
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

@test "run -d leaves a shim: logs prints the output after the container exited, and state has the exit code" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'echo hello from the container; echo to stderr >&2; exit 3'
	run_detached
	wait_for_status "$CTR_ID" stopped
	run ocirt logs "$CTR_ID"
	assert_success
	assert_line "hello from the container"
	assert_line "to stderr"
	run ocirt state "$CTR_ID"
	assert_success
	assert_output --regexp '"status": *"stopped"'
	assert_equal "$(jq -r .exitCode <<<"$output")" 3
	# runc's own output of `run -d` holds none of the container's.
	run cat "$BATS_TEST_TMPDIR/$CTR_ID.out"
	refute_output --partial "hello from the container"
}

@test "run -d: the init's parent is a live ocirt-shim for this container's root" {
	ocirt_only "the shim is ocirt's"
	make_bundle
	run_detached
	pid=$(state_field "$CTR_ID" pid)
	shim=$(shim_of "$pid")
	pid_alive "$shim"
	run shims_of_test
	assert_line "$shim"
}

@test "a container killed by SIGKILL: state has exitSignal 9 and exitCode 137" {
	ocirt_only "the shim is ocirt's"
	make_bundle
	run_detached
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	run ocirt state "$CTR_ID"
	assert_equal "$(jq -r .exitSignal <<<"$output")" 9
	assert_equal "$(jq -r .exitCode <<<"$output")" 137
}

@test "create and start from a shell that is gone: logs and state still have the output and exit status" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'sleep 1; echo written after the shell left; exit 4'
	local cmd
	printf -v cmd '%q ' "$OCIRT" --root "$STATE_ROOT"
	# setsid -w: wait for the shell, which exits right after start.
	timeout 30 setsid -w bash -c "$cmd create --bundle $(printf %q "$BUNDLE") $CTR_ID && $cmd start $CTR_ID; exit" \
		</dev/null >"$BATS_TEST_TMPDIR/shell.out" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	run state_field "$CTR_ID" status
	assert_output running
	wait_for_status "$CTR_ID" stopped 15
	assert_equal "$(state_field "$CTR_ID" exitCode)" 4
	run ocirt logs "$CTR_ID"
	assert_success
	assert_output "written after the shell left"
}

@test "run -d from a shell that is gone: logs and state still have the output and exit status" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'sleep 1; echo still logged; exit 6'
	local cmd
	printf -v cmd '%q ' "$OCIRT" --root "$STATE_ROOT" run -d --bundle "$BUNDLE" "$CTR_ID"
	timeout 30 setsid -w bash -c "$cmd; exit" \
		</dev/null >"$BATS_TEST_TMPDIR/shell.out" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	wait_for_status "$CTR_ID" stopped 15
	assert_equal "$(state_field "$CTR_ID" exitCode)" 6
	run ocirt logs "$CTR_ID"
	assert_output "still logged"
}

@test "100 MB of output: logs returns every byte, in order" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- seq 1 12000000
	run_detached
	wait_for_status "$CTR_ID" stopped 120
	assert_equal "$(state_field "$CTR_ID" exitCode)" 0
	want=$(seq 1 12000000 | sha256sum)
	got=$(OCIRT_TEST_CMD_TIMEOUT=120 ocirt logs "$CTR_ID" | sha256sum)
	assert_equal "$got" "$want"
}

@test "interleaved stdout and stderr: logs has all 400 lines, each stream in its own order, CRI records on disk" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'for i in $(seq 1 200); do echo out$i; echo err$i >&2; done'
	run_detached
	wait_for_status "$CTR_ID" stopped
	run ocirt logs "$CTR_ID"
	assert_success
	assert_equal "${#lines[@]}" 400
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep '^out' | tr '\n' ' ')" "$(seq -f 'out%g' 1 200 | tr '\n' ' ')"
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep '^err' | tr '\n' ' ')" "$(seq -f 'err%g' 1 200 | tr '\n' ' ')"

	log="$STATE_ROOT/$CTR_ID/container.log"
	[[ -f $log ]]
	assert_equal "$(grep -cE "$LOG_RECORD" "$log")" "$(wc -l <"$log")"
	assert_equal "$(grep -cE '^[^ ]+ stdout F out[0-9]+$' "$log")" 200
	assert_equal "$(grep -cE '^[^ ]+ stderr F err[0-9]+$' "$log")" 200
}

@test "logs --tail 3 prints the last three lines" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- seq 1 10
	run_detached
	wait_for_status "$CTR_ID" stopped
	run ocirt logs --tail 3 "$CTR_ID"
	assert_success
	assert_output "$(printf '8\n9\n10')"
	run ocirt logs -n 3 "$CTR_ID"
	assert_output "$(printf '8\n9\n10')"
}

@test "logs --timestamps prefixes each line with an RFC 3339 nano time" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'echo one; echo two'
	run_detached
	wait_for_status "$CTR_ID" stopped
	run ocirt logs --timestamps "$CTR_ID"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,9}(Z|[+-][0-9]{2}:[0-9]{2}) one$'
	assert_line --index 1 --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,9}(Z|[+-][0-9]{2}:[0-9]{2}) two$'
}

@test "logs -f prints output as it comes and ends when the container exits" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'for i in 1 2 3 4; do echo line$i; sleep 0.5; done'
	run_detached
	local OCIRT_TEST_CMD_TIMEOUT=20
	SECONDS=0
	try logs -f "$CTR_ID"
	assert_success
	((SECONDS < 15))
	assert_output "$(printf 'line1\nline2\nline3\nline4')"
	run state_field "$CTR_ID" status
	assert_output stopped
}

@test "a partial last line: logs prints it and the log has a P record" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- printf 'no newline'
	run_detached
	wait_for_status "$CTR_ID" stopped
	run ocirt logs "$CTR_ID"
	assert_success
	assert_output "no newline"
	run grep -E '^[^ ]+ stdout P no newline$' "$STATE_ROOT/$CTR_ID/container.log"
	assert_success
}

@test "after delete, the shim is gone: no live ocirt-shim for this test's root, no zombie" {
	ocirt_only "the shim is ocirt's"
	make_bundle
	run_detached
	pid=$(state_field "$CTR_ID" pid)
	shim=$(shim_of "$pid")
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	run ocirt delete "$CTR_ID"
	assert_success
	for _ in $(seq 100); do
		pid_alive "$shim" || break
		sleep 0.05
	done
	[[ ! -d /proc/$shim ]] || grep -q '^State:.*Z' "/proc/$shim/status"
	[[ ! -d /proc/$pid ]] || grep -q '^State:.*Z' "/proc/$pid/status"
	# No live process (an ocirt-shim) names this test's root.
	run shims_of_test
	assert_output ""
}

@test "--shim never: no shim is the init's parent, and logs fails with a clear message" {
	ocirt_only "the shim is ocirt's"
	make_bundle
	run_detached "$CTR_ID" --shim never
	pid=$(state_field "$CTR_ID" pid)
	ppid=$(ps -o ppid= -p "$pid" | tr -d ' ')
	run cat "/proc/$ppid/comm"
	refute_output ocirt-shim
	run shims_of_test
	assert_output ""
	try logs "$CTR_ID"
	assert_failure
	assert_output --partial "$CTR_ID"
	assert_output --partial "shim"
}

@test "the shim killed: state still says running while the init lives, and delete --force cleans up" {
	ocirt_only "the shim is ocirt's"
	make_bundle
	run_detached
	pid=$(state_field "$CTR_ID" pid)
	shim=$(shim_of "$pid")
	kill -KILL "$shim"
	for _ in $(seq 100); do
		pid_alive "$shim" || break
		sleep 0.05
	done
	! pid_alive "$shim"
	pid_alive "$pid"
	run state_field "$CTR_ID" status
	assert_output running
	run ocirt delete --force "$CTR_ID"
	assert_success
	for _ in $(seq 100); do
		pid_alive "$pid" || break
		sleep 0.05
	done
	! pid_alive "$pid"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "--log-path FILE: the shim's log goes to FILE and logs reads it" {
	ocirt_only "the shim is ocirt's"
	make_bundle -- sh -c 'echo to the custom log'
	log="$BATS_TEST_TMPDIR/custom/ctr.log"
	mkdir -p "${log%/*}"
	run_detached "$CTR_ID" --log-path "$log"
	wait_for_status "$CTR_ID" stopped
	run grep -E '^[^ ]+ stdout F to the custom log$' "$log"
	assert_success
	[[ ! -e $STATE_ROOT/$CTR_ID/container.log ]]
	run ocirt logs "$CTR_ID"
	assert_success
	assert_output "to the custom log"
}
