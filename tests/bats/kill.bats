#!/usr/bin/env bats
# kill.bats - `kill` as runc 1.1.5 does it: --all in every status (how
# containerd's shim cleans up a container without its own pid namespace),
# on a paused container, below the container's cgroup, and signal 0 as a
# liveness probe. Every test passes against runc too.

load helpers
load sub_cgroups

setup() { common_setup; }
teardown() { common_teardown; }

# no_pid_namespace - the container shares the host's pid namespace, as does
# every container of a hostPID pod or of a pod with shareProcessNamespace.
no_pid_namespace() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
}

# A container process that records each USR1 in /tmp/usr1 and writes
# /tmp/ready once its trap is set.
USR1_RECORDER='trap "echo USR1 >> /tmp/usr1" USR1
echo ready > /tmp/ready
while :; do sleep 0.05; done'

@test "kill --all signals what is left of a stopped container without its own pid namespace" {
	make_bundle -- sh -c 'sleep 4242 & echo $! > /tmp/child; exit 0'
	no_pid_namespace
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	wait_for_file "$BUNDLE/rootfs/tmp/child"
	child=$(cat "$BUNDLE/rootfs/tmp/child")
	pid_alive "$child"
	run ocirt kill --all "$CTR_ID" KILL
	assert_success
	wait_gone "$child"
	# The container stays, stopped, until it is deleted.
	run state_field "$CTR_ID" status
	assert_output stopped
}

@test "kill -a ID 0 succeeds on a stopped container, kill ID 0 fails with 'container not running'" {
	make_bundle -- true
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	run ocirt kill -a "$CTR_ID" 0
	assert_success
	run ocirt kill "$CTR_ID" 0
	assert_failure
	assert_output --partial "container not running"
}

@test "kill ID 0 succeeds on a live container and sends it nothing" {
	make_bundle -- sh -c "$USR1_RECORDER"
	create_container
	run ocirt kill "$CTR_ID" 0
	assert_success
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	run ocirt kill "$CTR_ID" 0
	assert_success
	run state_field "$CTR_ID" status
	assert_output running
	[[ ! -e $BUNDLE/rootfs/tmp/usr1 ]]
}

@test "kill --all KILL on a paused container kills every process and thaws its cgroup" {
	make_bundle -- sh -c 'sleep 1000 & sleep 1001 & wait'
	start_paused
	pids=$(procs_of_test)
	assert_equal "$(wc -w <<<"$pids")" 3
	run ocirt kill --all "$CTR_ID" KILL
	assert_success
	wait_for_status "$CTR_ID" stopped
	for pid in $pids; do
		wait_gone "$pid"
	done
	assert_equal "$(freezer_state)" THAWED
	run ocirt delete "$CTR_ID"
	assert_success
}

@test "kill --all on a paused container delivers the signal and leaves it running, as runc" {
	make_bundle -- sh -c "$USR1_RECORDER"
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	ocirt pause "$CTR_ID"
	wait_for_status "$CTR_ID" paused
	run ocirt kill --all "$CTR_ID" USR1
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/usr1"
	wait_for_status "$CTR_ID" running
	assert_equal "$(freezer_state)" THAWED
}

@test "kill KILL on a paused container stops it and thaws its cgroup" {
	make_bundle
	start_paused
	pid=$(state_field "$CTR_ID" pid)
	run ocirt kill "$CTR_ID" KILL
	assert_success
	wait_for_status "$CTR_ID" stopped
	wait_gone "$pid"
	assert_equal "$(freezer_state)" THAWED
}

@test "kill --all reaches processes in cgroups below the container's" {
	make_bundle -- sh -c 'sleep 1000 & echo $! > /tmp/child; wait'
	no_pid_namespace
	create_container
	ocirt start "$CTR_ID"
	wait_for_file "$BUNDLE/rootfs/tmp/child"
	child=$(cat "$BUNDLE/rootfs/tmp/child")
	move_to_sub_cgroup "$child" nested/deeper
	run ocirt kill --all "$CTR_ID" TERM
	assert_success
	wait_gone "$child"
	wait_for_status "$CTR_ID" stopped
}

# runc's init, waiting for start, is a Go program: HUP, INT, TERM, QUIT,
# ABRT and the crash signals (ILL, TRAP, BUS, FPE, SEGV, STKFLT, SYS) end it
# (podman stops a container it never started with TERM, and only sends KILL
# after its timeout); USR1, USR2, PIPE, ALRM, IO, the real-time signals and
# the like are caught and do nothing, also where their default would end a
# process outside a pid namespace of its own. The user's program must not
# inherit the handlers that make this so.
@test "TERM, INT, HUP or a crash signal stops a created container, with or without its own pid namespace; USR1, ALRM, IO, RT signals leave it created" {
	for case in TERM:pid INT:pid HUP:nopid TERM:nopid TRAP:pid SEGV:nopid SYS:pid \
		USR1:pid USR1:nopid USR2:nopid ALRM:nopid PIPE:nopid IO:nopid 40:nopid 64:pid; do
		echo "case $case" # shown if it fails
		make_bundle -- sleep 1000
		[[ ${case#*:} == nopid ]] && no_pid_namespace
		create_container
		pid=$(state_field "$CTR_ID" pid)
		run ocirt kill "$CTR_ID" "${case%:*}"
		assert_success
		if [[ ${case%:*} =~ ^(USR1|USR2|ALRM|PIPE|IO|40|64)$ ]]; then
			sleep 0.3
			run state_field "$CTR_ID" status
			assert_output created
			ocirt start "$CTR_ID"
			wait_for_status "$CTR_ID" running
			# What runs has no handler, nor an ignored signal, left from
			# the init.
			run grep -E 'Sig(Cgt|Ign)' "/proc/$pid/status"
			assert_line --regexp 'SigCgt:[[:space:]]+0+$'
			assert_line --regexp 'SigIgn:[[:space:]]+0+$'
			ocirt kill "$CTR_ID" KILL
		fi
		wait_for_status "$CTR_ID" stopped
		run ocirt start "$CTR_ID"
		assert_failure
		run ocirt delete "$CTR_ID"
		assert_success
	done
}

# runc takes a name with or without SIG, in any case (Go's names: 29 is IO),
# or a number; an unknown name fails, quoting it, and sends nothing.
@test "kill takes signal names as runc does (SIG optional, any case, IO) and refuses an unknown one" {
	make_bundle -- sleep 1000
	no_pid_namespace
	create_container
	for s in sigusr1 SIGIO io Winch usr2 28 0; do
		run ocirt kill "$CTR_ID" "$s"
		assert_success
	done
	for s in NOPE 9x SIGNOPE; do
		run ocirt kill "$CTR_ID" "$s"
		assert_failure
		# runc's log quotes with \" where ocirt says "
		assert_output --regexp "unknown signal \\\\?\"$s\\\\?\""
	done
	run state_field "$CTR_ID" status
	assert_output created
}
