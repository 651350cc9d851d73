# manager_helpers.bash - a private podman or containerd for the manager suites.
#
# Owns: installing the managers' Debian packages when they are missing, one
# private work directory per suite run (storage, state, sockets, fifos,
# logs, a snapshot of the runtime) under tests/.work/managers/, a private
# cgroup parent, the busybox root filesystem of the image, the checks that
# a test left no container cgroup or process, and removing all of it in
# teardown_file. It never uses the managers' default storage, state or
# socket paths (/var/lib/containers/storage, /run/containers, /run/libpod,
# /var/lib/containerd, /run/containerd/containerd.sock, /libpod_parent),
# never touches another run's work directory, and never removes a cgroup it
# did not create. The two paths the managers use whatever their
# configuration are each suite's business (see podman.bats, containerd.bats).
#
# Runtime under test: as in helpers.bash ($OCIRT_TEST_RUNTIME, e.g. "runc",
# else ./ocirt). The managers run a copy of it, $MGR_RUNTIME, by path.
#
# A suite does:
#   load manager_helpers
#   setup_file()    { mgr_require_packages PKG...; mgr_setup_file NAME; <start>; }
#   teardown_file() { <remove its containers, stop>; mgr_teardown_file RUNTIME_ROOT; }
#   teardown()      { <remove the test's containers>; mgr_leaks; ... }

load ../helpers

MGR_BASE="$REPO/tests/.work/managers"
# A manager command that hangs fails the test (timeout exits 124) instead
# of hanging the suite.
MGR_CMD_TIMEOUT=${MGR_CMD_TIMEOUT:-60}
IMAGE_ROOTFS_TOOLS="$REPO/rootfs-tools"

