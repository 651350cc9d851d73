#!/usr/bin/env bats
# terminal.bats - process.terminal: the pty master handed to --console-socket
# (as containerd and podman use it), the container's stdio and /dev/console
# on that pty, consoleSize, and `run` in the foreground on a tty.
#
# The console socket is served by tests/tools/recvtty (built here if the
# Makefile has not built it). `script` (util-linux) gives `run` a tty.

load helpers

RECVTTY="$REPO/tests/tools/recvtty"

setup_file() {
	# The Makefile knows its sources, and rebuilds it only when one changed.
	make -s -C "$REPO" tests/tools/recvtty >/dev/null
}

setup() {
	common_setup
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	TTY_OUT="$BATS_TEST_TMPDIR/tty.out"
	PTY_NAME="$BATS_TEST_TMPDIR/pty.name"
}

teardown() { common_teardown; }

# start_recvtty [ARGS...] - serve $SOCK in the background (output to
# $TTY_OUT, pty name to $PTY_NAME) and wait until it accepts connections.
start_recvtty() {
	"$RECVTTY" --out "$TTY_OUT" --pty-name-file "$PTY_NAME" "$@" "$SOCK" \
		</dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	RECVTTY_PID=$!
	defer "kill $RECVTTY_PID"
	wait_for_file "$SOCK"
}

# wait_recvtty [SECONDS] - wait until recvtty has seen the pty close, and
# fail unless it exited 0.
wait_recvtty() {
	local tries=$((${1:-10} * 20)) st=0
	while ((tries-- > 0)) && kill -0 "$RECVTTY_PID" 2>/dev/null; do
		sleep 0.05
	done
	kill -0 "$RECVTTY_PID" 2>/dev/null && fail "recvtty still waits for the pty to close"
	wait "$RECVTTY_PID" || st=$?
	((st == 0)) || fail "recvtty exited $st: $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
}

# strip_cr - drop from $output and $lines the CRs of the pty's line
# discipline (after `run`).
strip_cr() {
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
}

# tty_output - what the container wrote to its terminal, without the CRs
# the pty's line discipline adds.
tty_output() {
	tr -d '\r' <"$TTY_OUT"
}

@test "create --console-socket sends the pty master with its name; the container's stdio is that tty" {
	make_bundle -- sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; [ -t 1 ] && echo stdout-is-a-tty; echo hello'
	update_config '.process.terminal=true'
	start_recvtty
	create_container "$CTR_ID" --console-socket "$SOCK"
	run ocirt start "$CTR_ID"
	assert_success
	wait_recvtty

	# The payload is a non-empty name: ocirt sends the pty's /dev/pts path,
	# runc the master's name, /dev/ptmx.
	run cat "$PTY_NAME"
	if is_ocirt; then
		assert_output --regexp '^/dev/pts/[0-9]+$'
	else
		assert_output --regexp '^/dev/(pts/[0-9]+|ptmx)$'
	fi
	run tty_output
	assert_line --index 0 /dev/pts/0
	assert_line stdin-is-a-tty
	assert_line stdout-is-a-tty
	assert_line hello
}

@test "the container's terminal is its controlling tty and /dev/console" {
	make_bundle -- sh -c 'cat /proc/self/stat | cut -d" " -f7; stat -c %t:%T "$(tty)"; stat -Lc %t:%T /dev/console'
	update_config '.process.terminal=true'
	start_recvtty
	create_container "$CTR_ID" --console-socket "$SOCK"
	ocirt start "$CTR_ID"
	wait_recvtty

	run tty_output
	assert_equal "${#lines[@]}" 3
	# Field 7 of stat is tty_nr: non-zero for a process with a controlling tty.
	[[ ${lines[0]} != 0 ]]
	assert_equal "${lines[2]}" "${lines[1]}"
}

@test "process.consoleSize sets the terminal's window size" {
	make_bundle -- stty size
	update_config '.process.terminal=true | .process.consoleSize={"height":33,"width":101}'
	start_recvtty
	create_container "$CTR_ID" --console-socket "$SOCK"
	ocirt start "$CTR_ID"
	wait_recvtty

	run tty_output
	assert_output "33 101"
}

@test "create of a terminal config without --console-socket fails with a clear error and leaves nothing behind" {
	make_bundle -- echo hello
	update_config '.process.terminal=true'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "console socket"
	try state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
}

@test "create with a console socket that does not exist fails with a clear error and leaves nothing behind" {
	make_bundle -- echo hello
	update_config '.process.terminal=true'
	try create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/missing.sock" "$CTR_ID"
	assert_failure
	assert_output --partial "missing.sock"
	assert_output --partial "no such file or directory"
	try state "$CTR_ID"
	assert_failure
	assert_output --partial "does not exist"
}

@test "run in the foreground on a tty proxies the terminal and propagates the exit code" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	make_bundle -- sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; echo hello; exit 3'
	update_config '.process.terminal=true'
	local cmd
	printf -v cmd '%q ' timeout -k 5 30 "$OCIRT" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CTR_ID"
	run env SHELL=/bin/bash script -qec "$cmd" /dev/null </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	assert_equal "$status" 3
	strip_cr
	# At EOF on its stdin, script writes an EOF character to the tty, which
	# the container's tty may echo ("^@") before any of the lines, depending
	# on when it arrives (CI saw it before the second).
	assert_line --regexp '^(\^@)?/dev/pts/0$'
	assert_line --regexp '^(\^@)?stdin-is-a-tty$'
	assert_line --regexp '^(\^@)?hello$'
	try state "$CTR_ID"
	assert_failure
}

@test "run in the foreground passes input typed on the tty to the container" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	make_bundle -- sh -c 'read -r line; echo "got <$line>"'
	update_config '.process.terminal=true'
	local cmd
	printf -v cmd '%q ' timeout -k 5 30 "$OCIRT" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CTR_ID"
	# script copies its stdin to the tty; the runtime must forward it.
	run env SHELL=/bin/bash script -qec "$cmd" /dev/null < <(sleep 0.5; echo typed-text; sleep 2) 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	assert_success
	strip_cr
	assert_line "got <typed-text>"
}
