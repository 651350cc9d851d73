#!/usr/bin/env bats
# systemd_user.bats - --systemd-cgroup run by an unprivileged user (runc:
# the user's own systemd, over its session bus) on a host without systemd
# (this lab host): create fails at once, naming systemd, and leaves nothing
# of the user's. With systemd, see tests/bats/sysvm/systemd-user.bats.

load helpers
load rootless_helpers

setup() {
	[[ ! -d /run/systemd/system ]] || skip "systemd runs here: tests/bats/sysvm/systemd-user.bats covers it"
	rl_setup
}

teardown() { rl_teardown; }

@test "rootless create --systemd-cgroup without systemd fails at once, naming systemd, and leaves nothing" {
	rl_bundle
	rl_config '.linux.cgroupsPath = "user.slice:test:'"rl-$$"'"'
	rl_id
	rl_try --systemd-cgroup create --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --regexp "systemd (is )?not running"
	rl_assert_clean "$id"
}

@test "rootless run --systemd-cgroup with the default cgroupsPath fails the same way" {
	rl_bundle
	rl_config 'del(.linux.cgroupsPath)'
	rl_id
	rl_try --systemd-cgroup run -d --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --regexp "systemd (is )?not running"
	rl_assert_clean "$id"
}
