#!/usr/bin/env bats
# security.bats - what a process inside a container with the default
# config (`ocirt spec`: capabilities AUDIT_WRITE, KILL, NET_BIND_SERVICE,
# no_new_privs, masked and read-only paths) cannot do, the settings it must
# see, and the escape classes of past runc CVEs. Each test passes against
# runc too (OCIRT_TEST_RUNTIME=runc) unless it says why not.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# run_container - run $BUNDLE in the foreground; sets $status and $output.
run_container() {
	run ocirt run --bundle "$BUNDLE" "$@" "$CTR_ID" </dev/null
}

# The effective, permitted and bounding sets of the default config:
# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
DEFAULT_CAPS=0000000020000420

# A deny-list profile, as a hardened container engine would add on top of
# the capability drop: these calls fail with EPERM even where a capability
# would allow them.
DENY_PROFILE='{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{"names": ["mount", "umount2", "unshare", "setns", "reboot", "init_module",
		           "finit_module", "delete_module", "kexec_load", "kexec_file_load",
		           "keyctl", "add_key", "request_key", "ptrace", "mkdir", "mkdirat"],
		 "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
	]
}'

# An allow-list profile (podman-style: default SCMP_ACT_ERRNO): what busybox
# needs to run a shell, cat, ls and echo, and nothing else.
ALLOW_PROFILE='{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{"names": ["access", "arch_prctl", "brk", "capget", "chdir", "clock_gettime",
		           "clock_nanosleep", "clone", "clone3", "close", "close_range", "dup",
		           "dup2", "dup3", "execve", "execveat", "exit", "exit_group",
		           "faccessat", "faccessat2", "fchdir", "fcntl", "fstat", "fstatfs",
		           "futex", "getcwd", "getdents", "getdents64", "getegid", "geteuid",
		           "getgid", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
		           "getrlimit", "getuid", "gettid", "ioctl", "lseek", "lstat", "madvise",
		           "mmap", "mprotect", "munmap", "nanosleep", "newfstatat", "open",
		           "openat", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64",
		           "prlimit64", "read", "readlink", "readlinkat", "readv",
		           "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rseq",
		           "set_robust_list", "set_tid_address", "setpgid", "sigaltstack", "stat",
		           "statfs", "statx", "sysinfo", "tgkill", "umask", "uname", "vfork",
		           "wait4", "write", "writev"],
		 "action": "SCMP_ACT_ALLOW"}
	]
}'

# with_seccomp PROFILE - put PROFILE into the bundle's config.
with_seccomp() {
	printf '%s' "$1" >"$BATS_TEST_TMPDIR/seccomp.json"
	update_config ".linux.seccomp = $(jq -c . "$BATS_TEST_TMPDIR/seccomp.json")"
}

# ---- capabilities, no_new_privs, seccomp: what the process holds ----------

@test "the process holds exactly the configured capabilities and no_new_privs, and no filter" {
	make_bundle -- cat /proc/self/status
	run_container
	assert_success
	assert_line "CapEff:	$DEFAULT_CAPS"
	assert_line "CapPrm:	$DEFAULT_CAPS"
	assert_line "CapBnd:	$DEFAULT_CAPS"
	assert_line "CapAmb:	0000000000000000"
	assert_line "NoNewPrivs:	1"
	assert_line "Seccomp:	0"
}

@test "a configured seccomp profile is in force: Seccomp is 2 (filter mode)" {
	make_bundle -- cat /proc/self/status
	with_seccomp "$DENY_PROFILE"
	run_container
	assert_success
	assert_line "Seccomp:	2"
	assert_line "NoNewPrivs:	1"
	assert_line "CapEff:	$DEFAULT_CAPS"
}

@test "a syscall denied by the profile fails with the profile's errnoRet" {
	make_bundle -- sh -c 'mkdir /tmp/denied; echo "rc=$?"; [ -d /tmp/denied ] || echo absent'
	with_seccomp "$DENY_PROFILE"
	run_container
	assert_success
	assert_output --partial "Operation not permitted"
	assert_line "rc=1"
	assert_line absent
}

