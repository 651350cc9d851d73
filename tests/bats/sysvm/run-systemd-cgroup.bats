#!/usr/bin/env bats
# run-systemd-cgroup.bats (systemd VM) - the runtime under test, alone, with
# the systemd cgroup driver as runc has it: `--systemd-cgroup` and a
# cgroupsPath "slice:prefix:name" give the container a transient unit
# prefix-name.scope in that slice, which systemctl shows with the
# container's process; delete stops the unit.

load sysvm_helpers
bats_require_minimum_version 1.5.0

setup() {
	sysvm_require
	common_setup
	UNIT=sysvm-$CTR_ID.scope
}

teardown() {
	local leaks=()
	common_teardown || leaks+=("(common teardown failed)")
	if unit_left "$UNIT"; then
		leaks+=("unit left: $UNIT")
		systemctl stop "$UNIT" >/dev/null 2>&1 || true
	fi
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

@test "run --systemd-cgroup: the container's scope shows in systemctl status with its process; delete stops it" {
	make_bundle -- sleep 1000
	update_config ".linux.cgroupsPath = \"system.slice:sysvm:$CTR_ID\""
	try --systemd-cgroup run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	local pid
	pid=$(ocirt state "$CTR_ID" | jq -r .pid)
	[[ $pid =~ ^[1-9][0-9]*$ ]] || fail "no pid in state: $pid"
	run systemctl status --no-pager "$UNIT"
	assert_success
	assert_line --regexp '^ +Active: active \(running\)'
	assert_output --regexp "$pid sleep 1000"
	run cat "/proc/$pid/cgroup"
	assert_output "0::/system.slice/$UNIT"
	run systemctl show -P Delegate "$UNIT"
	assert_output yes
	try --systemd-cgroup delete --force "$CTR_ID"
	assert_success
	unit_left "$UNIT" && fail "$UNIT still active after delete"
	return 0
}
