#!/usr/bin/env bats
# netdevices.bats - linux.netDevices (runtime-spec 1.3): a host network
# device moved into the container's network namespace, renamed, with its
# permanent global addresses and up; checked from inside (ip) and from the
# host (the device gone from the host, the pair destroyed with the
# namespace, nothing moved when create fails).
#
# A veth pair stands for the device: this kernel has no dummy driver.

load helpers

setup() {
	common_setup
	ocirt features | jq -e '.linux.netDevices.enabled == true' >/dev/null ||
		skip "$RUNTIME_NAME does not implement linux.netDevices"
	DEV=nd${BATS_TEST_NUMBER}x$((RANDOM % 10000))
	PEER=${DEV}p
	ip link add "$DEV" type veth peer name "$PEER" || skip "no veth pairs here"
	defer "ip link del '$PEER' 2>/dev/null || true; ip link del '$DEV' 2>/dev/null || true"
}
teardown() { common_teardown; }

# netdev_bundle JSON CMD... - $BUNDLE running CMD with linux.netDevices JSON.
netdev_bundle() {
	local devices=$1
	shift
	make_bundle -- "$@"
	update_config ".linux.netDevices = $devices"
}

@test "a device is moved under its new name with its permanent global addresses, up, and leaves the host" {
	ip addr add 10.231.7.1/24 dev "$DEV"
	ip addr add fd00:231:7::1/64 dev "$DEV"
	ip addr add 10.231.8.1/24 dev "$DEV" valid_lft 300 preferred_lft 300
	netdev_bundle "{\"$DEV\": {\"name\": \"ctr0\"}}" sh -c 'ip addr show ctr0; ip link show ctr0'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --regexp 'ctr0@if[0-9]+: <[^>]*\bUP\b'
	assert_output --partial "inet 10.231.7.1/24 scope global ctr0"
	assert_output --partial "inet6 fd00:231:7::1/64 scope global"
	# Not permanent (a lifetime), so not kept; nor the link-local address.
	refute_output --partial "10.231.8.1"
	refute_output --partial "inet6 fe80:"
	run ip link show "$DEV"
	assert_failure
	# A virtual device dies with the namespace (asynchronously): its peer too.
	for _ in $(seq 50); do ip link show "$PEER" >/dev/null 2>&1 || break; sleep 0.1; done
	run ip link show "$PEER"
	assert_failure
}

@test "without a name the device keeps its host name; a %d template lets the kernel pick a free one" {
	local dev2=${DEV}t peer2=${DEV}u
	ip link add "$dev2" type veth peer name "$peer2"
	defer "ip link del '$peer2' 2>/dev/null || true; ip link del '$dev2' 2>/dev/null || true"
	netdev_bundle "{\"$DEV\": {}, \"$dev2\": {\"name\": \"lo%d\"}}" sh -c 'ip -o link show | cut -d: -f2 | cut -d@ -f1'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line " lo"
	assert_line " $DEV"
	assert_line " lo0"
}

@test "a name the container's namespace already has fails create, naming the field; the device stays on the host" {
	netdev_bundle "{\"$DEV\": {\"name\": \"lo\"}}" true
	create_refused "linux.netDevices[\"$DEV\"]" 'already has a device named "lo"'
	run ip link show "$DEV"
	assert_success
}

@test "a createRuntime hook already sees the device in the container's network namespace" {
	netdev_bundle "{\"$DEV\": {\"name\": \"ctr0\"}}" true
	local seen=$BATS_TEST_TMPDIR/seen
	cat >"$BATS_TEST_TMPDIR/hook" <<-EOF
		#!/bin/sh
		pid=\$(jq -r .pid)
		nsenter -t "\$pid" -n ip -o link show ctr0 >"$seen" 2>&1
	EOF
	chmod +x "$BATS_TEST_TMPDIR/hook"
	update_config ".hooks.createRuntime = [{path: \"$BATS_TEST_TMPDIR/hook\"}]"
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	run cat "$seen"
	assert_output --regexp '^[0-9]+: ctr0@'
}

@test "netDevices that cannot be moved are refused before anything exists, naming the field" {
	make_bundle -- true
	local name
	for case in "{\"nosuchdev0\": {}}|linux.netDevices[\"nosuchdev0\"]: no such network device on the host" \
		"{\"$DEV\": {\"name\": \"a/b\"}}|.name: \"a/b\" is not a valid network device name" \
		"{\"$DEV\": {\"name\": \"muchtoolongname0\"}}|is not a valid network device name" \
		"{\"$DEV\": {\"name\": \"x\"}, \"$PEER\": {\"name\": \"x\"}}|\"x\" is also the name of"; do
		IFS='|' read -r devices want <<<"$case"
		update_config ".linux.netDevices = $devices"
		create_refused "$want"
	done
	update_config ".linux.netDevices = {\"$DEV\": {}} | .linux.namespaces |= map(select(.type != \"network\"))"
	create_refused "linux.netDevices: the container has no network namespace of its own"
	run ip link show "$DEV"
	assert_success
}