@test "an allow-list profile runs a shell and refuses what it does not list" {
	make_bundle -- sh -c 'cat /proc/self/status | grep ^Seccomp:; ls / >/dev/null && echo ls-ok; mkdir /tmp/x || echo mkdir-refused'
	with_seccomp "$ALLOW_PROFILE"
	run_container
	assert_success
	assert_line "Seccomp:	2"
	assert_line ls-ok
	assert_line mkdir-refused
	assert_output --partial "Operation not permitted"
}

# ---- escape attempts without a seccomp filter: the capability drop ---------

@test "mount fails inside the container (no CAP_SYS_ADMIN)" {
	make_bundle -- sh -c 'mount -t tmpfs none /tmp; echo "rc=$?"; mount -o remount,rw /proc/sys; echo "rc=$?"; mount -o remount,rw /; echo "rc=$?"'
	run_container
	assert_success
	refute_line "rc=0"
	assert_output --regexp "Operation not permitted|permission denied"
	refute_output --regexp "No such file"
}

@test "unshare of mount and network namespaces fails inside the container" {
	make_bundle -- sh -c 'unshare -m true; echo "mnt=$?"; unshare -n true; echo "net=$?"'
	run_container
	assert_success
	refute_line "mnt=0"
	refute_line "net=0"
	assert_output --partial "Operation not permitted"
}

@test "the deny profile also refuses unshare of a user namespace, which needs no capability" {
	make_bundle -- sh -c 'unshare -U true; echo "user=$?"'
	with_seccomp "$DENY_PROFILE"
	run_container
	assert_success
	refute_line "user=0"
	assert_output --partial "Operation not permitted"
}

@test "reboot fails inside the container (no CAP_SYS_BOOT)" {
	make_bundle -- sh -c 'reboot -f; echo "rc=$?"; sleep 0.2; echo still-here'
	run_container
	assert_line still-here
	refute_line "rc=0"
}

@test "loading a kernel module fails inside the container (no CAP_SYS_MODULE)" {
	make_bundle -- sh -c 'insmod /tmp/evil.ko; echo "rc=$?"'
	printf 'not really a module\n' >"$BUNDLE/rootfs/tmp/evil.ko"
	run_container
	assert_success
	refute_line "rc=0"
	# EPERM, or ENOSYS on a kernel built without module support.
	assert_output --regexp "Operation not permitted|kernel does not support"
}

@test "the deny profile refuses finit_module with EPERM before the kernel looks at the module" {
	make_bundle -- sh -c 'insmod /tmp/evil.ko; echo "rc=$?"'
	printf 'not really a module\n' >"$BUNDLE/rootfs/tmp/evil.ko"
	with_seccomp "$DENY_PROFILE"
	run_container
	assert_success
	refute_line "rc=0"
	assert_output --partial "Operation not permitted"
}

@test "kernel sysctls under /proc/sys are read-only inside the container" {
	make_bundle -- sh -c 'echo "|/tmp/pwn" > /proc/sys/kernel/core_pattern; echo "rc=$?"; cat /proc/sys/kernel/core_pattern'
	run_container
	assert_success
	refute_line "rc=0"
	assert_output --partial "Read-only file system"
	refute_output --partial "/tmp/pwn"
	[[ $(cat /proc/sys/kernel/core_pattern) != "|/tmp/pwn" ]]
}

@test "/proc/sysrq-trigger is read-only inside the container" {
	make_bundle -- sh -c 'echo h > /proc/sysrq-trigger; echo "rc=$?"'
	run_container
	assert_success
	refute_line "rc=0"
}

@test "the masked /proc files are empty and /sys/firmware and /proc/acpi are empty directories" {
	# Which of these files exist depends on the kernel's configuration.
	make_bundle -- sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		[ -e $f ] && echo "$f $(cat $f | wc -c)"; done
	for d in /sys/firmware /proc/acpi; do [ -e $d ] && echo "$d $(stat -c %F $d) $(ls -A $d | wc -l)"; done'
	run_container
	assert_success
	[[ -e /proc/keys ]] && assert_line "/proc/keys 0"
	[[ -e /proc/timer_list ]] && assert_line "/proc/timer_list 0"
	[[ -e /proc/kcore ]] && assert_line "/proc/kcore 0"
	assert_line "/sys/firmware directory 0"
	[[ -e /proc/acpi ]] && assert_line "/proc/acpi directory 0"
	# Nothing that is there has content.
	refute_output --regexp ' [1-9][0-9]*$'
}

# ---- limits, oom score ------------------------------------------------------

