# helpers.bash - shared set-up for the ocirt bats suites.
#
# Owns: which runtime is under test, a private state root and bundle per
# test, and the teardown that proves a test left nothing behind (state dir,
# mount, cgroup, process). It never touches /run/ocirt or /run/runc.
#
# Runtime under test: $OCIRT_TEST_RUNTIME if set (e.g. "runc" or a path),
# else ./ocirt at the top of the repo. Suites use the `ocirt` function, which
# adds `--root <per-test dir>`, so every call is against the private root.
#
# A suite does:
#   load helpers
#   setup()    { common_setup; }
#   teardown() { common_teardown; }

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OCIRT="${OCIRT_TEST_RUNTIME:-$REPO/ocirt}"
RUNTIME_NAME="$(basename "$OCIRT")"
# Every test config puts its containers here (in each v1 hierarchy), so the
# leak check does not depend on a runtime's default cgroup path.
CGROUP_PARENT=/ocirt-test
# The OCI schemas: shared/ sits beside the repo (in CI too).
SHARED_DIR="${OCIRT_SHARED_DIR:-$REPO/../shared}"
[[ -d $SHARED_DIR ]] || SHARED_DIR=/work/shared
VALIDATOR="$REPO/tests/validate-json.py"

# ocirt ARGS... - the runtime under test, against this test's private root.
# A runtime that hangs makes the call fail (timeout exits 124) instead of
# hanging the suite; bats' own fds 3-9 are closed so that a container
# process left behind cannot hold bats' output pipe open.
OCIRT_TEST_CMD_TIMEOUT=${OCIRT_TEST_CMD_TIMEOUT:-60}
ocirt() {
	timeout -k 5 "$OCIRT_TEST_CMD_TIMEOUT" "$OCIRT" --root "$STATE_ROOT" "$@" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

is_ocirt() {
	[[ $RUNTIME_NAME == ocirt* ]]
}

# ocirt_only REASON - skip unless the runtime under test is ocirt.
ocirt_only() {
	is_ocirt || skip "ocirt-specific ($RUNTIME_NAME differs): $1"
}

# require_validator - skip when tests/validate-json.py is not written yet.
require_validator() {
	[[ -f $VALIDATOR ]] || skip "tests/validate-json.py is not there yet (a colleague is writing it)"
}

# validate_json SCHEMA FILE - assert FILE is valid against SCHEMA.
validate_json() {
	run python3 "$VALIDATOR" "$1" "$2"
	assert_success
}

# skip_file REASON - from setup_file: skip every test of the file. bats 1.8
# (Debian 12's) fails the whole file, as "setup_file failed", when
# setup_file itself calls skip; the reason is kept instead, and
# common_setup (or skip_if_file_skipped in a file without it) skips each
# test with it. The caller returns from setup_file after it.
skip_file() {
	export OCIRT_SKIP_FILE=$1
}

skip_if_file_skipped() {
	[[ -z ${OCIRT_SKIP_FILE:-} ]] || skip "$OCIRT_SKIP_FILE"
}

common_setup() {
	skip_if_file_skipped
	STATE_ROOT="$BATS_TEST_TMPDIR/state"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	CTR_ID="ctr-$BATS_TEST_NUMBER-$$"
	DEFERRED=()
	mkdir -p "$STATE_ROOT"
	if [[ $OCIRT == */* ]]; then
		[[ -x $OCIRT ]] || fail "runtime under test '$OCIRT' is not built (run 'make', or set OCIRT_TEST_RUNTIME=runc)"
	else
		command -v "$OCIRT" >/dev/null || fail "runtime under test '$OCIRT' is not in PATH"
	fi
}

# defer CMD - run CMD (with eval) in teardown, after the containers are
# deleted and before the leak checks. For namespaces, mounts, files the test
# made on the host.
defer() {
	DEFERRED+=("$1")
}

# make_bundle [--copy] [--dir DIR] [--id ID] [-- CMD [ARG]...]
# Make a bundle (default $BUNDLE) whose rootfs is a hard-link copy of the
# cached busybox rootfs (--copy: a real copy, for tests that write to files
# that exist in the rootfs), config.json from `$OCIRT spec` with terminal
# off, a writable root (runc's spec has a read-only one), args CMD
# (default: sleep 1000), and cgroupsPath $CGROUP_PARENT/ID
# (ID default $CTR_ID).
make_bundle() {
	local mode=--link dir=$BUNDLE id=$CTR_ID
	while (($#)); do
		case $1 in
		--copy) mode=--copy; shift ;;
		--dir) dir=$2; shift 2 ;;
		--id) id=$2; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	(($#)) || set -- sleep 1000
	"$REPO/rootfs-tools/mkbundle.sh" "$mode" \
		--set ".linux.cgroupsPath=\"$CGROUP_PARENT/$id\"" \
		--set '.root.readonly=false' \
		"$dir" "$OCIRT" -- "$@" >/dev/null
}

# update_config JQ [BUNDLE] - apply a jq filter to the bundle's config.json.
update_config() {
	"$REPO/rootfs-tools/mkbundle.sh" --edit "${2:-$BUNDLE}" "$1"
}

# put_script PATH CONTENT [BUNDLE] - write an executable sh script into the
# rootfs at PATH (a new file: safe in a hard-linked rootfs).
put_script() {
	local f="${3:-$BUNDLE}/rootfs$1"
	rm -f "$f"
	printf '#!/bin/sh\n%s\n' "$2" > "$f"
	chmod 0755 "$f"
}

# try VERB ARGS... - like bats' `run ocirt VERB ARGS...`, but the runtime's
# (and so the container's) stdio go to a file, not to a pipe: a container
# left running cannot keep the pipe open and hang the test. Sets $status,
# $output and $lines.
try() {
	local log="$BATS_TEST_TMPDIR/try.$RANDOM.log"
	status=0
	ocirt "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
	mapfile -t lines <<<"$output"
	[[ -n $output ]] || lines=()
}

# create_refused TEXT... - create $CTR_ID from $BUNDLE must fail, saying
# each TEXT, and leave no container behind (the teardown checks mounts,
# cgroups and processes).
create_refused() {
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	local t
	for t in "$@"; do
		assert_output --partial "$t"
	done
	run ocirt list -q
	refute_output --partial "$CTR_ID"
	[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "a failed create left $STATE_ROOT/$CTR_ID"
}

# create_container [ID [ARGS...]] - create ID from $BUNDLE (or the --bundle
# in ARGS) and fail the test if that fails. The container's stdout and
# stderr go to $BATS_TEST_TMPDIR/<ID>.out.
create_container() {
	local id=${1:-$CTR_ID}
	(($#)) && shift
	local st=0
	ocirt create --bundle "$BUNDLE" "$@" "$id" </dev/null \
		>"$BATS_TEST_TMPDIR/$id.out" 2>&1 || st=$?
	if ((st != 0)); then
		cat "$BATS_TEST_TMPDIR/$id.out" >&2
		fail "create $id failed with exit $st"
	fi
}

# state_field ID FIELD - print one field of `state ID`.
state_field() {
	ocirt state "$1" | jq -r ".$2"
}

# wait_for_status ID STATUS [SECONDS] - poll `state` until STATUS.
wait_for_status() {
	local id=$1 want=$2 tries=$((${3:-10} * 20)) got=
	while ((tries-- > 0)); do
		got=$(ocirt state "$id" 2>/dev/null | jq -r .status) || true
		[[ $got == "$want" ]] && return 0
		sleep 0.05
	done
	fail "container $id: status is '$got', expected '$want'"
}

# wait_for_file PATH [SECONDS] - poll until PATH exists.
wait_for_file() {
	local tries=$((${2:-10} * 20))
	while ((tries-- > 0)); do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	fail "$1 did not appear"
}

# pid_alive PID - true while PID exists and is not a zombie.
pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z ]]
}

# cgroup_dirs_of_test - the cgroup directories of this test's containers
# that exist, in every v1 hierarchy (and v2), under $CGROUP_PARENT or
# ocirt's default parent /ocirt.
cgroup_dirs_of_test() {
	local d
	local id="ctr-$BATS_TEST_NUMBER-$$"
	for d in /sys/fs/cgroup/{*/,}{ocirt-test,ocirt}/{"$id","$id"-*}; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

# procs_of_test - pids (not zombies) in a cgroup of this test's containers.
procs_of_test() {
	local f pid
	for f in $(grep -lsE ":/(ocirt-test|ocirt)/ctr-$BATS_TEST_NUMBER-$$(-[^/]*)?\$" /proc/[0-9]*/cgroup); do
		pid=${f#/proc/}
		pid=${pid%/cgroup}
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

# mounts_of_test - lines of /proc/self/mountinfo under this test's tmpdir
# (not test 10's when this is test 1).
mounts_of_test() {
	grep -F -e "$BATS_TEST_TMPDIR/" -e "$BATS_TEST_TMPDIR " /proc/self/mountinfo || true
}

common_teardown() {
	local id pids=() leaks=() pid i
	# Delete every container of this test, whatever state it is in.
	local OCIRT_TEST_CMD_TIMEOUT=10
	if [[ -d $STATE_ROOT ]]; then
		for id in $({ ls -A "$STATE_ROOT"; ocirt list -q; } 2>/dev/null | sort -u); do
			pid=$(ocirt state "$id" 2>/dev/null | jq -r '.pid // 0') || pid=0
			[[ $pid =~ ^[1-9][0-9]*$ ]] && pids+=("$pid")
			ocirt delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	for i in "${!DEFERRED[@]}"; do
		eval "${DEFERRED[$i]}" >/dev/null 2>&1 || true
	done

	# What a runtime must not leave behind. Processes may take a moment to
	# be reaped after delete --force.
	for i in $(seq 40); do
		[[ -z $(procs_of_test) ]] && break
		sleep 0.05
	done
	for pid in "${pids[@]}"; do
		pid_alive "$pid" && leaks+=("process $pid of a deleted container is alive")
	done
	for pid in $(procs_of_test); do
		leaks+=("process $pid is still in a cgroup of this test: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)")
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [[ -d $STATE_ROOT ]]; then
		for id in "$STATE_ROOT"/*; do
			[[ -e $id ]] && leaks+=("state left: $id")
		done
	fi
	while read -r line; do
		leaks+=("mount left: $line")
	done < <(mounts_of_test)
	# Leaked processes were just killed: let them go before removing cgroups.
	for i in $(seq 40); do
		[[ -z $(procs_of_test) ]] && break
		sleep 0.05
	done
	for i in $(cgroup_dirs_of_test); do
		leaks+=("cgroup left: $i")
		rmdir "$i" 2>/dev/null || true
	done
	# The parent $CGROUP_PARENT stays: other test runs may be creating
	# containers under it right now, and removing it would race with them.

	# Undo leaked mounts so the next tests and bats' rm -rf are not hurt.
	mounts_of_test | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# host_ns TYPE - this shell's namespace link, e.g. ipc:[4026531839].
host_ns() {
	readlink "/proc/self/ns/$1"
}
