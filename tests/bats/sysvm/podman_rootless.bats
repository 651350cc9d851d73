#!/usr/bin/env bats
# podman_rootless.bats (systemd VM) - rootless podman 4.3 runs containers
# with the runtime under test as the user tester (uid 1000, lingering, with
# /etc/subuid and /etc/subgid ranges), with podman's rootless defaults on a
# systemd + cgroup v2 host: its own storage in ~tester, the systemd cgroup
# manager through the user's systemd (podman gives the runtime
# --systemd-cgroup and a "user.slice:libpod:<id>" cgroupsPath, and runs it
# in its user namespace with XDG_RUNTIME_DIR=/run/user/1000), slirp4netns.
# Only the runtime is chosen, with --runtime PATH. The image is
# rootfs-tools' busybox, imported into tester's storage as
# localhost/ocirt-bb (no network in the VM). No storage.conf is written:
# podman's rootless default storage works here as it is (it picks vfs on
# this image). The host's counterpart, with cgroupfs and no systemd, is
# tests/bats/managers/podman_rootless.bats.
#
# With OCIRT_TEST_RUNTIME=runc the same scenarios run against the VM's runc.

load sysvm_helpers
bats_require_minimum_version 1.5.0

PMU_USER=tester
IMG=localhost/ocirt-bb

setup_file() {
	sysvm_host || return 0
	sysvm_setup_runtime
	PMU_UID=$(id -u "$PMU_USER")
	PMU_HOME=$(getent passwd "$PMU_USER" | cut -d: -f6)
	PMU_XDG=/run/user/$PMU_UID
	export PMU_UID PMU_HOME PMU_XDG
	# The tarball where the user can read it (BATS_FILE_TMPDIR is root's).
	PMU_WORK=$(mktemp -d /tmp/sysvm-pmu.XXXXXX)
	chmod 0755 "$PMU_WORK"
	export PMU_WORK
	sysvm_rootfs_tar "$PMU_WORK/rootfs.tar"
	chmod 0644 "$PMU_WORK/rootfs.tar"
	pmu import --change 'CMD ["/bin/sh"]' "$PMU_WORK/rootfs.tar" "$IMG" >/dev/null ||
		fail "podman import as $PMU_USER failed"
}

teardown_file() {
	sysvm_host || return 0
	pmu rm -af -t 0 >/dev/null 2>&1 || true
	pmu rmi -af >/dev/null 2>&1 || true
	# podman's pause process holds its user namespace; later suites run
	# things as the same user.
	kill_pause
	rm -rf "$PMU_WORK"
}

setup() {
	sysvm_require
	common_setup
}

