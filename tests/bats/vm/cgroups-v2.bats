#!/usr/bin/env bats
# cgroups-v2.bats - linux.resources on cgroup v2: first what only v2 has
# (the BPF_CGROUP_DEVICE program replaced by update, linux.resources.unified),
# then the tests shared with the host's v1 suite ../cgroups.bats, whose
# bodies are in cgroup_tests.bash (device rules through the BPF program, OOM
# through memory.events, pids, update, pause, ps, events, v1->v2 conversions
# as the files show them). Those that do not depend on the cgroup version
# run on the host only.
#
# Only meaningful on a cgroup v2 host (the test VM: make vmcheck).

load ../helpers
load cgroup_helpers
load cgroup_tests

setup() {
	cgroup_v2 || skip "needs cgroup v2 (the test VM: make vmcheck)"
	common_setup
	V2=1
}

teardown() {
	[[ -n ${V2:-} ]] || return 0
	common_teardown
}

@test "v2: update --resources replaces the device program (allow, then deny again)" {
	cg_bundle 'mknod /tmp/fuse c 10 229; exec sleep 1000' "$MKNOD | $DENY_ALL"
	put_script /probe.sh '{ true </tmp/fuse && echo opened; } 2>&1'
	create_container
	ocirt start "$CTR_ID"
	for _ in $(seq 100); do [[ -e $BUNDLE/rootfs/tmp/fuse ]] && break; sleep 0.05; done
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --partial "Operation not permitted"

	run ocirt update -r - "$CTR_ID" <<<'{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]}'
	assert_success
	run ocirt exec "$CTR_ID" /probe.sh
	refute_output --partial "Operation not permitted"

	run ocirt update -r - "$CTR_ID" <<<"{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"
	assert_success
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --partial "Operation not permitted"
}

@test "v2: linux.resources.unified is written verbatim, after the converted values" {
	cg_bundle 'exec sleep 1000' '.linux.resources.pids = {"limit": 50}
		| .linux.resources.unified = {"memory.high": "50331648", "pids.max": "7"}'
	create_container
	assert_equal "$(cgroup_read memory memory.high)" 50331648
	assert_equal "$(cgroup_read pids pids.max)" 7
}

@test "v2: an unknown unified key names the key and the file" {
	ocirt_only "the error wording is ocirt's"
	cg_bundle 'exec sleep 1000' '.linux.resources.unified = {"nosuch.file": "1"}'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial 'linux.resources.unified["nosuch.file"]'
	assert_output --partial "nosuch.file\" does not exist"
}

@test "v2: memory, cpu, cpuset and pids limits are written to the cgroup files" {
	t_limits_written
}

@test "v2: memory swap and swappiness are applied where the kernel has them" {
	t_swap_swappiness
}

@test "v2: update --memory -1 without --memory-swap lifts both limits, as runc; a later --memory keeps the swap unlimited" {
	t_update_memory_unlimited
}

@test "v2: blkio throttling is applied to a device of this machine; weight needs BFQ" {
	t_blkio
}

@test "v2: hugepage limits are applied where the hugetlb controller is available" {
	t_hugetlb
}

@test "v2: a device outside the allowed list cannot be opened, the standard ones can; an allow rule opens it" {
	t_devices_allowed_list
}

@test "v2: the standard devices win over an earlier deny of one of them, as in runc" {
	t_std_devices_win
}

@test "v2: two allow rules for one device, r then w, add up to rw, as on v1" {
	t_devices_r_then_w
}

@test "v2: update with an empty device list keeps the device rules in force, as on v1" {
	t_update_empty_devices_keeps_rules
}

@test "v2: update's device rules apply on top of those in force: one device opens, no other, and a deny closes it" {
	t_update_devices_adds_to_rules
}

@test "v2: the memory limit OOM-kills a hog: exit 137, an oom event, and the container stops" {
	t_oom
}

@test "v2: pids.max stops a fork bomb: some of 50 background sleeps cannot fork" {
	t_pids_fork_bomb
}

@test "v2: update changes live limits, and a later update keeps the earlier values" {
	t_update_live
}

@test "v2: update names the field and the file of a value the host cannot apply" {
	t_update_error
}

@test "v2: pause freezes the processes, state and list show paused, resume thaws them" {
	t_pause
}

@test "v2: ps lists exactly the container's processes" {
	t_ps
}

@test "v2: events --stats prints one stats object with memory usage and pids" {
	t_events_stats
}

@test "v2: events --stats has runc's parts in runc's order, and cpuset the container's cpus and mems" {
	t_events_cpuset
}

# The init and an exec'd process start in the container's cgroup: clone3
# with CLONE_INTO_CGROUP, and no pid is ever written to a cgroup.procs.
# strace -f waits for every process it follows, so what it runs must end:
# a foreground `run` of a short container, and an exec into a running one.
@test "v2: the init and exec'd processes are cloned into the cgroup, never moved" {
	ocirt_only "it checks ocirt's own syscalls"
	command -v strace >/dev/null || skip "strace is not in the VM"
	cg_bundle 'true'
	strace -f -qq -y -e trace=clone3,write -o "$BATS_TEST_TMPDIR/run.trace" \
		"$OCIRT" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CTR_ID"
	put_script /ocirt-test.sh 'exec sleep 1000'
	start_container
	strace -f -qq -y -e trace=clone3,write -o "$BATS_TEST_TMPDIR/exec.trace" \
		"$OCIRT" --root "$STATE_ROOT" exec "$CTR_ID" true
	for t in run exec; do
		run grep -c 'clone3(.*CLONE_INTO_CGROUP' "$BATS_TEST_TMPDIR/$t.trace"
		assert_output 1
		run grep 'cgroup.procs>' "$BATS_TEST_TMPDIR/$t.trace"
		assert_failure
	done
	pid=$(state_field "$CTR_ID" pid)
	assert_equal "$(cut -d: -f3 "/proc/$pid/cgroup")" "$CGROUP_PARENT/$CTR_ID"
}

@test "v2: rdma limits are applied, or refused naming the field, leaving nothing behind" {
	t_rdma
}

@test "v2: delete leaves no cgroup directory in any hierarchy" {
	t_delete_no_cgroup
}

# runc's exec --cgroup on v2: the one hierarchy, a sub-cgroup of the
# container's that must exist, and nothing outside the container's cgroup.
@test "v2: exec --cgroup sub runs the process in that sub-cgroup; ../x is not a sub cgroup path" {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	local cg=/sys/fs/cgroup$CGROUP_PARENT/$CTR_ID
	mkdir "$cg/sub"
	run ocirt exec --cgroup sub "$CTR_ID" cat /proc/self/cgroup
	# The process has gone: the sub-cgroup goes before any assertion.
	rmdir "$cg/sub"
	assert_success
	assert_output "0::$CGROUP_PARENT/$CTR_ID/sub"

	try exec --cgroup ../x "$CTR_ID" true
	assert_failure
	assert_output --partial '../x is not a sub cgroup path'
	try exec --cgroup nosuch "$CTR_ID" true
	assert_failure 255
}
