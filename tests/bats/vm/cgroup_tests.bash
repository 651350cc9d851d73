# cgroup_tests.bash - the bodies of the tests that hold on cgroup v1 and v2
# alike: tests/bats/cgroups.bats (the host, v1) and tests/bats/vm/cgroups-v2.bats
# (the VM, v2) each list the ones they run, so one body proves both. Each
# function is one test, run between common_setup and common_teardown, with
# the container at $CGROUP_PARENT/$CTR_ID. It sits in vm/ because
# tests/vm/vmcheck.sh copies that directory into the VM whole.

# start_container [ID] - create and start from $BUNDLE.
start_container() {
	create_container "$@"
	ocirt start "${1:-$CTR_ID}"
}

# events_ends PID - the `events` stream PID ends by itself once its
# container stopped (ocirt; runc's keeps running until killed).
events_ends() {
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if ! is_ocirt; then
		kill "$1" 2>/dev/null || true
		return 0
	fi
	run kill -0 "$1"
	assert_failure
}

# memory, cpu, cpuset and pids limits are written to the cgroup files
t_limits_written() {
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}
		| .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"}
		| .linux.resources.pids = {"limit": 42}'
	start_container
	assert_equal "$(cat "$(cg memory.limit)")" 67108864
	assert_equal "$(cat "$(cg memory.reservation)")" 33554432
	assert_equal "$(cat "$(cg pids.max)")" 42
	assert_equal "$(cat "$(cg cpuset.cpus)")" 0
	assert_equal "$(cat "$(cg cpuset.mems)")" 0
	if cgroup_v2; then
		assert_equal "$(cat "$(cg cpu.quota)")" "20000 100000"
		# runc's linear shares -> weight: 1 + (512 - 2) * 9999 / 262142
		assert_equal "$(cat "$(cg cpu.shares)")" 20
	else
		assert_equal "$(cat "$(cg cpu.quota)")" 20000
		assert_equal "$(cat "$(cg cpu.period)")" 100000
		assert_equal "$(cat "$(cg cpu.shares)")" 512
	fi
	# Inside: the cpuset is what sched_getaffinity reports.
	run ocirt exec "$CTR_ID" nproc
	assert_success
	assert_output 1
}

# memory swap and swappiness are applied where the kernel has them
t_swap_swappiness() {
	if cgroup_v2; then
		cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864}'
	else
		cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864, "swappiness": 10}'
	fi
	start_container
	cgroup_v2 || assert_equal "$(cgroup_read memory memory.swappiness)" 10
	[[ -e $(cg memory.swap) ]] || skip "swappiness checked; no swap accounting in this kernel ($(cg memory.swap) missing)"
	# Swap is memory+swap in the config; v2's memory.swap.max is swap alone.
	run ocirt update -r - "$CTR_ID" <<<'{"memory": {"limit": 67108864, "swap": 100663296}}'
	assert_success
	if cgroup_v2; then
		assert_equal "$(cat "$(cg memory.swap)")" 33554432
	else
		assert_equal "$(cat "$(cg memory.swap)")" 100663296
	fi
}

# update --memory -1 without --memory-swap lifts the memory+swap limit too,
# as in runc; on v1 the kernel refused the old memsw below the new limit.
# A later update of the memory alone leaves the swap unlimited.
t_update_memory_unlimited() {
	local max=9223372036854771712
	cgroup_v2 && max=max
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 33554432}'
	start_container
	[[ -e $(cg memory.swap) ]] || skip "no swap accounting in this kernel ($(cg memory.swap) missing)"
	run ocirt update --memory 52428800 --memory-swap 96468992 "$CTR_ID"
	assert_success
	run ocirt update --memory -1 "$CTR_ID"
	assert_success
	assert_equal "$(cat "$(cg memory.limit)")" "$max"
	assert_equal "$(cat "$(cg memory.swap)")" "$max"
	run ocirt update --memory 67108864 "$CTR_ID"
	assert_success
	assert_equal "$(cat "$(cg memory.limit)")" 67108864
	assert_equal "$(cat "$(cg memory.swap)")" "$max"
}

