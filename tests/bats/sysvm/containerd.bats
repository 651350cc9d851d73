#!/usr/bin/env bats
# containerd.bats (systemd VM) - containerd 1.6 (containerd.service) and its
# io.containerd.runc.v2 shim run containers with the runtime under test on
# a systemd + cgroup v2 + AppArmor host, through ctr: once with the shim's
# default (cgroupfs: cgroupsPath /<namespace>/<id>) and once with
# SystemdCgroup = true as kubelet configures it (ctr --runc-systemd-cgroup,
# cgroupsPath system.slice:ctr:<id>, a ctr-<id>.scope). The runtime is the
# shim's BinaryName (ctr --runc-binary). The confined container uses
# containerd's own default AppArmor profile (ctr
# --apparmor-default-profile). No update test: ctr 1.6 has no update
# command (containerd's task Update is reached by the CRI's
# UpdateContainerResources, and Debian 12 has no crictl). The image is
# rootfs-tools' busybox in an OCI layout made with umoci and imported with
# `ctr images import`.

load sysvm_helpers
bats_require_minimum_version 1.5.0

IMG=docker.io/library/ocirt-bb:latest

setup_file() {
	sysvm_host || return 0
	sysvm_setup_runtime
	systemctl start containerd.service || fail "containerd.service did not start"
	wait_until 30 ctr version
	local w=$BATS_FILE_TMPDIR
	sysvm_rootfs_tar "$w/rootfs.tar"
	umoci init --layout "$w/oci"
	umoci new --image "$w/oci:latest"
	umoci unpack --image "$w/oci:latest" "$w/unpacked" >/dev/null
	tar -C "$w/unpacked/rootfs" -xf "$w/rootfs.tar"
	umoci repack --image "$w/oci:latest" "$w/unpacked"
	umoci config --image "$w/oci:latest" --config.cmd /bin/sh
	jq --arg ref "$IMG" '.manifests[0].annotations["org.opencontainers.image.ref.name"] = $ref' \
		"$w/oci/index.json" >"$w/index.json"
	mv "$w/index.json" "$w/oci/index.json"
	tar -C "$w/oci" -cf "$w/image.tar" .
	rm -rf "$w/unpacked"
	ctr images import "$w/image.tar" >/dev/null || fail "ctr images import failed"
}

teardown_file() {
	sysvm_host || return 0
	local id
	for id in $(ctr containers ls -q 2>/dev/null); do
		ctr task kill -s KILL "$id" >/dev/null 2>&1 || true
		ctr task delete -f "$id" >/dev/null 2>&1 || true
		ctr containers rm "$id" >/dev/null 2>&1 || true
	done
	ctr images rm "$IMG" >/dev/null 2>&1 || true
	systemctl stop containerd.service >/dev/null 2>&1 || true
}

setup() {
	sysvm_require
	common_setup
	ID=ct$BATS_TEST_NUMBER
}

