#!/usr/bin/env bats
# host.bats - the systemd test VM is the host it claims to be (run it with
# tests/vm/sysvmcheck.sh): systemd as PID 1, cgroup v2 unified, AppArmor
# enabled with profiles loaded, the managers installed, and the runtime under
# test runs a container there through the usual helpers.

load ../helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "sysvm: systemd is PID 1 and the boot finished" {
	run cat /proc/1/comm
	assert_output systemd
	run systemctl is-system-running --wait
	# degraded is still a finished boot; list the failed units to say why.
	[[ $output == running ]] || { systemctl --failed --no-legend >&3; [[ $output == degraded ]]; }
}

@test "sysvm: cgroup v2 unified on /sys/fs/cgroup, delegated controllers" {
	run stat -f -c %T /sys/fs/cgroup
	assert_output cgroup2fs
	run grep -c ' cgroup ' /proc/self/mounts
	assert_output 0
	run cat /sys/fs/cgroup/cgroup.subtree_control
	assert_output --partial memory
	assert_output --partial pids
}

@test "sysvm: AppArmor is enabled and apparmor.service loaded the profiles" {
	run cat /sys/module/apparmor/parameters/enabled
	assert_output Y
	run systemctl is-active apparmor.service
	assert_output active
	run aa-enabled
	assert_output Yes
	# securityfs files show size 0: count the lines.
	run grep -c . /sys/kernel/security/apparmor/profiles
	assert_success
	((output > 0))
}

@test "sysvm: the managers, runtimes and the rootless user are there" {
	for p in podman docker dockerd containerd ctr runc crun conmon criu newuidmap slirp4netns; do
		command -v "$p" || fail "$p missing"
	done
	run id -u tester
	assert_output 1000
	run grep '^tester:' /etc/subuid
	assert_output 'tester:100000:65536'
	[[ -f /var/lib/systemd/linger/tester ]]
}

@test "sysvm: the runtime under test runs a container here" {
	make_bundle -- sh -c 'echo hello; cat /proc/self/cgroup'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line hello
	# cgroup v2: a single "0::" line.
	assert_line --regexp '^0::/'
}
