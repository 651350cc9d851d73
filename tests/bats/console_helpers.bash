# console_helpers.bash - a container with process.terminal, its console
# socket served by tests/tools/recvtty (built here if needed). Loaded by
# mount_order.bats and escapes_mounts.bats after helpers.bash.

RECVTTY="$REPO/tests/tools/recvtty"

# console_run - create and start $BUNDLE with a terminal served by
# recvtty; what the container wrote to it ends up in $TTY_OUT.
console_run() {
	make -s -C "$REPO" tests/tools/recvtty >/dev/null
	local sock="$BATS_TEST_TMPDIR/console.sock"
	TTY_OUT="$BATS_TEST_TMPDIR/tty.out"
	"$RECVTTY" --out "$TTY_OUT" "$sock" </dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	local rpid=$!
	defer "kill $rpid"
	wait_for_file "$sock"
	create_container "$CTR_ID" --console-socket "$sock"
	run ocirt start "$CTR_ID"
	assert_success
	local tries=200
	while ((tries-- > 0)) && kill -0 "$rpid" 2>/dev/null; do sleep 0.05; done
	run tr -d '\r' <"$TTY_OUT"
}
