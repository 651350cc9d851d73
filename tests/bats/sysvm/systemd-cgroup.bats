#!/usr/bin/env bats
# systemd-cgroup.bats - the systemd cgroup driver (--systemd-cgroup) on a
# systemd host (the systemd VM: tests/vm/sysvm.sh), stated as runc 1.1 does
# it: cgroupsPath "slice:prefix:name" is the transient scope
# prefix-name.scope in that slice, started with Delegate=yes and the init's
# pid; limits are unit properties and cgroup files; update changes both;
# delete stops the unit. Each test passes with OCIRT_TEST_RUNTIME=runc too.

load ../helpers

setup() {
	common_setup
	[[ -d /run/systemd/system ]] || skip "systemd is not running here (see tests/bats/systemd_cgroup.bats)"
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || skip "these tests state cgroup v2 paths"
	UNIT="test-$CTR_ID.scope"
	CG="/sys/fs/cgroup/system.slice/$UNIT"
}

# Nothing of this test's units may be left: no loaded unit, no cgroup.
teardown() {
	local left
	common_teardown || return 1
	left=$(systemctl list-units --all --plain --no-legend "*$CTR_ID*" "*sd$$x$BATS_TEST_NUMBER*" | awk '{print $1}')
	if [[ -n $left ]]; then
		systemctl stop $left >/dev/null 2>&1 || true
		systemctl reset-failed $left >/dev/null 2>&1 || true
		echo "teardown: unit left: $left" >&2
		return 1
	fi
	run compgen -G "/sys/fs/cgroup/system.slice/*$CTR_ID*"
	[[ $status -ne 0 ]] || { echo "teardown: cgroup left: $output" >&2; return 1; }
}

sd() {
	ocirt --systemd-cgroup "$@"
}

# sd_bundle [CGROUPS_PATH] - a bundle whose container is $UNIT.
sd_bundle() {
	make_bundle
	update_config ".linux.cgroupsPath = \"${1-system.slice:test:$CTR_ID}\""
}

sd_create() {
	local st=0
	sd create --bundle "$BUNDLE" "$CTR_ID" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 || st=$?
	((st == 0)) || { cat "$BATS_TEST_TMPDIR/create.out" >&2; fail "create failed with exit $st"; }
}

prop() {
	systemctl show -P "$2" "$1"
}

@test "sysvm systemd: create starts an active scope in system.slice with Delegate=yes and the init in it" {
	sd_bundle
	sd_create
	local pid
	pid=$(state_field "$CTR_ID" pid)
	[[ $(prop "$UNIT" ActiveState) == active ]]
	[[ $(prop "$UNIT" Delegate) == yes ]]
	[[ $(prop "$UNIT" Slice) == system.slice ]]
	[[ $(prop "$UNIT" ControlGroup) == "/system.slice/$UNIT" ]]
	run systemctl status --no-pager "$UNIT"
	assert_output --partial "$pid"
	run cat "/proc/$pid/cgroup"
	assert_output "0::/system.slice/$UNIT"
	grep -qx "$pid" "$CG/cgroup.procs"
	sd start "$CTR_ID"
	[[ $(state_field "$CTR_ID" status) == running ]]
}

@test "sysvm systemd: without a cgroupsPath the scope is <runtime>-<id>.scope in system.slice" {
	local prefix=runc
	is_ocirt && prefix=ocirt
	make_bundle
	update_config 'del(.linux.cgroupsPath)'
	sd_create
	UNIT="$prefix-$CTR_ID.scope"
	[[ $(prop "$UNIT" ActiveState) == active ]]
	run cat "/proc/$(state_field "$CTR_ID" pid)/cgroup"
	assert_output "0::/system.slice/$UNIT"
	sd delete --force "$CTR_ID"
	[[ $(prop "$UNIT" LoadState) == not-found ]]
}

@test "sysvm systemd: limits are unit properties and cgroup files" {
	sd_bundle
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0"}, "pids": {"limit": 42}}'
	sd_create
	[[ $(prop "$UNIT" MemoryMax) == 67108864 ]]
	[[ $(prop "$UNIT" TasksMax) == 42 ]]
	[[ $(prop "$UNIT" CPUQuotaPerSecUSec) == 500ms ]]
	[[ $(prop "$UNIT" CPUWeight) == 39 ]]
	[[ $(prop "$UNIT" AllowedCPUs) == 0 ]]
	[[ $(cat "$CG/memory.max") == 67108864 ]]
	[[ $(cat "$CG/pids.max") == 42 ]]
	[[ $(cat "$CG/cpu.max") == "50000 100000" ]]
	[[ $(cat "$CG/cpu.weight") == 39 ]]
	[[ $(cat "$CG/cpuset.cpus") == 0 ]]
}

