#!/usr/bin/env bats
# checkpoint.bats (systemd VM) - checkpoint and restore through criu on
# Debian 12's own kernel (6.1), where criu can dump (on the 6.18 host it
# cannot: see tests/bats/checkpoint.bats). Not in the initramfs VM: there
# criu's network lock (iptables-restore with xt_mark, as runc's criu uses
# it) failed even with criu, iptables-nft and the nf_tables, nft_compat,
# xt_mark and *_diag modules added.
#
# The container is a counter: a shell that keeps its count in a variable,
# i.e. in memory, and writes it to /count each tick. A restored counter goes
# on from where it was dumped; a restarted one would begin again at 1.
#
#   /work/wt/sysvm/tests/vm/sysvm.sh --share $PWD --cmd 'bats tests/bats/sysvm/checkpoint.bats'
#   (OCIRT_TEST_RUNTIME=runc in front of bats for runc)

load ../helpers

setup() {
	[[ -d /run/systemd/system ]] || skip "runs only inside the systemd VM (tests/vm/sysvm.sh)"
	command -v criu >/dev/null || skip "criu is not in the VM"
	common_setup
	IN_VM=1
	IMG="$BATS_TEST_TMPDIR/img"
	COUNTER='i=0; while :; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; echo tick $i; sleep 0.2; done'
}

teardown() {
	[[ -n ${IN_VM:-} ]] || return 0
	criu_errors
	common_teardown
}

