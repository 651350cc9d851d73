#!/usr/bin/env bats
# idmap_mounts.bats - idmapped bind mounts (runtime-spec 1.1: the mount's
# uidMappings/gidMappings and the "idmap" and "ridmap" options), checked
# from inside the container (the owners it sees, what it may create) and
# from the host (the owners on disk, nothing left behind).
#
# Each test runs only where the runtime under test lists
# mountExtensions.idmap in its features (runc 1.1 does not) and this kernel
# can idmap the filesystem of $BATS_TEST_TMPDIR.

load helpers

setup() {
	common_setup
	ocirt features | jq -e '.linux.mountExtensions.idmap.enabled == true' >/dev/null ||
		skip "$RUNTIME_NAME does not implement idmapped mounts"
	# The mapped root of a user namespace must reach the bundle and the
	# host directory.
	chmod 0755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$HOSTDIR/sub"
	touch "$HOSTDIR/root-file"
	touch "$HOSTDIR/user-file"
	chown 1234:1234 "$HOSTDIR/user-file"
}
teardown() { common_teardown; }

# need_idmappable_tmpdir - skip unless the kernel can idmap the filesystem
# of $BATS_TEST_TMPDIR: tmpfs can from Linux 6.3 on (not on Debian 12's
# 6.1, whose test VM keeps /tmp on tmpfs); ext4, xfs and btrfs can.
need_idmappable_tmpdir() {
	local release major minor
	release=$(uname -r)
	IFS=. read -r major minor _ <<<"$release"
	if [[ $(stat -f -c %T "$BATS_TEST_TMPDIR") == tmpfs ]] && ((major < 6 || (major == 6 && minor < 3))); then
		skip "$BATS_TEST_TMPDIR is on tmpfs, which Linux $release cannot idmap"
	fi
}

# userns_bundle CMD... - $BUNDLE running CMD in a new user namespace whose
# ids 0-65535 are the host's 100000-165535.
userns_bundle() {
	make_bundle -- "$@"
	# The mapped root may not create the mount point in the host-owned rootfs.
	mkdir -p "$BUNDLE/rootfs/data"
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

# add_mount OPTIONS [EXTRA] - bind $HOSTDIR at /data with the JSON array
# OPTIONS, and the jq object EXTRA merged in (mappings).
add_mount() {
	update_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$HOSTDIR\",
		options: $1} + ${2:-{\}}]"
}

# sees_disk_ids_and_creates_as_root - $output is `ls -ln /data` and
# "new UID GID" from a container whose /data is $HOSTDIR idmapped through
# its own maps (0-65535 = host 100000-165535): disk id d is host id
# d + 100000, which is d again inside; and the file its root made is host
# root's on disk.
sees_disk_ids_and_creates_as_root() {
	assert_line --regexp '^-.* 0 +0 .* root-file$'
	assert_line --regexp '^-.* 1234 +1234 .* user-file$'
	assert_line "new 0 0"
	run stat -c "%u %g" "$HOSTDIR/new"
	assert_output "0 0"
}

@test "idmap on a bind mount: the container sees the ids on disk as they are, and its root creates files as the host's root" {
	need_idmappable_tmpdir
	userns_bundle sh -c 'ls -ln /data; touch /data/new && stat -c "new %u %g" /data/new'
	add_mount '["rbind", "idmap"]'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	sees_disk_ids_and_creates_as_root
}

@test "without idmap the same mount shows the host's files as nobody's, and root may not create there" {
	userns_bundle sh -c 'ls -ln /data; touch /data/new'
	add_mount '["rbind"]'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_line --regexp '^-.* 65534 +65534 .* root-file$'
	assert_output --partial "Permission denied"
	[[ ! -e $HOSTDIR/new ]]
}

