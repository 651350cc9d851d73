#!/usr/bin/env bats
# smoke.bats - the test VM itself (tests/vm/, `make vmcheck`): cgroup v2
# only, controllers delegated, ocirt runs, and a container runs.
#
# Only meaningful inside the VM (OCIRT_IN_VM=1, set by tests/vm/vmcheck.sh);
# anywhere else every test is skipped.

load ../helpers

setup() {
	[[ ${OCIRT_IN_VM:-} == 1 ]] || skip "runs only inside the test VM (make vmcheck)"
	common_setup
	IN_VM=1
}

teardown() {
	[[ -n ${IN_VM:-} ]] || return 0
	common_teardown
}

@test "vm: /sys/fs/cgroup is cgroup2 and no cgroup v1 hierarchy is mounted" {
	run stat -f -c %T /sys/fs/cgroup
	assert_success
	assert_output cgroup2fs
	run grep -c ' cgroup ' /proc/mounts
	assert_output 0
}

@test "vm: the cgroup v2 controllers are available and enabled for children" {
	run cat /sys/fs/cgroup/cgroup.controllers
	assert_success
	for c in cpu cpuset io memory pids; do
		assert_output --regexp "(^| )$c( |\$)"
	done
	run cat /sys/fs/cgroup/cgroup.subtree_control
	for c in cpu memory pids; do
		assert_output --regexp "(^| )$c( |\$)"
	done
}

@test "vm: ocirt --version runs" {
	run "$OCIRT" --version
	assert_success
	assert_output --partial "ocirt version"
}

@test "vm: ocirt run of a busybox bundle prints hello" {
	[[ ${OCIRT_HOST_RUN_OK:-} == 1 ]] ||
		skip "ocirt run of a busybox bundle fails on the host too (not a VM problem)"
	make_bundle -- echo hello
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output hello
}
