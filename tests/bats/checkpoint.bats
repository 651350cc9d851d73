#!/usr/bin/env bats
# checkpoint.bats - `checkpoint` and `restore` on the host: runc's flags,
# defaults and errors, and a criu that cannot dump here reported in one
# line. criu 3.17 cannot dump on this host's 6.18 kernel ("Unexpected rt
# vDSO area bounds", runc too); the checkpoints that work are proven in the
# VM on Debian's 6.1 kernel: tests/bats/vm/checkpoint.bats.

load helpers

setup() {
	common_setup
	IMG="$BATS_TEST_TMPDIR/img"
}

teardown() {
	common_teardown
}

# run_sleeper - a detached container to checkpoint, running.
run_sleeper() {
	make_bundle
	try run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_for_status "$CTR_ID" running
	PID=$(state_field "$CTR_ID" pid)
}

# still_running - the failed checkpoint left the container as it was.
still_running() {
	assert_equal "$(state_field "$CTR_ID" status)" running
	assert_equal "$(state_field "$CTR_ID" pid)" "$PID"
	pid_alive "$PID"
}

@test "checkpoint and restore --help list runc's flags" {
	run ocirt checkpoint --help
	assert_success
	for f in --image-path --work-path --parent-path --leave-running --tcp-established --ext-unix-sk \
		--shell-job --file-locks --pre-dump --manage-cgroups-mode --empty-ns --auto-dedup; do
		assert_output --partial -- "$f"
	done
	run ocirt restore --help
	assert_success
	for f in --image-path --work-path --bundle --detach --pid-file --console-socket --no-pivot \
		--tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --empty-ns; do
		assert_output --partial -- "$f"
	done
}

@test "checkpoint and restore without an id fail and name the verb" {
	run ocirt checkpoint
	assert_failure 1
	# runc logs it logfmt-quoted: msg="runc: \"checkpoint\" requires ..."
	assert_output --regexp 'checkpoint\\?" requires'
	run ocirt restore
	assert_failure 1
	assert_output --regexp 'restore\\?" requires'
}

@test "checkpoint with an unknown flag fails and names it" {
	run ocirt checkpoint --bogus "$CTR_ID"
	assert_failure 1
	assert_output --partial bogus
	run ocirt restore --bogus "$CTR_ID"
	assert_failure 1
	assert_output --partial bogus
}

@test "checkpoint of a container that does not exist: container does not exist" {
	run ocirt checkpoint --image-path "$IMG" nosuch
	assert_failure 1
	assert_output --partial "container does not exist"
}

@test "checkpoint of a created container is refused: it is not running" {
	make_bundle
	create_container
	run ocirt checkpoint --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --partial "Container cannot be checkpointed in created state"
	assert_equal "$(state_field "$CTR_ID" status)" created
}

@test "checkpoint --manage-cgroups-mode with a bad mode fails and leaves the container running" {
	run_sleeper
	run ocirt checkpoint --manage-cgroups-mode bad --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --partial "Invalid manage cgroups mode"
	still_running
	# runc makes the image dir before it looks at the mode; ocirt does not.
	if is_ocirt; then [[ ! -e $IMG ]]; fi
}

# runc checks --parent-path before criu runs: criu takes it relative to the
# image dir, and an incremental dump without its parent would fail in
# criu, with only criu's log to say why. runc's own tests look for the
# flag's name in the error.
@test "checkpoint --parent-path absolute, or not under the image dir, fails naming --parent-path; the container goes on" {
	run_sleeper
	mkdir -p "$IMG"
	run ocirt checkpoint --parent-path "$BATS_TEST_TMPDIR/parent" --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --partial "--parent-path must be relative"
	still_running
	run ocirt checkpoint --parent-path ../parent --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --regexp "invalid --parent-path: stat [^ ]*parent: no such file or directory"
	still_running
	[[ ! -e $IMG/parent ]]
}

@test "checkpoint with a criu that is not there: CRIU version check failed, the container goes on" {
	run_sleeper
	try --criu "$BATS_TEST_TMPDIR/no-criu" checkpoint --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --partial "CRIU version check failed"
	assert_output --partial "no-criu"
	still_running
}

@test "checkpoint with a criu too old: its version is named against the minimum 3.0.0" {
	ocirt_only "runc asks criu for its version over RPC, a shell script cannot answer that"
	run_sleeper
	printf '#!/bin/sh\necho "Version: 2.12"\n' >"$BATS_TEST_TMPDIR/old-criu"
	chmod +x "$BATS_TEST_TMPDIR/old-criu"
	try --criu "$BATS_TEST_TMPDIR/old-criu" checkpoint --image-path "$IMG" "$CTR_ID"
	assert_failure 1
	assert_output --partial "CRIU version 21200 must be 30000 or higher"
	still_running
}

@test "checkpoint to an image dir that is not writable fails and leaves the container running" {
	# runc, like ocirt, asks criu for its version before it looks at the dir.
	command -v criu >/dev/null || skip "criu is not installed"
	run_sleeper
	mkdir "$BATS_TEST_TMPDIR/ro"
	mount --bind "$BATS_TEST_TMPDIR/ro" "$BATS_TEST_TMPDIR/ro"
	defer "umount '$BATS_TEST_TMPDIR/ro'"
	mount -o remount,bind,ro "$BATS_TEST_TMPDIR/ro"
	try checkpoint --image-path "$BATS_TEST_TMPDIR/ro" "$CTR_ID"
	assert_failure 1
	still_running
	if is_ocirt; then
		assert_output --partial "\"$BATS_TEST_TMPDIR/ro\" is not writable: read-only file system"
		assert_equal "${#lines[@]}" 1
	fi
}

@test "checkpoint where criu cannot dump: one line naming criu's own error, the container goes on" {
	command -v criu >/dev/null || skip "criu is not installed"
	run_sleeper
	try checkpoint --image-path "$IMG" "$CTR_ID"
	[[ $status != 0 ]] || skip "criu can dump on this kernel (see tests/bats/vm/checkpoint.bats)"
	assert_equal "$status" 1
	[[ -f $IMG/dump.log ]]
	# criu's first error in its log is the cause ("vdso: Unexpected rt vDSO
	# area bounds" on this host's 6.18 kernel).
	cause=$(grep -m1 'Error (' "$IMG/dump.log" | sed 's/.*Error ([^)]*): //')
	[[ -n $cause ]]
	still_running
	if is_ocirt; then
		assert_equal "${#lines[@]}" 1
		assert_output --partial "criu dump failed: $cause (log: $IMG/dump.log)"
	else
		assert_output --partial "criu failed"
	fi
}

@test "restore under an id that exists fails, and the running container is untouched" {
	run_sleeper
	mkdir "$IMG"
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_failure 1
	assert_output --partial "container with given ID already exists"
	still_running
}

@test "restore from a dir without a checkpoint fails and leaves nothing" {
	command -v criu >/dev/null || skip "criu is not installed"
	make_bundle
	mkdir "$IMG"
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_failure 1
	assert_output --partial "$IMG"
	run ocirt state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
}

@test "restore with a bad --manage-cgroups-mode fails before anything is made" {
	ocirt_only "runc 1.1.5 does not check the mode on restore"
	make_bundle
	try restore -d --manage-cgroups-mode bad --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_failure 1
	assert_output --partial "Invalid manage cgroups mode"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}