@test "a mount's own uidMappings and gidMappings idmap it in a container without a user namespace" {
	need_idmappable_tmpdir
	make_bundle -- sh -c 'ls -ln /data; grep " /data " /proc/self/mountinfo'
	add_mount '["bind", "idmap"]' '{uidMappings: [{containerID: 0, hostID: 1000, size: 65536}],
		gidMappings: [{containerID: 0, hostID: 2000, size: 65536}]}'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	# disk id d shows as d + hostID: the mapping's ns id d is host id d + hostID.
	assert_line --regexp '^-.* 2234 +3234 .* user-file$'
	assert_line --regexp '^-.* 1000 +2000 .* root-file$'
	assert_line --regexp ' /data .*idmapped'
}

@test "ridmap idmaps the mounts under an rbind too; idmap only its top" {
	need_idmappable_tmpdir
	mount -t tmpfs -o size=1m tmpfs "$HOSTDIR/sub"
	defer "umount -l '$HOSTDIR/sub'"
	touch "$HOSTDIR/sub/inner"
	for opt in ridmap idmap; do
		userns_bundle sh -c 'stat -c "%u %n" /data/root-file /data/sub/inner'
		add_mount "[\"rbind\", \"$opt\"]"
		run ocirt run --bundle "$BUNDLE" "$CTR_ID"
		if [[ $opt == ridmap ]]; then
			assert_success
			assert_line "0 /data/root-file"
			assert_line "0 /data/sub/inner"
		else
			assert_success
			assert_line "0 /data/root-file"
			assert_line "65534 /data/sub/inner"
		fi
	done
}

@test "idmap is refused, naming the mount, on a non-bind mount and without mappings or a user namespace; nothing is left" {
	make_bundle -- true
	local tmpfs_map='{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["idmap"], uidMappings: [{containerID: 0, hostID: 1000, size: 1}], gidMappings: [{containerID: 0, hostID: 1000, size: 1}]}'
	local no_userns="{destination: \"/data\", type: \"bind\", source: \"$HOSTDIR\", options: [\"bind\", \"idmap\"]}"
	local uid_only="{destination: \"/data\", type: \"bind\", source: \"$HOSTDIR\", options: [\"bind\"], uidMappings: [{containerID: 0, hostID: 1000, size: 1}]}"
	for case in "$tmpfs_map|supported for bind mounts only" \
		"$no_userns|the container has no user namespace" \
		"$uid_only|uidMappings and gidMappings must be given together"; do
		IFS='|' read -r mount want <<<"$case"
		update_config ".mounts = [.mounts[] | select(.destination != \"/data\")] + [$mount]"
		create_refused "config.json: .mounts[" "$want"
	done
}

@test "a source whose filesystem cannot be idmapped fails create with the mount named, and leaves nothing" {
	make_bundle -- true
	update_config '.mounts += [{destination: "/hostproc", type: "bind", source: "/proc", options: ["rbind", "idmap"],
		uidMappings: [{containerID: 0, hostID: 1000, size: 65536}],
		gidMappings: [{containerID: 0, hostID: 1000, size: 65536}]}]'
	create_refused 'mount "/hostproc": idmap the source "/proc"'
}

@test "a bare idmap in a container that joins a user namespace by path takes that namespace's maps" {
	need_idmappable_tmpdir
	userns_bundle sleep 1000
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	local holder second=$BATS_TEST_TMPDIR/second id2=$CTR_ID-joiner
	holder=$(state_field "$CTR_ID" pid)
	make_bundle --dir "$second" --id "$id2" -- sh -c 'ls -ln /data; touch /data/new && stat -c "new %u %g" /data/new'
	mkdir -p "$second/rootfs/data"
	update_config ".linux.namespaces += [{type: \"user\", path: \"/proc/$holder/ns/user\"}]
		| del(.linux.uidMappings, .linux.gidMappings)
		| .mounts += [{destination: \"/data\", type: \"bind\", source: \"$HOSTDIR\", options: [\"rbind\", \"idmap\"]}]" "$second"
	run ocirt run --bundle "$second" "$id2"
	assert_success
	sees_disk_ids_and_creates_as_root
}
