#!/usr/bin/env bats
# escapes_mounts.bats - two escape classes of the mount path, each test
# performing the attack (issue 13 §2, §3):
#   CVE-2025-31133: masked paths bound from a /dev/null the container
#     controls (here a /dev whose "null" is a regular file);
#   CVE-2025-52565: /dev/console bound from /dev/pts/N by path, which the
#     container's /dev/pts can redirect to a procfs file.
# runc 1.1.5 predates both fixes, so these tests are for ocirt only.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "CVE-2025-31133: a /dev whose null is a regular file does not unmask /proc/timer_list" {
	ocirt_only "runc 1.1.5 binds the masked paths from the container's /dev/null by path"
	make_bundle -- sh -c 'stat -c "%F %t:%T" /proc/timer_list; cat /proc/timer_list; echo end'
	# /dev from a directory the attacker filled: its "null" is a plain file.
	local dev="$BATS_TEST_TMPDIR/dev"
	mkdir -p "$dev/pts" "$dev/shm" "$dev/mqueue"
	echo FAKE-NULL > "$dev/null"
	update_config ".mounts |= map(if .destination == \"/dev\"
			then {destination: \"/dev\", type: \"bind\", source: \"$dev\", options: [\"rbind\"]}
			else . end)
		| .linux.maskedPaths = [\"/proc/timer_list\"]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	refute_output --partial FAKE-NULL
	assert_line --index 0 'character special file 1:3'
	assert_line --index 1 end
}
