#!/usr/bin/env bats
# sysvm/apparmor.bats - process.apparmorProfile on a host with AppArmor
# enabled (the systemd test VM, tests/vm/sysvm.sh; Debian's kernel has it on
# by default), as runc 1.1.5 applies it: the container's program, and an
# exec'd one, run under the profile; a profile that is not loaded fails.
# Each test passes against runc too (OCIRT_TEST_RUNTIME=runc). The host
# without AppArmor is lsm.bats' business.

load ../helpers

# Loaded for this file, removed after it: everything allowed but reading
# /secret (DENY_READ) or, for the second one, writing under /tmp.
DENY_READ=ocirt-test-deny-read
DENY_TMP=ocirt-test-deny-tmp
NOT_LOADED=ocirt-test-no-such-profile

aa_enabled() {
	[[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y* && -d /sys/kernel/security/apparmor ]]
}

# profile NAME RULE - an allow-everything profile with one deny rule.
# attach_disconnected: the container's paths are outside our namespace's
# view once pivot_root detached the old root.
profile() {
	cat <<EOF
profile $1 flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  $2
}
EOF
}

setup_file() {
	aa_enabled && command -v apparmor_parser >/dev/null || return 0
	profile "$DENY_READ" 'deny /secret r,' >"$BATS_FILE_TMPDIR/deny-read"
	profile "$DENY_TMP" 'deny /tmp/** w,' >"$BATS_FILE_TMPDIR/deny-tmp"
	apparmor_parser -r "$BATS_FILE_TMPDIR/deny-read" "$BATS_FILE_TMPDIR/deny-tmp"
}

teardown_file() {
	aa_enabled && command -v apparmor_parser >/dev/null || return 0
	apparmor_parser -R "$BATS_FILE_TMPDIR/deny-read" "$BATS_FILE_TMPDIR/deny-tmp" 2>/dev/null || true
}

setup() {
	common_setup
	aa_enabled || skip "needs a host with AppArmor enabled (the systemd VM: tests/vm/sysvm.sh)"
	command -v apparmor_parser >/dev/null || skip "needs apparmor_parser (apparmor package)"
}
teardown() { common_teardown; }

# loaded NAME - the profile is loaded in the kernel.
loaded() {
	grep -q "^$1 (" /sys/kernel/security/apparmor/profiles
}

# label PID - the AppArmor label of a host process.
label() {
	tr -d '\0' <"/proc/$1/attr/current"
}

# probe_bundle - a bundle whose program prints its own label and whether
# it could read /secret and write /tmp/x.
probe_bundle() {
	make_bundle -- sh -c 'cat /proc/self/attr/current; echo; cat /secret >/dev/null 2>&1 && echo read-ok || echo read-denied; touch /tmp/x 2>/dev/null && echo write-ok || echo write-denied'
	echo secret >"$BUNDLE/rootfs/secret"
	mkdir -p "$BUNDLE/rootfs/tmp"
}

start_sleeper() {
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
}

PROBE='cat /proc/self/attr/current; echo; cat /secret >/dev/null 2>&1 && echo read-ok || echo read-denied; touch /tmp/x 2>/dev/null && echo write-ok || echo write-denied'

@test "a container with a loaded profile runs under it: attr/current names it and the denied read fails" {
	probe_bundle
	update_config ".process.apparmorProfile = \"$DENY_READ\""
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "$DENY_READ (enforce)"
	assert_line read-denied
	assert_line write-ok
	# The same container without the profile: unconfined, the read works.
	update_config 'del(.process.apparmorProfile)'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line unconfined
	assert_line read-ok
}

@test "the profile is the init's from start on, and an exec inherits it" {
	make_bundle
	echo secret >"$BUNDLE/rootfs/secret"
	mkdir -p "$BUNDLE/rootfs/tmp"
	update_config ".process.apparmorProfile = \"$DENY_READ\""
	start_sleeper
	assert_equal "$(label "$(state_field "$CTR_ID" pid)")" "$DENY_READ (enforce)"
	try exec "$CTR_ID" sh -c "$PROBE"
	assert_success
	assert_line "$DENY_READ (enforce)"
	assert_line read-denied
}

