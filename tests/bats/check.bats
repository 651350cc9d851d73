#!/usr/bin/env bats
# check.bats - `ocirt check`: each finding matches what this host really has.

load helpers

setup() {
	common_setup
	ocirt_only "check is an ocirt verb"
}
teardown() { common_teardown; }

# finding NAME FIELD - one field of one finding of `check --format json`.
finding() {
	ocirt check --format json | jq -r --arg n "$1" ".[] | select(.name == \$n) | .$2"
}

@test "check prints one line per finding, each starting with ✓ or ✗" {
	try check
	[[ ${#lines[@]} -gt 10 ]]
	for l in "${lines[@]}"; do
		[[ -z $l || $l == "✓ "* || $l == "✗ "* || $l == "   "* || $l == "this host"* || $l == "missing for"* ]] ||
			fail "unexpected line: $l"
	done
}

@test "check --format json is an array of {name, ok, detail, fix, required}" {
	run ocirt check --format json
	json=$output
	jq -e 'type == "array" and length > 10' <<<"$json"
	jq -e 'all(.[]; (keys == ["detail","fix","name","ok","required"])
		and (.ok | type == "boolean") and (.required | type == "boolean")
		and (.name | type == "string") and (.detail | type == "string"))' <<<"$json"
	# A fix only where something is missing.
	jq -e 'all(.[]; if .ok then .fix == null else (.fix | type == "string") end)' <<<"$json"
	run ocirt check --format yaml
	assert_failure
	assert_output --partial 'invalid format "yaml"'
}

@test "the exit status is 0 exactly when every required finding is ok" {
	want=$(ocirt check --format json | jq -r 'if all(.[]; .ok or (.required | not)) then 0 else 1 end')
	try check
	assert_equal "$status" "$want"
}

@test "the kernel finding shows uname -r" {
	assert_equal "$(finding kernel ok)" true
	run finding kernel detail
	assert_output --partial "$(uname -r)"
}

@test "every namespace type is reported as /proc/self/ns has it" {
	for ns in mnt uts ipc pid net user cgroup time; do
		want=false
		[[ -e /proc/self/ns/$ns ]] && want=true
		assert_equal "$(finding "namespace $ns" ok)" "$want"
	done
	assert_equal "$(finding "namespace pid" required)" true
	assert_equal "$(finding "namespace time" required)" false
}

@test "the cgroup mode matches the filesystem on /sys/fs/cgroup and the unified mount" {
	root=$(stat -f -c %T /sys/fs/cgroup)
	unified=$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || echo none)
	if [[ $root == cgroup2fs ]]; then
		mode=v2
	elif [[ $unified == cgroup2fs ]]; then
		mode=hybrid
	else
		mode=v1
	fi
	run finding cgroup detail
	assert_output --regexp "^$mode[ ,]"
	if [[ $mode != v2 ]]; then
		# Every v1 controller listed is mounted as a hierarchy.
		v1=$(sed -n 's/.*v1 controllers: \([^;]*\).*/\1/p' <<<"$output")
		for c in $v1; do
			grep -qE "^$c[[:space:]]+[1-9]" /proc/cgroups || fail "$c is listed but not on a v1 hierarchy"
		done
	fi
}

@test "seccomp names libseccomp's version, as ocirt --version does" {
	lib=$("$OCIRT" --version | sed -n 's/^libseccomp: //p')
	run finding seccomp detail
	assert_output --partial "libseccomp $lib"
	want=false
	grep -q '^Seccomp:' /proc/self/status && want=true
	assert_equal "$(finding seccomp ok)" "$want"
}

@test "user namespaces are ok exactly when max_user_namespaces > 0" {
	want=false
	(($(cat /proc/sys/user/max_user_namespaces) > 0)) && want=true
	assert_equal "$(finding "user namespaces" ok)" "$want"
}

@test "CAP_SYS_RESOURCE follows bit 24 of CapEff, with the consequence as the fix" {
	capeff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	want=false
	(((0x$capeff >> 24) & 1)) && want=true
	assert_equal "$(finding CAP_SYS_RESOURCE ok)" "$want"
	if [[ $want == false ]]; then
		assert_equal "$(finding CAP_SYS_RESOURCE fix)" \
			"rlimits above the hard limit and negative oomScoreAdj will fail"
		try check
		assert_output --partial "✗ CAP_SYS_RESOURCE"
	fi
	assert_equal "$(finding CAP_SYS_RESOURCE required)" false
}

@test "pivot_root is possible unless / is an initramfs" {
	want=true
	[[ $(stat -f -c %T /) == ramfs ]] && want=false
	awk '$5 == "/" {t = $0} END {exit !(t ~ / - rootfs /)}' /proc/self/mountinfo && want=false
	assert_equal "$(finding pivot_root ok)" "$want"
}

@test "CNI plugins and /dev/container_monitor are reported as present or not, and are optional" {
	want=false
	[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap && -x /usr/lib/cni/loopback ]] && want=true
	assert_equal "$(finding "CNI plugins" ok)" "$want"
	want=false
	[[ -e /dev/container_monitor ]] && want=true
	assert_equal "$(finding "container monitor" ok)" "$want"
	assert_equal "$(finding "CNI plugins" required)" false
	assert_equal "$(finding "container monitor" required)" false
}

@test "a state dir that cannot be written fails the check, with a fix" {
	assert_equal "$(finding "state dir" ok)" true
	# A read-only bind of the state root: even root cannot create files there.
	ro=$BATS_TEST_TMPDIR/ro
	mkdir -p "$ro"
	mount --bind "$ro" "$ro"
	mount -o remount,bind,ro "$ro"
	defer "umount $ro"
	run "$OCIRT" --root "$ro/state" check --format json
	assert_failure
	jq -e '.[] | select(.name == "state dir") | (.ok == false and .required and (.detail | test("read-only")))' <<<"$output"
	run "$OCIRT" --root "$ro/state" check
	assert_failure
	assert_output --partial "missing for the default config: state dir;"
}

@test "the AppArmor and SELinux findings are what this host has, and never required" {
	aa=false se=false
	[[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y* && -d /sys/kernel/security/apparmor ]] && aa=true
	[[ $(stat -f -c %T /sys/fs/selinux 2>/dev/null) == selinux && -r /sys/fs/selinux/enforce ]] && se=true
	assert_equal "$(finding AppArmor ok)" "$aa"
	assert_equal "$(finding SELinux ok)" "$se"
	assert_equal "$(finding AppArmor required)" false
	assert_equal "$(finding SELinux required)" false
	if [[ $aa == false ]]; then
		run finding AppArmor fix
		assert_output --partial "process.apparmorProfile fails create"
	fi
}
