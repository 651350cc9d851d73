#!/usr/bin/env bats
# hostile.bats - a rootfs and a config.json written by an attacker, or just
# broken: symlinks in every path ocirt resolves, a read-only rootfs, missing
# /proc and /dev, enormous and malformed configs, a config.json that is a
# FIFO or /dev/zero.
#
# Each case either works or fails with a clear message (never a crash or a
# hang), and leaves no host damage: no mount, cgroup, state or process
# left, and the host directory a hostile symlink points at is untouched.

load rel_helpers

setup() {
	rel_setup
	# The host directory hostile symlinks aim at, with a canary in it.
	HOST=$BATS_TEST_TMPDIR/host
	mkdir -p "$HOST"
	echo canary >"$HOST/canary"
	HOST_BEFORE=$(host_fingerprint)
}

teardown() {
	rel_teardown
}

# host_fingerprint - every name, type, mode and size under $HOST, and every
# mount on or under it: what a hostile symlink could have changed.
host_fingerprint() {
	find "$HOST" -printf '%p %y %m %s\n' | sort
	grep -F " $HOST" /proc/self/mountinfo | awk '{print $5}'
}

# hostile_run [CREATE_ARGS...] - create $CTR_ID from $BUNDLE; if that works,
# start it and let it run to its end (or 5 s). Sets $status/$output of the
# create (or the start). Then delete --force, and assert the host is clean
# and $HOST untouched. A failure must say why, and nothing may crash or hang.
hostile_run() {
	local OCIRT_TEST_CMD_TIMEOUT=${HOSTILE_TIMEOUT:-30}
	try create --bundle "$BUNDLE" "$@" "$CTR_ID"
	CREATE_STATUS=$status CREATE_OUTPUT=$output
	echo "# create: exit $CREATE_STATUS${CREATE_OUTPUT:+: ${CREATE_OUTPUT%%$'\n'*}}" >&3
	if ((status == 0)); then
		try start "$CTR_ID"
		START_STATUS=$status START_OUTPUT=$output
		echo "# start: exit $START_STATUS${START_OUTPUT:+: ${START_OUTPUT%%$'\n'*}}" >&3
		if ((status == 0)); then
			for _ in $(seq 100); do
				[[ $(ocirt state "$CTR_ID" 2>/dev/null | jq -r .status) == stopped ]] && break
				sleep 0.05
			done
			echo "# then: $(ocirt state "$CTR_ID" 2>&1 | jq -c '{status, exit: .exitStatus}' 2>/dev/null)" >&3
		fi
	fi
	((CREATE_STATUS < 124)) || fail "create crashed or hung (exit $CREATE_STATUS): $CREATE_OUTPUT"
	((CREATE_STATUS == 0)) || [[ -n $CREATE_OUTPUT ]] || fail "create failed without saying why"
	local pids
	pids=$(cgroup_pids_of "$CTR_ID")
	run ocirt delete --force "$CTR_ID"
	assert_success
	assert_host_clean "$CTR_ID" "$BUNDLE" $pids || fail "host not clean"
	assert_equal "$(host_fingerprint)" "$HOST_BEFORE"
}

# ---- symlinks ----------------------------------------------------------------

@test "a mount destination that is a symlink to a host dir mounts inside the rootfs" {
	make_bundle -- sh -c 'echo pwned > /mnt/abs/written; echo pwned > /mnt/rel/written'
	mkdir -p "$BUNDLE/rootfs/mnt"
	ln -s "$HOST" "$BUNDLE/rootfs/mnt/abs"
	ln -s "../../../../../../../../../../..$HOST" "$BUNDLE/rootfs/mnt/rel"
	update_config '.mounts += [{destination: "/mnt/abs", type: "tmpfs", source: "tmpfs"},
		{destination: "/mnt/rel", type: "tmpfs", source: "tmpfs"}]'
	hostile_run
}

@test "a bind mount whose destination is a symlink chain out of the rootfs stays inside" {
	make_bundle -- true
	mkdir -p "$BUNDLE/rootfs/a"
	ln -s /b "$BUNDLE/rootfs/a/link"
	ln -s "../../../../../../..$HOST" "$BUNDLE/rootfs/b"
	mkdir -p "$BATS_TEST_TMPDIR/src"
	update_config ".mounts += [{destination: \"/a/link/x\", type: \"bind\", source: \"$BATS_TEST_TMPDIR/src\", options: [\"bind\"]}]"
	hostile_run
}

@test "a cwd that is a symlink out of the rootfs does not put the process on the host" {
	make_bundle -- sh -c 'echo pwned > written; pwd > /tmp/cwd'
	ln -s "../../../../../../../..$HOST" "$BUNDLE/rootfs/work"
	update_config '.process.cwd = "/work"'
	hostile_run
}

@test "/dev in the rootfs is a symlink to a host dir: no device node lands on the host" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/dev"
	ln -s "$HOST" "$BUNDLE/rootfs/dev"
	hostile_run
}

@test "/proc in the rootfs is a symlink to a host dir: proc is not mounted on the host" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "../../../../../../../..$HOST" "$BUNDLE/rootfs/proc"
	hostile_run
}