# Every container of the test is removed; its scope (in the user's
# systemd) and the runtime's state must be gone with it.
teardown() {
	local ids id leaks=() left
	ids=$(pmu ps -aq --no-trunc 2>/dev/null)
	pmu rm -af -t 0 >/dev/null 2>&1 || true
	for id in $ids; do
		user_unit_left "libpod-$id.scope" && leaks+=("scope left in the user's systemd: libpod-$id.scope")
	done
	left=$(ls -A "$PMU_XDG/$SYSVM_RT_NAME" 2>/dev/null)
	[[ -z $left ]] || leaks+=("runtime state left in $PMU_XDG/$SYSVM_RT_NAME: $left")
	common_teardown
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# as_tester CMD... - CMD as the user, as in a login of it: its runtime dir
# and session bus (what podman needs for the systemd cgroup manager).
as_tester() {
	(cd "$PMU_HOME" && timeout -k 5 "$SYSVM_CMD_TIMEOUT" runuser -u "$PMU_USER" -- env \
		HOME="$PMU_HOME" PATH=/usr/local/bin:/usr/bin:/bin \
		XDG_RUNTIME_DIR="$PMU_XDG" DBUS_SESSION_BUS_ADDRESS="unix:path=$PMU_XDG/bus" \
		"$@" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
}

# pmu ARGS... - podman as the user, with the runtime under test and
# nothing else changed.
pmu() {
	as_tester podman --runtime "$SYSVM_RT" "$@"
}

# user_systemctl ARGS... - systemctl --user of the user's own systemd.
user_systemctl() {
	as_tester systemctl --user "$@"
}

# user_unit_left UNIT - true if UNIT of the user's systemd is still active
# 5 s from now (an emptied scope stops a moment after its last process).
user_unit_left() {
	local i
	for i in $(seq 50); do
		user_systemctl is-active -q "$1" || return 1
		sleep 0.1
	done
	return 0
}

# kill_pause - end podman's rootless pause process (its pid file is in the
# user's runtime dir).
kill_pause() {
	local pid
	pid=$(cat "$PMU_XDG/libpod/tmp/pause.pid" 2>/dev/null) || return 0
	[[ $pid =~ ^[1-9][0-9]*$ ]] && kill -9 "$pid" 2>/dev/null
	return 0
}

# sleeper NAME - a detached container running sleep; sets $CID and $CPID.
sleeper() {
	run pmu run -d --name "$1" "$IMG" sleep 1000
	assert_success
	CID=$(pmu inspect -f '{{.Id}}' "$1")
	CPID=$(pmu inspect -f '{{.State.Pid}}' "$1")
	[[ $CPID =~ ^[1-9][0-9]*$ ]] || fail "no pid for $1: $CPID"
}

@test "rootless podman (sysvm): its defaults are the systemd cgroup manager and slirp4netns, the container is in a scope of user@1000.service" {
	run pmu info --format '{{.Host.Security.Rootless}} {{.Host.CgroupManager}} {{.Host.CgroupsVersion}}'
	assert_success
	assert_output 'true systemd v2'
	sleeper cg
	run pmu inspect -f '{{.HostConfig.NetworkMode}}' cg
	assert_output slirp4netns
	# What podman asked of the runtime: a systemd unit (slice:prefix:name).
	run jq -r .linux.cgroupsPath "$(pmu inspect -f '{{.OCIConfigPath}}' cg)"
	assert_output "user.slice:libpod:$CID"
	# The runtime made it through the user's systemd (--systemd-cgroup,
	# rootless): a delegated scope below user@1000.service.
	local unit=libpod-$CID.scope cg=/user.slice/user-$PMU_UID.slice/user@$PMU_UID.service/user.slice/libpod-$CID.scope
	run cat "/proc/$CPID/cgroup"
	assert_output "0::$cg"
	run user_systemctl show -P ActiveState,ControlGroup,Delegate "$unit"
	assert_line active
	assert_line "$cg"
	assert_line yes
	run systemctl show -P LoadState "$unit"
	assert_output not-found
	# The runtime's state is in the user's runtime dir (podman passes no --root).
	[[ -n $(ls -A "$PMU_XDG/$SYSVM_RT_NAME") ]]
}

@test "rootless podman (sysvm): run --rm, root in the container is the user" {
	run pmu run --rm "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 0
	assert_line --index 1 --regexp "^ *0 +$PMU_UID +1$"
}

@test "rootless podman (sysvm): the container's exit code is podman run's" {
	run pmu run --rm "$IMG" sh -c 'exit 7'
	assert_equal "$status" 7
}

@test "rootless podman (sysvm): run -d and logs, exec, stop ends the container and its scope, rm" {
	run pmu run -d --name lg "$IMG" sh -c 'echo up; trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_success
	local cid pid
	cid=$(pmu inspect -f '{{.Id}}' lg)
	pid=$(pmu inspect -f '{{.State.Pid}}' lg)
	for _ in $(seq 30); do
		run pmu logs lg
		[[ $output == up ]] && break
		sleep 0.5
	done
	assert_output up
	run pmu exec lg sh -c 'echo in; exit 3'
	assert_equal "$status" 3
	assert_output in
	run pmu stop -t 5 lg
	assert_success
	run pmu inspect -f '{{.State.Status}} {{.State.ExitCode}}' lg
	assert_output "exited 0"
	pid_alive "$pid" && fail "container process $pid still alive"
	user_unit_left "libpod-$cid.scope" && fail "scope libpod-$cid.scope left after stop"
	run pmu rm lg
	assert_success
	run pmu ps -aq
	assert_output ''
}

@test "rootless podman (sysvm): nothing is left of the containers: no process of the user but its systemd, dbus and podman's pause process, no libpod scope" {
	pmu rm -af -t 0 >/dev/null 2>&1 || true
	local pause pid comm left=()
	pause=$(cat "$PMU_XDG/libpod/tmp/pause.pid" 2>/dev/null) || pause=
	for pid in $(pgrep -u "$PMU_UID"); do
		[[ $pid == "$pause" ]] && continue
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		case $comm in
		systemd | '(sd-pam)' | dbus-daemon) ;;
		*) left+=("$pid $comm: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)") ;;
		esac
	done
	((${#left[@]} == 0)) || fail "processes of $PMU_USER left: $(printf '%s; ' "${left[@]}")"
	run user_systemctl list-units --all --plain --no-legend 'libpod*'
	assert_output ''
	[[ -z $(ls -A "$PMU_XDG/$SYSVM_RT_NAME" 2>/dev/null) ]] || fail "runtime state left"
}