@test "sysvm systemd: update changes the unit properties and the files" {
	sd_bundle
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 42}}'
	sd_create
	sd update --memory 134217728 --pids-limit 99 "$CTR_ID"
	[[ $(prop "$UNIT" MemoryMax) == 134217728 ]]
	[[ $(prop "$UNIT" TasksMax) == 99 ]]
	[[ $(cat "$CG/memory.max") == 134217728 ]]
	[[ $(cat "$CG/pids.max") == 99 ]]
	# A later reload must not bring the old values back.
	systemctl daemon-reload
	[[ $(cat "$CG/memory.max") == 134217728 ]]
	[[ $(cat "$CG/pids.max") == 99 ]]
}

@test "sysvm systemd: pause, resume, ps, events --stats and exec work on the scope" {
	sd_bundle
	update_config '.linux.resources = {"pids": {"limit": 42}}'
	sd_create
	sd start "$CTR_ID"
	sd pause "$CTR_ID"
	[[ $(state_field "$CTR_ID" status) == paused ]]
	grep -q '^frozen 1' "$CG/cgroup.events"
	sd resume "$CTR_ID"
	[[ $(state_field "$CTR_ID" status) == running ]]
	run sd ps --format json "$CTR_ID"
	assert_success
	[[ $(jq -c . <<<"$output") == "[$(state_field "$CTR_ID" pid)]" ]]
	run sd events --stats "$CTR_ID"
	assert_success
	[[ $(jq -r .data.pids.limit <<<"$output") == 42 ]]
	[[ $(jq -r .data.pids.current <<<"$output") -ge 1 ]]
	run sd exec "$CTR_ID" true
	assert_success
	# An exec'd process joins the scope's cgroup.
	sd exec --detach "$CTR_ID" sleep 100 </dev/null >/dev/null 2>&1
	[[ $(wc -l <"$CG/cgroup.procs") -eq 2 ]]
}