@test "exec --apparmor runs the process under the profile given, not the container's" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/tmp"
	echo secret >"$BUNDLE/rootfs/secret"
	update_config ".process.apparmorProfile = \"$DENY_READ\""
	start_sleeper
	try exec --apparmor "$DENY_TMP" "$CTR_ID" sh -c "$PROBE"
	assert_success
	assert_line "$DENY_TMP (enforce)"
	assert_line read-ok
	assert_line write-denied
}

# process_json NAME JQ - the container's process with the probe as args,
# edited by JQ, in $BATS_TEST_TMPDIR/NAME.
process_json() {
	jq --arg p "$PROBE" ".process | .args = [\"sh\", \"-c\", \$p] | $2" "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/$1"
}

@test "exec of a process.json with an apparmorProfile runs under that profile" {
	make_bundle
	mkdir -p "$BUNDLE/rootfs/tmp"
	echo secret >"$BUNDLE/rootfs/secret"
	update_config ".process.apparmorProfile = \"$DENY_READ\""
	start_sleeper
	process_json with.json ".apparmorProfile = \"$DENY_TMP\""
	try exec --process "$BATS_TEST_TMPDIR/with.json" "$CTR_ID"
	assert_success
	assert_line "$DENY_TMP (enforce)"
	assert_line write-denied
}

@test "exec of a process.json without an apparmorProfile runs under the container's, never unconfined" {
	ocirt_only "runc 1.1.5 runs such a process unconfined in a confined container"
	make_bundle
	mkdir -p "$BUNDLE/rootfs/tmp"
	echo secret >"$BUNDLE/rootfs/secret"
	update_config ".process.apparmorProfile = \"$DENY_READ\""
	start_sleeper
	process_json without.json 'del(.apparmorProfile)'
	try exec --process "$BATS_TEST_TMPDIR/without.json" "$CTR_ID"
	assert_success
	assert_line "$DENY_READ (enforce)"
	assert_line read-denied
}

@test "a profile that is not loaded fails create with a clear error and leaves nothing behind" {
	! loaded "$NOT_LOADED"
	make_bundle -- true
	update_config ".process.apparmorProfile = \"$NOT_LOADED\""
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial "apparmor failed to apply profile"
	assert_output --regexp 'write /proc/(thread-)?self/attr/apparmor/exec: no such file or directory'
	# runc does not name the profile; ocirt does.
	if is_ocirt; then
		assert_output --partial "process.apparmorProfile \"$NOT_LOADED\""
	fi
	run ocirt list -q
	refute_output --partial "$CTR_ID"
}

@test "exec --apparmor with a profile that is not loaded exits 255 and the container runs on" {
	make_bundle
	start_sleeper
	try exec --apparmor "$NOT_LOADED" "$CTR_ID" echo should-not-run
	assert_equal "$status" 255
	assert_output --partial "apparmor failed to apply profile"
	refute_output --partial should-not-run
	assert_equal "$(state_field "$CTR_ID" status)" running
}

# The attr file is written before the filter is loaded: a filter that
# denies the calls ocirt uses for it (openat2, write) would otherwise stop it.
@test "the profile is applied before the seccomp filter, which may deny openat2" {
	probe_bundle
	update_config ".process.apparmorProfile = \"$DENY_READ\"
		| .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\",
			\"syscalls\": [{\"names\": [\"openat2\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "$DENY_READ (enforce)"
	assert_line read-denied
}

# The managers' own profiles: dockerd loads docker-default when it starts,
# podman containers-default-<version> on its first container. A direct
# container with them works (the managers themselves: sysvm/docker.bats,
# sysvm/podman.bats).
@test "docker's docker-default profile, when loaded, confines a direct container" {
	loaded docker-default || { systemctl start docker.service 2>/dev/null && loaded docker-default; } ||
		skip "docker-default is not loaded (dockerd loads it)"
	probe_bundle
	update_config '.process.apparmorProfile = "docker-default"'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "docker-default (enforce)"
	assert_line read-ok
}

@test "podman's containers-default profile, when loaded, confines a direct container" {
	name=$(grep -o '^containers-default-[^ ]*' /sys/kernel/security/apparmor/profiles | head -n1) || true
	[[ -n $name ]] || skip "no containers-default-* profile is loaded (podman loads it on its first run)"
	probe_bundle
	update_config ".process.apparmorProfile = \"$name\""
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "$name (enforce)"
}
