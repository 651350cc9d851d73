#!/usr/bin/env bats
# frozen.bats - frozen cgroups (issue 12 §2), as runc 1.1.5 handles them:
# delete --force of a paused container, create and run into a cgroup that
# is already frozen, and delete --force of a container that made cgroups
# below its own. Every test passes against runc too.

load helpers
load sub_cgroups

setup() { common_setup; }
teardown() { common_teardown; }

# The runtime must answer at once; the old ocirt hung or waited 10 s.
OCIRT_TEST_CMD_TIMEOUT=8

# frozen_cgroup_before_create - the container's future cgroup exists in the
# freezer hierarchy (v2: the one hierarchy) and is frozen, made by someone
# else; the test removes it again.
frozen_cgroup_before_create() {
	if [[ -d /sys/fs/cgroup/freezer ]]; then
		FROZEN_DIR=/sys/fs/cgroup/freezer$CGROUP_PARENT/$CTR_ID
		mkdir -p "$FROZEN_DIR"
		echo FROZEN >"$FROZEN_DIR/freezer.state"
		defer "echo THAWED > $FROZEN_DIR/freezer.state; rmdir $FROZEN_DIR"
	else
		FROZEN_DIR=/sys/fs/cgroup$CGROUP_PARENT/$CTR_ID
		mkdir -p "$FROZEN_DIR"
		echo 1 >"$FROZEN_DIR/cgroup.freeze"
		defer "echo 0 > $FROZEN_DIR/cgroup.freeze; rmdir $FROZEN_DIR"
	fi
}

# refused_as_frozen - the last `try` failed at once with runc's words, and
# left no state and no cgroup but the frozen one it found, untouched.
refused_as_frozen() {
	assert_failure
	assert_output --partial "container's cgroup unexpectedly frozen"
	((SECONDS - started < 5)) || fail "took $((SECONDS - started)) s to refuse"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	run ocirt list -q
	assert_output ""
	assert_equal "$(container_cgroup_dirs)" "$FROZEN_DIR"
	assert_equal "$(freezer_state)" FROZEN
	assert_equal "$(cat "$FROZEN_DIR/cgroup.procs")" ""
}

@test "delete --force of a paused container kills it and removes everything" {
	make_bundle -- sh -c 'sleep 1000 & wait'
	start_paused
	pids=$(procs_of_test)
	assert_equal "$(wc -w <<<"$pids")" 2
	started=$SECONDS
	try delete --force "$CTR_ID"
	assert_success
	((SECONDS - started < 5)) || fail "delete --force took $((SECONDS - started)) s"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	for pid in $pids; do
		wait_gone "$pid"
	done
	assert_equal "$(container_cgroup_dirs)" ""
}

@test "delete --force of a paused container without its own pid namespace kills every process in it" {
	make_bundle -- sh -c 'sleep 1000 & sleep 1001 & wait'
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	start_paused
	pids=$(procs_of_test)
	assert_equal "$(wc -w <<<"$pids")" 3
	try delete --force "$CTR_ID"
	assert_success
	for pid in $pids; do
		wait_gone "$pid"
	done
	assert_equal "$(container_cgroup_dirs)" ""
}

@test "create into a frozen cgroup fails at once with 'unexpectedly frozen' and leaves nothing" {
	make_bundle
	frozen_cgroup_before_create
	started=$SECONDS
	try create --bundle "$BUNDLE" "$CTR_ID"
	refused_as_frozen
}

@test "run into a frozen cgroup fails at once with 'unexpectedly frozen' and leaves nothing" {
	make_bundle -- true
	frozen_cgroup_before_create
	started=$SECONDS
	try run --bundle "$BUNDLE" "$CTR_ID"
	refused_as_frozen
}

@test "delete --force removes the cgroups a container made below its own" {
	make_bundle -- sh -c 'sleep 1000 & echo $! > /tmp/child; wait'
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/child"
	child=$(procs_of_test | grep -v "^$(state_field "$CTR_ID" pid)\$")
	[[ -n $child ]]
	move_to_sub_cgroup "$child" nested/deeper
	mkdir "$(container_cgroup_dirs | head -n1)/empty"
	try delete --force "$CTR_ID"
	assert_success
	wait_gone "$child"
	assert_equal "$(container_cgroup_dirs)" ""
}

@test "a paused created container reads paused, refuses start, and resume makes it created again" {
	make_bundle -- sh -c 'touch /tmp/started; exec sleep 1000'
	create_container
	ocirt pause "$CTR_ID"
	run state_field "$CTR_ID" status
	assert_output paused
	try start "$CTR_ID"
	assert_failure
	assert_output --partial "cannot start a container in the paused state"
	[[ ! -e $BUNDLE/rootfs/tmp/started ]]
	run ocirt resume "$CTR_ID"
	assert_success
	run state_field "$CTR_ID" status
	assert_output created
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/started"
	wait_for_status "$CTR_ID" running
}
