#!/usr/bin/env bats
# intel_rdt.bats - linux.intelRdt on a host without resctrl, as runc 1.1
# behaves there: a config that asks for no schema (a closID alone, or an
# empty object) runs without it; a schema the host cannot apply, an invalid
# closID, and update's --l3-cache-schema and --mem-bw-schema are refused in
# runc's words, leaving nothing. Every test passes against runc too
# (OCIRT_TEST_RUNTIME=runc) but those marked ocirt_only.
#
# No machine here has resctrl (Intel RDT or AMD PQoS hardware; QEMU's TCG
# offers neither), so the group itself (made, schemata, tasks, MON group,
# removed) is tested by tests/unit/test_resctrl.c on a stand-in directory.

load helpers

setup() {
	common_setup
	grep -q ' - resctrl ' /proc/self/mountinfo && skip "this host has resctrl mounted"
	return 0
}
teardown() { common_teardown; }

@test "intelRdt with only a closID, or empty, runs without resctrl as runc does; exec works too" {
	make_bundle -- sleep 100
	for rdt in '{"closID": "gold"}' '{}'; do
		update_config ".linux.intelRdt = $rdt"
		try run -d --bundle "$BUNDLE" "$CTR_ID"
		assert_success
		if is_ocirt; then
			assert_output --partial "intelRdt is specified in config, but no resctrl filesystem is mounted"
		fi
		run ocirt exec "$CTR_ID" echo in
		assert_success
		assert_output in
		run ocirt delete -f "$CTR_ID"
		assert_success
	done
}

@test "l3CacheSchema or memBwSchema without Intel RDT fails create in runc's words and leaves nothing" {
	make_bundle -- true
	update_config '.linux.intelRdt = {"closID": "gold", "l3CacheSchema": "L3:0=f"}'
	create_refused "intelRdt.l3CacheSchema is specified in config, but Intel RDT/CAT is not enabled"
	update_config '.linux.intelRdt = {"memBwSchema": "MB:0=50"}'
	create_refused "intelRdt.memBwSchema is specified in config, but Intel RDT/MBA is not enabled"
}

@test "schemata or enableMonitoring without resctrl fails create naming the field, and leaves nothing" {
	ocirt_only "runc 1.1 does not know schemata or enableMonitoring (runtime-spec 1.3) and ignores them"
	make_bundle -- true
	update_config '.linux.intelRdt = {"schemata": ["L3:0=f"]}'
	create_refused "intelRdt.schemata is specified in config, but no resctrl filesystem is mounted"
	update_config '.linux.intelRdt = {"enableMonitoring": true}'
	create_refused "intelRdt.enableMonitoring is set in config, but resctrl monitoring is not enabled"
}

@test "an invalid closID is refused in runc's words before anything exists" {
	make_bundle -- true
	for clos in a/b .. .; do
		update_config ".linux.intelRdt = {\"closID\": \"$clos\"}"
		try create --bundle "$BUNDLE" "$CTR_ID"
		assert_failure
		# runc's log escapes the quotes.
		assert_output --regexp "invalid intelRdt.ClosID \\\\?\"$clos\\\\?\""
		[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "a failed create left $STATE_ROOT/$CTR_ID"
	done
}

@test "update --l3-cache-schema or --mem-bw-schema without Intel RDT fails in runc's words and changes nothing" {
	make_bundle -- sleep 100
	try run -d --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	try update --l3-cache-schema L3:0=f --pids-limit 77 "$CTR_ID"
	assert_failure
	assert_output --partial "Intel RDT/CAT: l3 cache schema is not enabled"
	try update --mem-bw-schema MB:0=50 "$CTR_ID"
	assert_failure
	assert_output --partial "Intel RDT/MBA: memory bandwidth schema is not enabled"
	# Refused before anything: the pids limit of the first is not applied.
	cg=$(awk -F: '$2 == "pids" {print $3}' "/proc/$(state_field "$CTR_ID" pid)/cgroup")
	run cat "/sys/fs/cgroup/pids$cg/pids.max"
	refute_output 77
	# An empty schema is not given (runc's flag default).
	try update --l3-cache-schema '' --pids-limit 78 "$CTR_ID"
	assert_success
	run cat "/sys/fs/cgroup/pids$cg/pids.max"
	assert_output 78
}