# blkio throttling is applied to a device of this machine; weight needs BFQ
t_blkio() {
	dev=$(a_block_device)
	[[ -n $dev ]] || skip "no block device on this machine"
	cg_bundle 'exec sleep 1000' ".linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": ${dev%:*}, \"minor\": ${dev#*:}, \"rate\": 1048576}]}"
	start_container
	if cgroup_v2; then
		run cgroup_read io io.max
		assert_output --partial "$dev rbps=1048576"
	else
		run cgroup_read blkio blkio.throttle.read_bps_device
		assert_output "$dev 1048576"
	fi
	dir=$(cgroup_dir blkio)
	[[ -e $dir/blkio.weight || -e $dir/blkio.bfq.weight || -e $dir/io.bfq.weight || -e $dir/io.weight ]] ||
		skip "throttle checked; blkio weight: no weight file here (needs the BFQ scheduler)"
}

# hugepage limits are applied where the hugetlb controller is available
t_hugetlb() {
	grep -qw hugetlb /proc/cgroups || skip "this kernel has no hugetlb cgroup controller"
	[[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]] || skip "no 2MB huge pages on this machine"
	[[ -d /sys/fs/cgroup/hugetlb ]] || cgroup_v2 || is_ocirt ||
		skip "hugetlb is only on the hybrid cgroup2 mount here, which $RUNTIME_NAME does not use for it"
	cg_bundle 'exec sleep 1000' '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	start_container
	if [[ -d /sys/fs/cgroup/hugetlb ]]; then
		assert_equal "$(cgroup_read hugetlb hugetlb.2MB.limit_in_bytes)" 4194304
	elif cgroup_v2; then
		assert_equal "$(cgroup_read hugetlb hugetlb.2MB.max)" 4194304
	else
		# Hybrid: hugetlb only on the cgroup2 mount.
		assert_equal "$(cat "/sys/fs/cgroup/unified$CGROUP_PARENT/$CTR_ID/hugetlb.2MB.max")" 4194304
	fi
}

# a device outside the allowed list cannot be opened, the standard ones can; an allow rule opens it
t_devices_allowed_list() {
	# The spec's "deny all" plus the standard devices: /dev/fuse is not one
	# (v1: the devices controller; v2: the BPF program).
	cg_bundle "$DEVICE_PROBE" "$MKNOD | $DENY_ALL"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_output --regexp "can't open.*Operation not permitted"
	refute_output --partial opened
	assert_output --partial full=3
	assert_output --partial null-ok

	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
	try run --bundle "$BUNDLE" "$CTR_ID-2"
	refute_output --partial "Operation not permitted"
	assert_output --partial null-ok
}

# the standard devices win over an earlier deny of one of them, as in runc
t_std_devices_win() {
	# runc appends its default devices (/dev/full among them) after the
	# config's rules, so they win over an earlier deny; ocirt does the same.
	cg_bundle 'echo full=$(head -c 3 /dev/full | wc -c)' \
		"$DENY_ALL | .linux.resources.devices += [{\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 7, \"access\": \"rwm\"}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --partial full=3
}

