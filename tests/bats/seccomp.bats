#!/usr/bin/env bats
# seccomp.bats - when and how the seccomp filter goes in, as runc 1.1 does
# it: the last step before execve, behind an ENOSYS stub for syscalls newer
# than the profile, with SCMP_ACT_NOTIFY listeners handed to the agent at
# linux.seccomp.listenerPath (for exec too) without deadlocking the start.
# Every test passes against runc too (OCIRT_TEST_RUNTIME=runc).

load helpers

setup() {
	common_setup
	for t in seccomp_agent sysno; do
		[[ -x $REPO/tests/tools/$t ]] || make -s -C "$REPO" "tests/tools/$t" >/dev/null
	done
}
teardown() { common_teardown; }

# An allow-list in the style of older docker/podman/runtime-tools profiles:
# an errno default and what busybox needs, but none of the syscalls added
# since Linux 5.3 (clone3 435, close_range 436, faccessat2 439). The
# highest number it names is rseq (334).
OLD_PROFILE='{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{"names": ["access", "arch_prctl", "brk", "capget", "capset", "chdir", "clock_gettime",
		           "clock_nanosleep", "clone", "close", "dup", "dup2", "dup3", "epoll_ctl",
		           "epoll_pwait", "execve", "exit", "exit_group", "faccessat", "fchdir", "fcntl", "fstat",
		           "fstatfs", "futex", "getcwd", "getdents64", "getegid", "geteuid", "getgid",
		           "getpgrp", "getpid", "getppid", "getrandom", "getrlimit", "gettid",
		           "getuid", "ioctl", "lseek", "madvise", "mmap", "mprotect", "munmap",
		           "nanosleep", "newfstatat", "openat", "pipe2", "prctl", "pread64",
		           "prlimit64", "read", "readlinkat", "rseq", "rt_sigaction",
		           "rt_sigprocmask", "rt_sigreturn", "sched_getaffinity", "sched_yield",
		           "set_robust_list", "set_tid_address", "setgid", "setgroups", "setresgid",
		           "setresuid", "setuid",
		           "sigaltstack", "stat", "statx", "tgkill", "umask", "uname",
		           "wait4", "write", "writev"],
		 "action": "SCMP_ACT_ALLOW"}
	]
}'

# with_seccomp JSON - put the profile into the bundle's config.
with_seccomp() {
	update_config ".linux.seccomp = $(jq -c . <<<"$1")"
}

# put_sysno - the static raw-syscall helper as /sysno in the rootfs.
put_sysno() {
	cp "$REPO/tests/tools/sysno" "$BUNDLE/rootfs/sysno"
}

# start_agent [ARGS...] - a seccomp agent on $AGENT_SOCK, which appends each
# state it receives to $AGENT_STATE and "<pid> <nr>" for each notification
# to $AGENT_LOG, answering "continue" (or EPERM for --deny NR).
start_agent() {
	AGENT_SOCK=$BATS_TEST_TMPDIR/agent.sock
	AGENT_STATE=$BATS_TEST_TMPDIR/agent.state
	AGENT_LOG=$BATS_TEST_TMPDIR/agent.log
	"$REPO/tests/tools/seccomp_agent" --state "$AGENT_STATE" --log "$AGENT_LOG" "$@" "$AGENT_SOCK" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/agent.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	AGENT_PID=$!
	defer "kill $AGENT_PID"
	wait_for_file "$AGENT_SOCK"
}

# notify_profile NAMES... - allow everything, notify the agent of NAMES.
notify_profile() {
	local names
	names=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "%s", "listenerMetadata": "meta-1",
		"syscalls": [{"names": %s, "action": "SCMP_ACT_NOTIFY"}]}' "$AGENT_SOCK" "$names"
}

# ---- the filter is the last step --------------------------------------------

# Without no_new_privs (docker's default) the filter goes in before the
# capabilities are dropped, since loading it then needs CAP_SYS_ADMIN.
@test "a profile with an errno default that does not list close_range runs the container" {
	make_bundle -- sh -c 'echo started; grep ^Seccomp: /proc/self/status'
	with_seccomp "$OLD_PROFILE"
	update_config '.process.noNewPrivileges = false'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line started
	assert_line "Seccomp:	2"
	refute_output --partial close_range
}

@test "the same profile with create, start and a non-root user: the container runs" {
	make_bundle -- sh -c 'id -u >/tmp/out'
	with_seccomp "$OLD_PROFILE"
	update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" stopped
	assert_equal "$(cat "$BUNDLE/rootfs/tmp/out")" 1000
}

@test "a syscall newer than the profile returns ENOSYS, an older unlisted one the default errno" {
	make_bundle -- sh -c '/sysno 435; /sysno 436 0 0 0; /sysno 83 0'
	put_sysno
	with_seccomp "$OLD_PROFILE"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	# clone3 (435) and close_range (436) are above rseq (334), the highest
	# syscall the profile names; mkdir (83) is below it and unlisted.
	assert_equal "${lines[0]}" "errno 38 ENOSYS"
	assert_equal "${lines[1]}" "errno 38 ENOSYS"
	assert_equal "${lines[2]}" "errno 1 EPERM"
}