@test "an rlimit above the hard limit fails create, naming CAP_SYS_RESOURCE" {
	ocirt_only "runc sets rlimits from its parent process and reports a bare 'operation not permitted'"
	hard=$(ulimit -Hn)
	make_bundle
	update_config ".process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":$((hard + 1)),\"hard\":$((hard + 1))}]"
	run_container
	assert_failure
	assert_output --partial "RLIMIT_NOFILE"
	assert_output --partial "CAP_SYS_RESOURCE"
}

@test "a lowered RLIMIT_NOFILE is the container's limit" {
	make_bundle -- sh -c 'ulimit -n; ulimit -Hn'
	update_config '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":100,"hard":200}]'
	run_container
	assert_success
	assert_equal "${lines[0]}" 100
	assert_equal "${lines[1]}" 200
}

@test "a positive oomScoreAdj is the container process's oom_score_adj" {
	make_bundle -- cat /proc/self/oom_score_adj
	update_config '.process.oomScoreAdj = 500'
	run_container
	assert_success
	assert_output 500
}

# ---- sysctl ---------------------------------------------------------------------

@test "a sysctl that is not namespaced is refused and the host value is untouched" {
	before=$(cat /proc/sys/vm/swappiness)
	make_bundle -- true
	update_config ".linux.sysctl = {\"vm.swappiness\": \"$((before == 7 ? 8 : 7))\"}"
	run_container
	assert_failure
	assert_output --partial vm.swappiness
	if is_ocirt; then
		assert_output --partial 'linux.sysctl["vm.swappiness"]: sysctl is not namespaced'
	fi
	assert_equal "$(cat /proc/sys/vm/swappiness)" "$before"
}

@test "a net sysctl is refused when the container shares the host's network namespace" {
	make_bundle -- true
	update_config 'del(.linux.namespaces[] | select(.type == "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run_container
	assert_failure
	assert_output --partial net.ipv4.ip_forward
}

@test "a net sysctl is refused when the network namespace joined by path is the host's" {
	make_bundle -- true
	update_config '(.linux.namespaces[] | select(.type == "network")) .path = "/proc/self/ns/net" | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	run_container
	assert_failure
	assert_output --partial net.ipv4.ip_forward
	assert_equal "$(cat /proc/sys/net/ipv4/ip_forward)" "$before"
}

@test "a namespaced sysctl in a new network namespace is seen inside" {
	make_bundle -- cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
	run_container
	assert_success
	assert_equal "${lines[0]}" 1
	assert_equal "${lines[1]}" 1234
}

@test "kernel.hostname as a sysctl is refused: config.json's hostname sets it" {
	make_bundle -- true
	update_config '.linux.sysctl = {"kernel.hostname": "evil"}'
	run_container
	assert_failure
	assert_output --partial kernel.hostname
}

# CVE-2025-52881: the config decides what sits at /proc and under it, so a
# sysctl write must be checked to land in procfs, not in a host file bound
# there.
@test "a sysctl write redirected by a bind over /proc/sys is refused and the host file is untouched" {
	fake="$BATS_TEST_TMPDIR/fakesys"
	mkdir -p "$fake/net/ipv4"
	echo 0 > "$fake/net/ipv4/ip_forward"
	make_bundle -- true
	update_config ".mounts += [{\"destination\": \"/proc/sys\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}] | .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"}"
	run_container
	assert_failure
	if is_ocirt; then
		assert_output --partial 'linux.sysctl["net.ipv4.ip_forward"]: open "/proc/sys/net/ipv4/ip_forward": not on procfs'
	fi
	assert_equal "$(cat "$fake/net/ipv4/ip_forward")" 0
	assert_equal "$(find "$fake" -type f | wc -l)" 1
}

@test "a sysctl write into a /proc that is not procfs is refused and the host file is untouched" {
	# runc 1.1.5 predates the fix and writes into the host file.
	ocirt_only
	fake="$BATS_TEST_TMPDIR/fakeproc"
	mkdir -p "$fake/sys/net/ipv4"
	echo 0 > "$fake/sys/net/ipv4/ip_forward"
	make_bundle -- true
	update_config "(.mounts[] | select(.destination == \"/proc\")) |= {\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]} | .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"}"
	run_container
	assert_failure
	assert_equal "$(cat "$fake/sys/net/ipv4/ip_forward")" 0
	assert_output --partial 'linux.sysctl: "/proc" is not a procfs mount'
}

