#!/usr/bin/env bats
# sysvm/rootless.bats - rootless on cgroup v2 with a delegated subtree, in
# the systemd VM (tests/vm/sysvm.sh of the sysvm work; user tester, uid
# 1000, with /etc/subuid ranges).
#
# systemd delegates a cgroup to a unit of the user's (Delegate=yes, as it
# does user@<uid>.service): there the container gets a cgroup of its own,
# as runc's, <parent of the caller's cgroup>/<id>, and its limits apply.
# Each scenario runs as one script, as the user, in a transient scope of the
# user's own systemd with Delegate=yes (what rootless podman gets). The
# script first moves itself into a leaf, so that the scope's cgroup holds no
# process and may enable controllers below it.
#
# With OCIRT_TEST_RUNTIME=runc the same scenarios run against runc.

OCIRT_TEST_ROOTLESS_USER=${OCIRT_TEST_ROOTLESS_USER:-tester}
load ../helpers
load ../rootless_helpers

setup() {
	[[ $(cat /proc/1/comm) == systemd && $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] ||
		skip "needs a systemd host on cgroup v2 (the systemd VM)"
	# cp -al cannot link from the rootfs cache into another filesystem.
	RL_BUNDLE_MODE=--copy
	rl_setup
	# A copy on the VM's disk that the user can run.
	mkdir -p "$RL_DIR/bin"
	install -m 0755 "$RL_RUNTIME" "$RL_DIR/bin/$RUNTIME_NAME"
	RL_RUNTIME=$RL_DIR/bin/$RUNTIME_NAME
}

# Not rl_teardown: the user's own systemd (lingering) runs as it too. What
# the transient units left has gone with them.
teardown() {
	local i
	for i in "${RL_IDS[@]}"; do
		as_user "$RL_RUNTIME" delete --force "$i" </dev/null >/dev/null 2>&1 || true
	done
	if [[ -n ${RL_DIR:-} ]]; then rm -rf "$RL_DIR"; fi
}

# in_delegated_unit SCRIPT - run the sh SCRIPT as the user in a scope with
# a delegated cgroup of the user's own systemd (user@<uid>.service, which
# Debian 12 delegates cpu, memory and pids), as rootless podman gets one,
# from a leaf of it; $RT, $B and $ID are set for it. Sets $status, $output,
# $lines. Not a system service run as the user (systemd-run --uid): systemd
# expands $ in its command line ($$ becomes $), which broke the move.
in_delegated_unit() {
	run timeout -k 5 120 runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="/run/user/$RL_UID" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$RL_UID/bus" \
		systemd-run --user --scope --quiet -p Delegate=yes -- \
		env -C "$RL_DIR" XDG_RUNTIME_DIR="$RL_XDG" RT="$RL_RUNTIME" B="$RL_BUNDLE" ID="$id" \
		/bin/sh -c 'cg=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)
			mkdir "$cg/leaf" && echo $$ >"$cg/leaf/cgroup.procs" || exit 90
			echo "unit=${cg#/sys/fs/cgroup}"
			'"$1" </dev/null
	((status != 90)) || fail "harness: cannot move into a leaf of the delegated scope: $output"
}

@test "rootless in a delegated cgroup v2 subtree: a cgroup of its own, limits apply, pause, ps and update work, delete removes it" {
	rl_bundle
	rl_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	rl_id
	in_delegated_unit '
		"$RT" run -d --bundle "$B" "$ID" </dev/null >run.log 2>&1 || { cat run.log; exit 91; }
		pid=$("$RT" state "$ID" | jq -r .pid)
		own=$(sed -n "s/^0:://p" /proc/$pid/cgroup)
		echo "cgroup=$own"
		echo "memory.max=$(cat /sys/fs/cgroup$own/memory.max)"
		echo "pids.max=$(cat /sys/fs/cgroup$own/pids.max)"
		"$RT" pause "$ID" && echo "paused=$("$RT" state "$ID" | jq -r .status)"
		"$RT" resume "$ID" && echo "resumed=$("$RT" state "$ID" | jq -r .status)"
		echo "ps=$("$RT" ps --format json "$ID" | jq -c .)"
		"$RT" update --pids-limit 40 "$ID" && echo "updated pids.max=$(cat /sys/fs/cgroup$own/pids.max)"
		echo "init=$pid"
		"$RT" delete --force "$ID" && echo deleted
		[ -e "/sys/fs/cgroup$own" ] && echo "left=$own" || echo "left=none"'
	assert_success
	unit=$(sed -n 's/^unit=//p' <<<"$output")
	assert_line "cgroup=$unit/$id"
	assert_line "memory.max=67108864"
	assert_line "pids.max=50"
	assert_line "paused=paused"
	assert_line "resumed=running"
	init=$(sed -n 's/^init=//p' <<<"$output")
	assert_line "ps=[$init]"
	assert_line "updated pids.max=40"
	assert_line deleted
	assert_line "left=none"
	[[ ! -e $RL_STATE/$id ]]
}

@test "rootless in a delegated cgroup v2 subtree: without limits too, the container is in its own cgroup" {
	rl_bundle
	rl_id
	in_delegated_unit '
		"$RT" run -d --bundle "$B" "$ID" </dev/null >run.log 2>&1 || { cat run.log; exit 91; }
		pid=$("$RT" state "$ID" | jq -r .pid)
		echo "cgroup=$(sed -n "s/^0:://p" /proc/$pid/cgroup)"
		"$RT" delete --force "$ID" && echo deleted'
	assert_success
	unit=$(sed -n 's/^unit=//p' <<<"$output")
	assert_line "cgroup=$unit/$id"
	assert_line deleted
}
