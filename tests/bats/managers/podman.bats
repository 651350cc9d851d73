#!/usr/bin/env bats
# podman.bats - podman 4.3 (through conmon) drives the runtime under test.
#
# One private podman per suite run: containers.conf and storage.conf in the
# work dir (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), overlay storage,
# tmp_dir, network config, and the cgroup parent all private; --network none
# (netns = "none"). The runtime is registered in [engine.runtimes] under its
# own name and selected with --runtime NAME; podman passes it no --root, so
# it keeps its state in its default root, as in production. The image is
# the busybox rootfs of rootfs-tools/, imported as localhost/ocirt-bb.
#
# With OCIRT_TEST_RUNTIME=runc the same scenarios run against runc.

load manager_helpers
bats_require_minimum_version 1.5.0

PM_IMAGE=localhost/ocirt-bb
PM_PAUSE_IMAGE=localhost/ocirt-bb-pause

setup_file() {
	mgr_require_packages podman conmon
	mgr_setup_file podman
	local w=$MGR_WORK
	# c/image writes its blob-info cache to /var/lib/containers/cache for
	# root, whatever the storage configuration: remove it again if this
	# suite is what created it.
	[[ -e /var/lib/containers ]] && PM_OWN_VARLIB=0 || PM_OWN_VARLIB=1
	export PM_OWN_VARLIB
	mkdir -p "$w/tmp" "$w/networks"
	# podman refuses a --runroot longer than 50 characters, and the exit
	# command conmon runs (podman container cleanup) passes it as one: under
	# a long checkout path that cleanup fails, and every `run --rm` then
	# waits 20 s for conmon. The runroot lives under /run instead.
	PM_RUNROOT=$(mktemp -d /run/ocirt-pm.XXXXXX)
	MGR_EXTRA_DIRS=$PM_RUNROOT
	export PM_RUNROOT MGR_EXTRA_DIRS
	# contrib/podman/containers.conf, with the runtime under test in the
	# place of /usr/local/bin/ocirt, plus the private paths: tmp_dir, no
	# network, and the CNI backend (netavark would keep its state in
	# /run/containers/networks whatever the configuration).
	sed -e "s|^ocirt = \\[\"/usr/local/bin/ocirt\"\\]|$MGR_RUNTIME_NAME = [\"$MGR_RUNTIME\"]|" \
		-e "s|^runtime_supports_json = \\[|&\"$MGR_RUNTIME_NAME\", |" \
		-e "/^\\[engine\\]\$/a tmp_dir = \"$w/tmp\"" \
		-e "/^\\[containers\\]\$/a netns = \"none\"" \
		"$REPO/contrib/podman/containers.conf" >"$w/containers.conf"
	cat >>"$w/containers.conf" <<-EOF

		[network]
		network_backend = "cni"
		network_config_dir = "$w/networks"
	EOF
	grep -qF "$MGR_RUNTIME_NAME = [\"$MGR_RUNTIME\"]" "$w/containers.conf" ||
		fail "contrib/podman/containers.conf has no ocirt = [\"/usr/local/bin/ocirt\"] line"
	cat >"$w/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$w/graph"
		runroot = "$PM_RUNROOT"
	EOF
	export CONTAINERS_CONF="$w/containers.conf"
	export CONTAINERS_STORAGE_CONF="$w/storage.conf"
	export CONTAINERS_REGISTRIES_CONF="$w/registries.conf"
	: >"$CONTAINERS_REGISTRIES_CONF"
	run pm import --change 'CMD ["/bin/sh"]' "$w/rootfs.tar" "$PM_IMAGE"
	assert_success
	# A pod's infra container runs the image's entrypoint (podman's own
	# pause image would need a registry).
	run pm import --change 'ENTRYPOINT ["sleep", "1000000"]' "$w/rootfs.tar" "$PM_PAUSE_IMAGE"
	assert_success
}

teardown_file() {
	if [[ -n ${MGR_WORK:-} ]]; then
		pm pod rm -af -t 0 >/dev/null 2>&1 || true
		pm rm -af -t 0 >/dev/null 2>&1 || true
		pm rmi -af >/dev/null 2>&1 || true
	fi
	[[ ${PM_OWN_VARLIB:-0} == 1 ]] && rm -rf /var/lib/containers
	mgr_teardown_file "/run/${MGR_RUNTIME_NAME:-none}"
}

setup() {
	# conmon moves itself into <cgroup parent>/conmon: podman's, not a leak.
	MGR_CGROUP_IGNORE=conmon
	PM_RUNTIME_ROOT=/run/$MGR_RUNTIME_NAME
}

