#!/usr/bin/env bats
# lifecycle.bats - create, start, state, kill, delete, run, list, and the
# global flags managers pass (--root, --log, --log-format), as runc does them.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# A container process that records each signal it catches in /tmp/sigs
# (in the rootfs, so the host reads $BUNDLE/rootfs/tmp/sigs) and exits on
# TERM. It writes /tmp/ready once its traps are set.
SIGNAL_RECORDER='trap "echo USR1 >> /tmp/sigs" USR1
trap "echo TERM >> /tmp/sigs; exit 0" TERM
echo ready > /tmp/ready
while :; do sleep 0.05; done'

sig_count() {
	grep -c "^$1\$" "$BUNDLE/rootfs/tmp/sigs" 2>/dev/null || true
}

wait_sig_count() {
	local want=$2 i
	for i in $(seq 100); do
		[[ $(sig_count "$1") -ge $want ]] && return 0
		sleep 0.05
	done
	fail "expected $want x $1 in /tmp/sigs, got $(sig_count "$1")"
}

@test "create leaves the container created, with the host pid of a live process" {
	make_bundle
	create_container
	run state_field "$CTR_ID" status
	assert_output created
	pid=$(state_field "$CTR_ID" pid)
	[[ $pid =~ ^[1-9][0-9]*$ ]]
	# A host pid: it exists in the host's /proc and is not pid 1.
	pid_alive "$pid"
	[[ $pid != 1 ]]
}

