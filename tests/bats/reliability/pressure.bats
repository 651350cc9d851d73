#!/usr/bin/env bats
# pressure.bats - a container pinned at its memory limit (32 MiB, a hog
# that keeps allocating) must not hang ocirt: state, list, kill, kill --all
# and delete each answer within 10 s, and the host is clean afterwards.
#
# Two ways to sit at the limit: a hog that the OOM killer kills and a loop
# restarts at once (the cgroup is at its limit nearly all the time), and a
# hog with the OOM killer disabled (linux.resources.memory.disableOOMKiller:
# the hog's tasks wait inside the kernel at the limit).

load rel_helpers

setup() { rel_setup; }
teardown() { rel_teardown; }

LIMIT=33554432
# busybox sh: doubling a string allocates until something gives.
HOG='while :; do sh -c "a=0123456789abcdef; while :; do a=\$a\$a; done"; done'

memory_dir() {
	echo "/sys/fs/cgroup/memory/${REL_PARENT#/}/$CTR_ID"
}

# wait_at_limit - until the memory cgroup has hit its limit (failcnt > 0).
wait_at_limit() {
	local d i
	d=$(memory_dir)
	[[ -d $d ]] || skip "no v1 memory hierarchy at $d"
	for i in $(seq 200); do
		[[ $(cat "$d/memory.failcnt" 2>/dev/null || echo 0) -gt 0 ]] && return 0
		sleep 0.05
	done
	fail "the container never reached its memory limit"
}

# within10 WHAT ARGS... - ocirt ARGS must answer within 10 s, not crash,
# and succeed or say why.
within10() {
	local what=$1 t0=$EPOCHREALTIME
	shift
	local OCIRT_TEST_CMD_TIMEOUT=10
	try "$@"
	echo "# $what: exit $status in $(printf '%.2f' "$(bc <<<"$EPOCHREALTIME - $t0")") s${output:+: ${output:0:100}}" >&3
	((status != 124 && status != 137)) || fail "$what hung (more than 10 s)"
	((status < 128)) || fail "$what crashed (exit $status): $output"
	((status == 0)) || [[ -n $output ]] || fail "$what failed without saying why"
}

pressure_case() {
	create_container
	ocirt start "$CTR_ID" || fail "start failed"
	wait_at_limit
	within10 state state "$CTR_ID"
	within10 list list --format json
	within10 "kill --all TERM" kill --all "$CTR_ID" TERM
	within10 "kill KILL" kill "$CTR_ID" KILL
	local pids
	pids=$(cgroup_pids_of "$CTR_ID")
	within10 "delete --force" delete --force "$CTR_ID"
	assert_success
	assert_host_clean "$CTR_ID" "$BUNDLE" $pids || fail "host not clean"
}

@test "a container at its memory limit, its hog OOM-killed and restarted, does not hang state, kill or delete" {
	make_bundle -- sh -c "$HOG"
	update_config ".linux.resources.memory = {limit: $LIMIT}"
	pressure_case
}

@test "a container stalled at its memory limit with the OOM killer disabled does not hang state, kill or delete" {
	make_bundle -- sh -c "$HOG"
	update_config ".linux.resources.memory = {limit: $LIMIT, disableOOMKiller: true}"
	pressure_case
}

@test "delete --force of a container at its memory limit, straight away, does not hang" {
	make_bundle -- sh -c "$HOG"
	update_config ".linux.resources.memory = {limit: $LIMIT, disableOOMKiller: true}"
	create_container
	ocirt start "$CTR_ID" || fail "start failed"
	wait_at_limit
	local pids
	pids=$(cgroup_pids_of "$CTR_ID")
	within10 "delete --force" delete --force "$CTR_ID"
	assert_success
	assert_host_clean "$CTR_ID" "$BUNDLE" $pids || fail "host not clean"
}
