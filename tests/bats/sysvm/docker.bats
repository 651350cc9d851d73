#!/usr/bin/env bats
# docker.bats (systemd VM) - dockerd 20.10 (from docker.service, through
# the system containerd and containerd-shim-runc-v2) runs containers with
# the runtime under test on a systemd + cgroup v2 + AppArmor host, with its
# defaults: the systemd cgroup driver (each container a docker-<id>.scope in
# system.slice) and the docker-default AppArmor profile. Only the runtime
# is registered, in /etc/docker/daemon.json ("runtimes"), and chosen with
# --runtime. The image is rootfs-tools' busybox, imported as ocirt-bb.

load sysvm_helpers
bats_require_minimum_version 1.5.0

IMG=ocirt-bb
# "runc" is docker's own name for its default runtime.
RT=testrt

setup_file() {
	sysvm_host || return 0
	sysvm_setup_runtime
	mkdir -p /etc/docker
	jq -n --arg p "$SYSVM_RT" --arg n "$RT" '{runtimes: {($n): {path: $p}}}' >/etc/docker/daemon.json
	systemctl restart docker.service || { journalctl -u docker --no-pager | tail -n 30 >&2; fail "docker.service did not start"; }
	wait_until 60 docker version
	sysvm_rootfs_tar "$BATS_FILE_TMPDIR/rootfs.tar"
	docker import --change 'CMD ["/bin/sh"]' "$BATS_FILE_TMPDIR/rootfs.tar" "$IMG" >/dev/null ||
		fail "docker import failed"
}

teardown_file() {
	sysvm_host || return 0
	docker rm -f $(docker ps -aq) >/dev/null 2>&1 || true
	docker rmi -f "$IMG" >/dev/null 2>&1 || true
	systemctl stop docker.service docker.socket containerd.service >/dev/null 2>&1 || true
}

setup() {
	sysvm_require
	common_setup
}

# Every container of the test is removed; its scope must be gone with it.
teardown() {
	local ids id leaks=()
	ids=$(docker ps -aq --no-trunc 2>/dev/null)
	for id in $ids; do docker rm -f "$id" >/dev/null 2>&1 || true; done
	for id in $ids; do
		unit_left "docker-$id.scope" && leaks+=("scope left: docker-$id.scope")
	done
	common_teardown
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# dk ARGS... - the docker CLI, with a timeout.
dk() {
	timeout -k 5 "$SYSVM_CMD_TIMEOUT" docker "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# sleeper NAME - a detached container running sleep; sets $CID and $CPID.
sleeper() {
	run dk run -d --runtime "$RT" --network none --name "$1" "$IMG" sleep 1000
	assert_success
	CID=$(dk inspect -f '{{.Id}}' "$1")
	CPID=$(dk inspect -f '{{.State.Pid}}' "$1")
	[[ $CPID =~ ^[1-9][0-9]*$ ]] || fail "no pid for $1: $CPID"
}

@test "docker (sysvm): its defaults here are the systemd cgroup driver and AppArmor" {
	run dk info --format '{{.CgroupDriver}} {{.CgroupVersion}} {{json .SecurityOptions}}'
	assert_success
	assert_output --regexp '^systemd 2 .*"name=apparmor"'
	run dk info --format '{{json .Runtimes}}'
	assert_output --partial "\"$RT\""
}

@test "docker (sysvm): run gives the container's output and exit code" {
	run dk run --rm --runtime "$RT" --network none "$IMG" sh -c 'echo out; echo err >&2; exit 7'
	assert_equal "$status" 7
	assert_line out
	assert_line err
}

@test "docker (sysvm): the container runs in its docker scope in system.slice, delegated" {
	sleeper sc
	run cat "/proc/$CPID/cgroup"
	assert_output "0::/system.slice/docker-$CID.scope"
	run systemctl show -P ActiveState,Delegate "docker-$CID.scope"
	assert_line active
	assert_line yes
}

@test "docker (sysvm): the container is confined by the docker-default AppArmor profile" {
	sleeper aa
	run apparmor_label "$CPID"
	assert_output 'docker-default (enforce)'
	run dk exec aa cat /proc/1/attr/current
	assert_success
	assert_output --regexp '^docker-default \(enforce\)'
}

@test "docker (sysvm): run -d, then logs shows the output" {
	run dk run -d --runtime "$RT" --network none --name lg "$IMG" sh -c 'echo hello-from-d; sleep 1000'
	assert_success
	wait_until 20 bash -c "docker logs lg 2>&1 | grep -qx hello-from-d"
}

@test "docker (sysvm): exec runs in the container (exit code, output, same profile)" {
	sleeper ex
	run dk exec ex sh -c 'echo in-exec; exit 5'
	assert_equal "$status" 5
	assert_output in-exec
	run dk exec ex cat /proc/self/attr/current
	assert_output --regexp '^docker-default \(enforce\)'
}

@test "docker (sysvm): stop ends the container and its scope" {
	sleeper st
	run dk stop -t 2 st
	assert_success
	run dk inspect -f '{{.State.Status}}' st
	assert_output exited
	pid_alive "$CPID" && fail "container process $CPID still alive"
	# An empty scope stops: systemd notices a moment later.
	wait_until 10 bash -c "! systemctl is-active -q docker-$CID.scope"
}

@test "docker (sysvm): pause freezes the scope's cgroup, unpause thaws it" {
	sleeper pz
	local dir
	dir=$(scope_dir "docker-$CID.scope")
	run dk pause pz
	assert_success
	run dk inspect -f '{{.State.Status}}' pz
	assert_output paused
	run cat "$dir/cgroup.freeze"
	assert_output 1
	run dk unpause pz
	assert_success
	run dk inspect -f '{{.State.Status}}' pz
	assert_output running
	run cat "$dir/cgroup.freeze"
	assert_output 0
	run dk exec pz echo alive
	assert_output alive
}

@test "docker (sysvm): update sets the memory limit of the running container's scope" {
	sleeper up
	run dk update --memory 64m --memory-swap 128m up
	assert_success
	local dir
	dir=$(scope_dir "docker-$CID.scope")
	run cat "$dir/memory.max"
	assert_output 67108864
	run cat "$dir/memory.swap.max"
	assert_output 67108864
}