@test "create --pid-file writes the init's host pid as digits only, with no newline" {
	make_bundle
	create_container "$CTR_ID" --pid-file "$BATS_TEST_TMPDIR/pid"
	content=$(cat "$BATS_TEST_TMPDIR/pid")
	[[ $content =~ ^[0-9]+$ ]]
	# No trailing newline: the file is exactly as long as the digits.
	[[ $(stat -c %s "$BATS_TEST_TMPDIR/pid") -eq ${#content} ]]
	assert_equal "$content" "$(state_field "$CTR_ID" pid)"
	pid_alive "$content"
}

@test "a created container's process is blocked: the user command runs only after start" {
	make_bundle -- sh -c 'touch /tmp/started; exec sleep 1000'
	create_container
	pid=$(state_field "$CTR_ID" pid)
	sleep 0.3
	[[ ! -e $BUNDLE/rootfs/tmp/started ]]
	run tr '\0' ' ' <"/proc/$pid/cmdline"
	refute_output --partial "touch /tmp/started"
	refute_output --partial "sleep 1000"

	run ocirt start "$CTR_ID"
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/started"
	wait_for_status "$CTR_ID" running
	# The process that waited is the one that became the user command.
	for _ in $(seq 40); do
		[[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == "sleep 1000 " ]] && break
		sleep 0.05
	done
	assert_equal "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 1000 "
}

@test "start makes a created container running" {
	make_bundle
	create_container
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_status "$CTR_ID" running
}

@test "a container whose process exits by itself is stopped and stays until delete" {
	make_bundle -- true
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	[[ -d $STATE_ROOT/$CTR_ID ]]
	run ocirt delete "$CTR_ID"
	assert_success
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "kill 9 stops a running container and delete then removes it" {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	run ocirt kill "$CTR_ID" 9
	assert_success
	wait_for_status "$CTR_ID" stopped
	run ocirt delete "$CTR_ID"
	assert_success
	run ocirt state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	! pid_alive "$pid"
}

@test "kill with no signal sends SIGTERM" {
	make_bundle -- sh -c "$SIGNAL_RECORDER"
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	run ocirt kill "$CTR_ID"
	assert_success
	wait_sig_count TERM 1
	wait_for_status "$CTR_ID" stopped
}

@test "kill accepts a signal by name, by SIG-prefixed name and by number" {
	make_bundle -- sh -c "$SIGNAL_RECORDER"
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	ocirt kill "$CTR_ID" USR1
	wait_sig_count USR1 1
	ocirt kill "$CTR_ID" SIGUSR1
	wait_sig_count USR1 2
	ocirt kill "$CTR_ID" "$(kill -l USR1)"
	wait_sig_count USR1 3
	run state_field "$CTR_ID" status
	assert_output running
}

@test "kill KILL and kill SIGKILL stop a container whose process ignores TERM" {
	make_bundle -- sh -c 'trap "" TERM; while :; do sleep 0.05; done'
	make_bundle --dir "$BATS_TEST_TMPDIR/b2" --id "$CTR_ID-2" -- sh -c 'trap "" TERM; while :; do sleep 0.05; done'
	create_container "$CTR_ID"
	create_container "$CTR_ID-2" --bundle "$BATS_TEST_TMPDIR/b2"
	ocirt start "$CTR_ID"
	ocirt start "$CTR_ID-2"
	ocirt kill "$CTR_ID" KILL
	ocirt kill "$CTR_ID-2" SIGKILL
	wait_for_status "$CTR_ID" stopped
	wait_for_status "$CTR_ID-2" stopped
}

@test "kill --all signals every process in the container" {
	make_bundle -- sh -c 'for i in 1 2; do
		sh -c "trap \"touch /tmp/got-$i; exit 0\" TERM; touch /tmp/up-$i; while :; do sleep 0.05; done" &
	done
	trap "touch /tmp/got-init; wait; exit 0" TERM
	while :; do sleep 0.05; done'
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/up-1"
	wait_for_file "$BUNDLE/rootfs/tmp/up-2"
	run ocirt kill --all "$CTR_ID" TERM
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/got-init"
	wait_for_file "$BUNDLE/rootfs/tmp/got-1"
	wait_for_file "$BUNDLE/rootfs/tmp/got-2"
	wait_for_status "$CTR_ID" stopped
}

@test "kill on a stopped container fails with 'container not running'" {
	make_bundle -- true
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	run ocirt kill "$CTR_ID" KILL
	assert_failure
	assert_output --partial "container not running"
}

@test "delete refuses a running container without --force and leaves it running" {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	run ocirt delete "$CTR_ID"
	assert_failure
	[[ -n $output ]]
	run state_field "$CTR_ID" status
	assert_output running
}

@test "delete --force kills a running container and removes it" {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	run ocirt delete --force "$CTR_ID"
	assert_success
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	for _ in $(seq 40); do pid_alive "$pid" || break; sleep 0.05; done
	! pid_alive "$pid"
}

@test "delete --force removes a created container that never started" {
	make_bundle
	create_container
	pid=$(state_field "$CTR_ID" pid)
	run ocirt delete --force "$CTR_ID"
	assert_success
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	for _ in $(seq 40); do pid_alive "$pid" || break; sleep 0.05; done
	! pid_alive "$pid"
}

@test "delete --force of a container that does not exist exits 0" {
	run ocirt delete --force no-such-container
	assert_success
}

@test "delete of a container that does not exist fails with 'does not exist'" {
	run ocirt delete no-such-container
	assert_failure
	assert_output --partial "does not exist"
}

@test "state of a container that does not exist fails with 'does not exist'" {
	run ocirt state no-such-container
	assert_failure
	assert_output --partial "does not exist"
}

@test "start of a started container fails and leaves it running" {
	make_bundle
	create_container
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_status "$CTR_ID" running
	run ocirt start "$CTR_ID"
	assert_failure
	run state_field "$CTR_ID" status
	assert_output running
}

@test "state prints runc's keys: ociVersion id pid status bundle rootfs created owner" {
	make_bundle
	create_container
	run ocirt state "$CTR_ID"
	assert_success
	echo "$output" > "$BATS_TEST_TMPDIR/state.json"
	for key in ociVersion id pid status bundle rootfs created owner; do
		jq -e --arg k "$key" 'has($k)' "$BATS_TEST_TMPDIR/state.json" >/dev/null ||
			fail "state has no key $key: $output"
	done
	assert_equal "$(jq -r .id <<<"$output")" "$CTR_ID"
	assert_equal "$(jq -r .bundle <<<"$output")" "$BUNDLE"
	assert_equal "$(jq -r .rootfs <<<"$output")" "$BUNDLE/rootfs"
	assert_equal "$(jq -r '.pid|type' <<<"$output")" number
	jq -re .created <<<"$output" |
		grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'
}

@test "state output validates against the OCI state schema" {
	require_validator
	schema=$REPO/schema/state.json
	[[ -f $schema ]] || schema=$SHARED_DIR/oci-schema/state-schema.json
	[[ -f $schema ]] || skip "no state schema (schema/state.json) yet"
	make_bundle
	create_container
	ocirt state "$CTR_ID" > "$BATS_TEST_TMPDIR/state.json"
	validate_json "$schema" "$BATS_TEST_TMPDIR/state.json"
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	ocirt state "$CTR_ID" > "$BATS_TEST_TMPDIR/state.json"
	validate_json "$schema" "$BATS_TEST_TMPDIR/state.json"
}

@test "create with a relative --bundle records the absolute bundle path" {
	make_bundle
	cd "$BATS_TEST_TMPDIR"
	try create --bundle bundle "$CTR_ID"
	assert_success
	assert_equal "$(state_field "$CTR_ID" bundle)" "$BUNDLE"
}

@test "run prints the container's output and exits 0" {
	make_bundle -- echo hello from the container
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output "hello from the container"
	# A foreground run deletes the container when it exits.
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "run exits with the container process's exit code" {
	make_bundle -- sh -c 'exit 3'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 3
}

@test "run exits 128+N when the container process is killed by signal N" {
	make_bundle
	ocirt run --bundle "$BUNDLE" "$CTR_ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	runner=$!
	wait_for_status "$CTR_ID" running
	ocirt kill "$CTR_ID" KILL
	st=0
	wait "$runner" || st=$?
	assert_equal "$st" 137
}

@test "run -d starts the container in the background and returns" {
	make_bundle
	try run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_for_status "$CTR_ID" running
	pid_alive "$(state_field "$CTR_ID" pid)"
}

@test "list, list -q and list --format json show every container of the root" {
	make_bundle
	make_bundle --dir "$BATS_TEST_TMPDIR/b2" --id "$CTR_ID-2"
	create_container "$CTR_ID"
	create_container "$CTR_ID-2" --bundle "$BATS_TEST_TMPDIR/b2"
	ocirt start "$CTR_ID-2"
	wait_for_status "$CTR_ID-2" running

	run ocirt list
	assert_success
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER'
	assert_line --regexp "^$CTR_ID +[0-9]+ +created +$BUNDLE "
	assert_line --regexp "^$CTR_ID-2 +[0-9]+ +running +$BATS_TEST_TMPDIR/b2 "

	run ocirt list -q
	assert_success
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' "$CTR_ID" "$CTR_ID-2" | sort)"

	run ocirt list --format json
	assert_success
	jq -e 'type == "array"' <<<"$output" >/dev/null
	assert_equal "$(jq -c 'map(.id) | sort' <<<"$output")" "$(jq -nc --arg a "$CTR_ID" --arg b "$CTR_ID-2" '[$a, $b] | sort')"
	assert_equal "$(jq -r --arg id "$CTR_ID-2" '.[] | select(.id == $id) | .status' <<<"$output")" running
}

@test "list with a --root that is not a directory fails, naming it; with a missing one it is empty" {
	touch "$BATS_TEST_TMPDIR/file"
	run "$OCIRT" --root "$BATS_TEST_TMPDIR/file" list
	assert_failure
	assert_output --regexp "$BATS_TEST_TMPDIR/file\\\\?\"?: not a directory"
	run "$OCIRT" --root "$BATS_TEST_TMPDIR/none" list -q
	assert_success
	assert_output ""
}

@test "list --format json validates against schema/list.json" {
	require_validator
	[[ -f $REPO/schema/list.json ]] || skip "no schema/list.json yet"
	make_bundle
	create_container
	ocirt list --format json > "$BATS_TEST_TMPDIR/list.json"
	validate_json "$REPO/schema/list.json" "$BATS_TEST_TMPDIR/list.json"
}

@test "--root keeps the state under that directory and nowhere else" {
	make_bundle
	other="$BATS_TEST_TMPDIR/other-root"
	create_container
	[[ -d $STATE_ROOT/$CTR_ID ]]
	[[ ! -e /run/$RUNTIME_NAME/$CTR_ID ]]
	[[ ! -e /run/ocirt/$CTR_ID ]]
	run "$OCIRT" --root "$other" list -q
	refute_output --partial "$CTR_ID"
	run "$OCIRT" --root "$other" state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
}

@test "--log FILE --log-format json writes only JSON lines with level, msg and an RFC3339 time" {
	make_bundle -- /bin/nope
	log="$BATS_TEST_TMPDIR/log.json"
	try --log "$log" --log-format json create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	[[ -s $log ]] || fail "nothing was logged to $log"
	while IFS= read -r line; do
		jq -e 'type == "object" and (.level|type) == "string" and (.msg|type) == "string"
			and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"))' \
			<<<"$line" >/dev/null || fail "not a JSON log line: $line"
	done <"$log"
	# The error itself is there, at level error, as managers read it.
	run jq -r 'select(.level == "error") | .msg' "$log"
	assert_output --partial "no such file or directory"
}

@test "a failing create also prints the plain error on stderr" {
	make_bundle -- /bin/nope
	try --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	is_ocirt || skip "runc writes the error only to the --log file"
	assert_output --partial "no such file or directory"
}