@test "read-only and masked paths are not bound through a /proc/self/fd that a mount replaced" {
	# Every "fd" there is a symlink to /marker: a bind through
	# /proc/self/fd/N would land on it instead of the path asked for.
	fake="$BATS_TEST_TMPDIR/fakefd"
	mkdir -p "$fake"
	for i in $(seq 0 64); do ln -s /marker "$fake/$i"; done
	make_bundle -- true
	mkdir -p "$BUNDLE/rootfs/marker"
	update_config ".mounts += [{\"destination\": \"/proc/self/fd\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"rbind\"]}]"
	run_container
	assert_failure
	if is_ocirt; then
		assert_output --regexp '(readonly|masked) path "/proc/[a-z/]*": open "/proc/self/fd": not on procfs'
	fi
}

# ---- file descriptors ----------------------------------------------------------

@test "the container process has only fds 0, 1 and 2" {
	# sh stays pid 1 (two commands), so /proc/1/fd is its table, not ls's.
	make_bundle -- sh -c 'ls /proc/1/fd; true'
	# Fds open in the caller must not leak in (the wrapper already closes
	# 3-9 for bats; open more).
	run_container 10</dev/null 11>"$BATS_TEST_TMPDIR/leak"
	assert_success
	assert_equal "$(echo $output)" "0 1 2"
}

@test "--preserve-fds 2 passes fds 3 and 4, and no others" {
	make_bundle -- sh -c 'ls /proc/1/fd; cat <&3; cat <&4'
	echo three >"$BATS_TEST_TMPDIR/three"
	echo four >"$BATS_TEST_TMPDIR/four"
	st=0
	timeout -k 5 60 "$OCIRT" --root "$STATE_ROOT" run --preserve-fds 2 --bundle "$BUNDLE" "$CTR_ID" \
		3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four" 5</dev/null 6</dev/null \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	assert_equal "$st" 0
	assert_equal "$(echo $output)" "0 1 2 3 4 three four"
}

@test "socket activation (LISTEN_FDS=2, LISTEN_PID of the runtime) passes fds 3 and 4 with LISTEN_FDS=2 and LISTEN_PID=1, as runc does" {
	make_bundle -- sh -c 'echo $LISTEN_FDS $LISTEN_PID; ls /proc/1/fd; cat <&3; cat <&4'
	echo three >"$BATS_TEST_TMPDIR/three"
	echo four >"$BATS_TEST_TMPDIR/four"
	st=0
	# exec keeps bash's pid, so LISTEN_PID=$$ names the runtime, as systemd sets it.
	LISTEN_FDS=2 OCIRT="$OCIRT" STATE_ROOT="$STATE_ROOT" BUNDLE="$BUNDLE" CTR_ID="$CTR_ID" timeout -k 5 60 \
		bash -c 'export LISTEN_PID=$$; exec "$OCIRT" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CTR_ID"' \
		3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four" 5</dev/null \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	assert_equal "$st" 0
	assert_equal "$(echo $output)" "2 1 0 1 2 3 4 three four"
}

@test "LISTEN_FDS meant for another process (LISTEN_PID not the runtime's) is ignored" {
	make_bundle -- sh -c 'echo "[$LISTEN_FDS]"; [ -e /proc/1/fd/4 ] && echo fd4 || echo no-fd4'
	st=0
	LISTEN_FDS=2 LISTEN_PID=1 timeout -k 5 60 "$OCIRT" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CTR_ID" \
		3</dev/null 4</dev/null </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	assert_equal "$st" 0
	assert_equal "$(echo $output)" "[] no-fd4"
}

