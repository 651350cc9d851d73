#!/usr/bin/env bats
# docker.bats - Docker 20.10 (Debian's docker.io: dockerd, its own
# containerd and containerd-shim-runc-v2) drives the runtime under test.
#
# One private dockerd per suite run, started in setup_file and stopped in
# teardown_file. The runtime is registered with --add-runtime NAME=PATH and
# made the default with --default-runtime NAME, so a plain `docker run` uses
# it. Its config file, exec-root (where it starts its own containerd, with
# that containerd's sockets and state, and the runtime's state root
# <exec-root>/runtime-runc/moby, whatever the runtime's name), pidfile and API socket sit in a short directory
# under /run; its data-root (vfs storage) in the work dir. No bridge, no
# iptables, no IP forwarding: containers run with --network none. The
# cgroup parent is the private one ($MGR_CGROUP). The image is the busybox
# rootfs of rootfs-tools/ plus the memory_hog workload, imported with
# `docker import` as ocirt-bb.
#
# The CLI is /usr/bin/docker (Debian's 20.10 client), by path: another
# client may come first in PATH. DOCKER_HOST points at the private socket,
# DOCKER_CONFIG at the work dir.
#
# Paths outside the work dirs that dockerd uses whatever its configuration:
# /etc/docker/key.json (its identity key) and, through its containerd,
# /run/containerd/s/ (the shims' sockets). teardown_file removes them again
# when this suite created them.
#
# With OCIRT_TEST_RUNTIME=runc the same scenarios run against runc
# (registered as "runc-ref": dockerd reserves the name "runc").

load manager_helpers
bats_require_minimum_version 1.5.0

DK_IMAGE=ocirt-bb
DOCKER=/usr/bin/docker

setup_file() {
	mgr_require_packages docker.io
	mgr_setup_file docker
	local w=$MGR_WORK hog
	[[ -x $DOCKER ]] || fail "$DOCKER (Debian's docker.io client) is missing"
	[[ -e /etc/docker/key.json ]] && DK_OWN_KEY=0 || DK_OWN_KEY=1
	[[ -e /run/containerd ]] && DK_OWN_RUN=0 || DK_OWN_RUN=1
	DK_RT=$MGR_RUNTIME_NAME
	[[ $DK_RT == runc ]] && DK_RT=runc-ref
	# A unix socket path must fit in sun_path (108 bytes): under /run, not
	# under the checkout.
	DK_RUN=$(mktemp -d /run/ocirt-dk.XXXXXX)
	MGR_EXTRA_DIRS=$DK_RUN
	# dockerd 20.10 gives every runtime this one state root.
	DK_STATE=$DK_RUN/x/runtime-runc/moby
	export DK_OWN_KEY DK_OWN_RUN DK_RT DK_RUN DK_STATE MGR_EXTRA_DIRS
	export DOCKER_HOST=unix://$DK_RUN/docker.sock DOCKER_CONFIG=$w/cli
	mkdir -p "$DOCKER_CONFIG"

	# The OOM test's workload, in the image as /bin/memory_hog.
	hog=$REPO/tests/.work/workloads/memory_hog
	[[ -x $hog ]] || "$REPO/rootfs-tools/workloads/build.sh" "$REPO/tests/.work/workloads" >/dev/null ||
		fail "rootfs-tools/workloads/build.sh could not build memory_hog"
	cp "$hog" "$w/rootfs/bin/memory_hog"
	tar -C "$w/rootfs" -cf "$w/rootfs.tar" .

	# An empty config file: /etc/docker/daemon.json, if any, is not ours.
	echo '{}' >"$DK_RUN/daemon.json"
	dockerd --config-file "$DK_RUN/daemon.json" --data-root "$w/data" --exec-root "$DK_RUN/x" \
		--pidfile "$DK_RUN/docker.pid" -H "$DOCKER_HOST" \
		--bridge=none --iptables=false --ip-masq=false --ip-forward=false \
		--storage-driver vfs --cgroup-parent "/$MGR_CGROUP" \
		--add-runtime "$DK_RT=$MGR_RUNTIME" --default-runtime "$DK_RT" \
		--log-level warn </dev/null >"$w/dockerd.log" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$w/dockerd.pid"
	wait_until 30 "$DOCKER" version ||
		{ cat "$w/dockerd.log" >&2; return 1; }
	run dk import --change 'CMD ["/bin/sh"]' "$w/rootfs.tar" "$DK_IMAGE"
	assert_success
}