# Every container of the test is removed; then neither the runtime's state
# nor a container cgroup or process may be left.
teardown() {
	local ids id d leaks
	ids=$(pm ps -aq --no-trunc 2>/dev/null)
	pm pod rm -af -t 0 >/dev/null 2>&1 || true
	pm rm -af -t 0 >/dev/null 2>&1 || true
	# podman 4.3 (with any runtime) leaves a pod's own cgroup, named by the
	# pod's id, in the name=systemd and unified hierarchies: not the
	# runtime's, so not a leak. Removed here, for every test, so that a pod
	# test that fails does not fail the tests after it too; rmdir removes
	# only empty ones, so a container cgroup left inside is still reported.
	for d in /sys/fs/cgroup/{systemd,unified}/"$MGR_CGROUP"/*; do
		[[ -d $d && ${d##*/} =~ ^[0-9a-f]{64}$ ]] && { rmdir "$d" 2>/dev/null || true; }
	done
	leaks=$(
		mgr_leaks
		for id in $ids; do
			[[ -e $PM_RUNTIME_ROOT/$id ]] && echo "runtime state left: $PM_RUNTIME_ROOT/$id"
		done
	)
	if [[ -n $leaks ]]; then
		echo "teardown: $leaks" >&2
		return 1
	fi
}

