#!/usr/bin/env bats
# mount_order.bats - the order of the mount steps, the namespaces they run
# in, and the console, as runc 1.1.5 does them (issue 12 §5): a read-only
# /dev, bind sources only the runtime can reach, a host network namespace
# joined by path with a new user namespace, the owner of the console pty,
# the cwd of createContainer hooks, and runc's wording for proc on a file.

load helpers
load console_helpers

setup() { common_setup; }
teardown() { common_teardown; }

# userns_config - a new user namespace, ids 0-65535 mapped to the host's
# 100000-165535, and a bundle the mapped root can reach.
userns_config() {
	chmod 0755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR" "$BUNDLE"
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "a read-only /dev tmpfs is made read-only after the mounts and nodes beneath it" {
	make_bundle -- sh -c 'grep -E " /dev(/pts)? " /proc/self/mountinfo; touch /dev/x; ls -l /dev/null'
	update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	# /dev is read-only as a mount (a bind remount: the tmpfs itself stays rw)
	assert_line --regexp '^[0-9]+ [0-9]+ [0-9:]+ / /dev ro,'
	assert_line --regexp ' /dev/pts rw,.* - devpts '
	assert_output --partial 'touch: /dev/x: Read-only file system'
	assert_line --regexp '^crw-rw-rw- .* 1, +3 .* /dev/null$'
}

@test "a read-only tmpfs is read-only as a mount, its filesystem stays writable" {
	make_bundle -- sh -c 'grep -E " /tmp " /proc/self/mountinfo'
	update_config '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["ro", "nosuid"]}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output --regexp ' /tmp ro,nosuid,relatime - tmpfs tmpfs rw'
}

@test "proc on a file fails with runc's \"must be mounted on ordinary directory\"" {
	make_bundle -- true
	rmdir "$BUNDLE/rootfs/proc"
	touch "$BUNDLE/rootfs/proc"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	# runc's log escapes the quotes
	assert_output --regexp 'filesystem \\?"proc\\?" must be mounted on ordinary directory'
	assert_output --regexp 'at \\?"/proc\\?"'
}

@test "proc on a symlink fails with runc's \"must be mounted on ordinary directory\"" {
	make_bundle -- true
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /tmp "$BUNDLE/rootfs/proc"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --regexp 'filesystem \\?"proc\\?" must be mounted on ordinary directory'
}

@test "createContainer hooks run with the rootfs as their working directory" {
	make_bundle -- true
	local out="$BATS_TEST_TMPDIR/hook.out"
	update_config ".hooks.createContainer = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"pwd > $out\"]}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	run cat "$out"
	assert_output "$BUNDLE/rootfs"
}

@test "the console pty belongs to process.user.uid; its group stays devpts's (tty)" {
	make_bundle -- sh -c 'stat -c "%u %g %n" "$(tty)" /dev/console'
	update_config '.process.terminal = true | .process.user.uid = 1000 | .process.user.gid = 1000'
	console_run
	assert_line --index 0 '1000 5 /dev/pts/0'
	assert_line --index 1 '1000 5 /dev/console'
}

# join_netns_with_userns PATH - run a container in a new user namespace that
# joins the network namespace at PATH; prints that namespace's link. runc
# 1.1.5 has no fallback for sysfs in a network namespace it does not own,
# so the config mounts no /sys.
join_netns_with_userns() {
	make_bundle -- readlink /proc/self/ns/net
	userns_config
	update_config ".mounts |= map(select(.destination | startswith(\"/sys\") | not))
		| .linux.namespaces |= map(if .type == \"network\" then .path = \"$1\" else . end)"
	try run --bundle "$BUNDLE" "$CTR_ID"
}

@test "a new user namespace joins the network namespace at /run/netns/NAME" {
	local name="ocirt-test-$BATS_TEST_NUMBER-$$"
	ip netns add "$name"
	defer "ip netns del $name"
	join_netns_with_userns "/run/netns/$name"
	assert_success
	assert_output "net:[$(stat -L -c %i "/run/netns/$name")]"
}

@test "a new user namespace joins the host's network namespace at /proc/PID/ns/net" {
	join_netns_with_userns "/proc/$$/ns/net"
	assert_success
	assert_output "$(host_ns net)"
}

@test "in a user namespace, a bind source under a 0700 host directory is mounted (opened by the runtime)" {
	make_bundle -- sh -c 'cat /data/f; touch /data/new && echo written'
	userns_config
	local private="$BATS_TEST_TMPDIR/private"
	mkdir -p "$private/data" "$BUNDLE/rootfs/data"
	echo secret-content > "$private/data/f"
	chown 100000:100000 "$private/data"
	chmod 0700 "$private"
	update_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$private/data\", options: [\"rbind\"]}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line --index 0 secret-content
	assert_line --index 1 written
	[[ -f $private/data/new ]]
}

# runc 1.1.5 was checked here: with --no-pivot (MS_MOVE + chroot) and
# CAP_SYS_ADMIN, with or without a user namespace, the container's own
# /proc is a fully visible procfs, so the kernel lets it mount a fresh one
# on /proc; the host's /proc and /sys stay covered by the moved rootfs.
@test "--no-pivot: a container with CAP_SYS_ADMIN mounts a fresh proc on /proc, as in runc" {
	make_bundle -- sh -c 'mount -t proc proc /proc && echo mounted; grep -c " /proc proc " /proc/self/mounts; ls /proc/1/exe >/dev/null && echo pid1'
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])
		| .process.capabilities |= del(.ambient)'
	try run --no-pivot --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line --index 0 mounted
	assert_line --index 1 2
	assert_line --index 2 pid1
}

# A new user namespace may mount a fresh proc only where a full one is
# visible in its mount namespace. With --no-pivot the host's /proc is still
# there under the chroot; runc 1.1.5 detaches the host's full proc and sysfs
# mounts before the chroot, so this fails as it does under pivot_root.
@test "--no-pivot: an unprivileged user namespace cannot mount a bare /proc, as in runc" {
	make_bundle -- unshare -mrpf sh -c 'mount -t proc none /proc && echo bare-proc-mounted'
	update_config '.process.capabilities.bounding += ["CAP_SETFCAP"]
		| .process.capabilities.permitted += ["CAP_SETFCAP"]'
	try run --no-pivot --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "mount: permission denied"
	refute_output --partial bare-proc-mounted
	# The host's /proc and /sys are untouched by what the container's mount
	# namespace detached.
	[[ -r /proc/self/mountinfo && -d /sys/fs/cgroup/pids ]]
}

@test "in a user namespace, a missing bind source fails create naming it, and leaves nothing behind" {
	make_bundle -- true
	userns_config
	update_config '.mounts += [{destination: "/x", type: "bind", source: "/nonexistent-ocirt-test", options: ["bind"]}]'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial '/nonexistent-ocirt-test'
	assert_output --regexp '[Nn]o such file or directory'
	run ocirt state "$CTR_ID"
	assert_failure
}