# Every container of the test is deleted; then neither its cgroup (either
# driver's) nor its shim may be left.
teardown() {
	local id leaks=()
	for id in $(ctr containers ls -q 2>/dev/null); do
		ctr task kill -s KILL "$id" >/dev/null 2>&1 || true
		wait_gone "$id"
		ctr task delete -f "$id" >/dev/null 2>&1 || true
		ctr containers rm "$id" >/dev/null 2>&1 || true
	done
	[[ -d /sys/fs/cgroup/default/$ID ]] && leaks+=("cgroup left: /sys/fs/cgroup/default/$ID")
	unit_left "ctr-$ID.scope" && leaks+=("scope left: ctr-$ID.scope")
	pgrep -f "containerd-shim-runc-v2 -namespace default -id $ID " >/dev/null &&
		leaks+=("shim left for $ID")
	common_teardown
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# wait_gone ID - wait (5 s at most) until ID's task is no longer running.
wait_gone() {
	local i
	for i in $(seq 50); do
		ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id && $3 == "RUNNING" {f = 1} END {exit !f}' || return 0
		sleep 0.1
	done
}

# cr ARGS... - ctr with a timeout.
cr() {
	timeout -k 5 "$SYSVM_CMD_TIMEOUT" ctr "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# crun_opts MODE - the ctr run options of a cgroup mode: "default" (the
# shim's default, cgroupfs) or "systemd" (SystemdCgroup = true).
crun_opts() {
	OPTS=(--runc-binary "$SYSVM_RT")
	[[ $1 == systemd ]] && OPTS+=(--runc-systemd-cgroup --cgroup "system.slice:ctr:$ID")
	return 0
}

# cgroup_of MODE - the container's cgroup (relative to /sys/fs/cgroup).
cgroup_of() {
	if [[ $1 == systemd ]]; then echo "/system.slice/ctr-$ID.scope"; else echo "/default/$ID"; fi
}

# sleeper MODE [RUN OPTS...] - a detached container running sleep; $CPID.
sleeper() {
	local mode=$1
	shift
	crun_opts "$mode"
	run cr run -d "${OPTS[@]}" "$@" "$IMG" "$ID" sleep 1000
	assert_success
	CPID=$(cr task ls | awk -v id="$ID" '$1 == id {print $2}')
	[[ $CPID =~ ^[1-9][0-9]*$ ]] || fail "no pid for $ID: $CPID"
}

task_status() {
	cr task ls | awk -v id="$ID" '$1 == id {print $3}'
}

check_run_exit() {
	crun_opts "$1"
	run cr run --rm "${OPTS[@]}" "$IMG" "$ID" sh -c 'echo out; exit 7'
	assert_equal "$status" 7
	assert_output out
}

check_cgroup() {
	sleeper "$1"
	run cat "/proc/$CPID/cgroup"
	assert_output "0::$(cgroup_of "$1")"
	if [[ $1 == systemd ]]; then
		run systemctl show -P ActiveState,Delegate "ctr-$ID.scope"
		assert_line active
		assert_line yes
	fi
}

check_logs() {
	crun_opts "$1"
	local log=$BATS_TEST_TMPDIR/ctr.log
	run cr run -d --log-uri "file://$log" "${OPTS[@]}" "$IMG" "$ID" sh -c 'echo hello-from-d; sleep 1000'
	assert_success
	wait_until 20 grep -qx hello-from-d "$log"
}

check_exec() {
	sleeper "$1"
	run cr task exec --exec-id e1 "$ID" sh -c 'echo in-exec; exit 5'
	assert_equal "$status" 5
	assert_output in-exec
}

check_stop() {
	# As PID 1, sleep would ignore TERM (no handler): a shell that traps it.
	crun_opts "$1"
	run cr run -d "${OPTS[@]}" "$IMG" "$ID" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done'
	assert_success
	CPID=$(cr task ls | awk -v id="$ID" '$1 == id {print $2}')
	run cr task kill -s TERM "$ID"
	assert_success
	wait_until 20 bash -c "ctr task ls | awk '\$1 == \"$ID\" && \$3 == \"STOPPED\" {f = 1} END {exit !f}'"
	pid_alive "$CPID" && fail "container process $CPID still alive"
	run cr task delete "$ID"
	assert_success
	# systemd removes a scope's cgroup once its stop job ran: a moment.
	wait_until 10 test ! -d "/sys/fs/cgroup$(cgroup_of "$1")"
}

check_pause() {
	sleeper "$1"
	local dir=/sys/fs/cgroup$(cgroup_of "$1")
	run cr task pause "$ID"
	assert_success
	run task_status
	assert_output PAUSED
	run cat "$dir/cgroup.freeze"
	assert_output 1
	run cr task resume "$ID"
	assert_success
	run task_status
	assert_output RUNNING
	run cat "$dir/cgroup.freeze"
	assert_output 0
	run cr task exec --exec-id e2 "$ID" echo alive
	assert_output alive
}

check_apparmor() {
	sleeper "$1" --apparmor-default-profile ctr-default
	run apparmor_label "$CPID"
	assert_output 'ctr-default (enforce)'
	run cr task exec --exec-id e3 "$ID" cat /proc/self/attr/current
	assert_output --regexp '^ctr-default \(enforce\)'
}

@test "containerd (sysvm): run gives the container's output and exit code (cgroupfs default)" { check_run_exit default; }
@test "containerd (sysvm): run gives the container's output and exit code (SystemdCgroup)" { check_run_exit systemd; }
@test "containerd (sysvm): the container's cgroup is /default/ID (cgroupfs default)" { check_cgroup default; }
@test "containerd (sysvm): the container's cgroup is the ctr-ID.scope, delegated (SystemdCgroup)" { check_cgroup systemd; }
@test "containerd (sysvm): run -d with a log file gets the output (cgroupfs default)" { check_logs default; }
@test "containerd (sysvm): run -d with a log file gets the output (SystemdCgroup)" { check_logs systemd; }
@test "containerd (sysvm): task exec (exit code, output) (cgroupfs default)" { check_exec default; }
@test "containerd (sysvm): task exec (exit code, output) (SystemdCgroup)" { check_exec systemd; }
@test "containerd (sysvm): kill TERM stops the task, delete removes its cgroup (cgroupfs default)" { check_stop default; }
@test "containerd (sysvm): kill TERM stops the task, delete removes its scope (SystemdCgroup)" { check_stop systemd; }
@test "containerd (sysvm): pause freezes the cgroup, resume thaws it (cgroupfs default)" { check_pause default; }
@test "containerd (sysvm): pause freezes the scope, resume thaws it (SystemdCgroup)" { check_pause systemd; }
@test "containerd (sysvm): the ctr-default AppArmor profile confines the container and exec (cgroupfs default)" { check_apparmor default; }
@test "containerd (sysvm): the ctr-default AppArmor profile confines the container and exec (SystemdCgroup)" { check_apparmor systemd; }
