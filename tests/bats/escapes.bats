#!/usr/bin/env bats
# escapes.bats - the escape classes of runc's past CVEs and hardening
# issues, each tried for real against the runtime under test. What this
# host's kernel blocks by itself is tried in the VM (tests/bats/vm/escapes.bats).
# Each test passes against runc too (OCIRT_TEST_RUNTIME=runc) unless it
# says why not.

load helpers

setup() { common_setup; }
# A runtime copy that an attack damaged cannot clean up: the real one does.
teardown() {
	OCIRT=${REAL_OCIRT:-$OCIRT}
	common_teardown
}

# use_runtime_copy - run a private copy of the runtime under test from
# $BATS_TEST_TMPDIR/bin, so an attack that works damages only the copy.
use_runtime_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	RUNTIME_COPY="$BATS_TEST_TMPDIR/bin/$RUNTIME_NAME"
	cp "$(command -v "$OCIRT")" "$RUNTIME_COPY"
	REAL_OCIRT=$OCIRT
	OCIRT=$RUNTIME_COPY
	COPY_SUM=$(sha256sum <"$RUNTIME_COPY")
}

# CVE-2019-5736: a process that enters the container is an image of the
# runtime until its execve. Whoever holds its /proc/<pid>/exe can write the
# runtime's binary through it once no process runs it any more (a running
# binary is protected by ETXTBSY only). The created init waits for `start`
# inside the container: its exe must not be the binary on disk.
@test "the init of a created container does not run from the runtime's writable binary (CVE-2019-5736)" {
	use_runtime_copy
	make_bundle
	create_container
	pid=$(state_field "$CTR_ID" pid)
	run readlink "/proc/$pid/exe"
	refute_output "$RUNTIME_COPY"
	# The attacker's handle, taken the way the exploit does.
	exec {exe_fd}<"/proc/$pid/exe"
	ocirt delete --force "$CTR_ID"
	# With the runtime gone, reopen the handle for writing.
	run sh -c 'echo owned >"$1"' sh "/proc/$$/fd/$exe_fd"
	exec {exe_fd}<&-
	assert_failure
	assert_equal "$(sha256sum <"$RUNTIME_COPY")" "$COPY_SUM"
	run "$RUNTIME_COPY" --version
	assert_success
}

# The exploit itself, on an exec'd process: the image holds the runtime's
# shared libraries (as any glibc image does; without its loader the runtime
# could not run in the container at all) and a script whose interpreter is
# /proc/self/exe. The exec'd process is still an image of the runtime when
# it execs that script, so the kernel runs the runtime again inside the
# container, dumpable. Its --log names a fifo, so it blocks until the
# attacker, the container's init, holds its /proc/<pid>/exe; once it has
# exited, the attacker writes through that handle. As under conmon or
# containerd, no process of the runtime stays behind (ocirt's standalone
# shim would keep the binary busy, ETXTBSY, for as long as the container).
@test "a process exec'd into the container cannot overwrite the runtime through #!/proc/self/exe (CVE-2019-5736)" {
	use_runtime_copy
	export OCIRT_SHIM=never
	make_bundle --copy -- /attack
	local lib
	for lib in $(ldd "$RUNTIME_COPY" | grep -o '/[^ ]*'); do
		cp -L --parents "$lib" "$BUNDLE/rootfs"
	done
	printf '#!/proc/self/exe --log=/tmp/gate\n' >"$BUNDLE/rootfs/evil"
	chmod 0755 "$BUNDLE/rootfs/evil"
	put_script /attack 'mkfifo /tmp/gate
pid=
while [ -z "$pid" ]; do
	pid=$(grep -l "log=/tmp/gat[e]" /proc/[0-9]*/cmdline 2>/dev/null | head -n 1 | cut -d/ -f3)
done
exec 3<"/proc/$pid/exe" || { echo "no handle" >/tmp/result; exit 1; }
cat /tmp/gate >/dev/null &
while [ -d "/proc/$pid" ]; do sleep 0.1; done
i=0
while [ $i -lt 20 ]; do
	if echo owned 2>/dev/null >/proc/self/fd/3; then echo written >/tmp/result; exit 0; fi
	i=$((i + 1)); sleep 0.1
done
echo refused >/tmp/result
sleep 1000'
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	# It fails either way: "/evil" is no command of the runtime.
	try exec "$CTR_ID" /evil
	wait_for_file "$BUNDLE/rootfs/tmp/result" 20
	run cat "$BUNDLE/rootfs/tmp/result"
	assert_output refused
	assert_equal "$(sha256sum <"$RUNTIME_COPY")" "$COPY_SUM"
}