# pm ARGS... - the private podman with the runtime under test.
pm() {
	timeout -k 5 "$MGR_CMD_TIMEOUT" podman --runtime "$MGR_RUNTIME_NAME" "$@" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# prun ARGS... - podman run, in the private cgroup parent.
prun() {
	pm run --cgroup-parent "/$MGR_CGROUP" "$@"
}

# prun_tty ARGS... - podman run on a pty (see run_tty). The tty tests' commands
# sleep a moment before they exit: under load, podman 4.3 can lose the output
# of a terminal container that exits at once (seen with runc as well).
prun_tty() {
	run_tty podman --runtime "$MGR_RUNTIME_NAME" run --cgroup-parent "/$MGR_CGROUP" "$@"
}

# start_sleeper NAME [RUN ARGS...] - a detached container running sleep.
start_sleeper() {
	local name=$1
	shift
	run prun -d --name "$name" "$@" "$PM_IMAGE" sleep 1000
	assert_success
}

# wait_conmons_gone - wait until no conmon of this suite's podman is alive
# (each names a directory of $MGR_WORK on its command line).
wait_conmons_gone() {
	local i
	for i in $(seq 200); do
		pgrep -f "^/usr/bin/conmon .*$MGR_WORK/" >/dev/null || return 0
		sleep 0.05
	done
	fail "conmon still running: $(pgrep -af "^/usr/bin/conmon .*$MGR_WORK/")"
}

ctr_status() {
	pm inspect -f '{{.State.Status}}' "$1"
}

# cgroup_of NAME CONTROLLER - the container's cgroup path in a v1 hierarchy.
cgroup_of() {
	local pid
	pid=$(pm inspect -f '{{.State.Pid}}' "$1")
	awk -F: -v c="$2" '$2 ~ "(^|,)" c "(,|$)" {print $3}' "/proc/$pid/cgroup"
}

@test "podman: run --rm prints the container's output" {
	run prun --rm "$PM_IMAGE" echo hello from podman
	assert_success
	assert_output "hello from podman"
}

@test "podman: run -i passes stdin to the container" {
	run pm run --cgroup-parent "/$MGR_CGROUP" -i --rm "$PM_IMAGE" sh -c 'read l; echo "got $l"' <<<"piped line"
	assert_success
	assert_output "got piped line"
}

@test "podman: the container's exit code is podman run's" {
	run prun --rm "$PM_IMAGE" sh -c 'exit 3'
	assert_equal "$status" 3
}

@test "podman: run -d, logs, stop (TERM reaches the init), rm" {
	run prun -d --name bg "$PM_IMAGE" sh -c \
		'trap "echo got TERM; exit 0" TERM; echo started; while :; do sleep 0.1; done'
	assert_success
	id=$output
	wait_until 10 sh -c "podman --runtime $MGR_RUNTIME_NAME logs bg | grep -q started"
	assert_equal "$(ctr_status bg)" running

	run pm stop -t 10 bg
	assert_success
	assert_equal "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' bg)" "exited 0"
	run pm logs bg
	assert_output --partial started
	assert_output --partial "got TERM"

	run pm rm bg
	assert_success
	run pm inspect bg
	assert_failure
	[[ ! -e $PM_RUNTIME_ROOT/$id ]]
}

@test "podman: stop escalates to KILL when the init ignores TERM" {
	start_sleeper st
	run pm stop -t 1 st
	assert_success
	assert_equal "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' st)" "exited 137"
}

@test "podman: exec without a tty: output and exit code" {
	start_sleeper ex
	run pm exec ex sh -c 'echo exec-out; echo exec-err >&2; exit 5'
	assert_equal "$status" 5
	assert_line exec-out
	assert_line exec-err
}

@test "podman: exec -t gets a pty" {
	start_sleeper ext
	run pm exec -t ext sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'
	assert_success
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial both-ttys
}

@test "podman: exec -it from a terminal (under script)" {
	start_sleeper exit
	run_tty podman --runtime "$MGR_RUNTIME_NAME" exec -it exit sh -c 'tty; sleep 0.2; exit 6'
	assert_equal "$status" 6
	assert_output --regexp '/dev/pts/[0-9]+'
}

@test "podman: exec --user runs as that user" {
	start_sleeper exu
	run pm exec --user nobody exu id
	assert_success
	assert_output --partial "uid=65534(nobody) gid=65534(nobody)"
	run pm exec --user 1000:1000 exu sh -c 'id -u; id -g'
	assert_success
	assert_equal "${lines[*]}" "1000 1000"
}

@test "podman: run -it from a terminal (under script)" {
	prun_tty -it --rm "$PM_IMAGE" \
		sh -c 'tty; test -t 0 && echo stdin-tty; sleep 0.2; exit 4'
	assert_equal "$status" 4
	assert_output --regexp '/dev/pts/[0-9]+'
	assert_output --partial stdin-tty
}

@test "podman: the container's terminal has the size of the user's" {
	run_tty sh -c "stty rows 33 cols 101; podman --runtime $MGR_RUNTIME_NAME run -it --rm \
		--cgroup-parent /$MGR_CGROUP $PM_IMAGE sh -c 'stty size; sleep 0.2'"
	assert_success
	assert_line "33 101"
}

@test "podman: pause freezes the container, unpause thaws it" {
	start_sleeper pz
	freezer=/sys/fs/cgroup/freezer$(cgroup_of pz freezer)/freezer.state
	run pm pause pz
	assert_success
	assert_equal "$(ctr_status pz)" paused
	assert_equal "$(cat "$freezer")" FROZEN
	run pm unpause pz
	assert_success
	assert_equal "$(ctr_status pz)" running
	assert_equal "$(cat "$freezer")" THAWED
	run pm exec pz echo alive
	assert_output alive
}

@test "podman: update --memory changes the limit seen inside" {
	pm update --help >/dev/null 2>&1 || skip "podman $(podman --version) has no update verb"
	start_sleeper up --memory 64m
	run pm exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 67108864
	run pm update --memory 128m up
	assert_success
	run pm exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 134217728
}

@test "podman: kill -s KILL, then wait reports 137" {
	start_sleeper kl
	run pm kill -s KILL kl
	assert_success
	run pm wait kl
	assert_success
	assert_output 137
	# The process is gone with 137, and podman has read conmon's exit file
	# ("stopped" would mean it gave up waiting for it).
	run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' kl
	assert_success
	assert_output 'exited 137'
}

@test "podman: --read-only makes / read-only, /tmp stays writable" {
	# podman mounts tmpfs with runc's "tmpcopyup" on /tmp, /var/tmp and /run.
	"$MGR_RUNTIME" features | jq -e '.mountOptions | index("tmpcopyup")' >/dev/null ||
		skip "$MGR_RUNTIME_NAME does not implement the tmpcopyup mount option (not in its features)"
	run prun --rm --read-only "$PM_IMAGE" sh -c \
		'touch /rootfile 2>&1; echo "root rc=$?"; touch /tmp/ok && echo tmp-writable'
	assert_success
	assert_output --partial "Read-only file system"
	assert_line "root rc=1"
	assert_line tmp-writable
}

@test "podman: --tmpfs mounts a tmpfs (podman asks for tmpcopyup)" {
	"$MGR_RUNTIME" features | jq -e '.mountOptions | index("tmpcopyup")' >/dev/null ||
		skip "$MGR_RUNTIME_NAME does not implement the tmpcopyup mount option (not in its features)"
	run prun --rm --tmpfs /etc:size=1m "$PM_IMAGE" sh -c 'grep " /etc " /proc/mounts; grep -c nobody /etc/passwd'
	assert_success
	assert_line --regexp '^tmpfs /etc tmpfs .*size=1024k'
	# tmpcopyup: what the image had in /etc is copied into the tmpfs.
	assert_line 1
}

@test "podman: --uidmap runs the container in a user namespace" {
	run prun --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$PM_IMAGE" \
		sh -c 'id -u; cat /proc/self/uid_map; touch /tmp/f && stat -c %u /tmp/f'
	assert_success
	assert_equal "${lines[0]}" 0
	assert_line --regexp '^ +0 +100000 +65536$'
	assert_equal "${lines[2]}" 0
}

@test "podman: --user runs the process as that uid and gid" {
	run prun --rm --user 65534:65534 "$PM_IMAGE" id
	assert_success
	assert_output --partial "uid=65534(nobody) gid=65534(nobody)"
}

@test "podman: --memory is the limit the container sees" {
	run prun --rm --memory 32m "$PM_IMAGE" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_success
	assert_output 33554432
}

@test "podman: top lists the container's processes" {
	start_sleeper tp
	run pm top tp pid args
	assert_success
	assert_line --regexp '^ *1 +sleep 1000 *$'
}

@test "podman: containers of a pod join the infra container's namespaces by path" {
	run pm pod create --name pd --cgroup-parent "/$MGR_CGROUP" --share ipc,uts,net,pid \
		--infra-image "$PM_PAUSE_IMAGE"
	assert_success
	run prun -d --pod pd --name member "$PM_IMAGE" sleep 999
	assert_success
	infra=$(pm inspect -f '{{.State.Pid}}' "$(pm pod inspect -f '{{.InfraContainerID}}' pd)")
	pid=$(pm inspect -f '{{.State.Pid}}' member)
	for ns in ipc uts net pid; do
		assert_equal "$(readlink "/proc/$pid/ns/$ns")" "$(readlink "/proc/$infra/ns/$ns")"
	done
	# One pid namespace: the member sees the infra's sleep as pid 1.
	run pm exec member ps -o pid,args
	assert_line --regexp '^ *1 +sleep 1000000'
	run pm pod rm -f -t 0 pd
	assert_success
}

@test "podman: members of a pod with --uidmap join its user namespace by path, with a pid namespace of their own" {
	run pm pod create --name pu --cgroup-parent "/$MGR_CGROUP" --share ipc,uts,net \
		--uidmap 0:100000:65536 --gidmap 0:100000:65536 --infra-image "$PM_PAUSE_IMAGE"
	assert_success
	run prun --rm --pod pu "$PM_IMAGE" sh -c 'echo "pid=$$"; cat /proc/self/uid_map; hostname >/dev/null && echo uts-ok'
	assert_success
	assert_line pid=1
	assert_line --regexp '^ +0 +100000 +65536$'
	assert_line uts-ok
	# podman 4.3 runs the conmon of a container with a user namespace in a
	# mount namespace of its own: a private copy of the host's mounts, the
	# pod's shm among them, where that conmon also runs the container's exit
	# command (`podman container cleanup`). Even after `pod stop` and every
	# conmon gone, the first `pod rm` fails now and then with "unlinkat
	# .../userdata/shm: device or resource busy", with runc as with ocirt
	# (measured: 1 run in 8 with runc, 1 in 5 with ocirt), and a second one
	# removes the pod. That podman race is not the runtime's: it is allowed
	# here, only with that message and only a few times.
	run pm pod stop -t 0 pu
	assert_success
	wait_conmons_gone
	pod_rm_past_shm_race pu
}

# pod_rm_past_shm_race POD - `pod rm POD`, again (up to 5 times) while it
# fails only with podman 4.3's shm race (see the test above).
pod_rm_past_shm_race() {
	local i
	for i in 1 2 3 4 5; do
		run pm pod rm "$1"
		((status == 0)) && return 0
		[[ $output == *"userdata/shm: device or resource busy"* ]] || break
		echo "# pod rm: podman's shm race (attempt $i), once more" >&3
		sleep 0.5
	done
	assert_success
}

@test "podman: a missing executable exits 127 with the runtime's message" {
	run -127 prun --rm "$PM_IMAGE" /nonexistent
	assert_output --partial /nonexistent
	assert_output --partial "no such file or directory"
}

@test "podman: a file that is not executable exits 126" {
	run -126 prun --rm "$PM_IMAGE" /etc/passwd
	assert_output --partial "permission denied"
}

@test "podman: an rlimit the kernel refuses fails the run with 126 and the runtime's message" {
	# Above fs.nr_open: refused even with CAP_SYS_RESOURCE.
	run prun --rm --ulimit nofile=2000000:2000000 "$PM_IMAGE" true
	if [[ $status == 255 ]]; then
		known_ocirt_bug "process.rlimits are applied after start, so the error is the container's exit 255 instead of create's failure"
	fi
	assert_equal "$status" 126
	assert_output --partial "operation not permitted"
}