@test "with an allowing default there is no ENOSYS stub: a denied syscall gets its errnoRet" {
	make_bundle -- sh -c '/sysno 435; /sysno 83 0'
	put_sysno
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["mkdir", "clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_equal "${lines[0]}" "errno 13 EACCES"
	assert_equal "${lines[1]}" "errno 13 EACCES"
}

@test "a profile whose architectures lack the native one still filters native syscalls" {
	make_bundle -- sh -c '/sysno 83 0'
	put_sysno
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"],
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output "errno 1 EPERM"
}

@test "startContainer hooks run under the container's seccomp filter" {
	make_bundle -- cat /tmp/hook-rc
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir /tmp/by-hook; echo $? >/tmp/hook-rc"]}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output 1
	[[ ! -d $BUNDLE/rootfs/tmp/by-hook ]]
}

# The hook's death is reported as runc reports it ("error running hook",
# and the signal as Go names it), which runc's own tests look for.
@test "a startContainer hook the filter kills fails run: error running hook, bad system call" {
	make_bundle -- true
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}'
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir /tmp/by-hook"]}]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial 'error running hook'
	assert_output --partial 'bad system call'
	[[ ! -d $BUNDLE/rootfs/tmp/by-hook ]]
}

# ---- SCMP_ACT_NOTIFY -------------------------------------------------------------

@test "NOTIFY on execve, openat, read and close: run completes, the agent answers each call" {
	start_agent
	make_bundle -- cat /etc/hostname
	echo box >"$BUNDLE/rootfs/etc/hostname.new" && mv "$BUNDLE/rootfs/etc/hostname.new" "$BUNDLE/rootfs/etc/hostname"
	with_seccomp "$(notify_profile execve openat read close)"
	local OCIRT_TEST_CMD_TIMEOUT=20
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output box
	# execve (59) of cat, openat (257) of /etc/hostname went to the agent.
	run awk '{print $2}' "$AGENT_LOG"
	assert_line 59
	assert_line 257
	run jq -r '[.fds[0], .metadata, .state.id] | join(" ")' "$AGENT_STATE"
	assert_output "seccompFd meta-1 $CTR_ID"
}

@test "the agent's answer is the syscall's result (an EPERM for mkdir)" {
	start_agent --deny 83
	make_bundle -- sh -c '/sysno 83 0; /sysno 84 0'
	put_sysno
	with_seccomp "$(notify_profile mkdir rmdir)"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	# mkdir is denied by the agent; rmdir continues to the kernel (EFAULT).
	assert_equal "${lines[0]}" "errno 1 EPERM"
	assert_equal "${lines[1]}" "errno 14 EFAULT"
}

@test "NOTIFY on write is refused with runc's error, and nothing is left" {
	start_agent
	make_bundle -- true
	with_seccomp "$(notify_profile write)"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "SCMP_ACT_NOTIFY cannot be used for the write syscall"
	[[ ! -s $AGENT_STATE ]]
}

@test "NOTIFY without listenerPath is refused" {
	make_bundle -- true
	with_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "listenerPath is not set"
}

@test "NOTIFY with no agent listening fails run with runc's wording, and nothing is left" {
	AGENT_SOCK=$BATS_TEST_TMPDIR/nobody.sock
	make_bundle -- true
	with_seccomp "$(notify_profile mkdir)"
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 1
	assert_output --partial "failed to connect with seccomp agent"
	assert_output --partial "$AGENT_SOCK"
}

@test "exec under a NOTIFY profile hands its listener to the agent at the host's listenerPath" {
	start_agent --deny 83
	make_bundle -- sleep 1000
	put_sysno
	with_seccomp "$(notify_profile mkdir)"
	create_container
	ocirt start "$CTR_ID"
	run ocirt exec "$CTR_ID" /sysno 83 0
	assert_success
	assert_output "errno 1 EPERM"
	# Two states: the container's, then the exec'd process's.
	run jq -r '.state.id' "$AGENT_STATE"
	assert_equal "${#lines[@]}" 2
	assert_equal "${lines[1]}" "$CTR_ID"
}

@test "exec with no agent listening fails with runc's wording and leaves the container running" {
	start_agent
	make_bundle -- sleep 1000
	with_seccomp "$(notify_profile mkdir)"
	create_container
	ocirt start "$CTR_ID"
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	rm -f "$AGENT_SOCK"
	try exec "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --partial "failed to connect with seccomp agent"
	assert_equal "$(state_field "$CTR_ID" status)" running
	run ocirt ps "$CTR_ID"
	refute_output --partial true
}
