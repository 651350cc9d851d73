#!/usr/bin/env bats
# lenient.bats - configs that managers send and runc 1.1 accepts, though a
# strict reading of runtime-spec could refuse them: unknown capability
# names, odd device access strings, a relative mount destination, no mount
# namespace, a cgroup that already has processes, and linux.devices next to
# a device cgroup that denies them.
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

# ---- linux.resources.devices: the access strings runc takes ------------------

# /dev/fuse (c 10:229) opens for reading and writing without a capability,
# so what the device cgroup allows is all that decides.
FUSE_DEVICE='{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}'
PROBE_FUSE='(exec 3</dev/fuse) 2>/dev/null && echo read-ok || echo read-refused
(exec 3>/dev/fuse) 2>/dev/null && echo write-ok || echo write-refused'

# run_fuse_probe RULES - run the probe with RULES (JSON objects, comma
# separated) after a rule that denies every device; sets $status and $output.
run_fuse_probe() {
	update_config ".linux.devices = [$FUSE_DEVICE]
		| .linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}, $1]"
	try run --bundle "$BUNDLE" "$CTR_ID"
}

# fuse_rule ALLOW ACCESS - a rule for c 10:229.
fuse_rule() {
	echo "{\"allow\": $1, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"$2\"}"
}

@test "device access strings: letters in any order, repeated or unknown are taken as runc takes them" {
	[[ -c /dev/fuse ]] || skip "no /dev/fuse on this host"
	make_bundle -- sh -c "$PROBE_FUSE"
	local access want
	# ACCESS|what the container can open: runc keeps the r, w and m letters
	# and ignores any other character.
	for access in "rwm|read-ok write-ok" "mwr|read-ok write-ok" "rrw|read-ok write-ok" \
		"rwx|read-ok write-ok" "wx|read-refused write-ok" "r m|read-ok write-refused"; do
		want=${access#*|}
		run_fuse_probe "$(fuse_rule true "${access%%|*}")"
		assert_success
		assert_equal "$(echo $output)" "$want"
	done
	# No r, w or m at all: the rule changes nothing.
	run_fuse_probe "$(fuse_rule true rwm), $(fuse_rule false RWM)"
	assert_success
	assert_equal "$(echo $output)" "read-ok write-ok"
}

@test "device rules runc refuses: an empty access string and an unknown type" {
	make_bundle -- true
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": ""}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "cannot be empty"
	assert_output --regexp 'devices\[1\]|at 1 field'

	for type in u p x; do
		update_config ".linux.resources.devices[1] = {\"allow\": true, \"type\": \"$type\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}"
		try run --bundle "$BUNDLE" "$CTR_ID"
		assert_failure
		# runc's log quotes the message, so its quotes come escaped.
		assert_output --regexp "invalid cgroup device type \\\\?\"$type\\\\?\""
	done
}

@test "an empty device rule type means every device, as in runc" {
	[[ -c /dev/fuse ]] || skip "no /dev/fuse on this host"
	make_bundle -- sh -c "$PROBE_FUSE; echo x >/dev/null && echo null-ok"
	update_config ".linux.devices = [$FUSE_DEVICE]
		| .linux.resources.devices = [{\"allow\": false, \"type\": \"\", \"access\": \"rwm\"}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_equal "$(echo $output)" "read-refused write-refused null-ok"
}

# ---- linux.devices and the device cgroup -------------------------------------

KMSG_DEVICE='{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}'
# Opening /dev/kmsg for writing needs no capability (reading needs
# CAP_SYSLOG), so the device cgroup alone decides.
PROBE_DEVICES='stat -c "%n %F %t:%T" /dev/kmsg
(true >/dev/kmsg) 2>/dev/null && echo kmsg-ok || echo kmsg-refused
for d in null zero full random urandom ptmx; do
	(exec 3<>/dev/$d) 2>/dev/null && echo $d-ok || echo $d-refused
done'

@test "a node of linux.devices is created, but only linux.resources.devices lets it open, as in runc" {
	make_bundle -- sh -c "$PROBE_DEVICES"
	update_config ".linux.devices = [$KMSG_DEVICE]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "/dev/kmsg character special file 1:b"
	assert_line kmsg-refused
	# The standard devices runc always allows stay usable.
	for d in null zero full random urandom ptmx; do
		assert_line "$d-ok"
	done

	# It is linux.resources.devices that opens it.
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line kmsg-ok
	assert_line null-ok
}

# ---- a cgroup that already has processes -------------------------------------

@test "a cgroup that already has processes is joined with runc's warning, and its processes survive" {
	# Both bundles name the same cgroupsPath, $CGROUP_PARENT/$CTR_ID.
	make_bundle
	create_container "$CTR_ID-a"
	ocirt start "$CTR_ID-a"
	local pid_a
	pid_a=$(state_field "$CTR_ID-a" pid)

	# create into it: a warning, not an error; delete does not touch the
	# processes of the other container.
	make_bundle --dir "$BATS_TEST_TMPDIR/b" --id "$CTR_ID"
	try create --bundle "$BATS_TEST_TMPDIR/b" "$CTR_ID-b"
	assert_success
	assert_output --partial "container's cgroup is not empty: 1 process(es) found"
	try delete --force "$CTR_ID-b"
	assert_success
	pid_alive "$pid_a"

	# run: the same, and the process runs in that cgroup.
	make_bundle --dir "$BATS_TEST_TMPDIR/c" --id "$CTR_ID" -- grep -E '^[0-9]+:pids:' /proc/self/cgroup
	try run --bundle "$BATS_TEST_TMPDIR/c" "$CTR_ID-c"
	assert_success
	assert_output --partial "container's cgroup is not empty: 1 process(es) found"
	assert_output --regexp ":pids:$CGROUP_PARENT/$CTR_ID"
	pid_alive "$pid_a"
	assert_equal "$(state_field "$CTR_ID-a" status)" running
	[[ -d /sys/fs/cgroup/pids$CGROUP_PARENT/$CTR_ID ]]
}

# ---- a relative mount destination ----------------------------------------------

@test "a relative mount destination is mounted from the container's / with runc 1.1's deprecation warning" {
	make_bundle -- sh -c 'grep " /mnt/x " /proc/self/mountinfo'
	update_config '.mounts += [{destination: "mnt/x", type: "tmpfs", source: "tmpfs"}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --partial "mount destination mnt/x is not absolute. Support for non-absolute mount destinations will be removed in a future release."
	assert_output --regexp ' /mnt/x [^ ]+ - tmpfs '
}

# ---- no mount namespace --------------------------------------------------------

# no_mount_namespace - drop the mount namespace, and the masked and
# read-only paths that runc refuses without one.
no_mount_namespace() {
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| del(.linux.maskedPaths, .linux.readonlyPaths)'
}

@test "without a mount namespace the container runs in the caller's, chrooted into its rootfs, as in runc" {
	make_bundle -- sh -c "readlink /proc/self/ns/mnt; ls /bin/busybox /proc/self/status
		test -e '$BATS_TEST_TMPDIR' && echo host-visible || echo rootfs-only"
	no_mount_namespace
	# The container's mounts are made in the caller's mount namespace, and
	# runc leaves them there.
	defer "umount -R '$BUNDLE/rootfs'"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "$(readlink /proc/self/ns/mnt)"
	assert_line /bin/busybox
	assert_line /proc/self/status
	assert_line rootfs-only
}

@test "without a mount namespace, masked or read-only paths are refused with runc's message" {
	make_bundle -- true
	update_config '.linux.namespaces |= map(select(.type != "mount")) | del(.linux.readonlyPaths)'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "unable to restrict sys entries without a private MNT namespace"

	update_config 'del(.linux.maskedPaths) | .linux.readonlyPaths = ["/proc/sys"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "unable to restrict sys entries without a private MNT namespace"
}

@test "a systemd-style cgroupsPath without --systemd-cgroup is a plain cgroupfs path, as runc takes it" {
	local name="ocirt-test-sd:pfx:$CTR_ID"
	make_bundle -- cat /proc/self/cgroup
	update_config ".linux.cgroupsPath = \"$name\""
	run ocirt run --bundle "$BUNDLE" "$CTR_ID" </dev/null
	assert_success
	# Each v1 controller line (and the v2 one) names the path as given.
	assert_output --partial "pids:/$name"
	run ocirt delete "$CTR_ID"
	[[ ! -e /sys/fs/cgroup/pids/$name ]]
}