@test "the rootfs itself is a symlink to the real rootfs" {
	make_bundle -- true
	mv "$BUNDLE/rootfs" "$BATS_TEST_TMPDIR/real-rootfs"
	ln -s "$BATS_TEST_TMPDIR/real-rootfs" "$BUNDLE/rootfs"
	hostile_run
	assert_equal "$CREATE_STATUS" 0
}

@test "root.path with .. components that lead back to the rootfs" {
	make_bundle -- true
	update_config '.root.path = "rootfs/../../bundle/rootfs"'
	hostile_run
}

@test "root.path with .. components that lead to a directory without a rootfs" {
	make_bundle -- true
	update_config '.root.path = "rootfs/../.."'
	hostile_run
}

# ---- broken rootfs -------------------------------------------------------------

@test "a rootfs on a read-only bind mount, with root.readonly false" {
	make_bundle -- sh -c 'echo ok > /dev/shm/x'
	mkdir "$BATS_TEST_TMPDIR/ro"
	mount --bind "$BUNDLE/rootfs" "$BATS_TEST_TMPDIR/ro"
	mount -o remount,bind,ro "$BATS_TEST_TMPDIR/ro"
	defer "umount '$BATS_TEST_TMPDIR/ro'"
	update_config ".root.path = \"$BATS_TEST_TMPDIR/ro\" | .root.readonly = false"
	hostile_run
	# The read-only source is still read-only and still mounted once.
	run grep -c " $BATS_TEST_TMPDIR/ro " /proc/self/mountinfo
	assert_output 1
}

@test "a rootfs without /proc" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/proc"
	hostile_run
}

@test "a rootfs without /dev" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/dev"
	hostile_run
}

@test "a rootfs that does not exist" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs"
	hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

# ---- enormous configs ----------------------------------------------------------

@test "10 MB of environment: works or fails cleanly, and start tells which" {
	make_bundle -- touch /tmp/ran
	# 10,000 variables of 1,000 bytes.
	python3 - "$BUNDLE/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["env"] += ["V%05d=%s" % (i, "x" * 993) for i in range(10000)]
json.dump(c, open(p, "w"))
EOF
	[[ $(stat -c %s "$BUNDLE/config.json") -gt 10000000 ]]
	hostile_run
	# execve refuses 10 MB (E2BIG): that can only happen after the go of
	# `start`, and start must not claim a program runs that never did.
	if ((CREATE_STATUS == 0 && START_STATUS == 0)); then
		[[ -e $BUNDLE/rootfs/tmp/ran ]] || fail "start succeeded, but the program never ran"
	fi
}

@test "10,000 tmpfs mounts: completes or fails cleanly, and leaves none" {
	make_bundle -- sh -c 'grep -c " /tmp/m" /proc/self/mountinfo > /tmp/count'
	python3 - "$BUNDLE/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["mounts"] += [{"destination": "/tmp/m%05d" % i, "type": "tmpfs", "source": "tmpfs",
                 "options": ["size=4k"]} for i in range(10000)]
json.dump(c, open(p, "w"))
EOF
	HOSTILE_TIMEOUT=120 hostile_run
	if ((CREATE_STATUS == 0)) && [[ -e $BUNDLE/rootfs/tmp/count ]]; then
		echo "# the container saw $(cat "$BUNDLE/rootfs/tmp/count") of 10000 mounts" >&3
	fi
}

@test "a config.json nested 100,000 levels deep is refused" {
	make_bundle -- true
	python3 -c 'import sys; sys.stdout.write("{\"ociVersion\":\"1.0.2\",\"annotations\":{\"x\":" + "[" * 100000 + "]" * 100000 + "}}")' >"$BUNDLE/config.json"
	hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

@test "invalid UTF-8 in config strings: works or fails cleanly" {
	make_bundle -- true
	python3 - "$BUNDLE/config.json" <<'EOF'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
b = b.replace(b'"ociVersion"', b'"annotations": {"k\xff": "v\xc3\x28"}, "hostname": "h\xe2\x82", "ociVersion"', 1)
open(p, "wb").write(b)
EOF
	hostile_run
}

@test "a NUL byte inside config.json is refused" {
	make_bundle -- true
	printf '{"ociVersion":"1.0.2",\0"root":{"path":"rootfs"}}' >"$BUNDLE/config.json"
	hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

# ---- config.json that is not a file ----------------------------------------------

@test "a config.json that is a FIFO is refused without hanging" {
	make_bundle -- true
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	HOSTILE_TIMEOUT=10 hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

@test "a config.json that is a symlink to /dev/zero is refused without hanging" {
	make_bundle -- true
	ln -sf /dev/zero "$BUNDLE/config.json"
	HOSTILE_TIMEOUT=10 hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

@test "a config.json that is a directory is refused" {
	make_bundle -- true
	rm "$BUNDLE/config.json"
	mkdir "$BUNDLE/config.json"
	HOSTILE_TIMEOUT=10 hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}

@test "a config.json of 70 MB is refused without reading it all into memory" {
	make_bundle -- true
	truncate -s 70M "$BUNDLE/config.json"
	HOSTILE_TIMEOUT=10 hostile_run
	assert [ "$CREATE_STATUS" -ne 0 ]
}