# The caller's session keyring holds the caller's keys: a container that
# shares it can read and add to them. Each container gets one of its own,
# named as runc names it; --no-new-keyring keeps the caller's.
# (/proc/keys lists the keyrings a process may view; the default config
# masks it, so the test unmasks it.)
@test "a container joins a session keyring of its own (_ses.<id>), unless --no-new-keyring" {
	make_bundle -- sh -c "grep -c ' _ses\\.$CTR_ID: ' /proc/keys"
	update_config '.linux.maskedPaths -= ["/proc/keys"]'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output 1
	# Another id: the first container's keyring may live on in /proc/keys
	# until the kernel's key garbage collector gets to it.
	local id2=$CTR_ID-nk
	update_config ".process.args = [\"sh\", \"-c\", \"grep -c ' _ses\\\\.$id2: ' /proc/keys\"]"
	try run --no-new-keyring --bundle "$BUNDLE" "$id2"
	assert_failure
	assert_output 0
}

# The process that exec clones is born in the container's pid namespace,
# holding the runtime's fds and memory (the config, an O_PATH fd of the
# host's /proc) until it execs. Dumpable for any moment, a crash there
# dumps that memory, and a container process with ptrace rights over it
# could read it. The window is a few instructions long; a seccomp filter
# hits it: SIGSYS (unblockable) at the child's first close_range, its
# first step, and only a dumpable process leaves a core file.
@test "the process exec clones into the container is never dumpable, not even before its first step" {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	mkdir "$BATS_TEST_TMPDIR/cwd"
	(
		cd "$BATS_TEST_TMPDIR/cwd"
		ulimit -c unlimited
		timeout 60 "$REPO/tests/tools/trap-close-range.py" \
			"$OCIRT" --root "$STATE_ROOT" exec "$CTR_ID" true </dev/null >/dev/null 2>&1
	) || true
	run ls "$BATS_TEST_TMPDIR/cwd"
	assert_output ""
}

# exec looks at the init's pid, then joins its namespaces: if the init dies
# in between and a host process gets its pid, /proc/<pid>/ns/* are that
# process's namespaces. strace holds exec for 4 s at its second use of the
# init's /proc files after the status check (both the old way, opening
# ns/pid, and a re-check of the start time), while the test kills the init
# and gives its pid to a host process (ns_last_pid).
@test "exec never joins the namespaces of a host process that took over the init's pid" {
	command -v strace >/dev/null || skip "strace is not installed"
	make_bundle
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	timeout 60 strace -f -qq -o /dev/null -e trace=openat -P "/proc/$pid/stat" -P "/proc/$pid/ns/pid" \
		-e inject=openat:delay_enter=4000000:when=2 \
		"$OCIRT" --root "$STATE_ROOT" exec "$CTR_ID" touch "$BATS_TEST_TMPDIR/escaped" \
		</dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 &
	xpid=$!
	sleep 1
	kill -9 "$pid"
	while pid_alive "$pid"; do sleep 0.05; done
	# (The misses are killed in teardown, once they are sleeps: a subshell
	# killed before its exec would run bats' traps.)
	local reused= sleeps=()
	for _ in $(seq 100); do
		echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 1000 </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		sleeps+=($!)
		if (($! == pid)); then reused=1; break; fi
	done
	defer "kill ${sleeps[*]}"
	[[ -n $reused ]] || skip "another process took pid $pid first"
	st=0
	wait "$xpid" || st=$?
	cat "$BATS_TEST_TMPDIR/exec.out"
	((st != 0))
	[[ ! -e $BATS_TEST_TMPDIR/escaped ]]
}