# criu_errors - criu's error lines from every log of this test (shown when
# a test fails, as bats prints what a test wrote).
criu_errors() {
	grep -h "Error" "$BATS_TEST_TMPDIR"/*/*.log 2>/dev/null | head -20 || true
}

# count [BUNDLE] - the counter's last value (0 before its first tick).
count() {
	cat "${1:-$BUNDLE}/rootfs/count" 2>/dev/null || echo 0
}

# wait_count_above N [BUNDLE] - poll until the counter is past N.
wait_count_above() {
	local n=$1 b=${2:-$BUNDLE} tries=200
	while ((tries-- > 0)); do
		(($(count "$b") > n)) && return 0
		sleep 0.1
	done
	fail "the counter stayed at $(count "$b"), expected more than $n"
}

# run_piped - `run -d` of $CTR_ID with its stdio on pipes, as managers give
# them: criu cannot dump a file opened outside the container's mounts (a
# host file or the host's /dev/null as stdio: "Can't lookup mount=N for
# fd=1", runc too), but it dumps pipes, which restore replaces. Its output
# goes to $CTR_ID.out through a background cat.
run_piped() {
	( : | ocirt run -d --bundle "$BUNDLE" "$CTR_ID" 2>&1 | cat >"$BATS_TEST_TMPDIR/$CTR_ID.out" ) 3>&- &
	wait_for_status "$CTR_ID" running 30
}

# start_counter [MKBUNDLE ARGS] - run the counter detached, past its 3rd tick.
start_counter() {
	make_bundle --copy "$@" -- sh -c "$COUNTER"
	run_piped
	wait_count_above 3
}

# checkpoint_and_freeze_count ARGS... - checkpoint (without --leave-running),
# check that the counter stopped, and leave its last value in $DUMPED.
checkpoint_stopped() {
	try checkpoint --image-path "$IMG" "$@" "$CTR_ID"
	assert_success
	DUMPED=$(count)
	sleep 1
	assert_equal "$(count)" "$DUMPED"
	run ocirt state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
}

@test "vm checkpoint: a counter is dumped, the container ends, and restore -d goes on counting from there" {
	start_counter
	checkpoint_stopped
	[[ -f $IMG/inventory.img ]]
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_count_above "$DUMPED"
	now=$(count)
	# Restored, not restarted: a new shell would have begun again at 1.
	((now > DUMPED && now < DUMPED + 20))
	run ocirt state "$CTR_ID"
	assert_success
	status_now=$(jq -r .status <<<"$output")
	pid=$(jq -r .pid <<<"$output")
	assert_equal "$status_now" running
	pid_alive "$pid"
	grep -q "sh" "/proc/$pid/cmdline"
	# It is a container again: kill and delete end it, nothing is left.
	try kill "$CTR_ID" KILL
	assert_success
	wait_for_status "$CTR_ID" stopped
	try delete "$CTR_ID"
	assert_success
}

@test "vm checkpoint: after restore ocirt's shim logs the output and records the exit status" {
	ocirt_only "ocirt's shim and logs (runc has neither)"
	start_counter
	checkpoint_stopped
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_count_above $((DUMPED + 2))
	run ocirt logs "$CTR_ID"
	assert_success
	assert_output --partial "tick $((DUMPED + 2))"
	refute_output --partial "tick 1
"
	# KILL: sh as pid 1 of its namespace ignores TERM.
	try kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	for _ in $(seq 50); do
		sig=$(ocirt state "$CTR_ID" | jq -r '.exitSignal // empty')
		[[ -n $sig ]] && break
		sleep 0.1
	done
	assert_equal "$sig" 9
}

@test "vm checkpoint: a bind mount comes back, and the restored counter writes through it to the host" {
	mkdir "$BATS_TEST_TMPDIR/data"
	# Renamed into place, as COUNTER does: a read between echo's truncation
	# and its write (or a dump there) would see an empty file.
	make_bundle --copy -- sh -c 'i=0; while :; do i=$((i+1)); echo $i >/data/n.new; mv /data/n.new /data/n; sleep 0.2; done'
	update_config ".mounts += [{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$BATS_TEST_TMPDIR/data\",\"options\":[\"rbind\",\"rw\"]}]"
	run_piped
	until [[ $(cat "$BATS_TEST_TMPDIR/data/n" 2>/dev/null || echo 0) -gt 3 ]]; do sleep 0.1; done
	try checkpoint --image-path "$IMG" "$CTR_ID"
	assert_success
	dumped=$(cat "$BATS_TEST_TMPDIR/data/n")
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	for _ in $(seq 100); do
		(($(cat "$BATS_TEST_TMPDIR/data/n") > dumped)) && break
		sleep 0.1
	done
	n=$(cat "$BATS_TEST_TMPDIR/data/n")
	((n > dumped && n < dumped + 20))
	pid=$(state_field "$CTR_ID" pid)
	grep -q " /data " "/proc/$pid/mountinfo"
}

@test "vm checkpoint: --leave-running dumps and the same process goes on" {
	start_counter
	pid=$(state_field "$CTR_ID" pid)
	try checkpoint --leave-running --image-path "$IMG" "$CTR_ID"
	assert_success
	[[ -f $IMG/inventory.img ]]
	n=$(count)
	wait_count_above "$n"
	assert_equal "$(state_field "$CTR_ID" status)" running
	assert_equal "$(state_field "$CTR_ID" pid)" "$pid"
}

@test "vm checkpoint: pre-dump, then a dump on top of it (--parent-path), then restore" {
	start_counter
	try checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/parent" "$CTR_ID"
	assert_success
	assert_equal "$(state_field "$CTR_ID" status)" running
	try checkpoint --image-path "$IMG" --parent-path ../parent "$CTR_ID"
	assert_success
	DUMPED=$(count)
	[[ -L $IMG/parent ]]
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_count_above "$DUMPED"
	(($(count) < DUMPED + 20))
}

@test "vm checkpoint: restore under another id, with its own cgroup" {
	start_counter
	checkpoint_stopped
	other="$CTR_ID-b"
	update_config ".linux.cgroupsPath = \"$CGROUP_PARENT/$other\""
	try restore -d --image-path "$IMG" --bundle "$BUNDLE" "$other"
	assert_success
	wait_count_above "$DUMPED"
	pid=$(state_field "$other" pid)
	assert_equal "$(state_field "$other" status)" running
	if is_ocirt; then
		grep -qx "0::$CGROUP_PARENT/$other" "/proc/$pid/cgroup"
	else
		# runc 1.1.5 restores into the dumped id's cgroup and leaves it
		# behind after delete (measured in the VM); ocirt uses the new one.
		defer "rmdir /sys/fs/cgroup$CGROUP_PARENT/$CTR_ID"
	fi
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "vm checkpoint: with --systemd-cgroup, restore puts the container in its transient unit again, and delete stops it" {
	local unit="test-$CTR_ID.scope" pid
	defer "systemctl stop $unit >/dev/null 2>&1; systemctl reset-failed $unit >/dev/null 2>&1; true"
	make_bundle --copy -- sh -c "$COUNTER"
	update_config ".linux.cgroupsPath = \"system.slice:test:$CTR_ID\""
	( : | ocirt --systemd-cgroup run -d --bundle "$BUNDLE" "$CTR_ID" 2>&1 | cat >"$BATS_TEST_TMPDIR/$CTR_ID.out" ) 3>&- &
	wait_for_status "$CTR_ID" running 30
	wait_count_above 3
	assert_equal "$(systemctl show -P ActiveState "$unit")" active
	try --systemd-cgroup checkpoint --image-path "$IMG" "$CTR_ID"
	assert_success
	DUMPED=$(count)
	refute [ "$(systemctl show -P ActiveState "$unit")" = active ]
	try --systemd-cgroup restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	wait_count_above "$DUMPED"
	pid=$(state_field "$CTR_ID" pid)
	# systemd tracks the restored tasks: the unit is active, the init is in
	# its cgroup and `systemctl status` lists it.
	assert_equal "$(systemctl show -P ActiveState "$unit")" active
	assert_equal "$(systemctl show -P Delegate "$unit")" yes
	run cat "/proc/$pid/cgroup"
	assert_output "0::/system.slice/$unit"
	run systemctl status --no-pager "$unit"
	assert_output --partial "$pid"
	try kill "$CTR_ID" KILL
	assert_success
	wait_for_status "$CTR_ID" stopped
	try --systemd-cgroup delete "$CTR_ID"
	assert_success
	refute [ "$(systemctl show -P ActiveState "$unit")" = active ]
	[[ ! -d /sys/fs/cgroup/system.slice/$unit ]]
}
