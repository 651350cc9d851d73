#!/usr/bin/env bats
# features.bats - `ocirt features`: the runtime-spec features document
# (features.md), valid against the upstream schema and ours, and stating
# only what ocirt implements.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

features() {
	ocirt features >"$BATS_TEST_TMPDIR/features.json"
}

@test "features validates against the upstream runtime-spec features schema" {
	require_validator
	[[ -f $SHARED_DIR/oci-schema/features-schema.json ]] || skip "no upstream schemas in $SHARED_DIR"
	features
	validate_json "$SHARED_DIR/oci-schema/features-schema.json" "$BATS_TEST_TMPDIR/features.json"
}

@test "features validates against schema/features.json" {
	require_validator
	features
	validate_json "$REPO/schema/features.json" "$BATS_TEST_TMPDIR/features.json"
}

@test "features names the linked libseccomp version in its annotations" {
	features
	run jq -r '.annotations["io.github.seccomp.libseccomp.version"]' "$BATS_TEST_TMPDIR/features.json"
	assert_success
	assert_output --regexp '^[0-9]+\.[0-9]+\.[0-9]+$'
	if is_ocirt; then
		# The same version `ocirt --version` reports.
		assert_equal "libseccomp: $output" "$(ocirt --version | grep '^libseccomp:')"
	fi
}

@test "features lists all eight namespace types" {
	ocirt_only "runc 1.1 does not list the time namespace"
	features
	run jq -r '.linux.namespaces | sort | join(" ")' "$BATS_TEST_TMPDIR/features.json"
	assert_output "cgroup ipc mount network pid time user uts"
}

@test "features reports the systemd cgroup driver" {
	features
	run jq -c '.linux.cgroup | {v1, v2, systemd}' "$BATS_TEST_TMPDIR/features.json"
	assert_output '{"v1":true,"v2":true,"systemd":true}'
}

@test "features reports the rootless systemd driver (systemdUser) and rdma" {
	ocirt_only "runc 1.1 has no rdma key"
	features
	run jq -c '.linux.cgroup' "$BATS_TEST_TMPDIR/features.json"
	assert_output '{"v1":true,"v2":true,"systemd":true,"systemdUser":true,"rdma":true}'
}

@test "features spans ociVersion 1.0.0 to 1.3.0+dev, and create accepts both ends" {
	ocirt_only "runc 1.1 stops at 1.0.2-dev"
	features
	assert_equal "$(jq -r .ociVersionMin "$BATS_TEST_TMPDIR/features.json")" 1.0.0
	assert_equal "$(jq -r .ociVersionMax "$BATS_TEST_TMPDIR/features.json")" 1.3.0+dev
	for v in 1.0.0 1.3.0+dev; do
		make_bundle --id "$CTR_ID-$v" -- true
		update_config ".ociVersion = \"$v\""
		run ocirt run --bundle "$BUNDLE" "$CTR_ID-$v" </dev/null
		assert_success
		rm -rf "$BUNDLE"
	done
}

@test "features mountOptions are exactly the option words mounts.c acts on" {
	ocirt_only "compares with ocirt's source"
	features
	listed=$(jq -r '.mountOptions | sort | join(" ")' "$BATS_TEST_TMPDIR/features.json")
	# The option table of src/linux/mounts.c.
	table=$(sed -n '/^static const struct mount_option mount_options\[\] = {/,/^};/p' \
		"$REPO/src/linux/mounts.c" |
		grep -o '^  { "[a-z]*"' | cut -d'"' -f2 | sort | tr '\n' ' ')
	assert_equal "$listed " "$table"
	for w in idmap ridmap tmpcopyup rro; do
		[[ " $listed " == *" $w "* ]] || fail "$w is acted on but not listed"
	done
}

@test "features reports intelRdt (with schemata and monitoring), idmap mounts, netDevices and memoryPolicy as supported" {
	ocirt_only "runc 1.1 lists none of these"
	features
	run jq -c '[.linux.intelRdt.enabled, .linux.intelRdt.schemata, .linux.intelRdt.monitoring,
		.linux.mountExtensions.idmap.enabled, .linux.netDevices.enabled,
		(.linux.memoryPolicy.modes | length), (.linux.memoryPolicy.flags | length)]' \
		"$BATS_TEST_TMPDIR/features.json"
	assert_output '[true,true,true,true,true,7,3]'
}

@test "features lists every capability ocirt accepts, and a capability it lists is accepted by create" {
	features
	run jq -r '.linux.capabilities | length' "$BATS_TEST_TMPDIR/features.json"
	[[ $output -ge 38 ]]
	last=$(jq -r '.linux.capabilities[-1]' "$BATS_TEST_TMPDIR/features.json")
	make_bundle -- true
	update_config ".process.capabilities.bounding += [\"$last\"]"
	run ocirt run --bundle "$BUNDLE" "$CTR_ID" </dev/null
	assert_success
}

@test "features is indented by four spaces, as runc prints it" {
	features
	run sed -n 2p "$BATS_TEST_TMPDIR/features.json"
	assert_output --regexp '^    "ociVersionMin": '
}