# two allow rules for one device, r then w, add up to rw, as on v1
t_devices_r_then_w() {
	# v1 keeps one exception per device and adds each rule's access to it;
	# v2's program must allow the same. 10:230, allowed by no rule, shows
	# that the probe does see a refusal.
	cg_bundle 'mknod /tmp/fuse c 10 229 && mknod /tmp/other c 10 230 || exit 1
{ true <>/tmp/fuse && echo fuse-opened; } 2>&1
{ true <>/tmp/other && echo other-opened; } 2>&1' \
		"$MKNOD | $DENY_ALL | .linux.resources.devices += [
			{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"r\"},
			{\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"w\"}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_output --regexp "/tmp/other: Operation not permitted"
	refute_output --regexp "/tmp/fuse: Operation not permitted"
}

# update with an empty device list keeps the device rules in force
t_update_empty_devices_keeps_rules() {
	# An empty list writes nothing to devices.allow/deny on v1, so the rules
	# of create stay; v2 keeps its program the same way (runc's update
	# never changes the device rules at all).
	cg_bundle 'mknod /tmp/fuse c 10 229; exec sleep 1000' "$MKNOD | $DENY_ALL"
	put_script /probe.sh '{ true </tmp/fuse && echo opened; } 2>&1'
	start_container
	for _ in $(seq 100); do [[ -e $BUNDLE/rootfs/tmp/fuse ]] && break; sleep 0.05; done
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --partial "Operation not permitted"

	run ocirt update -r - "$CTR_ID" <<<'{"devices": []}'
	assert_success
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --partial "Operation not permitted"
	run ocirt exec "$CTR_ID" sh -c 'echo x >/dev/null && echo null-ok'
	assert_output null-ok
}

# update's device rules apply on top of those in force, as v1's devices
# controller has it: an allow opens one device and no other, and a later
# deny closes it again
t_update_devices_adds_to_rules() {
	# On v2 the program is rebuilt from the whole history of rules; built
	# from the update's rules alone, it would start from allow-all and open
	# every device (10:230 below).
	cg_bundle 'mknod /tmp/fuse c 10 229 && mknod /tmp/other c 10 230; exec sleep 1000' "$MKNOD | $DENY_ALL"
	put_script /probe.sh '{ true <>/tmp/fuse && echo fuse-opened; } 2>&1
{ true <>/tmp/other && echo other-opened; } 2>&1
echo x >/dev/null && echo null-ok'
	start_container
	for _ in $(seq 100); do [[ -e $BUNDLE/rootfs/tmp/other ]] && break; sleep 0.05; done
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --regexp "/tmp/fuse: Operation not permitted"
	assert_output --regexp "/tmp/other: Operation not permitted"

	run ocirt update -r - "$CTR_ID" <<<'{"devices": [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]}'
	assert_success
	run ocirt exec "$CTR_ID" /probe.sh
	refute_output --regexp "/tmp/fuse: Operation not permitted"
	assert_output --regexp "/tmp/other: Operation not permitted"
	assert_line null-ok

	run ocirt update -r - "$CTR_ID" <<<'{"devices": [{"allow": false, "type": "c", "major": 10, "minor": 229, "access": "w"}]}'
	assert_success
	run ocirt exec "$CTR_ID" /probe.sh
	assert_output --regexp "/tmp/fuse: Operation not permitted"
	assert_output --regexp "/tmp/other: Operation not permitted"
	assert_line null-ok
	run ocirt exec "$CTR_ID" sh -c '{ true </tmp/fuse && echo fuse-read; } 2>&1'
	refute_output --regexp "Operation not permitted"
}

# the memory limit OOM-kills a hog: exit 137, an oom event, and the container stops
t_oom() {
	# With swap on, memory+swap must be limited too or the hog swaps.
	swap=
	(($(wc -l </proc/swaps) > 1)) && swap=', "swap": 33554432'
	cg_bundle 'sleep 1; exec memory_hog 4 10' ".linux.resources.memory = {\"limit\": 33554432$swap}"
	memory_hog_into_rootfs
	create_container
	ocirt events --interval 30s "$CTR_ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	sleep 0.3
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped 60
	events_ends "$ev"
	run cat "$BATS_TEST_TMPDIR/events"
	assert_output --partial "{\"type\":\"oom\",\"id\":\"$CTR_ID\"}"
	if cgroup_v2; then
		run grep -E '^oom_kill [1-9]' "$(cgroup_file memory memory.events)"
	else
		run grep -E '^oom_kill [1-9]' "$(cgroup_file memory memory.oom_control)"
	fi
	assert_success

	# And run in the foreground reports the kill as 128+9.
	try run --bundle "$BUNDLE" "$CTR_ID-2"
	assert_equal "$status" 137
}

# pids.max stops a fork bomb: some of 50 background sleeps cannot fork
t_pids_fork_bomb() {
	# busybox sh exits at the first failed fork: the bomb runs in a child
	# shell, whose sleeps stay in the container after it died.
	cg_bundle 'sh -c "for i in \$(seq 50); do sleep 100 & done" >/tmp/out 2>&1
echo started >>/tmp/out
exec sleep 1000' '.linux.resources.pids = {"limit": 20}'
	start_container
	for _ in $(seq 100); do grep -qs started "$BUNDLE/rootfs/tmp/out" && break; sleep 0.1; done
	run cat "$BUNDLE/rootfs/tmp/out"
	assert_output --partial "can't fork"
	current=$(cgroup_read pids pids.current)
	((current <= 20))
	((current >= 10))
}

# update changes live limits, and a later update keeps the earlier values
t_update_live() {
	cg_bundle 'exec sleep 1000' '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}'
	start_container
	run ocirt update --memory 128m --pids-limit 30 "$CTR_ID"
	assert_success
	assert_equal "$(cat "$(cg memory.limit)")" 134217728
	assert_equal "$(cat "$(cg pids.max)")" 30

	run ocirt update --cpu-quota 30000 --cpu-period 100000 "$CTR_ID"
	assert_success
	if cgroup_v2; then
		assert_equal "$(cat "$(cg cpu.quota)")" "30000 100000"
	else
		assert_equal "$(cat "$(cg cpu.quota)")" 30000
	fi
	# The earlier values are still there, in the files and in events.
	assert_equal "$(cat "$(cg memory.limit)")" 134217728
	run ocirt events --stats "$CTR_ID"
	assert_success
	assert_equal "$(jq -r .data.memory.usage.limit <<<"$output")" 134217728
	assert_equal "$(jq -r .data.pids.limit <<<"$output")" 30

	# --resources from stdin; the other flags are then ignored, as in runc.
	run ocirt update -r - --pids-limit 99 "$CTR_ID" <<<'{"pids": {"limit": 25}}'
	assert_success
	assert_equal "$(cat "$(cg pids.max)")" 25
}

# update of a stopped container fails with container not running
t_update_stopped() {
	cg_bundle 'true'
	start_container
	wait_for_status "$CTR_ID" stopped
	run ocirt update --memory 64m "$CTR_ID"
	assert_failure
	assert_output --partial "not running"
}

# update names the field and the file of a value the host cannot apply
t_update_error() {
	ocirt_only "the error wording is ocirt's"
	cg_bundle 'exec sleep 1000'
	start_container
	run ocirt update --cpuset-cpus 4095 "$CTR_ID"
	assert_failure
	assert_output --partial "linux.resources.cpu.cpus"
	assert_output --partial "cpuset.cpus"
	run ocirt update --memory lots "$CTR_ID"
	assert_failure
	assert_output --partial 'memory: invalid size "lots"'
}

# rdma limits reach rdma.max, or fail naming the field, and leave nothing
# behind. Neither machine has an RDMA device; so where the controller
# exists (the VM's v2) the kernel parses the line and then answers ENODEV
# for the unknown device (a malformed line would be EINVAL), and where it
# does not (this host's v1) the create is refused before any process runs.
t_rdma() {
	ocirt_only "the error wording is ocirt's"
	cg_bundle 'exec sleep 1000' '.linux.resources.rdma = {"ocirt_no_hca": {"hcaHandles": 3, "hcaObjects": 100}}'
	run ocirt create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	if grep -qw rdma /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		assert_output --regexp 'linux\.resources\.rdma: write "ocirt_no_hca hca_handle=3 hca_object=100" to "[^"]*/rdma\.max": no such device'
	elif [[ ! -d /sys/fs/cgroup/rdma ]]; then
		assert_output --partial "linux.resources.rdma: the rdma cgroup controller is not mounted on this host"
	else
		assert_output --partial "linux.resources.rdma"
	fi
	run ocirt state "$CTR_ID"
	assert_failure
	assert_equal "$(cgroup_leftovers "$CTR_ID")" ""
}

# pause freezes the processes, state and list show paused, resume thaws them
t_pause() {
	# Renamed into place, so that the host never reads a half-written file
	# (a freeze can stop the writer between truncate and write).
	cg_bundle 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.t; mv /tmp/count.t /tmp/count; sleep 0.05; done'
	start_container
	wait_for_file "$BUNDLE/rootfs/tmp/count" 30
	run ocirt pause "$CTR_ID"
	assert_success
	run state_field "$CTR_ID" status
	assert_output paused
	run ocirt list
	assert_output --regexp "$CTR_ID +[0-9]+ +paused"
	sleep 0.2
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.6
	assert_equal "$(cat "$BUNDLE/rootfs/tmp/count")" "$a"

	run ocirt resume "$CTR_ID"
	assert_success
	run state_field "$CTR_ID" status
	assert_output running
	for _ in $(seq 100); do (($(cat "$BUNDLE/rootfs/tmp/count") > a)) && break; sleep 0.05; done
	(($(cat "$BUNDLE/rootfs/tmp/count") > a))
}

# ps lists exactly the container's processes
t_ps() {
	cg_bundle 'sleep 1000 & sleep 1000 & wait'
	start_container
	for _ in $(seq 100); do
		[[ $(wc -w <"$(cgroup_file pids cgroup.procs)") -ge 3 ]] && break
		sleep 0.05
	done
	run ocirt ps --format json "$CTR_ID"
	assert_success
	assert_equal "$(jq -c 'sort' <<<"$output")" "$(sort -n "$(cgroup_file pids cgroup.procs)" | jq -sc .)"
	assert_equal "$(jq length <<<"$output")" 3
	init=$(state_field "$CTR_ID" pid)
	assert_equal "$(jq "index($init) != null" <<<"$output")" true
}

# events --stats prints one stats object with memory usage and pids
t_events_stats() {
	cg_bundle 'exec sleep 1000' '.linux.resources.pids = {"limit": 64}'
	start_container
	run ocirt events --stats "$CTR_ID"
	assert_success
	assert_equal "${#lines[@]}" 1
	# One jq run for every check (jq is slow in the VM).
	run jq -r '[.type, .id, (.data.memory.usage.usage > 0), (.data.pids.current >= 1),
		.data.pids.limit, (.data.cpu.usage.total > 0), (.data.cpu.usage.percpu | type),
		(.data.memory.raw | type)] | join(" ")' <<<"$output"
	assert_success
	assert_output "stats $CTR_ID true true 64 true array object"
}

# events --stats has runc's parts in runc's order (types.Stats), and its
# cpuset the cpus and mems the container may use (v2: the effective sets)
t_events_cpuset() {
	cg_bundle 'exec sleep 1000' '.linux.resources.cpu = {"cpus": "0", "mems": "0"}'
	start_container
	run ocirt events --stats "$CTR_ID"
	assert_success
	run jq -c '.data | [keys_unsorted, .cpuset.cpus, .cpuset.mems, .intel_rdt, .network_interfaces]' <<<"$output"
	assert_output '[["cpu","cpuset","memory","pids","blkio","hugetlb","intel_rdt","network_interfaces"],[0],[0],{},null]'
}

# events streams stats every interval and ends when the container stops
t_events_stream() {
	cg_bundle 'exec sleep 1000'
	start_container
	ocirt events --interval 300ms "$CTR_ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	sleep 1.5
	ocirt kill "$CTR_ID" KILL
	events_ends "$ev"
	n=$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/events")
	((n >= 2))
	jq -e . "$BATS_TEST_TMPDIR/events" >/dev/null
}

# events rejects a malformed --interval
t_events_bad_interval() {
	cg_bundle 'exec sleep 1000'
	start_container
	run ocirt events --interval 5 "$CTR_ID"
	assert_failure
	run ocirt events --interval fast "$CTR_ID"
	assert_failure
}

# delete leaves no cgroup directory in any hierarchy
t_delete_no_cgroup() {
	cg_bundle 'exec sleep 1000'
	start_container
	[[ -n $(cgroup_leftovers "$CTR_ID") ]]
	run ocirt delete --force "$CTR_ID"
	assert_success
	assert_equal "$(cgroup_leftovers "$CTR_ID")" ""
}
