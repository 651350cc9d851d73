#!/usr/bin/env bats
# escapes.bats (VM) - the escape classes of ../escapes.bats that need
# cgroup v2: there cgroup.kill takes a whole subtree, so a runtime that
# kills "its" cgroup through it kills every service below a cgroupsPath it
# merely found (say /system.slice).
#
# Only meaningful on a cgroup v2 host (the test VM: make vmcheck).

load ../helpers

setup() {
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip "needs cgroup v2 (the test VM: make vmcheck)"
	common_setup
	V2=1
}

teardown() {
	[[ -n ${V2:-} ]] || return 0
	common_teardown
}

# found_cgroup NAME - the cgroup /ocirt-test/NAME as a service manager would
# have made it, with a child "svc" holding a host process ($HOST_SLEEP).
found_cgroup() {
	FOUND_CG=/ocirt-test/$1
	local d=/sys/fs/cgroup$FOUND_CG
	mkdir -p "$d/svc"
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	HOST_SLEEP=$!
	echo "$HOST_SLEEP" >"$d/svc/cgroup.procs"
	defer "kill $HOST_SLEEP; sleep 0.2; rmdir '$d/svc' '$d' 2>/dev/null || true"
}

found_cgroup_intact() {
	[[ -d /sys/fs/cgroup$FOUND_CG/svc ]] || fail "$FOUND_CG/svc was removed"
	pid_alive "$HOST_SLEEP" || fail "the host's sleep in $FOUND_CG/svc was killed"
}

@test "v2: delete of a container in a found cgroup kills neither the host process in its child nor the cgroup" {
	found_cgroup "found-$BATS_TEST_NUMBER-$$"
	make_bundle
	update_config ".linux.cgroupsPath = \"$FOUND_CG\""
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	try delete --force "$CTR_ID"
	assert_success
	run pid_alive "$pid"
	assert_failure
	found_cgroup_intact
}

@test "v2: a create that fails in a found cgroup kills neither the host process in its child nor the cgroup" {
	found_cgroup "found-$BATS_TEST_NUMBER-$$"
	make_bundle
	update_config ".linux.cgroupsPath = \"$FOUND_CG\" | .mounts += [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/missing\", \"options\": [\"bind\"]}]"
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "$BATS_TEST_TMPDIR/missing"
	found_cgroup_intact
}
