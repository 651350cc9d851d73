#!/usr/bin/env bats
# monitor.bats - ocirt with the kernel memory monitor (in the test VM, where
# the module can be loaded): linux.resources.memory (or the annotations)
# becomes the monitor's limits, the shim records its events, `ocirt events`
# shows them and `ocirt state` says when the monitor killed the container.
# Outside the VM the tests skip; tests/bats/monitor.bats covers the host,
# which has no module.

load ../helpers

SYSMOD=/sys/module/container_monitor
MIB=$((1024 * 1024))

in_vm() {
	[[ -n ${KMOD_KO:-} && -f $KMOD_KO ]]
}

setup() {
	in_vm || skip "no module at \$KMOD_KO: runs inside the test VM only"
	common_setup
	[[ -d $SYSMOD ]] || insmod "$KMOD_KO"
	echo 200 >"$SYSMOD/parameters/interval_ms"
	HOG=$(command -v memory_hog) || fail "memory_hog is not on PATH (rootfs-tools/workloads)"
}

teardown() {
	in_vm || return 0
	common_teardown
}

# hog_bundle SOFT HARD - a bundle whose process grows by 4 MiB every 300 ms,
# with the monitor's limits set by annotation (no cgroup memory limit, so
# only the monitor can stop it).
hog_bundle() {
	make_bundle --copy -- /memory_hog 4 300
	cp "$HOG" "$BUNDLE/rootfs/memory_hog"
	update_config ".annotations[\"org.ocirt.monitor.soft\"] = \"$1\" | .annotations[\"org.ocirt.monitor.hard\"] = \"$2\""
}

@test "a container over its soft limit keeps running, with one kernel warning and one soft_warning event" {
	echo "monitor-soft-$CTR_ID" >/dev/kmsg
	hog_bundle $((12 * MIB)) $((400 * MIB))
	ocirt run -d --bundle "$BUNDLE" "$CTR_ID"
	sleep 3
	run ocirt state "$CTR_ID"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" running
	run timeout 3 "$OCIRT" --root "$STATE_ROOT" events --interval 60s "$CTR_ID"
	assert_equal "$(grep -c '"kind":"soft_warning"' <<<"$output")" 1
	run bash -c "dmesg | sed -n '/monitor-soft-$CTR_ID/,\$p' | grep -c \"container '$CTR_ID'.*soft limit\""
	assert_output 1
	ocirt delete --force "$CTR_ID"
}

@test "a container over its hard limit is killed within about two intervals and state says the monitor did it" {
	hog_bundle 0 $((24 * MIB))
	ocirt run -d --bundle "$BUNDLE" "$CTR_ID"
	# 24 MiB at 4 MiB per 300 ms is about 2 s in; allow two 200 ms intervals
	# and the VM's slowness on top.
	wait_for_status "$CTR_ID" stopped 15
	run ocirt state "$CTR_ID"
	assert_equal "$(jq -r .exitSignal <<<"$output")" 9
	assert_equal "$(jq -r .killedBy <<<"$output")" container_monitor
	run timeout 3 "$OCIRT" --root "$STATE_ROOT" events --interval 60s "$CTR_ID"
	# events needs a live container; the record is in the state dir.
	run cat "$STATE_ROOT/$CTR_ID/events.json"
	assert_output --partial '"kind":"hard_kill"'
	ocirt delete "$CTR_ID"
}

@test "linux.resources.memory maps onto the monitor: reservation is soft, limit is hard; exit unregisters" {
	make_bundle -- sleep 100
	update_config ".linux.resources.memory = {limit: $((256 * MIB)), reservation: $((128 * MIB))}"
	ocirt run -d --bundle "$BUNDLE" "$CTR_ID"
	pid=$(ocirt state "$CTR_ID" | jq -r .pid)
	run monitor_test query "$pid"
	assert_success
	assert_output --partial "soft=$((128 * MIB))"
	assert_output --partial "hard=$((256 * MIB))"
	ocirt delete --force "$CTR_ID"
	run monitor_test query "$pid"
	assert_failure
	assert_output --partial ENOENT
}
