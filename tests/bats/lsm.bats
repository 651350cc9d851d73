#!/usr/bin/env bats
# lsm.bats - process.apparmorProfile, process.selinuxLabel and
# linux.mountLabel on a host without AppArmor and without SELinux (this lab
# host), as runc 1.1.5 behaves there:
#  - a profile is written to attr/exec anyway; the kernel refuses it, and
#    create, run and exec fail with runc's words;
#  - a process label is refused before anything is made;
#  - a mount label is not checked: it becomes context="..." on the mounts
#    runc labels, which this kernel refuses, and is harmless on the others.
# Every test passes against runc too (OCIRT_TEST_RUNTIME=runc). With
# AppArmor or SELinux on, see sysvm/apparmor.bats.

load helpers

setup() {
	common_setup
	if [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y* ]]; then
		skip "AppArmor is enabled on this host (see tests/bats/sysvm/apparmor.bats)"
	fi
	[[ -e /sys/fs/selinux/enforce ]] && skip "SELinux is enabled on this host"
	return 0
}
teardown() { common_teardown; }

LABEL='system_u:object_r:container_file_t:s0:c1,c2'
PROC_LABEL='system_u:system_r:container_t:s0:c1,c2'
SELINUX_DISABLED='selinux label is specified in config, but selinux is disabled or not supported'

# assert_nothing_made - the failed create left no container behind (the
# teardown checks mounts, cgroups and processes).
assert_nothing_made() {
	run ocirt list -q
	assert_success
	refute_output --partial "$CTR_ID"
	[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "state dir $STATE_ROOT/$CTR_ID is left"
}

# assert_apparmor_refused - runc's words for a profile this kernel cannot
# apply (ocirt's attr file is thread-self's, runc's self's; runc's exec
# leaves out the "unable to apply apparmor profile: " before them).
assert_apparmor_refused() {
	assert_output --partial "apparmor failed to apply profile"
	assert_output --regexp 'write /proc/(thread-)?self/attr/exec: invalid argument'
}

# assert_context PREFIX - the output shows the mount data PREFIX followed by
# context="$LABEL" (runc's log quotes it as context=\"...\").
assert_context() {
	assert_output --regexp "$1context=\\\\?\"$LABEL\\\\?\""
}

start_sleeper() {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
}

@test "an AppArmor profile on a host without AppArmor fails create with runc's error, leaving nothing" {
	make_bundle -- true
	update_config '.process.apparmorProfile = "ocirt-test-profile"'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial "unable to apply apparmor profile"
	assert_apparmor_refused
	assert_nothing_made
}

@test "an AppArmor profile on a host without AppArmor fails run too" {
	make_bundle -- echo should-not-run
	update_config '.process.apparmorProfile = "ocirt-test-profile"'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_apparmor_refused
	refute_output --partial should-not-run
	assert_nothing_made
}

@test "exec --apparmor on a host without AppArmor exits 255 and the container runs on" {
	start_sleeper
	try exec --apparmor ocirt-test-profile "$CTR_ID" echo should-not-run
	assert_equal "$status" 255
	assert_apparmor_refused
	refute_output --partial should-not-run
	assert_equal "$(state_field "$CTR_ID" status)" running
	try exec "$CTR_ID" echo still-fine
	assert_success
	assert_output still-fine
}

@test "exec of a process.json with an apparmorProfile on a host without AppArmor exits 255" {
	start_sleeper
	jq '.process | .args = ["echo", "should-not-run"] | .apparmorProfile = "ocirt-test-profile"' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	try exec --process "$BATS_TEST_TMPDIR/process.json" "$CTR_ID"
	assert_equal "$status" 255
	assert_apparmor_refused
	refute_output --partial should-not-run
}

@test "an SELinux process label on a host without SELinux fails create in runc's words, leaving nothing" {
	make_bundle -- true
	update_config ".process.selinuxLabel = \"$PROC_LABEL\""
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial "$SELINUX_DISABLED"
	assert_nothing_made
}

@test "exec --process-label, or a process.json selinuxLabel, on a host without SELinux exit 255 in runc's words" {
	start_sleeper
	try exec --process-label "$PROC_LABEL" "$CTR_ID" echo should-not-run
	assert_equal "$status" 255
	assert_output --partial "$SELINUX_DISABLED"
	refute_output --partial should-not-run
	jq --arg l "$PROC_LABEL" '.process | .args = ["echo", "should-not-run"] | .selinuxLabel = $l' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/process.json"
	try exec --process "$BATS_TEST_TMPDIR/process.json" "$CTR_ID"
	assert_equal "$status" 255
	assert_output --partial "$SELINUX_DISABLED"
	assert_equal "$(state_field "$CTR_ID" status)" running
}

@test "a mount label goes into the /dev tmpfs as context=, which a kernel without SELinux refuses" {
	make_bundle -- true
	update_config ".linux.mountLabel = \"$LABEL\""
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_context 'mode=755,size=65536k,'
	assert_output --partial "/dev"
	assert_output --partial "invalid argument"
	assert_nothing_made
}

@test "a mount label is not put on bind, proc, sysfs or mqueue mounts: such a container runs" {
	make_bundle -- sh -c 'grep -c " /mnt " /proc/self/mounts'
	# Empty profile and label fields ask for nothing.
	update_config ".linux.mountLabel = \"$LABEL\"
		| .process.apparmorProfile = \"\" | .process.selinuxLabel = \"\"
		| .linux.maskedPaths = []
		| .mounts = [.mounts[] | select(.type == \"proc\" or .type == \"sysfs\" or .type == \"mqueue\")]
			+ [{\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR\", \"options\": [\"rbind\", \"ro\"]}]"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output 1
}

@test "a mount label goes onto the tmpfs of a masked directory as runc puts it there" {
	make_bundle -- true
	update_config ".linux.mountLabel = \"$LABEL\"
		| .linux.maskedPaths = [\"/proc/acpi\"]
		| .mounts = [.mounts[] | select(.type == \"proc\")]"
	[[ -d /proc/acpi ]] || skip "this kernel has no /proc/acpi to mask"
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial "/proc/acpi"
	assert_context 
	assert_output --partial "invalid argument"
	assert_nothing_made
}

@test "a mount label goes onto the cgroup v1 tmpfs, not onto a cgroup2 mount" {
	make_bundle -- true
	update_config ".linux.mountLabel = \"$LABEL\"
		| .linux.maskedPaths = []
		| .mounts = [.mounts[] | select(.type == \"proc\" or .type == \"sysfs\" or .type == \"cgroup\")]"
	try create --bundle "$BUNDLE" "$CTR_ID"
	if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
		assert_success
		return
	fi
	assert_equal "$status" 1
	assert_output --partial "/sys/fs/cgroup"
	assert_context 'mode=755,'
	assert_nothing_made
}

@test "a mount label with a double quote is refused before anything is made, naming the field" {
	ocirt_only "runc hands it to the kernel (which refuses it here for want of SELinux)"
	make_bundle -- true
	update_config '.linux.mountLabel = "x\",size=1k"'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial 'linux.mountLabel "x",size=1k": a label cannot contain a double quote'
	assert_nothing_made
}

@test "features lists AppArmor and SELinux as enabled, as runc does" {
	ocirt features >"$BATS_TEST_TMPDIR/features.json"
	run jq -c '[.linux.apparmor.enabled, .linux.selinux.enabled]' "$BATS_TEST_TMPDIR/features.json"
	assert_output '[true,true]'
}
