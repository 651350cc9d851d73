#!/usr/bin/env bats
# process_order.bats - the order of the container process's last steps, as
# runc 1.1 takes them: chdir into process.cwd as root and, if root may not,
# again as the user; then the command is resolved in that directory and as
# that user (Go's exec.LookPath, then an access check), with runc's errors,
# which podman maps to exit codes (127: "no such file or directory",
# "executable file not found"; 126: "permission denied"). Socket activation
# fds pass through to the container. Every test passes against runc too
# (OCIRT_TEST_RUNTIME=runc).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# put_file PATH MODE CONTENT - a new file in the rootfs (safe in a
# hard-linked rootfs), owned by root.
put_file() {
	local f=$BUNDLE/rootfs$1
	mkdir -p "$(dirname "$f")"
	rm -f "$f"
	printf '%s\n' "$3" >"$f"
	chmod "$2" "$f"
}

# assert_error TEXT - the runtime's error contains TEXT; runc's logfmt line
# escapes its quotes (\"), which is undone first.
assert_error() {
	local plain=${output//\\\"/\"}
	[[ $plain == *"$1"* ]] || fail "error does not contain '$1': $output"
}

# A podman image whose command is relative to its WORKDIR.
make_pause_image() {
	make_bundle "$@"
	put_file /home/podman/pause 0755 '#!/bin/sh
echo "paused in $(pwd)"'
}

# ---- cwd ---------------------------------------------------------------------

@test "a cwd only root can enter works for a non-root user (chdir as root first)" {
	make_bundle -- sh -c 'pwd; id -u'
	mkdir -p "$BUNDLE/rootfs/secret"
	chmod 0700 "$BUNDLE/rootfs/secret"
	update_config '.process.cwd = "/secret" | .process.user = {"uid": 1000, "gid": 1000}'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_equal "${lines[0]}" /secret
	assert_equal "${lines[1]}" 1000
}

# ---- the command is resolved after the chdir -----------------------------------

@test "a relative command is taken from process.cwd (podman's ./pause with WORKDIR /home/podman)" {
	make_pause_image -- ./pause
	update_config '.process.cwd = "/home/podman"'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output "paused in /home/podman"
}

@test "create resolves a relative command in process.cwd too" {
	make_pause_image -- ./pause
	update_config '.process.cwd = "/home/podman"'
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
}

@test "exec --cwd resolves a relative command there" {
	make_pause_image -- sleep 1000
	create_container
	ocirt start "$CTR_ID"
	run ocirt exec --cwd /home/podman "$CTR_ID" ./pause
	assert_success
	assert_output "paused in /home/podman"
}

@test "a command found through a relative PATH entry (.) is refused with runc's error" {
	make_pause_image -- pause
	update_config '.process.cwd = "/home/podman" | .process.env = ["PATH=.:/bin"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec: "pause": cannot run executable found relative to current directory'
}

@test "an empty PATH entry means the working directory, and is refused the same way" {
	make_pause_image -- pause
	update_config '.process.cwd = "/home/podman" | .process.env = ["PATH=/usr/bin::/bin"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec: "pause": cannot run executable found relative to current directory'
}

@test "a relative PATH entry that does not hold the command is skipped" {
	make_pause_image -- echo found-in-bin
	update_config '.process.cwd = "/home/podman" | .process.env = ["PATH=.:/bin"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output found-in-bin
}

@test "a missing relative command fails create with runc's stat error (podman: 127)" {
	make_bundle -- ./nope
	update_config '.process.cwd = "/home"'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec: "./nope": stat ./nope: no such file or directory'
}

@test "a relative command in a cwd the user cannot search fails with permission denied" {
	make_bundle -- ./run.sh
	put_file /secret/run.sh 0755 '#!/bin/sh
echo ran'
	chmod 0700 "$BUNDLE/rootfs/secret"
	update_config '.process.cwd = "/secret" | .process.user = {"uid": 1000, "gid": 1000}'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec: "./run.sh": stat ./run.sh: permission denied'
}

@test "a command the user may not execute (0700, root's) fails create, not start (podman: 126)" {
	make_bundle -- /bin/priv.sh
	put_file /bin/priv.sh 0700 '#!/bin/sh
echo ran'
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec /bin/priv.sh: permission denied'
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "the same command found through PATH fails the same way" {
	make_bundle -- priv.sh
	put_file /bin/priv.sh 0700 '#!/bin/sh
echo ran'
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.env = ["PATH=/usr/bin:/bin"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec /bin/priv.sh: permission denied'
}

@test "exec --user of a command the user may not execute fails with 255 and permission denied" {
	make_bundle -- sleep 1000
	put_file /bin/priv.sh 0700 '#!/bin/sh
echo ran'
	create_container
	ocirt start "$CTR_ID"
	run ocirt exec --user 1000:1000 "$CTR_ID" /bin/priv.sh
	assert_equal "$status" 255
	assert_output --partial "/bin/priv.sh: permission denied"
	run ocirt exec "$CTR_ID" /bin/priv.sh
	assert_success
	assert_output ran
}

@test "a directory as the command is refused with runc's error" {
	make_bundle -- /bin
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_error 'exec: "/bin": permission denied'
}

# ---- socket activation ----------------------------------------------------------

@test "socket activation through create and start: fds 3.. and LISTEN_FDS reach the container" {
	make_bundle -- sh -c 'echo "$LISTEN_FDS $LISTEN_PID" >/tmp/out; cat <&3 >>/tmp/out; cat <&4 >>/tmp/out'
	echo three >"$BATS_TEST_TMPDIR/three"
	echo four >"$BATS_TEST_TMPDIR/four"
	st=0
	# exec keeps bash's pid, so LISTEN_PID=$$ names the runtime, as systemd sets it.
	LISTEN_FDS=2 OCIRT="$OCIRT" STATE_ROOT="$STATE_ROOT" BUNDLE="$BUNDLE" CTR_ID="$CTR_ID" timeout -k 5 60 \
		bash -c 'export LISTEN_PID=$$; exec "$OCIRT" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$CTR_ID"' \
		3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four" 5</dev/null \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || st=$?
	assert_equal "$st" 0
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	assert_equal "$(echo $(cat "$BUNDLE/rootfs/tmp/out"))" "2 1 three four"
}

@test "stdio on the host's /dev/null is reopened as the container's /dev/null, as runc does" {
	# runc's reOpenDevNull: the host's device node is on a mount the
	# container does not have (criu cannot dump such an fd). create hands
	# the caller's stdio to the container as they are (run would proxy).
	make_bundle -- sh -c 'stat -L -c %d:%i /proc/self/fd/0; stat -c %d:%i /dev/null'
	ocirt create --bundle "$BUNDLE" "$CTR_ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	mapfile -t lines <"$BATS_TEST_TMPDIR/out"
	assert_equal "${#lines[@]}" 2
	assert_equal "${lines[0]}" "${lines[1]}"
	ocirt delete "$CTR_ID"
}
