#!/usr/bin/env bats
# podman.bats (systemd VM) - podman 4.3 runs containers with the runtime
# under test on a systemd + cgroup v2 + AppArmor host, with its defaults:
# the systemd cgroup manager (each container a libpod-<id>.scope in
# machine.slice, made by the runtime's --systemd-cgroup driver) and the
# containers-default AppArmor profile on every container. Only the runtime
# is chosen, with --runtime PATH. The image is rootfs-tools' busybox,
# imported as localhost/ocirt-bb (no network in the VM).

load sysvm_helpers
bats_require_minimum_version 1.5.0

IMG=localhost/ocirt-bb

setup_file() {
	sysvm_host || return 0
	sysvm_setup_runtime
	sysvm_rootfs_tar "$BATS_FILE_TMPDIR/rootfs.tar"
	podman import --change 'CMD ["/bin/sh"]' "$BATS_FILE_TMPDIR/rootfs.tar" "$IMG" >/dev/null ||
		fail "podman import failed"
}

teardown_file() {
	sysvm_host || return 0
	podman rm -af -t 0 >/dev/null 2>&1 || true
	podman rmi -af >/dev/null 2>&1 || true
}

setup() {
	sysvm_require
	common_setup
}

# Every container of the test is removed; its scope must be gone with it.
teardown() {
	local ids id leaks=()
	ids=$(podman ps -aq --no-trunc 2>/dev/null)
	podman rm -af -t 0 >/dev/null 2>&1 || true
	for id in $ids; do
		unit_left "libpod-$id.scope" && leaks+=("scope left: libpod-$id.scope")
	done
	common_teardown
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# pm ARGS... - podman with the runtime under test (and nothing else changed).
pm() {
	timeout -k 5 "$SYSVM_CMD_TIMEOUT" podman --runtime "$SYSVM_RT" "$@" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# sleeper NAME - a detached container running sleep; sets $CID and $CPID.
sleeper() {
	run pm run -d --network none --name "$1" "$IMG" sleep 1000
	assert_success
	CID=$(pm inspect -f '{{.Id}}' "$1")
	CPID=$(pm inspect -f '{{.State.Pid}}' "$1")
	[[ $CPID =~ ^[1-9][0-9]*$ ]] || fail "no pid for $1: $CPID"
}

@test "podman (sysvm): its defaults here are the systemd cgroup manager and AppArmor" {
	run podman info --format '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}} {{.Host.Security.AppArmorEnabled}}'
	assert_success
	assert_output 'systemd v2 true'
}

@test "podman (sysvm): run gives the container's output and exit code" {
	run pm run --rm --network none "$IMG" sh -c 'echo out; echo err >&2; exit 7'
	assert_equal "$status" 7
	assert_line out
	assert_line err
}

@test "podman (sysvm): the container runs in its libpod scope in machine.slice, delegated" {
	sleeper sc
	run cat "/proc/$CPID/cgroup"
	assert_output "0::/machine.slice/libpod-$CID.scope"
	run systemctl show -P ActiveState,Delegate "libpod-$CID.scope"
	assert_line active
	assert_line yes
}

@test "podman (sysvm): the container is confined by podman's containers-default AppArmor profile" {
	sleeper aa
	run apparmor_label "$CPID"
	assert_output --regexp '^containers-default-[0-9.]+ \(enforce\)$'
	# As the container sees itself.
	run pm exec aa cat /proc/1/attr/current
	assert_success
	assert_output --regexp '^containers-default-[0-9.]+ \(enforce\)'
}

@test "podman (sysvm): run -d, then logs shows the output" {
	run pm run -d --network none --name lg "$IMG" sh -c 'echo hello-from-d; sleep 1000'
	assert_success
	wait_until 20 bash -c "podman logs lg | grep -qx hello-from-d"
}

@test "podman (sysvm): exec runs in the container (exit code, output, same profile)" {
	sleeper ex
	run pm exec ex sh -c 'echo in-exec; exit 5'
	assert_equal "$status" 5
	assert_output in-exec
	run pm exec ex cat /proc/self/attr/current
	assert_output --regexp '^containers-default-[0-9.]+ \(enforce\)'
}

@test "podman (sysvm): stop ends the container and its scope" {
	sleeper st
	run pm stop -t 2 st
	assert_success
	run pm inspect -f '{{.State.Status}}' st
	assert_output exited
	pid_alive "$CPID" && fail "container process $CPID still alive"
	# An empty scope stops: systemd notices a moment later.
	wait_until 10 bash -c "! systemctl is-active -q libpod-$CID.scope"
}

@test "podman (sysvm): pause freezes the scope's cgroup, unpause thaws it" {
	sleeper pz
	local dir
	dir=$(scope_dir "libpod-$CID.scope")
	run pm pause pz
	assert_success
	run pm inspect -f '{{.State.Status}}' pz
	assert_output paused
	run cat "$dir/cgroup.freeze"
	assert_output 1
	run pm unpause pz
	assert_success
	run pm inspect -f '{{.State.Status}}' pz
	assert_output running
	run cat "$dir/cgroup.freeze"
	assert_output 0
	run pm exec pz echo alive
	assert_output alive
}

@test "podman (sysvm): update sets the memory limit of the running container's scope" {
	sleeper up
	run pm update --memory 64m up
	assert_success
	run cat "$(scope_dir "libpod-$CID.scope")/memory.max"
	assert_output 67108864
}
