#!/usr/bin/env bats
# monitor.bats - on a host without /dev/container_monitor (this one cannot
# load modules), memory limits are enforced by cgroups alone, and --debug
# says that this is the path taken. tests/bats/vm/monitor.bats covers the
# module.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "without the monitor device, --debug says cgroups alone enforce the memory limits, and they do" {
	ocirt_only "the memory monitor is ocirt's"
	[[ ! -e /dev/container_monitor ]] || skip "this host has the monitor device"
	make_bundle -- sleep 100
	update_config '.linux.resources.memory = {limit: 67108864, reservation: 33554432}'
	# try, not run: like runc's, a detached container's output goes to the
	# caller's stdout, and a $(...) pipe would wait for the container.
	try --debug run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --partial "memory limits are enforced by cgroups alone"
	local pid cg
	pid=$(ocirt state "$CTR_ID" | jq -r .pid)
	cg=$(awk -F: '$2 == "memory" {print $3}' "/proc/$pid/cgroup")
	assert_equal "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "/sys/fs/cgroup/memory$cg/memory.soft_limit_in_bytes")" 33554432
}

@test "a monitor annotation that is not a number of bytes is refused at create" {
	ocirt_only "the memory monitor is ocirt's"
	make_bundle -- true
	update_config '.annotations["org.ocirt.monitor.hard"] = "lots"'
	run ocirt create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial 'org.ocirt.monitor.hard'
}
