#!/usr/bin/env bats
# rootless.bats - an unprivileged user runs containers (issue 15).
#
# Every runtime call runs as the suite's own user (rootless_helpers.bash),
# with a config from that runtime's own `spec --rootless`. Where runc 1.1
# behaves the same, the test states runc's behaviour and passes against it
# (OCIRT_TEST_RUNTIME=runc); ocirt's own extras are marked ocirt_only.

load helpers
load rootless_helpers

setup() { rl_setup; }
teardown() { rl_teardown; }

# Whether the user can make a cgroup of its own here (cgroup v2 with a
# delegated subtree); on v1 or v2 without delegation it cannot.
user_has_cgroup() {
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || return 1
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	as_user test -w "/sys/fs/cgroup$(dirname "$own")"
}

@test "rootless run: root in the container is the caller's uid, and the exit code comes back" {
	rl_bundle sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; exit 3'
	rl_id
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_equal "$status" 3
	assert_line --index 0 --regexp "^ *0 +$RL_UID +1$"
	assert_line --index 1 --regexp "^ *0 +$RL_GID +1$"
	assert_line --index 2 0
	rl_assert_clean "$id"
}

@test "rootless run 300 times, two at a time: the id maps are written every time" {
	# The init once took itself for privileged when its uid map was already
	# written (its euid is then 0) and turned non-dumpable while the gid
	# map was still to be written: "open /proc/<pid>/setgroups: permission
	# denied", about one run in 100 (CI saw it).
	rl_bundle true
	as_user env RT="$RL_RUNTIME" B="$RL_BUNDLE" ID="rl-many-$$" sh -c '
		loop() {
			i=0
			while [ $i -lt 150 ]; do
				i=$((i + 1))
				"$RT" run --bundle "$B" "$ID-$1-$i" </dev/null >/dev/null 2>>errors ||
					echo "run $ID-$1-$i failed" >>errors
			done
		}
		: >errors
		loop a & loop b & wait' || true
	run cat "$RL_DIR/errors"
	assert_output ""
	rl_assert_clean "rl-many-$$-a-150"
}