@test "SCMP_ACT_NOTIFY: the seccomp listener gets the notify fd with the container state, its metadata and the host pid" {
	ocirt_only "runc 1.1 sends the state through its own path; the payload shape is checked for ocirt"
	[[ -x $REPO/tests/tools/recvtty ]] || make -s -C "$REPO" tests/tools/recvtty >/dev/null
	make_bundle -- /bin/true
	local sock=$BATS_TEST_TMPDIR/notify.sock
	update_config ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$sock\",
		listenerMetadata: \"meta-42\", syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_NOTIFY\"}]}"
	# recvtty takes the fd and the payload; it then fails reading the fd (no
	# pty), which does not matter here.
	timeout 20 "$REPO/tests/tools/recvtty" --mode null --pty-name-file "$BATS_TEST_TMPDIR/payload" "$sock" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	local listener=$!
	wait_for_file "$sock"
	ocirt create --bundle "$BUNDLE" "$CTR_ID"
	local pid
	pid=$(ocirt state "$CTR_ID" | jq -r .pid)
	ocirt start "$CTR_ID"
	wait "$listener" || true
	run jq -c '[.fds, .metadata, .pid, .state.id, .state.pid]' "$BATS_TEST_TMPDIR/payload"
	assert_success
	assert_output "[[\"seccompFd\"],\"meta-42\",$pid,\"$CTR_ID\",$pid]"
}

# ---- CVE classes ------------------------------------------------------------------

# CVE-2021-30465: a mount destination that walks through a symlink in the
# rootfs must be resolved inside the rootfs, never on the host.
@test "a mount destination through a rootfs symlink to / stays inside the rootfs (CVE-2021-30465)" {
	[[ ! -e /ocirt-escape-test ]] || fail "/ocirt-escape-test exists on the host before the test"
	defer 'rmdir /ocirt-escape-test'
	make_bundle -- sh -c 'grep -c ocirt-escape-test /proc/self/mountinfo'
	rm -rf "$BUNDLE/rootfs/mnt"
	ln -s / "$BUNDLE/rootfs/mnt"
	update_config '.mounts += [{"destination": "/mnt/ocirt-escape-test", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]}]'
	run_container
	[[ ! -e /ocirt-escape-test ]] || fail "the mount created /ocirt-escape-test on the host"
	! grep -q ocirt-escape-test /proc/self/mountinfo
	# If the run succeeded, the mount landed in the container's own /.
	if ((status == 0)); then
		assert_output 1
		[[ -d $BUNDLE/rootfs/ocirt-escape-test ]]
	fi
}

# CVE-2019-16884: /proc mounted onto a symlink could be redirected so that
# the LSM label writes go to a fake procfs. proc is only ever mounted onto a
# real directory.
@test "/proc onto a symlink in the rootfs is refused (CVE-2019-16884)" {
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/proc"
	mkdir -p "$BUNDLE/rootfs/fakeproc"
	ln -s /fakeproc "$BUNDLE/rootfs/proc"
	run_container
	assert_failure
	assert_output --partial proc
}

# CVE-2024-21626: a leaked host fd used as cwd would put the process in the
# host's filesystem. No fd beyond 2 reaches the container, so every
# /proc/self/fd/N cwd must fail cleanly.
@test "a cwd of /proc/self/fd/N fails cleanly and never lands on the host (CVE-2024-21626)" {
	for n in 3 4 5 6 7 8 9; do
		make_bundle --id "$CTR_ID-$n" -- sh -c 'pwd; ls /'
		update_config ".process.cwd = \"/proc/self/fd/$n\""
		run ocirt run --bundle "$BUNDLE" "$CTR_ID-$n" </dev/null
		assert_failure
		# The host's / has directories a busybox rootfs lacks.
		refute_output --partial "boot"
		refute_output --partial "vmlinuz"
		rm -rf "$BUNDLE"
	done
}

@test "a cwd through a rootfs symlink to / lands in the container's /, not the host's" {
	make_bundle -- sh -c 'ls'
	ln -s / "$BUNDLE/rootfs/escape"
	touch "$BUNDLE/rootfs/marker-$CTR_ID"
	update_config '.process.cwd = "/escape"'
	run_container
	assert_success
	assert_line "marker-$CTR_ID"
	[[ ! -e /marker-$CTR_ID ]]
}

@test "/dev holds only the default devices and the configured ones" {
	make_bundle -- sh -c 'find /dev -type c | sort; echo ---; ls -A /dev | sort'
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
	run_container
	assert_success
	chars=$(sed -n '/^---$/q;p' <<<"$output" | tr '\n' ' ')
	assert_equal "$chars" "/dev/full /dev/fuse /dev/null /dev/pts/ptmx /dev/random /dev/tty /dev/urandom /dev/zero "
	# Besides the nodes: the /dev/fd links, ptmx, and the pts, shm and
	# mqueue mounts (runc adds a /dev/core link to /proc/kcore).
	entries=$(sed -n '/^---$/,$p' <<<"$output" | tail -n +2 | grep -vx core | tr '\n' ' ')
	assert_equal "$entries" "fd full fuse mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
}

