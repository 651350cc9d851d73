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

# runc's words ("invalid configuration"), which its own tests look for;
# ocirt names the field too.
@test "linux.resources.unified on cgroup v1 is refused: invalid configuration, and nothing is left" {
	cgroup_v2 && skip "a cgroup v1 or hybrid host"
	make_bundle
	update_config '.linux.resources.unified = {"pids.max": "10"}'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial 'invalid configuration: cannot use unified on cgroup v1'
	run cgroup_leftovers "$CTR_ID"
	assert_output ''
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "update --memory -1 without --memory-swap lifts both limits, as runc; a later --memory keeps the swap unlimited" {
	t_update_memory_unlimited
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

@test "events --stats has runc's parts in runc's order, and cpuset the container's cpus and mems" {
	t_events_cpuset
}

@test "events streams stats every interval and ends when the container stops" {
	t_events_stream
}

@test "events of a stopped container fails in runc's words" {
	make_bundle -- true
	create_container
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	try events --stats "$CTR_ID"
	assert_failure
	assert_output --partial "container with id $CTR_ID is not running"
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

# Docker 20.10 sends "blockIO": {"weight": 0} with every container. runc
# treats a weight (and leafWeight) of 0 as unset and writes no file, so the
# container starts also where no weight file exists (no BFQ, as here).
@test "a blockIO weight and leafWeight of 0 are unset, as in runc: the container runs" {
	dev=$(a_block_device)
	[[ -n $dev ]] || dev=7:0
	cg_bundle 'echo started' ".linux.resources.blockIO = {\"weight\": 0, \"leafWeight\": 0,
		\"weightDevice\": [{\"major\": ${dev%:*}, \"minor\": ${dev#*:}, \"weight\": 0, \"leafWeight\": 0}]}"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output started
}

# runc >= 1.0 ignores memory.kernel and memory.kernelTCP (Linux 5.16 made
# kernel memory limits no-ops) with one warning, on create and on update;
# `docker update` sends memory.kernel. On stderr each runtime prints the
# warning in its own style; in the --log-format json log both write the
# same object.
KMEM_WARNING='warn.*Kernel memory settings are ignored and will be removed'
KMEM_JSON='select(.level == "warning" and .msg == "Kernel memory settings are ignored and will be removed")'

@test "memory.kernel and kernelTCP are ignored with runc's warning on create; nothing is written" {
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864, "kernel": 33554432, "kernelTCP": 16777216}'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --regexp "$KMEM_WARNING"
	assert_equal "$(cat "$(cg memory.limit)")" 67108864
	if ! cgroup_v2; then
		dir=$(cgroup_dir memory)
		for f in memory.kmem.limit_in_bytes memory.kmem.tcp.limit_in_bytes; do
			[[ -e $dir/$f ]] || continue
			run cat "$dir/$f"
			refute_output 33554432
			refute_output 16777216
		done
	fi
	run ocirt start "$CTR_ID"
	assert_success
}

@test "update's --kernel-memory and a resources file with memory.kernel are ignored with runc's warning; the rest applies" {
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864}'
	start_container
	run ocirt update --memory 134217728 --kernel-memory 52428800 --kernel-memory-tcp 10485760 "$CTR_ID"
	assert_success
	assert_output --regexp "$KMEM_WARNING"
	assert_equal "$(cat "$(cg memory.limit)")" 134217728
	log=$BATS_TEST_TMPDIR/log.json
	run ocirt --log "$log" --log-format json update -r - "$CTR_ID" <<<'{"memory": {"limit": 100663296, "kernel": 52428800}}'
	assert_success
	run jq -c "$KMEM_JSON" "$log"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(cat "$(cg memory.limit)")" 100663296
	# An update without them warns about nothing.
	run ocirt update --memory 67108864 "$CTR_ID"
	assert_success
	refute_output --partial warning
	assert_equal "$(cat "$(cg memory.limit)")" 67108864
}

# `docker update --cpus 0.5` sends every memory and cpu value it does not
# change as 0; runc reads 0 as "leave as is". A write of 0 to the memory
# limit would be refused (EBUSY) while the container uses memory.
@test "update as docker sends it: a memory limit, reservation, kernel, cpu value or weight of 0 leaves that setting alone, without a warning" {
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}'
	start_container
	run ocirt update -r - "$CTR_ID" <<<'{"memory": {"limit": 0, "reservation": 0, "kernel": 0},
		"cpu": {"shares": 0, "quota": 50000, "period": 100000}, "blockIO": {"weight": 0}}'
	assert_success
	refute_output --partial warning
	assert_equal "$(cat "$(cg memory.limit)")" 67108864
	assert_equal "$(cat "$(cg memory.reservation)")" 33554432
	if cgroup_v2; then
		assert_equal "$(cat "$(cg cpu.quota)")" "50000 100000"
	else
		assert_equal "$(cat "$(cg cpu.quota)")" 50000
	fi
	run ocirt update -r - "$CTR_ID" <<<'{"memory": {"limit": 100663296, "reservation": 0, "kernel": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0}}'
	assert_success
	assert_equal "$(cat "$(cg memory.limit)")" 100663296
	assert_equal "$(cat "$(cg memory.reservation)")" 33554432
}
