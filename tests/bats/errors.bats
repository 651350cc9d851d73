#!/usr/bin/env bats
# errors.bats - every class of error `create` must refuse cleanly: exit
# non-zero, say what and where (ocirt: "config.json: <JSON path>: ..."),
# and leave nothing behind (no state dir here; teardown checks for mounts,
# cgroups and processes). Also bad ids and concurrent creates of one id.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# create_fails - create $CTR_ID from $BUNDLE, assert that it fails and left
# no state; $output holds the runtime's error.
create_fails() {
	try create --bundle "$BUNDLE" "$@" "$CTR_ID"
	assert_failure
	[[ -n $output ]] || fail "create failed without saying why"
	[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "a failed create left $STATE_ROOT/$CTR_ID"
}

# ocirt_says TEXT... - on ocirt, assert the error contains each TEXT. The
# wording of other runtimes differs, so this is skipped for them (the
# failure and the clean-up are still checked).
ocirt_says() {
	is_ocirt || return 0
	local t
	for t in "$@"; do
		assert_output --partial "$t"
	done
}

@test "create refuses a config.json that is not valid JSON" {
	make_bundle
	echo '{"ociVersion": "1.0.2", "process": {' > "$BUNDLE/config.json"
	create_fails
	ocirt_says "config.json: invalid JSON"
}

@test "create refuses a field of the wrong type and names its JSON path" {
	make_bundle
	update_config '.process.args = "sh"'
	create_fails
	ocirt_says "config.json: .process.args: " "expected an array"
}

@test "create refuses an unsupported ociVersion 2.0.0" {
	ocirt_only "runc does not check ociVersion"
	make_bundle
	update_config '.ociVersion = "2.0.0"'
	create_fails
	ocirt_says "config.json: .ociVersion: " "unsupported" "2.0.0"
}

@test "create refuses an unknown namespace type" {
	make_bundle
	update_config '.linux.namespaces += [{type: "bogus"}]'
	create_fails
	ocirt_says "config.json: .linux.namespaces[" "unknown namespace type" "bogus"
}

@test "create refuses a namespace listed twice" {
	make_bundle
	update_config '.linux.namespaces += [{type: "ipc"}]'
	create_fails
	ocirt_says "config.json: .linux.namespaces[" "duplicate namespace" "ipc"
}

@test "create refuses a relative process.cwd" {
	make_bundle
	update_config '.process.cwd = "tmp"'
	create_fails
	ocirt_says "config.json: .process.cwd: " "absolute"
}

# runc's init refuses these, so create fails there too, in its words.
@test "create refuses a process.env entry without '=' or with an empty name, in runc's words, and leaves nothing" {
	make_bundle -- true
	update_config '.process.env += ["FOO"]'
	create_refused "invalid environment variable"
	update_config '.process.env[-1] = "=x"'
	create_refused "environment variable name can't be empty"
}

@test "create refuses a config without process.args" {
	make_bundle
	update_config 'del(.process.args)'
	create_fails
	ocirt_says "config.json: .process.args"
}

@test "create refuses a new user namespace without id mappings" {
	make_bundle
	update_config '.linux.namespaces += [{type: "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
	create_fails
	ocirt_says "config.json: .linux.uidMappings: " "mappings"
}

@test "create refuses a hostname without a private uts namespace" {
	make_bundle
	update_config '.hostname = "box" | .linux.namespaces |= map(select(.type != "uts"))'
	create_fails
	ocirt_says "config.json: .hostname: " "uts namespace"
}

@test "create fails and names config.json when the bundle has none" {
	make_bundle
	rm "$BUNDLE/config.json"
	create_fails
	assert_output --partial "config.json"
	# runc says "JSON specification file config.json not found".
	ocirt_says "no such file or directory"
}

@test "create refuses a config.json that is a FIFO without hanging" {
	ocirt_only "runc opens the FIFO and blocks until a writer comes"
	make_bundle
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	status=0
	timeout 10 "$OCIRT" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$CTR_ID" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[[ $status -ne 124 ]] || fail "create hung on a FIFO config.json"
	assert_failure
	assert_output --partial "config.json"
	assert_output --partial "not a regular file"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "create fails with 'no such file or directory' for a missing executable" {
	make_bundle -- /bin/nope
	create_fails
	assert_output --partial "no such file or directory"
	ocirt_says 'exec: "/bin/nope": stat /bin/nope: no such file or directory'
}

@test "create fails with 'permission denied' for a file that is not executable" {
	make_bundle -- /not-executable
	printf '#!/bin/sh\necho should not run\n' > "$BUNDLE/rootfs/not-executable"
	chmod 0644 "$BUNDLE/rootfs/not-executable"
	create_fails
	assert_output --partial "permission denied"
	ocirt_says 'exec: "/not-executable": permission denied'
}

@test "create fails when a mount fails and names the mount" {
	make_bundle
	update_config ".mounts += [{destination: \"/mnt/data\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/missing\", options: [\"rbind\"]}]"
	create_fails
	assert_output --partial "no such file or directory"
	assert_output --partial "$BATS_TEST_TMPDIR/missing"
	ocirt_says "mount" "/mnt/data"
}

@test "start, state, kill and delete of an unknown container say 'does not exist'" {
	for verb in start state "kill" delete; do
		run ocirt $verb no-such-container
		assert_failure
		assert_output --partial "does not exist"
	done
}

# assert_bad_id ID - create with ID fails, says why, and nothing is made
# outside (or inside) the state root.
assert_bad_id() {
	make_bundle
	local before after
	before=$(cd "$BATS_TEST_TMPDIR" && find . -path ./bundle -prune -o -print | sort)
	try create --bundle "$BUNDLE" "$1"
	assert_failure
	[[ -n $output ]] || fail "create refused the id without saying why"
	after=$(cd "$BATS_TEST_TMPDIR" && find . -path ./bundle -prune -o ! -name 'try.*.log' -print | sort)
	assert_equal "$after" "$before"
	[[ -z $(ls -A "$STATE_ROOT") ]] || fail "the state root is not empty: $(ls -A "$STATE_ROOT")"
}

@test "create refuses the id 'a/b'" {
	assert_bad_id a/b
	ocirt_says "invalid container id"
}

@test "create refuses the id '..'" {
	assert_bad_id ..
	ocirt_says "invalid container id"
}

@test "create refuses the id '../x'" {
	assert_bad_id ../x
	ocirt_says "invalid container id"
}

@test "create refuses an empty id" {
	assert_bad_id ""
	ocirt_says "id"
}

@test "create refuses an id of 1025 characters" {
	assert_bad_id "$(printf 'x%.0s' $(seq 1025))"
	ocirt_says "invalid container id"
}

@test "two concurrent creates of one id: exactly one wins, the other says 'already exists'" {
	# runc 1.1.5 races: the loser can fail on "exec fifo ... already exists"
	# after the winner's mkdir, and its clean-up then removes the winner's
	# cgroup, so both fail (seen in about 1 run in 6).
	ocirt_only "runc 1.1.5 loses both containers in this race"
	make_bundle
	for i in 1 2; do
		ocirt create --bundle "$BUNDLE" "$CTR_ID" </dev/null >"$BATS_TEST_TMPDIR/c$i.out" 2>&1 &
		pids[i]=$!
	done
	wins=0
	for i in 1 2; do
		st[i]=0
		wait "${pids[i]}" || st[i]=$?
		((st[i] == 0)) && wins=$((wins + 1))
	done
	assert_equal "$wins" 1 || { cat "$BATS_TEST_TMPDIR"/c?.out; false; }
	loser=1
	((st[1] == 0)) && loser=2
	run cat "$BATS_TEST_TMPDIR/c$loser.out"
	assert_output --partial "already exists"
	# The winner is intact: created, alive, and startable.
	run state_field "$CTR_ID" status
	assert_output created
	pid_alive "$(state_field "$CTR_ID" pid)"
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_status "$CTR_ID" running
}

@test "a second create of an existing id fails with 'already exists' and leaves the first intact" {
	make_bundle
	create_container
	pid=$(state_field "$CTR_ID" pid)
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "already exists"
	run state_field "$CTR_ID" status
	assert_output created
	pid_alive "$pid"
}
