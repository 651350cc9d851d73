#!/usr/bin/env bats
# isolation.bats - what the container process sees (checked from inside)
# and what the host sees of it: namespaces, root, mounts, /dev, user and
# process settings from config.json.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# run_container - run $BUNDLE in the foreground; sets $status and $output.
run_container() {
	run ocirt run --bundle "$BUNDLE" "$@" "$CTR_ID" </dev/null
}

# start_container - create and start $BUNDLE; leaves $pid (host pid).
start_container() {
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	pid=$(state_field "$CTR_ID" pid)
}

# start_userns_container CMD... - $BUNDLE running CMD in a new user
# namespace (ids 0-65535 are the host's 100000-165535), created and
# started; leaves $pid.
start_userns_container() {
	# The mapped root must be able to reach the bundle.
	chmod 0755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	make_bundle -- "$@"
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	start_container
}

@test "the container process is pid 1 and sees no host process" {
	make_bundle -- sh -c 'echo "pid=$$"; cat /proc/1/cmdline | tr "\0" " "; echo; echo /proc/[0-9]*'
	run_container
	assert_success
	assert_line --index 0 "pid=1"
	assert_line --index 1 --partial "sh -c"
	# The glob is expanded by the shell itself: only pid 1 exists.
	assert_line --index 2 /proc/1
}

@test "the hostname is the one in config.json" {
	make_bundle -- hostname
	update_config '.hostname = "box-under-test"'
	run_container
	assert_success
	assert_output "box-under-test"
	# The host's name is untouched.
	[[ $(hostname) != box-under-test ]]
}

@test "the uts, ipc, pid, net and mount namespaces differ from the host's" {
	make_bundle -- sh -c 'for n in uts ipc pid net mnt; do readlink /proc/self/ns/$n; done'
	run_container
	assert_success
	for n in uts ipc pid net mnt; do
		refute_line "$(host_ns $n)"
		assert_line --regexp "^$n:\[[0-9]+\]$"
	done
}

@test "the host sees the container init in its own namespaces" {
	make_bundle
	start_container
	for n in uts ipc pid net mnt; do
		[[ $(readlink "/proc/$pid/ns/$n") != "$(host_ns $n)" ]] ||
			fail "container pid $pid shares the host's $n namespace"
	done
}

@test "the container init sits in the configured cgroupsPath in every v1 hierarchy" {
	make_bundle
	start_container
	for c in memory pids cpu devices freezer; do
		grep -qE "^[0-9]+:([^:]*,)?$c(,[^:]*)?:$CGROUP_PARENT/$CTR_ID\$" "/proc/$pid/cgroup" ||
			fail "$c: $(cat /proc/$pid/cgroup)"
	done
	[[ -d /sys/fs/cgroup/memory$CGROUP_PARENT/$CTR_ID ]]
}

