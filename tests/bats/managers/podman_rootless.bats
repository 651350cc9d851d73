#!/usr/bin/env bats
# podman_rootless.bats - rootless podman 4.3 (through conmon) drives the
# runtime under test, as an unprivileged user (issue 15).
#
# The suite makes its own user ($PMR_USER, with the /etc/subuid and
# /etc/subgid ranges useradd gives it) and a private work dir that user
# owns: containers.conf, storage.conf (overlay, as podman's rootless
# default on this kernel), its XDG_RUNTIME_DIR and HOME. podman runs the
# runtime inside its own user namespace, as root there, with no --root: the
# runtime keeps its state in $XDG_RUNTIME_DIR/<name>. On cgroup v1 rootless
# podman makes no cgroup, and neither does the runtime. --network none.
#
# With OCIRT_TEST_RUNTIME=runc the same scenarios run against runc.

load ../helpers
bats_require_minimum_version 1.5.0

PMR_USER=${OCIRT_TEST_PODMAN_USER:-ocirtpm}
PMR_IMAGE=localhost/ocirt-bb

setup_file() {
	if ! command -v podman >/dev/null; then
		skip_file "podman is not installed"
		return 0
	fi
	if ! command -v newuidmap >/dev/null; then
		skip_file "newuidmap is not installed (package uidmap)"
		return 0
	fi
	id -u "$PMR_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$PMR_USER"
	grep -q "^$PMR_USER:" /etc/subuid && grep -q "^$PMR_USER:" /etc/subgid ||
		usermod --add-subuids 400000-465535 --add-subgids 400000-465535 "$PMR_USER"
	PMR_WORK=$(mktemp -d /tmp/ocirt-pmr.XXXXXX)
	chmod 0755 "$PMR_WORK"
	mkdir -m 0700 "$PMR_WORK/xdg"
	mkdir "$PMR_WORK/bin" "$PMR_WORK/tmp"
	# A copy: a `make` rewriting ./ocirt must not break conmon's execs.
	local rt=$OCIRT
	[[ $rt == */* ]] || rt=$(command -v "$rt")
	PMR_RUNTIME_NAME=$(basename "$rt")
	PMR_RUNTIME=$PMR_WORK/bin/$PMR_RUNTIME_NAME
	cp "$rt" "$PMR_RUNTIME"
	chmod 0755 "$PMR_RUNTIME"
	cat >"$PMR_WORK/containers.conf" <<-EOF
		[containers]
		netns = "none"
		default_ulimits = []
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		tmp_dir = "$PMR_WORK/tmp"
		runtime_supports_json = ["$PMR_RUNTIME_NAME"]
		[engine.runtimes]
		$PMR_RUNTIME_NAME = ["$PMR_RUNTIME"]
	EOF
	cat >"$PMR_WORK/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PMR_WORK/graph"
		runroot = "$PMR_WORK/xdg/containers"
	EOF
	: >"$PMR_WORK/registries.conf"
	"$REPO/rootfs-tools/mkrootfs.sh" "$PMR_WORK/rootfs" >/dev/null
	tar -C "$PMR_WORK/rootfs" -cf "$PMR_WORK/rootfs.tar" .
	rm -rf "$PMR_WORK/rootfs"
	chown -R "$PMR_USER:" "$PMR_WORK"
	export PMR_WORK PMR_RUNTIME PMR_RUNTIME_NAME
	run pmr import --change 'CMD ["/bin/sh"]' "$PMR_WORK/rootfs.tar" "$PMR_IMAGE"
	assert_success
}

teardown_file() {
	[[ -n ${PMR_WORK:-} && -d $PMR_WORK ]] || return 0
	pmr rm -af -t 0 >/dev/null 2>&1 || true
	pmr rmi -af >/dev/null 2>&1 || true
	# podman's pause process holds its user namespace; then anything else
	# of the suite's user (each by its pid).
	local pid
	for pid in $(cat "$PMR_WORK/xdg/libpod/tmp/pause.pid" 2>/dev/null) $(pmr_user_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$PMR_WORK"
}

setup() {
	skip_if_file_skipped
}

teardown() {
	[[ -z ${OCIRT_SKIP_FILE:-} ]] || return 0
	pmr rm -af -t 0 >/dev/null 2>&1 || true
	# Nothing of the runtime's is left once podman has removed everything.
	local left
	left=$(ls -A "$PMR_WORK/xdg/$PMR_RUNTIME_NAME" 2>/dev/null)
	[[ -z $left ]] || fail "runtime state left: $left"
}

# pmr ARGS... - podman as the suite's user, with its private configuration.
pmr() {
	(cd "$PMR_WORK" && timeout -k 5 60 runuser -u "$PMR_USER" -- env \
		XDG_RUNTIME_DIR="$PMR_WORK/xdg" HOME="$PMR_WORK" \
		CONTAINERS_CONF="$PMR_WORK/containers.conf" \
		CONTAINERS_STORAGE_CONF="$PMR_WORK/storage.conf" \
		CONTAINERS_REGISTRIES_CONF="$PMR_WORK/registries.conf" \
		podman --runtime "$PMR_RUNTIME_NAME" "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
}

# The pids of processes (not zombies) running as the suite's user.
pmr_user_pids() {
	local uid f pid
	uid=$(id -u "$PMR_USER")
	for f in $(grep -lsE "^Uid:[[:space:]]+$uid[[:space:]]" /proc/[0-9]*/status); do
		pid=${f#/proc/}
		pid=${pid%/status}
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

@test "rootless podman: run --rm, root in the container is the user" {
	run pmr run --rm "$PMR_IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 0
	assert_line --index 1 --regexp "^ *0 +$(id -u "$PMR_USER") +1$"
}

@test "rootless podman: the container's exit code is podman run's" {
	run pmr run --rm "$PMR_IMAGE" sh -c 'exit 7'
	assert_equal "$status" 7
}

@test "rootless podman: run -d, logs, exec, stop, rm" {
	run pmr run -d --name pmr-d "$PMR_IMAGE" sh -c 'echo up; trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_success
	for _ in $(seq 50); do
		run pmr logs pmr-d
		[[ $output == *up* ]] && break
		sleep 0.1
	done
	assert_output --partial up
	# The runtime's state is in the user's runtime dir, podman passing no --root.
	[[ -n $(ls -A "$PMR_WORK/xdg/$PMR_RUNTIME_NAME") ]]
	run pmr exec pmr-d sh -c 'echo in; exit 3'
	assert_equal "$status" 3
	assert_output in
	run pmr stop -t 5 pmr-d
	assert_success
	run pmr inspect --format '{{.State.Status}} {{.State.ExitCode}}' pmr-d
	assert_output "exited 0"
	run pmr rm pmr-d
	assert_success
}
