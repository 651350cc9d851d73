#!/usr/bin/env bats
# escapes_mounts.bats - two escape classes of the mount path, each test
# performing the attack (issue 13 §2, §3):
#   CVE-2025-31133: masked paths bound from a /dev/null the container
#     controls (here a /dev whose "null" is a regular file);
#   CVE-2025-52565: /dev/console bound from /dev/pts/N by path, which the
#     container's /dev/pts can redirect to a procfs file.
# runc 1.1.5 predates both fixes, so these tests are for ocirt only.

load helpers
load console_helpers

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

@test "CVE-2025-52565: a /dev/pts whose pty names are symlinks to procfs does not get a procfs file on /dev/console" {
	ocirt_only "runc 1.1.5 binds /dev/console from /dev/pts/N by path"
	make_bundle -- sh -c 'stat -c "%F %t:%T" /dev/console; tty'
	# The container's /dev/pts is a directory it controls (a volume): ptmx
	# leads to a real devpts instance elsewhere, but every pty name there
	# is a symlink to a procfs file that must stay read-only.
	local pts="$BATS_TEST_TMPDIR/pts" i
	mkdir -p "$pts"
	ln -s /dev/realpts/ptmx "$pts/ptmx"
	for i in 0 1 2 3; do ln -s /proc/sys/kernel/domainname "$pts/$i"; done
	update_config ".process.terminal = true
		| .mounts |= map(select(.destination != \"/dev/pts\"))
		| .mounts += [{destination: \"/dev/realpts\", type: \"devpts\", source: \"devpts\",
				options: [\"newinstance\", \"ptmxmode=0666\", \"mode=0620\"]},
			{destination: \"/dev/pts\", type: \"bind\", source: \"$pts\", options: [\"bind\"]}]"
	console_run
	# stat prints the major in hex: 0x88 is 136, the pty slaves' major
	assert_line --index 0 'character special file 88:0'
	refute_output --partial 'regular'
}