@test "rootless state lives under \$XDG_RUNTIME_DIR/<runtime>, the user's, and each user lists only its own" {
	rl_bundle
	rl_id
	rl_try create --bundle "$RL_BUNDLE" "$id"
	assert_success
	[[ -d $RL_STATE/$id ]]
	assert_equal "$(stat -c %U "$RL_STATE/$id")" "$RL_USER"
	# Not in root's default state directory.
	[[ ! -e /run/$RUNTIME_NAME/$id ]]
	rl_try state "$id"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" created
	rl_try list --format json
	assert_success
	assert_equal "$(jq -r '.[].id' <<<"$output")" "$id"
	# Another user, with a runtime dir of its own, sees none of it.
	other=$RL_DIR/other
	mkdir -m 0700 "$other"
	chown nobody: "$other"
	run runuser -u nobody -- env XDG_RUNTIME_DIR="$other" "$RL_RUNTIME" list --format json </dev/null
	assert_success
	[[ $output == null || $output == "[]" ]]
	run runuser -u nobody -- env XDG_RUNTIME_DIR="$other" "$RL_RUNTIME" state "$id" </dev/null
	assert_failure
	assert_output --partial "does not exist"
	rl_try delete --force "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless create, start, exec (also with a terminal), kill and delete leave nothing behind" {
	rl_bundle
	rl_id
	rl_try create --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_try start "$id"
	assert_success
	rl_try state "$id"
	assert_equal "$(jq -r .status <<<"$output")" running
	pid=$(jq -r .pid <<<"$output")
	# The init runs as the user on the host.
	assert_equal "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$RL_UID"
	rl_try exec "$id" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 0
	assert_line --index 1 --regexp "^ *0 +$RL_UID +1$"
	# With a terminal, from a terminal (util-linux script's pty), as a user types it.
	run as_user script -qec "$RL_RUNTIME exec -t $id tty" /dev/null </dev/null
	assert_success
	assert_output --regexp '/dev/pts/[0-9]+'
	rl_try kill "$id" KILL
	assert_success
	for _ in $(seq 50); do
		rl_try state "$id"
		[[ $(jq -r .status <<<"$output") == stopped ]] && break
		sleep 0.1
	done
	assert_equal "$(jq -r .status <<<"$output")" stopped
	rl_try delete "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless without a cgroup: pause and ps fail saying so, the container runs on" {
	user_has_cgroup && skip "the user has a delegated cgroup here (see tests/bats/sysvm/rootless.bats)"
	rl_bundle
	rl_id
	rl_try run -d --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_try pause "$id"
	assert_failure
	assert_output --partial "cannot toggle freezer: cgroups not configured for container"
	rl_try ps "$id"
	assert_failure
	assert_output --partial "unable to get all container pids"
	rl_try state "$id"
	assert_equal "$(jq -r .status <<<"$output")" running
	rl_try delete --force "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless without a cgroup: a resource limit is refused naming its controller, device rules are ignored" {
	user_has_cgroup && skip "the user has a delegated cgroup here (see tests/bats/sysvm/rootless.bats)"
	rl_bundle true
	rl_id
	rl_config '.linux.resources = {"memory": {"limit": 100000000}}'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial "cannot set memory limit: container could not join or create cgroup"
	rl_assert_clean "$id"
	rl_config '.linux.resources = {"pids": {"limit": 100}}'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial "cannot set pids limit: container could not join or create cgroup"
	rl_assert_clean "$id"
	# runc's own spec denies every device: that the user could not enforce
	# it anyway, and nodes are bind-mounted from the host.
	rl_config '.linux.resources = {"devices": [{"allow": false, "access": "rwm"}]}'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless: a cgroup the user cannot make is an error with --rootless false or a cgroupsPath, and done without by default" {
	user_has_cgroup && skip "the user has a delegated cgroup here"
	rl_bundle true
	rl_id
	rl_try --rootless false run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial "permission denied"
	rl_assert_clean "$id"
	# An explicit cgroupsPath is wanted: not dropped either.
	rl_config '.linux.cgroupsPath = "/ocirt-rootless-test/x"'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial "permission denied"
	rl_assert_clean "$id"
	[[ ! -e /sys/fs/cgroup/pids/ocirt-rootless-test && ! -e /sys/fs/cgroup/ocirt-rootless-test ]]
	rl_config 'del(.linux.cgroupsPath)'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless --rootless takes true, false or auto and refuses anything else" {
	rl_bundle true
	rl_id
	rl_try --rootless true run --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_try --rootless auto run --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_try --rootless bogus run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial "bogus"
	rl_assert_clean "$id"
}

@test "rootless with more ids than the caller's own: newuidmap and newgidmap map the /etc/subuid range" {
	rl_bundle sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	rl_id
	rl_config ".linux.uidMappings = [{containerID: 0, hostID: $RL_UID, size: 1}, {containerID: 1, hostID: $RL_SUBUID, size: 1000}]
		| .linux.gidMappings = [{containerID: 0, hostID: $RL_GID, size: 1}, {containerID: 1, hostID: $RL_SUBGID, size: 1000}]"
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_success
	assert_line --index 0 --regexp "^ *0 +$RL_UID +1$"
	assert_line --index 1 --regexp "^ *1 +$RL_SUBUID +1000$"
	assert_line --index 2 --regexp "^ *0 +$RL_GID +1$"
	assert_line --index 3 --regexp "^ *1 +$RL_SUBGID +1000$"
	rl_assert_clean "$id"
}

@test "rootless: a mapping the user may not use fails, naming the field, and leaves nothing" {
	rl_bundle true
	rl_id
	rl_config '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	if is_ocirt; then assert_output --partial 'linux.uidMappings[0]'; fi
	rl_assert_clean "$id"
	# A range outside what /etc/subgid grants.
	rl_config ".linux.uidMappings = [{containerID: 0, hostID: $RL_UID, size: 1}]
		| .linux.gidMappings = [{containerID: 0, hostID: $RL_GID, size: 1}, {containerID: 1, hostID: 1, size: 10}]"
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	if is_ocirt; then
		assert_output --partial 'linux.gidMappings[1]'
		assert_output --partial /etc/subgid
	fi
	rl_assert_clean "$id"
}

@test "rootless: without newuidmap in PATH a mapping of more ids fails clearly and leaves nothing" {
	rl_bundle true
	rl_id
	rl_config ".linux.uidMappings = [{containerID: 0, hostID: $RL_UID, size: 1}, {containerID: 1, hostID: $RL_SUBUID, size: 10}]"
	mkdir "$RL_DIR/bin"
	ln -s /bin/sh /bin/cat "$RL_DIR/bin/"
	RL_PATH=$RL_DIR/bin rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	# runc: "mapping tool not present".
	if is_ocirt; then
		assert_output --partial newuidmap
		assert_output --partial PATH
	fi
	rl_assert_clean "$id"
}

@test "rootless: a bundle the user cannot read fails naming the file, and leaves nothing" {
	rl_bundle true
	rl_id
	chown root: "$RL_BUNDLE/config.json"
	chmod 0600 "$RL_BUNDLE/config.json"
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_failure
	assert_output --partial config.json
	assert_output --partial "permission denied"
	rl_assert_clean "$id"
}

@test "rootless hooks run as the user, in the runtime's namespaces and in the container's" {
	rl_bundle true
	rl_id
	out=$RL_DIR/hooks
	mkdir "$out"
	chown "$RL_USER:" "$out"
	rl_config ".hooks = {
		createRuntime: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"id -u > $out/createRuntime\"]}],
		poststart: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"id -u > $out/poststart\"]}],
		poststop: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"id -u > $out/poststop\"]}]}"
	rl_try run --bundle "$RL_BUNDLE" "$id"
	assert_success
	assert_equal "$(cat "$out/createRuntime")" "$RL_UID"
	assert_equal "$(cat "$out/poststart")" "$RL_UID"
	assert_equal "$(cat "$out/poststop")" "$RL_UID"
	rl_assert_clean "$id"
}

@test "spec --rootless writes byte for byte what runc spec --rootless writes, mapping the caller" {
	command -v runc >/dev/null || skip "runc is not installed"
	mkdir "$RL_DIR/a" "$RL_DIR/b"
	chown "$RL_USER:" "$RL_DIR/a" "$RL_DIR/b"
	as_user "$RL_RUNTIME" spec --rootless --bundle "$RL_DIR/a"
	as_user "$(command -v runc)" spec --rootless --bundle "$RL_DIR/b"
	run cmp "$RL_DIR/a/config.json" "$RL_DIR/b/config.json"
	assert_success
	assert_equal "$(jq -r '.linux.uidMappings[0].hostID' "$RL_DIR/a/config.json")" "$RL_UID"
}

@test "rootless run -d: the shim keeps the output for logs" {
	ocirt_only "logs is ocirt's shim verb"
	rl_bundle sh -c 'echo hello from rootless; sleep 1000'
	rl_id
	rl_try run -d --bundle "$RL_BUNDLE" "$id"
	assert_success
	for _ in $(seq 50); do
		rl_try logs "$id"
		[[ $output == *"hello from rootless"* ]] && break
		sleep 0.1
	done
	assert_output --partial "hello from rootless"
	rl_try kill "$id" KILL
	assert_success
	rl_try delete --force "$id"
	assert_success
	rl_assert_clean "$id"
}

@test "rootless without XDG_RUNTIME_DIR: state in a private /tmp/ocirt-<uid>, never /run/ocirt" {
	# runc falls back to /run/runc, which an unprivileged user cannot write.
	ocirt_only "runc's fallback is /run/runc"
	rl_bundle true
	rl_id
	fallback=/tmp/ocirt-$RL_UID
	rm -rf "$fallback"
	run runuser -u "$RL_USER" -- env -u XDG_RUNTIME_DIR "$RL_RUNTIME" create --bundle "$RL_BUNDLE" "$id" </dev/null
	assert_success
	[[ -d $fallback/$id ]]
	assert_equal "$(stat -c '%U %a' "$fallback")" "$RL_USER 700"
	run runuser -u "$RL_USER" -- env -u XDG_RUNTIME_DIR "$RL_RUNTIME" delete --force "$id" </dev/null
	assert_success
	[[ ! -e $fallback/$id ]]
	# Planted by someone else: refused.
	rm -rf "$fallback"
	mkdir -m 0777 "$fallback"
	run runuser -u "$RL_USER" -- env -u XDG_RUNTIME_DIR "$RL_RUNTIME" list </dev/null
	assert_failure
	assert_output --partial "$fallback"
	rm -rf "$fallback"
}

@test "rootless without a cgroup: kill --all signals the init, and is no error once it has stopped" {
	# runc 1.1 fails here ("lstat : no such file or directory").
	ocirt_only "runc cannot kill --all without a cgroup"
	user_has_cgroup && skip "the user has a delegated cgroup here"
	rl_bundle
	rl_id
	rl_try run -d --bundle "$RL_BUNDLE" "$id"
	assert_success
	rl_try kill --all "$id" KILL
	assert_success
	for _ in $(seq 50); do
		rl_try state "$id"
		[[ $(jq -r .status <<<"$output") == stopped ]] && break
		sleep 0.1
	done
	assert_equal "$(jq -r .status <<<"$output")" stopped
	rl_try kill --all "$id" KILL
	assert_success
	rl_try delete "$id"
	assert_success
	rl_assert_clean "$id"
}
