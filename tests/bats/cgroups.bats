#!/usr/bin/env bats
# cgroups.bats - linux.resources as the container and the host's cgroup
# files see them, plus update, events, pause, ps and delete, on this host's
# cgroup v1 (legacy or hybrid). The bodies are shared with the VM's v2 suite
# (vm/cgroup_tests.bash); v2-only behaviour is in vm/cgroups-v2.bats. Four
# tests (the standard devices' order, update of a stopped container, the
# events stream, --interval parsing) do not depend on the cgroup version and
# are listed here only.

load helpers
load vm/cgroup_helpers
load vm/cgroup_tests

setup() { common_setup; }
teardown() { common_teardown; }

@test "memory, cpu, cpuset and pids limits are written to the cgroup files" {
	t_limits_written
}

@test "memory swap and swappiness are applied where the kernel has them" {
	t_swap_swappiness
}

@test "blkio throttling is applied to a device of this machine; weight needs BFQ" {
	t_blkio
}

@test "hugepage limits are applied where the hugetlb controller is available" {
	t_hugetlb
}

@test "a device outside the allowed list cannot be opened, the standard ones can; an allow rule opens it" {
	t_devices_allowed_list
}

@test "the standard devices win over an earlier deny of one of them, as in runc" {
	t_std_devices_win
}

@test "two allow rules for one device, r then w, add up to rw" {
	t_devices_r_then_w
}

@test "update with an empty device list keeps the device rules in force" {
	t_update_empty_devices_keeps_rules
}

@test "update's device rules apply on top of those in force: one device opens, no other, and a deny closes it" {
	t_update_devices_adds_to_rules
}

@test "the memory limit OOM-kills a hog: exit 137, an oom event, and the container stops" {
	t_oom
}

@test "pids.max stops a fork bomb: some of 50 background sleeps cannot fork" {
	t_pids_fork_bomb
}

@test "update changes live limits, and a later update keeps the earlier values" {
	t_update_live
}

@test "update of a stopped container fails with container not running" {
	t_update_stopped
}

@test "update names the field and the file of a value the host cannot apply" {
	t_update_error
}

@test "pause freezes the processes, state and list show paused, resume thaws them" {
	t_pause
}

@test "ps lists exactly the container's processes" {
	t_ps
}

@test "events --stats prints one stats object with memory usage and pids" {
	t_events_stats
}

@test "events streams stats every interval and ends when the container stops" {
	t_events_stream
}

@test "events rejects a malformed --interval" {
	t_events_bad_interval
}

@test "rdma limits are applied, or refused naming the field, leaving nothing behind" {
	t_rdma
}

@test "delete leaves no cgroup directory in any hierarchy" {
	t_delete_no_cgroup
}
