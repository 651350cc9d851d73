#!/usr/bin/env bats
# systemd_cgroup.bats - --systemd-cgroup on a host without systemd (this lab
# host): create and run fail at once, naming systemd, and leave nothing;
# a container made with cgroupfs is still handled by every later verb
# given --systemd-cgroup, as runc follows what it recorded at create.
# With systemd, see tests/bats/sysvm/systemd-cgroup.bats (the systemd VM).

load helpers

setup() {
	common_setup
	[[ ! -d /run/systemd/system ]] || skip "systemd runs here: tests/bats/sysvm/systemd-cgroup.bats covers it"
}

teardown() { common_teardown; }

# nothing_left - no state dir, no unit cgroup, no process of this test.
nothing_left() {
	[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "state dir left: $STATE_ROOT/$CTR_ID"
	run compgen -G "/sys/fs/cgroup/*/system.slice/*$CTR_ID*"
	assert_failure
	run compgen -G "/sys/fs/cgroup/system.slice/*$CTR_ID*"
	assert_failure
	[[ -z $(pgrep -f "$BUNDLE" || true) ]] || fail "a process of the bundle is left"
}

@test "create --systemd-cgroup without systemd fails at once, naming systemd, and leaves nothing" {
	make_bundle
	update_config '.linux.cgroupsPath = "system.slice:test:'"$CTR_ID"'"'
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --regexp "systemd (is )?not running"
	nothing_left
}

@test "the default cgroupsPath with --systemd-cgroup fails the same way" {
	make_bundle
	update_config 'del(.linux.cgroupsPath)'
	try --systemd-cgroup run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --regexp "systemd (is )?not running"
	nothing_left
}

@test "a cgroupfs cgroupsPath with --systemd-cgroup is refused with runc's wording" {
	make_bundle
	update_config '.linux.cgroupsPath = "/ocirt-test/'"$CTR_ID"'"'
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	# runc's logrus escapes the quotes: compare without them.
	assert_output --partial 'expected cgroupsPath to be of format'
	assert_output --partial 'slice:prefix:name'
	assert_output --partial "for systemd cgroups, got "
	assert_output --partial "/ocirt-test/$CTR_ID"
	nothing_left
}

@test "later verbs given --systemd-cgroup follow a cgroupfs container's recorded driver" {
	make_bundle
	create_container
	ocirt --systemd-cgroup start "$CTR_ID"
	[[ $(ocirt --systemd-cgroup state "$CTR_ID" | jq -r .status) == running ]]
	ocirt --systemd-cgroup pause "$CTR_ID"
	[[ $(state_field "$CTR_ID" status) == paused ]]
	ocirt --systemd-cgroup resume "$CTR_ID"
	run ocirt --systemd-cgroup ps --format json "$CTR_ID"
	assert_success
	[[ $(jq length <<<"$output") -ge 1 ]]
	ocirt --systemd-cgroup update --pids-limit 50 "$CTR_ID"
	ocirt --systemd-cgroup delete --force "$CTR_ID"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	[[ -z $(cgroup_dirs_of_test) ]]
}
