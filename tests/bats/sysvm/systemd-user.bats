#!/usr/bin/env bats
# sysvm/systemd-user.bats - --systemd-cgroup run by an unprivileged user on
# a systemd host with cgroup v2 (the systemd VM: tests/vm/sysvm.sh; user
# tester, uid 1000, lingering, so user@1000.service and /run/user/1000/bus
# exist), as rootless podman runs its runtime by default. As runc 1.1 does
# it: the scope is started in the user's own systemd, reached over the
# user's session bus ($DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus);
# cgroupsPath "slice:prefix:name" (default slice user.slice) is relative to
# that manager's cgroup, /user.slice/user-1000.slice/user@1000.service;
# the limits that manager delegates (memory, pids, cpu) apply; update and
# delete go to the same manager. Each test passes with
# OCIRT_TEST_RUNTIME=runc too.

OCIRT_TEST_ROOTLESS_USER=${OCIRT_TEST_ROOTLESS_USER:-tester}
load ../helpers
load ../rootless_helpers

setup() {
	[[ $(cat /proc/1/comm) == systemd && $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] ||
		skip "needs a systemd host on cgroup v2 (the systemd VM)"
	RL_BUNDLE_MODE=--copy
	rl_setup
	[[ -S /run/user/$RL_UID/bus ]] || skip "user $RL_USER has no session bus (lingering off?)"
	# The user's real runtime dir: its bus is there, and so is the state.
	RL_XDG=/run/user/$RL_UID
	RL_STATE=$RL_XDG/$RUNTIME_NAME
	mkdir -p "$RL_DIR/bin"
	install -m 0755 "$RL_RUNTIME" "$RL_DIR/bin/$RUNTIME_NAME"
	RL_RUNTIME=$RL_DIR/bin/$RUNTIME_NAME
	MGR_CG=/user.slice/user-$RL_UID.slice/user@$RL_UID.service
}

# Not rl_teardown: the user's own systemd runs as the user. No unit of
# this test may be left in it.
teardown() {
	local i left
	for i in "${RL_IDS[@]}"; do
		as_user "$RL_RUNTIME" delete --force "$i" </dev/null >/dev/null 2>&1 || true
	done
	left=$(user_systemctl list-units --all --plain --no-legend "*rl-$BATS_TEST_NUMBER-$$-*" | awk '{print $1}')
	if [[ -n $left ]]; then
		user_systemctl stop $left >/dev/null 2>&1 || true
		user_systemctl reset-failed $left >/dev/null 2>&1 || true
	fi
	if [[ -n ${RL_DIR:-} ]]; then rm -rf "$RL_DIR"; fi
	[[ -z $left ]] || { echo "teardown: unit left in the user's systemd: $left" >&2; return 1; }
}

# user_systemctl ARGS... - systemctl --user of the test user's manager.
user_systemctl() {
	runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="/run/user/$RL_UID" systemctl --user "$@" </dev/null
}

uprop() {
	user_systemctl show -P "$2" "$1"
}

@test "sysvm systemd-user: rootless --systemd-cgroup run starts the scope in the user's systemd, limits apply, update and delete follow it" {
	rl_bundle
	rl_id
	rl_config '.linux.cgroupsPath = "user.slice:test:'"$id"'" | .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	local unit="test-$id.scope" cg
	rl_try --systemd-cgroup run -d --bundle "$RL_BUNDLE" "$id"
	assert_success
	cg=$MGR_CG/user.slice/$unit
	[[ $(uprop "$unit" ActiveState) == active ]]
	[[ $(uprop "$unit" ControlGroup) == "$cg" ]]
	# Not in the system instance.
	[[ $(systemctl show -P LoadState "$unit") == not-found ]]
	local pid
	rl_try state "$id"
	assert_success
	pid=$(jq -r .pid <<<"$output")
	run cat "/proc/$pid/cgroup"
	assert_output "0::$cg"
	[[ $(cat "/sys/fs/cgroup$cg/memory.max") == 67108864 ]]
	[[ $(cat "/sys/fs/cgroup$cg/pids.max") == 50 ]]
	[[ $(uprop "$unit" MemoryMax) == 67108864 ]]
	rl_try --systemd-cgroup update --memory 134217728 "$id"
	assert_success
	[[ $(cat "/sys/fs/cgroup$cg/memory.max") == 134217728 ]]
	[[ $(uprop "$unit" MemoryMax) == 134217728 ]]
	rl_try --systemd-cgroup delete --force "$id"
	assert_success
	[[ $(uprop "$unit" LoadState) == not-found ]]
	[[ ! -e /sys/fs/cgroup$cg ]]
	[[ ! -e $RL_STATE/$id ]]
}

@test "sysvm systemd-user: without a cgroupsPath the scope is <runtime>-<id>.scope in the user's user.slice" {
	rl_bundle
	rl_id
	rl_config 'del(.linux.cgroupsPath)'
	local unit="$RUNTIME_NAME-$id.scope"
	rl_try --systemd-cgroup run -d --bundle "$RL_BUNDLE" "$id"
	assert_success
	[[ $(uprop "$unit" ActiveState) == active ]]
	[[ $(uprop "$unit" ControlGroup) == "$MGR_CG/user.slice/$unit" ]]
	rl_try --systemd-cgroup delete --force "$id"
	assert_success
	[[ $(uprop "$unit" LoadState) == not-found ]]
}

@test "sysvm systemd-user: the exit code comes back and the scope goes with a foreground run" {
	rl_bundle sh -c 'exit 7'
	rl_id
	rl_config '.linux.cgroupsPath = "user.slice:test:'"$id"'"'
	rl_try --systemd-cgroup run --bundle "$RL_BUNDLE" "$id"
	assert_equal "$status" 7
	[[ $(uprop "test-$id.scope" LoadState) == not-found ]]
	[[ ! -e $RL_STATE/$id ]]
}

@test "sysvm systemd-user: without a user bus create fails naming the bus, and leaves nothing" {
	rl_bundle
	rl_id
	rl_config '.linux.cgroupsPath = "user.slice:test:'"$id"'"'
	local nobus=$RL_DIR/nobus
	mkdir -m 0700 "$nobus"
	chown "$RL_USER:" "$nobus"
	run timeout 60 runuser -u "$RL_USER" -- env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$nobus" \
		"$RL_RUNTIME" --root "$nobus/state" --systemd-cgroup create --bundle "$RL_BUNDLE" "$id" </dev/null
	assert_failure
	# runc 1.1.5: "failed to connect to dbus (hint: ... dbus-user-session
	# ...)"; ocirt names the address it tried and the user.
	assert_output --partial "bus"
	if is_ocirt; then
		assert_output --partial "$nobus/bus"
		assert_output --partial "uid $RL_UID"
	fi
	[[ -z $(ls -A "$nobus/state" 2>/dev/null) ]]
	[[ $(uprop "test-$id.scope" LoadState) == not-found ]]
	[[ -z $(pgrep -f "$RL_BUNDLE" || true) ]] || fail "a process of the bundle is left"
}

@test "sysvm systemd-user: as root of a user namespace (rootless podman's way) without a user bus create fails naming the user's own uid" {
	rl_bundle
	rl_id
	# Inside the namespace root is the only id: the config maps it.
	rl_config '.linux.cgroupsPath = "user.slice:test:'"$id"'" | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}] | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	local nobus=$RL_DIR/nobus
	mkdir -m 0700 "$nobus"
	chown "$RL_USER:" "$nobus"
	run timeout 60 runuser -u "$RL_USER" -- env -u DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR="$nobus" \
		unshare --user --map-root-user \
		"$RL_RUNTIME" --root "$nobus/state" --systemd-cgroup create --bundle "$RL_BUNDLE" "$id" </dev/null
	assert_failure
	# runc 1.1 cannot ask the user bus whose it is, so it takes the caller
	# for root's systemd inside the namespace and asks the system's
	# ("Permission denied"). ocirt's rule is the one it has for cgroupfs
	# (root of a user namespace is rootless): the user's systemd, named by
	# the uid it is known by, not root's of the namespace.
	if is_ocirt; then
		assert_output --partial "$nobus/bus"
		assert_output --partial "uid $RL_UID"
		assert_output --partial "user@$RL_UID.service"
		refute_output --partial "uid 0"
	fi
	[[ -z $(ls -A "$nobus/state" 2>/dev/null) ]]
	[[ $(uprop "test-$id.scope" LoadState) == not-found ]]
	[[ -z $(pgrep -f "$RL_BUNDLE" || true) ]] || fail "a process of the bundle is left"
}