@test "no host mount is visible: every mount point comes from config.json" {
	make_bundle -- cat /proc/self/mountinfo
	run_container
	assert_success
	refute_output --partial " /work"
	allowed=$(jq -r '.mounts[].destination' "$BUNDLE/config.json")
	while read -r _ _ _ _ mp _; do
		[[ $mp == / ]] && continue
		ok=
		for a in $allowed; do
			[[ $mp == "$a" || $mp == "$a"/* ]] && ok=y
		done
		[[ -n $ok ]] || fail "mount point $mp is not from config.json"
	done <<<"$output"
}

@test "a new network namespace has only lo" {
	make_bundle -- ls /sys/class/net
	run_container
	assert_success
	assert_output "lo"
}

@test "joining a network namespace by path shows that namespace's interfaces" {
	ns="ocirt-test-$BATS_TEST_NUMBER-$$"
	ip netns add "$ns"
	defer "ip netns del $ns"
	ip -n "$ns" link add otest0 type veth peer name otest1
	make_bundle -- ls /sys/class/net
	update_config "(.linux.namespaces[] | select(.type == \"network\")) += {path: \"/run/netns/$ns\"}"
	run_container
	assert_success
	assert_line lo
	assert_line otest0
	assert_line otest1
}

@test "a user namespace maps uid 0 inside to the configured host uid" {
	start_userns_container sh -c 'id -u > /tmp/uid; cat /proc/self/uid_map > /tmp/map; exec sleep 1000'
	wait_for_file "$BUNDLE/rootfs/tmp/map"
	assert_equal "$(cat "$BUNDLE/rootfs/tmp/uid")" 0
	run cat "$BUNDLE/rootfs/tmp/map"
	assert_output --regexp '^ +0 +100000 +65536$'
	# From the host, the same process runs as the mapped uid and gid.
	run grep -E '^(Uid|Gid):' "/proc/$pid/status"
	assert_line --regexp '^Uid:\s+100000\s+100000\s+100000\s+100000$'
	assert_line --regexp '^Gid:\s+100000\s+100000\s+100000\s+100000$'
	[[ $(readlink "/proc/$pid/ns/user") != "$(host_ns user)" ]]
}

# As in a podman pod with --uidmap: the infra container makes the user
# namespace, the others join it by path and make the rest. Those new
# namespaces must belong to the joined user namespace (made after joining
# it), or its root could not mount /proc or set the hostname in them.
@test "joining a user namespace by path: new pid, mount and uts namespaces belong to it, and pid 1 is the container's" {
	start_userns_container sleep 1000
	local holder=$pid second=$BATS_TEST_TMPDIR/second id2=$CTR_ID-joiner
	make_bundle --dir "$second" --id "$id2" -- sh -c 'echo "pid=$$"; hostname; cat /proc/self/uid_map; ls /proc/1/ns >/dev/null && echo proc-ok; exec sleep 1000'
	update_config ".linux.namespaces += [{type: \"user\", path: \"/proc/$holder/ns/user\"}]
		| del(.linux.uidMappings, .linux.gidMappings) | .hostname = \"joiner\"" "$second"
	ocirt create --bundle "$second" "$id2" </dev/null >"$BATS_TEST_TMPDIR/joiner.out" 2>&1 ||
		fail "create: $(cat "$BATS_TEST_TMPDIR/joiner.out")"
	ocirt start "$id2"
	wait_for_status "$id2" running
	for _ in $(seq 50); do ocirt logs "$id2" 2>/dev/null | grep -q proc-ok && break; sleep 0.1; done
	run ocirt logs "$id2"
	assert_line pid=1
	assert_line joiner
	assert_line --regexp '^ +0 +100000 +65536$'
	assert_line proc-ok
	# From the host: state's pid is the init, in the holder's user namespace,
	# with pid, mount and uts namespaces of its own, owned by that one.
	local init
	init=$(state_field "$id2" pid)
	assert_equal "$(readlink "/proc/$init/ns/user")" "$(readlink "/proc/$holder/ns/user")"
	for ns in pid mnt uts; do
		[[ $(readlink "/proc/$init/ns/$ns") != "$(readlink "/proc/$holder/ns/$ns")" ]] || fail "$ns is the holder's"
		[[ $(readlink "/proc/$init/ns/$ns") != "$(host_ns "$ns")" ]] || fail "$ns is the host's"
	done
	run grep -E '^NSpid:' "/proc/$init/status"
	assert_output --regexp "^NSpid:\s+$init\s+1$"
	run ocirt kill "$id2" KILL
	assert_success
	wait_for_status "$id2" stopped
	run ocirt delete "$id2"
	assert_success
}

# The init is then ocirt's grandchild: run in the foreground must still
# wait for it and return its exit code.
@test "run in the foreground, joining a user namespace by path, returns the init's exit code" {
	start_userns_container sleep 1000
	local second=$BATS_TEST_TMPDIR/second id2=$CTR_ID-joiner
	make_bundle --dir "$second" --id "$id2" -- sh -c 'echo "pid=$$"; exit 7'
	update_config ".linux.namespaces += [{type: \"user\", path: \"/proc/$pid/ns/user\"}]
		| del(.linux.uidMappings, .linux.gidMappings)" "$second"
	run ocirt run --bundle "$second" "$id2" </dev/null
	assert_equal "$status" 7
	assert_output pid=1
	run ocirt state "$id2"
	assert_failure
}

@test "process.user uid, gid and additionalGids are the process's credentials" {
	make_bundle -- sh -c 'id -u; id -g; id -G'
	update_config '.process.user = {uid: 65534, gid: 65534, additionalGids: [5, 6]}'
	run_container
	assert_success
	assert_line --index 0 65534
	assert_line --index 1 65534
	for g in 65534 5 6; do
		[[ " ${lines[2]} " == *" $g "* ]] || fail "group $g missing from '${lines[2]}'"
	done
}

@test "process.user.umask is the process's umask" {
	make_bundle -- sh -c umask
	update_config '.process.user.umask = 23'
	run_container
	assert_success
	assert_output 0027
}

@test "process.cwd is the working directory and process.env the environment" {
	make_bundle -- sh -c 'pwd; echo "$GREETING"; echo "$PATH"'
	update_config '.process.cwd = "/tmp" | .process.env = ["PATH=/bin", "GREETING=hello world"]'
	run_container
	assert_success
	assert_line --index 0 /tmp
	assert_line --index 1 "hello world"
	assert_line --index 2 /bin
}

@test "root.readonly makes / read-only" {
	make_bundle -- sh -c 'touch /written; grep " / / " /proc/self/mountinfo'
	update_config '.root.readonly = true'
	run_container
	assert_failure
	assert_output --partial "Read-only file system"
	[[ ! -e $BUNDLE/rootfs/written ]]
}

@test "a tmpfs mount from config.json is mounted with its size option" {
	make_bundle -- sh -c 'grep " /scratch " /proc/self/mountinfo; touch /scratch/ok && echo writable'
	update_config '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]}]'
	run_container
	assert_success
	assert_line --regexp ' /scratch .* - tmpfs tmpfs .*size=1024k'
	assert_line writable
}

@test "a read-only bind mount shows the host directory and refuses writes" {
	hostdir="$BATS_TEST_TMPDIR/hostdir"
	mkdir "$hostdir"
	echo "from the host" > "$hostdir/file"
	make_bundle -- sh -c 'cat /data/file; touch /data/new'
	update_config ".mounts += [{destination: \"/data\", type: \"bind\", source: \"$hostdir\", options: [\"rbind\", \"ro\"]}]"
	run_container
	assert_failure
	assert_line "from the host"
	assert_output --partial "Read-only file system"
	[[ ! -e $hostdir/new ]]
}

@test "/dev has null zero full random urandom and tty as character devices" {
	make_bundle -- sh -c 'for d in null zero full random urandom tty; do
		[ -c /dev/$d ] && echo "$d ok" || echo "$d missing"; done
		echo discard > /dev/null && echo "null writable"
		head -c 4 /dev/zero | od -An -tx1'
	run_container
	assert_success
	for d in null zero full random urandom tty; do assert_line "$d ok"; done
	assert_line "null writable"
	assert_line --regexp '^ *00 00 00 00$'
}

@test "/dev/ptmx is a symlink to pts/ptmx" {
	make_bundle -- readlink /dev/ptmx
	run_container
	assert_success
	assert_output pts/ptmx
}

@test "/dev/fd, /dev/stdin, /dev/stdout and /dev/stderr link to /proc/self/fd" {
	make_bundle -- sh -c 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
	run_container
	assert_success
	assert_line "fd -> /proc/self/fd"
	assert_line "stdin -> /proc/self/fd/0"
	assert_line "stdout -> /proc/self/fd/1"
	assert_line "stderr -> /proc/self/fd/2"
}

@test "a device in linux.devices appears with its type, numbers and mode" {
	make_bundle -- sh -c 'stat -c "%F %t:%T %a" /dev/testfull'
	update_config '.linux.devices = [{path: "/dev/testfull", type: "c", major: 1, minor: 7, fileMode: 438, uid: 0, gid: 0}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 7, access: "rwm"}]'
	run_container
	assert_success
	assert_output "character special file 1:7 666"
}

@test "--no-pivot runs the container in its rootfs" {
	make_bundle -- sh -c 'ls /bin/busybox; echo "pid=$$"; test -e /work && echo host visible || echo isolated'
	run_container --no-pivot
	assert_success
	assert_line /bin/busybox
	assert_line pid=1
	assert_line isolated
}

@test "the container process starts with no ignored or blocked signal, whatever its caller ignored" {
	# cat itself is the container's process: no shell in between that sets
	# dispositions of its own.
	make_bundle -- cat /proc/self/status
	# The caller ignores HUP and PIPE; the container must not inherit that.
	run bash -c 'trap "" HUP PIPE; exec "$0" --root "$1" run --bundle "$2" "$3"' \
		"$OCIRT" "$STATE_ROOT" "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line "SigBlk:	0000000000000000"
	assert_line "SigIgn:	0000000000000000"
}