# found_cgroup NAME [--child] - make the cgroup /ocirt-test/NAME in every
# mounted hierarchy, as an admin or a service would; sets FOUND_CG. With
# --child, also a child cgroup "svc" holding a host process (a sleep,
# $HOST_SLEEP), except in a v1 devices hierarchy, which refuses device rules
# on a cgroup with children. Teardown kills the sleep and removes them.
found_cgroup() {
	FOUND_CG=/ocirt-test/$1
	local m d dirs
	if [[ ${2:-} == --child ]]; then
		sleep 1000 </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		HOST_SLEEP=$!
		defer "kill $HOST_SLEEP"
	fi
	defer "sleep 0.2; for m in \$(findmnt -rn -t cgroup,cgroup2 -o TARGET); do rmdir \"\$m$FOUND_CG/svc\" \"\$m$FOUND_CG\"; done 2>/dev/null || true"
	for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
		dirs=("$m$FOUND_CG")
		[[ -n ${HOST_SLEEP:-} && ! -f $m/devices.deny ]] && dirs+=("$m$FOUND_CG/svc")
		for d in "${dirs[@]}"; do
			mkdir -p "$d"
			if [[ -f $m/cpuset.cpus ]]; then # a v1 cpuset cgroup starts empty
				cat "$m/cpuset.cpus" >"$d/cpuset.cpus"
				cat "$m/cpuset.mems" >"$d/cpuset.mems"
			fi
		done
		[[ ${#dirs[@]} == 2 ]] && echo "$HOST_SLEEP" >"${dirs[1]}/cgroup.procs"
	done
	return 0
}

# cgroup_dirs_of PATH - the directories of cgroup PATH, in every mounted
# hierarchy, one a line.
cgroup_dirs_of() {
	local m
	for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
		[[ -d $m$1 ]] && echo "$m$1"
	done
	return 0
}

# found_cgroup_intact - the found cgroup is still there in every hierarchy,
# and so is the host's sleep, if any.
found_cgroup_intact() {
	local m
	for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do
		[[ -d $m$FOUND_CG ]] || fail "$m$FOUND_CG was removed"
	done
	[[ -z ${HOST_SLEEP:-} ]] || pid_alive "$HOST_SLEEP" || fail "the host's sleep in $FOUND_CG/svc was killed"
}

# A cgroupsPath may name a cgroup the runtime did not make (a pod's, an
# admin's, a service's such as /system.slice). Its end must not be the
# runtime's to decide: it kills the container's processes, not the
# cgroup's other members, and removes nothing it did not create.
# (runc removes what it finds, children first; ocirt records in the state
# whether it made the cgroup.)
@test "delete leaves a cgroup it did not create, and the host process in its child cgroup" {
	ocirt_only "runc removes a cgroup it did not create"
	found_cgroup "found-$BATS_TEST_NUMBER-$$" --child
	make_bundle
	update_config ".linux.cgroupsPath = \"$FOUND_CG\""
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
	try delete --force "$CTR_ID"
	assert_success
	run pid_alive "$pid"
	assert_failure
	found_cgroup_intact
}

@test "a create that fails after making its cgroup leaves a cgroup it found as it was" {
	ocirt_only "runc removes a cgroup it did not create"
	found_cgroup "found-$BATS_TEST_NUMBER-$$"
	make_bundle
	update_config ".linux.cgroupsPath = \"$FOUND_CG\" | .mounts += [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/missing\", \"options\": [\"bind\"]}]"
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "$BATS_TEST_TMPDIR/missing"
	found_cgroup_intact
}

# A cgroup found in one v1 hierarchy only (there, the pids one) was made by
# create in the others: those are ocirt's, and delete removes them, as runc
# does; the found one stays. It was left everywhere, and a later container
# of the same path inherited its settings (runc's own update tests trip on
# an rt_runtime left so).
@test "delete removes a cgroup from the hierarchies it made it in, and leaves the one it found" {
	[[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]] || skip "a cgroup v1 or hybrid host"
	[[ -d /sys/fs/cgroup/pids/ocirt-test ]] || mkdir /sys/fs/cgroup/pids/ocirt-test
	local found=/sys/fs/cgroup/pids/ocirt-test/part-$BATS_TEST_NUMBER-$$
	mkdir "$found"
	defer "rmdir '$found' 2>/dev/null || true"
	make_bundle
	update_config ".linux.cgroupsPath = \"/ocirt-test/part-$BATS_TEST_NUMBER-$$\""
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	[[ -d /sys/fs/cgroup/memory/ocirt-test/part-$BATS_TEST_NUMBER-$$ ]]
	try delete --force "$CTR_ID"
	assert_success
	run cgroup_dirs_of "/ocirt-test/part-$BATS_TEST_NUMBER-$$"
	if is_ocirt; then
		assert_output "$found"
	else
		assert_output ""
	fi
}

# With rootfsPropagation shared, the mount holding the rootfs must be made
# private in the container's mount namespace: a shared one carries the
# container's mounts back to the host's peer group, and pivot_root refuses
# it. That mount is found in mountinfo, which escapes a space as \040: read
# raw, a bundle under "/…/with space" matched "/" instead.
@test "a bundle under a shared mount whose path has a space runs, and leaves no mount on the host" {
	local mnt="$BATS_TEST_TMPDIR/with space"
	mkdir "$mnt"
	mount -t tmpfs tmpfs "$mnt"
	defer "umount -l '$mnt'"
	mount --make-shared "$mnt"
	BUNDLE="$mnt/bundle"
	make_bundle --copy -- echo hello
	update_config '.linux.rootfsPropagation = "shared"'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_output hello
	run grep -cF "$BATS_TEST_TMPDIR/with\\040space/" /proc/self/mountinfo
	assert_output 0
}