# mgr_runtime_path - the runtime under test as an absolute path.
mgr_runtime_path() {
	local p=$OCIRT
	[[ $p == */* ]] || p=$(command -v "$p") || return 1
	realpath "$p"
}

# mgr_require_packages PKG... - install the Debian packages that are missing.
mgr_require_packages() {
	local p missing=()
	for p in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "# installing ${missing[*]}" >&3
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
		fail "cannot install ${missing[*]} (apt-get failed)"
}

# mgr_setup_file NAME - the private work dir $MGR_WORK, the runtime path
# $MGR_RUNTIME, the cgroup parent name $MGR_CGROUP (one path component,
# created in every hierarchy by the runtime, removed by teardown_file), and
# the image's root filesystem as $MGR_WORK/rootfs.tar.
mgr_setup_file() {
	local name=$1
	MGR_RUNTIME=$(mgr_runtime_path) ||
		fail "runtime under test '$OCIRT' not found (run 'make', or set OCIRT_TEST_RUNTIME=runc)"
	[[ -x $MGR_RUNTIME ]] || fail "runtime under test '$MGR_RUNTIME' is not built (run 'make')"
	mkdir -p "$MGR_BASE"
	MGR_WORK=$(mktemp -d "$MGR_BASE/$name.XXXXXX")
	MGR_CGROUP="ocirt-mgr-$name-${MGR_WORK##*.}"
	MGR_RUNTIME_NAME=$(basename "$MGR_RUNTIME")
	mgr_snapshot_runtime
	export MGR_RUNTIME MGR_RUNTIME_NAME MGR_WORK MGR_CGROUP
	"$IMAGE_ROOTFS_TOOLS/mkrootfs.sh" "$MGR_WORK/rootfs" >/dev/null
	tar -C "$MGR_WORK/rootfs" -cf "$MGR_WORK/rootfs.tar" .
}

# mgr_snapshot_runtime - run a copy of the runtime, $MGR_WORK/bin/<name>:
# the managers exec it for every container, and a `make` in the same tree
# that rewrites ./ocirt meanwhile would make those execs fail ("fork/exec:
# permission denied") and strand containers. A copy taken while the linker
# was writing would not run: retry until one does.
mgr_snapshot_runtime() {
	local copy=$MGR_WORK/bin/$MGR_RUNTIME_NAME i
	mkdir -p "$MGR_WORK/bin"
	for i in $(seq 20); do
		cp "$MGR_RUNTIME" "$copy.tmp" && chmod 0755 "$copy.tmp" &&
			"$copy.tmp" --version >/dev/null 2>&1 && mv "$copy.tmp" "$copy" && break
		sleep 0.5
	done
	[[ -x $copy ]] || fail "cannot take a working copy of $MGR_RUNTIME"
	MGR_RUNTIME=$copy
}

# mgr_teardown_file [RUNTIME_ROOT] - what a failed test may have stranded:
# the runtime's containers whose state names the work dir (in RUNTIME_ROOT,
# the runtime's state root), then processes in the private cgroup parent;
# then undo mounts under the work dir, remove the private cgroup parent and
# the work dir itself.
mgr_teardown_file() {
	local st pid d
	[[ -n ${MGR_WORK:-} && -d $MGR_WORK ]] || return 0
	if [[ -n ${1:-} && -d $1 ]]; then
		for st in "$1"/*/state.json; do
			[[ -f $st ]] && grep -qF "$MGR_WORK/" "$st" || continue
			echo "teardown: container left: $(dirname "$st")" >&2
			timeout 10 "$MGR_RUNTIME" --root "$1" delete --force "$(basename "$(dirname "$st")")" \
				>/dev/null 2>&1 || true
		done
	fi
	# A paused container's processes cannot die until thawed.
	for st in $(find "/sys/fs/cgroup/freezer/$MGR_CGROUP" -name freezer.state 2>/dev/null); do
		echo THAWED >"$st" 2>/dev/null || true
	done
	for pid in $(mgr_cgroup_procs_all); do
		echo "teardown: process left: $pid $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)" >&2
		kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in $(seq 40); do
		[[ -z $(mgr_cgroup_procs_all) ]] && break
		sleep 0.05
	done
	# MGR_EXTRA_DIRS: work dirs a suite keeps outside $MGR_WORK.
	for d in "$MGR_WORK" ${MGR_EXTRA_DIRS:-}; do
		grep -F " $d/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null || true; done
	done
	mgr_remove_cgroup_parent
	# shellcheck disable=SC2086
	rm -rf "$MGR_WORK" ${MGR_EXTRA_DIRS:-}
	rmdir "$MGR_BASE" 2>/dev/null || true
}

# mgr_cgroup_procs_all - every live pid under the private cgroup parent,
# the manager's own (conmon) included.
mgr_cgroup_procs_all() {
	MGR_CGROUP_IGNORE='' mgr_cgroup_procs
}

# mgr_cgroup_dirs [SUB] - the directories of $MGR_CGROUP[/SUB] that exist,
# in every hierarchy.
mgr_cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*/"$MGR_CGROUP"${1:+/$1} /sys/fs/cgroup/"$MGR_CGROUP"${1:+/$1}; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

# mgr_remove_cgroup_parent - rmdir the private cgroup parent, deepest
# first. Only empty cgroups can be removed, so a leak shows up as an error.
mgr_remove_cgroup_parent() {
	local d
	for d in $(mgr_cgroup_dirs); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[[ -d $d ]] && echo "teardown: cgroup left: $d" >&2
	done
	return 0
}

# mgr_cgroup_procs - pids (not zombies) in a cgroup under $MGR_CGROUP,
# other than the cgroups listed in $MGR_CGROUP_IGNORE (a regex of names
# that belong to the manager itself, e.g. podman's conmon).
mgr_cgroup_procs() {
	local f pid
	for f in $(grep -lsE ":/$MGR_CGROUP(/|$)" /proc/[0-9]*/cgroup); do
		if [[ -n ${MGR_CGROUP_IGNORE:-} ]] &&
			grep -qsE ":/$MGR_CGROUP/($MGR_CGROUP_IGNORE)(/|$)" "$f"; then
			continue
		fi
		pid=${f#/proc/}
		pid=${pid%/cgroup}
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

# mgr_leaks - print what the containers of a test left behind: container
# cgroups (not the manager's own, $MGR_CGROUP_IGNORE) and their processes.
mgr_leaks() {
	local d i
	for i in $(seq 60); do
		[[ -z $(mgr_cgroup_procs) ]] && break
		sleep 0.05
	done
	for d in $(mgr_cgroup_procs); do
		echo "process $d is still in a container cgroup: $(tr '\0' ' ' </proc/"$d"/cmdline 2>/dev/null)"
	done
	for d in $(mgr_cgroup_dirs); do
		find "$d" -mindepth 1 -maxdepth 1 -type d | while read -r i; do
			[[ -n ${MGR_CGROUP_IGNORE:-} && ${i##*/} =~ ^($MGR_CGROUP_IGNORE)$ ]] && continue
			echo "cgroup left: $i"
		done
	done
}

# run_tty CMD... - run CMD on a fresh pty (util-linux script), as a user at
# a terminal would; the exit status is CMD's. Sets $status and $output like
# bats' run. The output has the pty's \r\n line endings turned into \n,
# and no "^@": conmon writes a NUL to the terminal's input, which the
# pty's echo shows as ^@.
# script runs CMD with $SHELL -c, and printf %q may quote as $'...', which
# only bash reads: SHELL is set explicitly, as CI may have none (then
# script falls back to /bin/sh, dash here).
run_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	run env SHELL=/bin/bash timeout -k 5 "$MGR_CMD_TIMEOUT" script -qec "$cmd" /dev/null </dev/null
	output=${output//$'\r'/}
	output=${output//^@/}
	mapfile -t lines <<<"$output"
}

# wait_until SECONDS CMD... - poll CMD until it succeeds.
wait_until() {
	local tries=$(($1 * 10))
	shift
	while ((tries-- > 0)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# known_ocirt_bug WHAT - skip a test whose check just saw the symptom of an
# ocirt bug that is reported and not fixed yet, naming it. Only for ocirt:
# against any other runtime the test goes on and fails. Call it only under
# a condition that matches the symptom exactly, so that the test runs in
# full again as soon as the bug is fixed.
known_ocirt_bug() {
	[[ $MGR_RUNTIME_NAME == ocirt* ]] || return 0
	skip "known ocirt bug (reported): $1"
}