teardown_file() {
	local pid i
	[[ -n ${MGR_WORK:-} ]] || return 0
	if [[ -f $MGR_WORK/dockerd.pid ]]; then
		remove_all_containers
		dk rmi -f "$DK_IMAGE" >/dev/null 2>&1 || true
		# dockerd stops its containerd on the way out.
		pid=$(cat "$MGR_WORK/dockerd.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 100); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for pid in $(shims) $(own_containerd); do
		echo "teardown_file: process left: $pid $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)" >&2
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [[ ${DK_OWN_KEY:-0} == 1 ]]; then
		rm -f /etc/docker/key.json
	fi
	if [[ ${DK_OWN_RUN:-0} == 1 ]]; then
		rmdir /run/containerd/s /run/containerd 2>/dev/null || true
	fi
	mgr_teardown_file "${DK_STATE:-}"
}

setup() {
	MGR_CGROUP_IGNORE=
}

# Every container of the test is removed; then neither a container cgroup
# or process, the runtime's state nor a shim may be left.
teardown() {
	local leaks i
	remove_all_containers
	for i in $(seq 50); do
		[[ -z $(shims) ]] && break
		sleep 0.1
	done
	leaks=$(
		mgr_leaks
		for i in "$DK_STATE"/*; do
			[[ -e $i ]] && echo "runtime state left: $i"
		done
		for i in $(shims); do
			echo "shim $i is still running"
		done
	)
	if [[ -n $leaks ]]; then
		echo "teardown: $leaks" >&2
		return 1
	fi
}

# dk ARGS... - Debian's docker client, against the private dockerd.
dk() {
	timeout -k 5 "$MGR_CMD_TIMEOUT" "$DOCKER" "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# dkrun ARGS... - docker run without a network (there is no bridge).
dkrun() {
	dk run --network none "$@"
}

remove_all_containers() {
	local ids
	ids=$(dk ps -aq 2>/dev/null) || return 0
	# shellcheck disable=SC2086
	[[ -z $ids ]] || dk rm -f $ids >/dev/null 2>&1 || true
}

# shims - pids of the containerd shims of this dockerd's containerd.
shims() {
	pgrep -f "containerd-shim-runc-v2 .*-address $DK_RUN/" || true
}

# own_containerd - the pid of the containerd this dockerd started.
own_containerd() {
	pgrep -f "containerd --config $DK_RUN/" || true
}

# start_sleeper NAME [RUN ARGS...] - a detached container running sleep.
start_sleeper() {
	local name=$1
	shift
	run dkrun -d --name "$name" "$@" "$DK_IMAGE" sleep 1000
	assert_success
}

ctr_status() {
	dk inspect -f '{{.State.Status}}' "$1"
}

# cgroup_of NAME CONTROLLER - the container's cgroup path in a v1 hierarchy.
cgroup_of() {
	local pid
	pid=$(dk inspect -f '{{.State.Pid}}' "$1")
	awk -F: -v c="$2" '$2 ~ "(^|,)" c "(,|$)" {print $3}' "/proc/$pid/cgroup"
}

@test "docker: the runtime under test is dockerd's default; run --rm prints the output" {
	assert_equal "$(dk info -f '{{.DefaultRuntime}}')" "$DK_RT"
	run dkrun --rm "$DK_IMAGE" echo hello from docker
	assert_success
	assert_output "hello from docker"
}

@test "docker: run --runtime NAME runs the container with that runtime, whose state it keeps under exec-root" {
	run dkrun -d --runtime "$DK_RT" --name rt "$DK_IMAGE" sleep 1000
	assert_success
	id=$output
	assert_equal "$(dk inspect -f '{{.HostConfig.Runtime}}' rt)" "$DK_RT"
	[[ -f $DK_STATE/$id/state.json ]] || fail "no state of $id in $DK_STATE"
	run "$MGR_RUNTIME" --root "$DK_STATE" state "$id"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" running
}

@test "docker: the container's exit code is docker run's" {
	run dkrun --rm "$DK_IMAGE" sh -c 'exit 3'
	assert_equal "$status" 3
}

@test "docker: a missing executable exits 127 with the runtime's message" {
	run -127 dkrun --rm "$DK_IMAGE" /nonexistent
	assert_output --partial /nonexistent
	assert_output --partial "no such file or directory"
}

@test "docker: a file that is not executable exits 126" {
	run -126 dkrun --rm "$DK_IMAGE" /etc/passwd
	assert_output --partial "permission denied"
}

@test "docker: a runtime failure of another kind exits 125 with the runtime's message" {
	# A value the kernel refuses (EINVAL) for a sysctl docker accepts.
	run -125 dkrun --rm --sysctl kernel.shmmax=not-a-number "$DK_IMAGE" true
	assert_output --partial "OCI runtime create failed"
	assert_output --partial shmmax
	assert_output --partial "invalid argument"
}

@test "docker: run -d, logs, stop (TERM reaches the init), start again, rm" {
	run dkrun -d --name bg "$DK_IMAGE" sh -c \
		'trap "echo got TERM; exit 0" TERM; echo started; while :; do sleep 0.1; done'
	assert_success
	id=$output
	wait_until 10 sh -c "$DOCKER logs bg | grep -q started"
	assert_equal "$(ctr_status bg)" running

	run dk stop -t 10 bg
	assert_success
	assert_equal "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' bg)" "exited 0"
	run dk logs bg
	assert_output --partial started
	assert_output --partial "got TERM"

	run dk start bg
	assert_success
	wait_until 10 sh -c "[ \$($DOCKER logs bg | grep -c started) = 2 ]"
	assert_equal "$(ctr_status bg)" running
	run dk stop -t 10 bg
	assert_success
	assert_equal "$(dk logs bg | grep -c 'got TERM')" 2

	run dk rm bg
	assert_success
	run dk inspect bg
	assert_failure
	[[ ! -e $DK_STATE/$id ]]
}

@test "docker: exec without a tty: output and exit code" {
	start_sleeper ex
	run dk exec ex sh -c 'echo exec-out; echo exec-err >&2; exit 5'
	assert_equal "$status" 5
	assert_line exec-out
	assert_line exec-err
}

@test "docker: exec --user runs as that user" {
	start_sleeper exu
	run dk exec --user nobody exu id
	assert_success
	assert_output --partial "uid=65534(nobody) gid=65534(nobody)"
	run dk exec --user 1000:1000 exu sh -c 'id -u; id -g'
	assert_success
	assert_equal "${lines[*]}" "1000 1000"
}

@test "docker: exec -t gets a pty; exec -it from a terminal keeps the exit code" {
	start_sleeper ext
	run dk exec -t ext sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'
	assert_success
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial both-ttys
	run_tty "$DOCKER" exec -it ext sh -c 'tty; sleep 0.2; exit 6'
	assert_equal "$status" 6
	assert_output --regexp '/dev/pts/[0-9]+'
}

@test "docker: run -t and -it from a terminal (under script)" {
	run_tty "$DOCKER" run --network none -it --rm "$DK_IMAGE" \
		sh -c 'tty; test -t 0 && echo stdin-tty; sleep 0.2; exit 4'
	assert_equal "$status" 4
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial stdin-tty
	run dkrun -t --rm "$DK_IMAGE" tty
	assert_success
	assert_output --regexp '/dev/pts/[0-9]+'
}

@test "docker: run -i passes stdin to the container" {
	run dkrun -i --rm "$DK_IMAGE" sh -c 'read l; echo "got $l"' <<<"piped line"
	assert_success
	assert_output "got piped line"
}

@test "docker: top lists the container's processes; stats --no-stream reads its cgroup" {
	start_sleeper tp --memory 64m
	run dk top tp
	assert_success
	assert_line --regexp ' sleep 1000$'
	run dk stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' tp
	assert_success
	assert_output --regexp '^tp [0-9.]+[KMG]i?B / 64MiB 1$'
}

@test "docker: pause freezes the container, unpause thaws it" {
	start_sleeper pz
	freezer=/sys/fs/cgroup/freezer$(cgroup_of pz freezer)/freezer.state
	run dk pause pz
	assert_success
	assert_equal "$(ctr_status pz)" paused
	assert_equal "$(cat "$freezer")" FROZEN
	run dk unpause pz
	assert_success
	assert_equal "$(ctr_status pz)" running
	assert_equal "$(cat "$freezer")" THAWED
	run dk exec pz echo alive
	assert_output alive
}

@test "docker: update --memory and --cpus reach the cgroup; what is not named stays" {
	start_sleeper up --memory 64m --memory-swap 128m
	mem=/sys/fs/cgroup/memory$(cgroup_of up memory)
	cpu=/sys/fs/cgroup/cpu$(cgroup_of up cpu)
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	run dk update --memory 32m up
	assert_success
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 33554432
	# docker sends the memory limit it leaves alone as 0.
	run dk update --cpus 0.5 up
	assert_success
	assert_equal "$(cat "$cpu/cpu.cfs_quota_us")" 50000
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 33554432
	run dk update --kernel-memory 64m up
	assert_success
	run dk exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 33554432
}

@test "docker: kill -s KILL, then wait reports 137" {
	start_sleeper kl
	run dk kill -s KILL kl
	assert_success
	run dk wait kl
	assert_success
	assert_output 137
	assert_equal "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' kl)" "exited 137"
}

@test "docker: rm -f removes a running container and its runtime state" {
	start_sleeper rmf
	id=$(dk inspect -f '{{.Id}}' rmf)
	[[ -e $DK_STATE/$id ]]
	run dk rm -f rmf
	assert_success
	run dk inspect rmf
	assert_failure
	[[ ! -e $DK_STATE/$id ]]
}

@test "docker: --read-only makes / read-only; --tmpfs mounts a writable tmpfs" {
	run dkrun --rm --read-only --tmpfs /scratch:size=1m "$DK_IMAGE" sh -c \
		'touch /rootfile 2>&1; echo "root rc=$?"; grep " /scratch " /proc/mounts; touch /scratch/ok && echo scratch-writable'
	assert_success
	assert_output --partial "Read-only file system"
	assert_line "root rc=1"
	assert_line --regexp '^tmpfs /scratch tmpfs rw,.*size=1024k'
	assert_line scratch-writable
}

@test "docker: --user runs the process as that uid and gid" {
	run dkrun --rm --user 65534:65534 "$DK_IMAGE" id
	assert_success
	assert_output --partial "uid=65534(nobody) gid=65534(nobody)"
}

@test "docker: --cap-drop ALL leaves no capability" {
	run dkrun --rm --cap-drop ALL "$DK_IMAGE" grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
	assert_success
	assert_equal "$(grep -c '0000000000000000$' <<<"$output")" 3
	run dkrun --rm --cap-drop ALL "$DK_IMAGE" sh -c 'mkdir /m && mount -t tmpfs t /m 2>&1'
	assert_failure
	assert_output --partial "permission denied"
}

@test "docker: --privileged can mount and sees the host's devices" {
	run dkrun --rm --privileged "$DK_IMAGE" sh -c 'mkdir /m && mount -t tmpfs t /m && echo mounted; ls /dev/loop-control'
	# Docker 20.10 grants --privileged every capability it knows, and runc
	# fails when one is outside the host's bounding set (CAP_SYS_RESOURCE,
	# bit 24, in a container like this host).
	if [[ $status == 125 && $output == *"unable to apply caps: operation not permitted"* ]] &&
		(((0x$(awk '/^CapBnd:/ {print $2}' /proc/self/status) >> 24 & 1) == 0)); then
		skip "$MGR_RUNTIME_NAME cannot grant a capability outside this host's bounding set (no CAP_SYS_RESOURCE)"
	fi
	assert_success
	assert_line mounted
	assert_line /dev/loop-control
}

@test "docker: --security-opt no-new-privileges sets NoNewPrivs; the default seccomp profile is in force" {
	run dkrun --rm --security-opt no-new-privileges "$DK_IMAGE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	assert_success
	assert_line --regexp '^NoNewPrivs:\s+1$'
	assert_line --regexp '^Seccomp:\s+2$'
	run dkrun --rm "$DK_IMAGE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	assert_line --regexp '^NoNewPrivs:\s+0$'
	assert_line --regexp '^Seccomp:\s+2$'
	# The profile refuses what it does not list: unshare of a user namespace
	# (CLONE_NEWUSER) without CAP_SYS_ADMIN.
	run dkrun --rm "$DK_IMAGE" unshare -U true
	assert_failure
	assert_output --partial "Operation not permitted"
	run dkrun --rm --security-opt seccomp=unconfined "$DK_IMAGE" sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshared'
	assert_line --regexp '^Seccomp:\s+0$'
	assert_line unshared
}

@test "docker: --pids-limit is pids.max" {
	run dkrun --rm --pids-limit 20 "$DK_IMAGE" cat /sys/fs/cgroup/pids/pids.max
	assert_success
	assert_output 20
}

@test "docker: a memory hog over --memory is OOM-killed: exit 137 and OOMKilled" {
	run dkrun --name oom --memory 8m --memory-swap 8m "$DK_IMAGE" memory_hog 4 10
	assert_equal "$status" 137
	assert_equal "$(dk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" "true 137"
}

@test "docker: --hostname, -e and -w reach the process" {
	run dkrun --rm --hostname dockhost -e FOO=bar -w /tmp "$DK_IMAGE" sh -c 'hostname; echo "$FOO"; pwd'
	assert_success
	assert_equal "${lines[*]}" "dockhost bar /tmp"
}

@test "docker: --init runs docker-init as pid 1, which reaps and passes the exit code" {
	run dkrun --rm --init "$DK_IMAGE" sh -c 'ps -o pid,args; exit 7'
	assert_equal "$status" 7
	assert_line --regexp '^ +1 /sbin/docker-init -- sh -c'
}