@test "sysvm systemd: delete stops the unit and removes its cgroup" {
	sd_bundle
	sd_create
	sd start "$CTR_ID"
	sd kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	sd delete "$CTR_ID"
	[[ $(prop "$UNIT" LoadState) == not-found ]]
	[[ ! -e $CG ]]
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "sysvm systemd: delete --force of a running container stops its unit at once" {
	sd_bundle
	sd_create
	sd start "$CTR_ID"
	SECONDS=0
	sd delete --force "$CTR_ID"
	((SECONDS < 10))
	[[ $(prop "$UNIT" LoadState) == not-found ]]
	[[ ! -e $CG ]]
}

@test "sysvm systemd: delete without --systemd-cgroup still stops the unit" {
	sd_bundle
	sd_create
	ocirt delete --force "$CTR_ID"
	[[ $(prop "$UNIT" LoadState) == not-found ]]
	[[ ! -e $CG ]]
}

@test "sysvm systemd: killing the init makes the scope go away cleanly" {
	sd_bundle
	sd_create
	sd start "$CTR_ID"
	kill -KILL "$(state_field "$CTR_ID" pid)"
	wait_for_status "$CTR_ID" stopped
	for _ in $(seq 50); do
		[[ $(prop "$UNIT" LoadState) == not-found ]] && break
		sleep 0.1
	done
	[[ $(prop "$UNIT" LoadState) == not-found ]]
	run systemctl is-failed "$UNIT"
	refute_output failed
	sd delete "$CTR_ID"
	[[ ! -e $CG ]]
}

@test "sysvm systemd: a name ending in .slice makes a slice, not a scope" {
	ocirt_only "runc 1.1.5 passes PIDs to the slice, which systemd refuses (Cannot set property PIDs)"
	local slice="system-sd$$x$BATS_TEST_NUMBER.slice"
	sd_bundle "system.slice:test:$slice"
	sd_create
	[[ $(prop "$slice" ActiveState) == active ]]
	run cat "/proc/$(state_field "$CTR_ID" pid)/cgroup"
	assert_output "0::/system.slice/$slice"
	sd delete --force "$CTR_ID"
	[[ $(prop "$slice" ActiveState) != active ]]
	[[ ! -e /sys/fs/cgroup/system.slice/$slice ]]
}

@test "sysvm systemd: the scope can be put in a nested slice (a-b.slice lives in a.slice)" {
	local slice="sd$$x$BATS_TEST_NUMBER-inner.slice"
	sd_bundle "$slice:test:$CTR_ID"
	sd_create
	run cat "/proc/$(state_field "$CTR_ID" pid)/cgroup"
	assert_output "0::/sd$$x$BATS_TEST_NUMBER.slice/$slice/$UNIT"
	[[ $(prop "$UNIT" Slice) == "$slice" ]]
	sd delete --force "$CTR_ID"
	systemctl stop "$slice" "sd$$x$BATS_TEST_NUMBER.slice"
}

@test "sysvm systemd: org.systemd.property annotations become unit properties" {
	sd_bundle
	update_config '.annotations = {"org.systemd.property.TimeoutStopUSec": "uint64 123456789", "org.systemd.property.CollectMode": "'"'inactive-or-failed'"'", "org.systemd.property.RuntimeMaxSec": "600"}'
	sd_create
	[[ $(prop "$UNIT" TimeoutStopUSec) == "2min 3.456789s" ]]
	[[ $(prop "$UNIT" CollectMode) == inactive-or-failed ]]
	[[ $(prop "$UNIT" RuntimeMaxUSec) == 10min ]]
}

@test "sysvm systemd: a bad annotation value fails create, naming it, and leaves nothing" {
	sd_bundle
	update_config '.annotations = {"org.systemd.property.TasksMax": "@t nope"}'
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "org.systemd.property.TasksMax"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	[[ $(prop "$UNIT" LoadState) == not-found ]]
}

@test "sysvm systemd: a bad cgroupsPath fails with a clear error and leaves nothing" {
	sd_bundle "/ocirt-test/$CTR_ID"
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial 'expected cgroupsPath to be of format'
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	sd_bundle "notaslice:test:$CTR_ID"
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "notaslice"
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
	[[ $(prop "$UNIT" LoadState) == not-found ]]
}

@test "sysvm systemd: a second container on a live unit's name joins its cgroup with runc 1.1's warning" {
	ocirt_only "runc 1.1.5 ignores UnitExists and leaves the init in the caller's cgroup"
	sd_bundle
	sd_create
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID-2"
	assert_success
	assert_output --partial "container's cgroup is not empty: 1 process(es) found"
	run cat "/proc/$(state_field "$CTR_ID-2" pid)/cgroup"
	assert_output "0::/system.slice/$UNIT"
	[[ $(wc -l <"$CG/cgroup.procs") -eq 2 ]]
}

@test "sysvm systemd: deleting a container that joined a live unit leaves that unit and its container" {
	ocirt_only "runc 1.1.5's delete of the joiner stops the shared unit, and the first container with it"
	sd_bundle
	sd_create
	try --systemd-cgroup create --bundle "$BUNDLE" "$CTR_ID-2"
	assert_success
	sd delete --force "$CTR_ID-2"
	[[ $(prop "$UNIT" ActiveState) == active ]]
	[[ $(state_field "$CTR_ID" status) == created ]]
}

@test "sysvm systemd: a failed unit left with the same name is reset, and create goes on" {
	ocirt_only "runc 1.1.5 ignores UnitExists: its init stays outside the failed unit (runc 1.2 resets it)"
	# A scope stopped by its RuntimeMaxSec ends "failed" and stays loaded.
	systemd-run --quiet --unit "$UNIT" --scope -p RuntimeMaxSec=1 sleep 30 || true
	run systemctl is-failed "$UNIT"
	assert_output failed
	sd_bundle
	sd_create
	[[ $(prop "$UNIT" ActiveState) == active ]]
	run cat "/proc/$(state_field "$CTR_ID" pid)/cgroup"
	assert_output "0::/system.slice/$UNIT"
}

@test "sysvm systemd: run --systemd-cgroup in the foreground leaves no unit behind" {
	sd_bundle
	update_config '.process.args = ["sh", "-c", "exit 7"]'
	try --systemd-cgroup run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 7
	[[ $(prop "$UNIT" LoadState) == not-found ]]
	[[ ! -e $CG ]]
}
