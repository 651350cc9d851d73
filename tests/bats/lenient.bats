#!/usr/bin/env bats
# lenient.bats - configs that managers send and runc 1.1 accepts, though a
# strict reading of runtime-spec could refuse them: unknown capability
# names, odd device access strings, no mount namespace, a cgroup that already
# has processes, and linux.devices next to a device cgroup that denies them.
# Each test states runc's observable behaviour and passes against runc too
# (OCIRT_TEST_RUNTIME=runc); where runc refuses, ocirt refuses with runc's
# wording.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# ---- capabilities ------------------------------------------------------------

# Bits of /proc/self/status's Cap* lines: AUDIT_WRITE (29), KILL (5),
# NET_BIND_SERVICE (10), NET_ADMIN (12).
CAPS_WITH_NET_ADMIN=0000000020001420

# add_odd_caps - every capability list gets CAP_NET_ADMIN, a name no kernel
# has, and a lowercase spelling that is not the capabilities(7) name.
add_odd_caps() {
	update_config '.process.capabilities |= map_values(. + ["CAP_FLY", "cap_chown", "CAP_NET_ADMIN"])'
}

@test "unknown capability names are skipped with runc's warning, the known ones are granted" {
	make_bundle -- grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status
	add_odd_caps
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	# One warning for all lists, names sorted and given once.
	assert_output --partial 'ignoring unknown or unavailable capabilities: [CAP_FLY cap_chown]'
	assert_line "CapBnd:	$CAPS_WITH_NET_ADMIN"
	assert_line "CapEff:	$CAPS_WITH_NET_ADMIN"
	assert_line "CapPrm:	$CAPS_WITH_NET_ADMIN"
}

@test "the unknown-capability warning is a warning line of the JSON log" {
	make_bundle -- true
	add_odd_caps
	try --log "$BATS_TEST_TMPDIR/log.json" --log-format json run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	run jq -c 'select(.level == "warning") | .msg' "$BATS_TEST_TMPDIR/log.json"
	assert_success
	assert_output '"ignoring unknown or unavailable capabilities: [CAP_FLY cap_chown]"'
}

@test "exec skips unknown capability names of --cap and of the process file" {
	make_bundle
	create_container
	jq '.process | .args = ["grep", "CapBnd", "/proc/self/status"]
		| .capabilities.bounding += ["CAP_FLY", "CAP_NET_ADMIN"]' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	try exec --process "$BATS_TEST_TMPDIR/process.json" "$CTR_ID"
	assert_success
	assert_output --partial 'ignoring unknown or unavailable capabilities: [CAP_FLY]'
	assert_line "CapBnd:	$CAPS_WITH_NET_ADMIN"

	try exec --cap CAP_WALK --cap CAP_NET_ADMIN "$CTR_ID" grep CapBnd /proc/self/status
	assert_success
	assert_output --partial 'ignoring unknown or unavailable capabilities: [CAP_WALK]'
	assert_line "CapBnd:	$CAPS_WITH_NET_ADMIN"
}