# CVE-2019-5736 (a container writing the runtime's binary through
# /proc/<pid>/exe) is tried for real in escapes.bats and vm/escapes.bats.

# ---- scheduling and personality (runtime-spec 1.2) ------------------------------

@test "process.scheduler, ioPriority and linux.personality are applied to the container process" {
	ocirt_only "runc 1.1 does not implement scheduler, ioPriority or personality"
	make_bundle -- sh -c 'cut -d" " -f19,41 /proc/self/stat; ionice; uname -m'
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}
		| .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .linux.personality = {"domain": "LINUX32"}'
	run_container
	assert_success
	# nice 5, policy 3 (SCHED_BATCH)
	assert_line "5 3"
	assert_line "best-effort: prio 6"
	assert_line --regexp '^i[3-6]86$'
}

@test "a scheduler policy the kernel does not implement fails create, naming the field" {
	ocirt_only "runc 1.1 does not implement process.scheduler"
	make_bundle -- true
	update_config '.process.scheduler = {"policy": "SCHED_ISO"}'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "process.scheduler.policy: SCHED_ISO is not implemented"
}

# ---- linux.memoryPolicy (runtime-spec 1.3) ---------------------------------------

# need_memory_policy - skip unless the runtime under test lists
# linux.memoryPolicy in its features (runc 1.1 does not know it) and the
# kernel has NUMA (node0 exists).
need_memory_policy() {
	ocirt features | jq -e '.linux.memoryPolicy.modes | index("MPOL_BIND")' >/dev/null ||
		skip "$RUNTIME_NAME does not implement linux.memoryPolicy"
	[[ -d /sys/devices/system/node/node0 ]] || skip "this kernel has no NUMA support"
}

# The policy field of /proc/self/numa_maps shows the task's policy for a
# mapping that has none of its own: "bind:0", "interleave=static:0", ...
@test "linux.memoryPolicy is the policy of the init, of what it runs, and of an exec'd process" {
	need_memory_policy
	make_bundle -- sh -c 'head -1 /proc/self/numa_maps | cut -d" " -f2; sleep 100'
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}'
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	run awk 'NR == 1 { print $2 }' "/proc/$pid/numa_maps"
	assert_output "interleave=static:0"
	run ocirt exec "$CTR_ID" sh -c 'head -1 /proc/self/numa_maps | cut -d" " -f2'
	assert_success
	assert_output "interleave=static:0"
}

@test "linux.memoryPolicy MPOL_BIND, MPOL_LOCAL, MPOL_PREFERRED without nodes and MPOL_DEFAULT reach the kernel as numa_maps reports them" {
	need_memory_policy
	for case in 'MPOL_BIND|"0"|bind:0' 'MPOL_LOCAL|null|local' 'MPOL_PREFERRED|null|local' 'MPOL_DEFAULT|null|default'; do
		IFS='|' read -r mode nodes want <<<"$case"
		make_bundle -- sh -c 'head -1 /proc/self/numa_maps | cut -d" " -f2'
		update_config ".linux.memoryPolicy = {\"mode\": \"$mode\"} | if $nodes then .linux.memoryPolicy.nodes = $nodes else . end"
		run_container
		assert_success
		assert_output "$want"
	done
}

@test "a memory node the host does not have fails create, naming the field and the nodes, and leaves nothing" {
	need_memory_policy
	make_bundle -- true
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "1000"}'
	create_refused 'linux.memoryPolicy: set_mempolicy MPOL_BIND nodes "1000"'
}

@test "a memory policy the kernel would refuse with a bare EINVAL is refused before the container exists" {
	need_memory_policy
	make_bundle -- true
	for case in '{"mode": "MPOL_BIND"}|MPOL_BIND needs at least one node' \
		'{"mode": "MPOL_LOCAL", "nodes": "0"}|MPOL_LOCAL takes no nodes' \
		'{"mode": "MPOL_NOPE"}|unknown mode "MPOL_NOPE"' \
		'{"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}|exclude each other'; do
		IFS='|' read -r policy want <<<"$case"
		update_config ".linux.memoryPolicy = $policy"
		create_refused "linux.memoryPolicy" "$want"
	done
}
