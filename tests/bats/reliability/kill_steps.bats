#!/usr/bin/env bats
# kill_steps.bats - SIGKILL ocirt at every step of create, start, delete and
# run -d, then prove that `delete --force` leaves the host clean (no state
# dir, mount, cgroup dir or process of the container) and that `list` never
# showed a state that was not true.
#
# "At every step": the kill comes after a delay that grows from 0 in small
# steps up past the verb's whole run time (create takes ~40 ms here), so
# successive kills land in successive phases (config read, state dir, shim
# fork, cgroup, clone, mounts, pid write, state write, fifo open...).
#
# Two kinds of kill:
#   cli - only the ocirt process the manager started (as a manager's own
#         timeout does); the shim, already setsid, carries on.
#   all - every ocirt process of this id (the CLI, the shim and an init that
#         has not exec'd yet: what the OOM killer or a crash of the whole
#         box does), so the work is cut off in the middle.
#
# CI size: steps of 5 ms, and the "cli" kind only where it differs most
# (create); OCIRT_STRESS=1: steps of 0.25 ms, both kinds everywhere, and
# the syscall injection at every one of the first 400 calls.

load rel_helpers

setup() {
	rel_setup
	KID="ctr-$BATS_TEST_NUMBER-$$-k"
	make_bundle --id "$KID"
	OCIRT_EXE=$(readlink -f "$OCIRT")
	if ((STRESS)); then STEP_US=250; else STEP_US=5000; fi
	MAX_US=40000
	KILLS=0
}

teardown() {
	echo "# $KILLS kills" >&3
	rel_teardown
}

# is_ocirt_exe PID - PID runs the ocirt binary: its installed path, or the
# same name at the root of the read-only overlay that create, run and exec
# re-execute from (src/linux/cloned_binary.c, CVE-2019-5736).
is_ocirt_exe() {
	local e
	e=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[[ $e == "$OCIRT_EXE" || $e == "/${OCIRT_EXE##*/}" ]]
}

# kill_ocirt_of ID - SIGKILL every process running the ocirt binary whose
# command line names ID (CLI, shim, init before its exec).
kill_ocirt_of() {
	local p killed=() i
	for p in $(procs_touching "$BUNDLE" "$1"); do
		if is_ocirt_exe "$p"; then
			kill -KILL "$p" 2>/dev/null && killed+=("$p")
		fi
	done
	# Wait until they are gone (or zombies): `list` is judged against the
	# processes as they are once the kill is over, not while they die.
	for i in $(seq 100); do
		for p in "${killed[@]}"; do
			alive "$p" && break
		done
		alive "${p:-0}" || break
		usleep_ 20000
	done
	return 0
}

# kill_after US KIND - SIGKILL the background ocirt ($BG_PID) US µs after it
# started (KIND all: and every ocirt process of $KID), and reap it.
kill_after() {
	usleep_ "$1"
	kill -KILL "$BG_PID" 2>/dev/null || true
	[[ $2 == all ]] && kill_ocirt_of "$KID"
	wait "$BG_PID" 2>/dev/null || true
	KILLS=$((KILLS + 1))
}

# check_and_clean WHAT - list must be truthful; then delete --force must
# succeed and leave nothing of $KID behind.
check_and_clean() {
	local pids st=0
	assert_list_truthful || fail "$1: list not truthful"
	# state must answer (or say clearly why not), and never crash.
	run ocirt state "$KID"
	((status < 128)) || fail "$1: state crashed (exit $status): $output"
	((status == 0)) || [[ -n $output ]] || fail "$1: state failed silently"
	pids=$(cgroup_pids_of "$KID")
	run ocirt delete --force "$KID"
	((status == 0)) || fail "$1: delete --force failed (exit $status): $output"
	assert_host_clean "$KID" "$BUNDLE" $pids || fail "$1: host not clean"
}

# sweep KIND SETUP VERB... - for each delay: SETUP (a function, may be :),
# run VERB in the background, kill it after the delay, check and clean.
sweep() {
	local kind=$1 prep=$2 us
	shift 2
	for ((us = 0; us <= MAX_US; us += STEP_US)); do
		$prep
		ocirt_bg "$@"
		kill_after "$us" "$kind"
		check_and_clean "$* killed ($kind) after $us us"
	done
}

created() { create_container "$KID"; }
running() { create_container "$KID"; ocirt start "$KID" || fail "start failed"; }

@test "SIGKILL of the create CLI at each step: delete --force leaves nothing" {
	sweep cli : create --bundle "$BUNDLE" "$KID"
}

@test "SIGKILL of every ocirt process of a create at each step: delete --force leaves nothing" {
	sweep all : create --bundle "$BUNDLE" "$KID"
}

@test "SIGKILL of run -d at each step: delete --force leaves nothing" {
	((STRESS)) && sweep cli : run -d --bundle "$BUNDLE" "$KID"
	sweep all : run -d --bundle "$BUNDLE" "$KID"
}

@test "SIGKILL of start at each step: delete --force leaves nothing" {
	((STRESS)) && sweep cli created start "$KID"
	sweep all created start "$KID"
}

@test "SIGKILL of delete at each step: a second delete --force leaves nothing" {
	((STRESS)) && sweep cli running delete --force "$KID"
	sweep all running delete --force "$KID"
}

@test "SIGKILL of delete of a stopped container at each step: a second delete leaves nothing" {
	stopped() {
		create_container "$KID"
		ocirt kill "$KID" KILL || true
		wait_for_status "$KID" stopped
	}
	sweep cli stopped delete "$KID"
}

@test "a create killed by an injected SIGKILL at the Nth call of a syscall leaves nothing after delete --force" {
	command -v strace >/dev/null || skip "strace is not installed"
	local n max=${OCIRT_KILL_SYSCALLS:-60} step=1
	((STRESS)) && max=400
	# The kill lands on the Nth syscall of the traced process tree: every
	# step of create in order, exactly, unlike the timed sweep.
	for ((n = 1; n <= max; n += step)); do
		strace -f -qq -o /dev/null -e trace=all -e inject=all:signal=KILL:when="$n" \
			"$OCIRT" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$KID" \
			</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		sp=$!
		# strace follows the shim, which outlives create: stop tracing once
		# the CLI (strace's child) has given its verdict. Killing strace
		# detaches and resumes the tracees.
		# Under load the child may not exist yet at the first look: wait
		# until one has appeared and gone, or strace itself has ended.
		local seen=0
		for _ in $(seq 200); do
			if [[ -n $(pgrep -P "$sp") ]]; then
				seen=1
			elif ((seen)) || ! kill -0 "$sp" 2>/dev/null; then
				break
			fi
			sleep 0.05
		done
		kill -KILL "$sp" 2>/dev/null || true
		wait "$sp" 2>/dev/null || true
		KILLS=$((KILLS + 1))
		check_and_clean "create killed at the ${n}th call of a syscall"
		if ((n >= 16)); then step=$((STRESS ? 1 : 6)); fi
	done
}

@test "a create killed before its state dir got its name leaves no half-made dir after delete --force" {
	command -v strace >/dev/null || skip "strace is not installed"
	# state_dir_create makes "~creating-<pid>-<n>" and renames it to the id
	# (RENAME_NOREPLACE): a kill at that rename strands the private name,
	# which no command lists or deletes.
	strace -f -qq -o /dev/null -e inject=renameat2:signal=KILL:when=1 \
		"$OCIRT" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$KID" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- || true
	KILLS=1
	run ocirt delete --force "$KID"
	assert_success
	assert_host_clean "$KID" "$BUNDLE" || fail "a killed create left its private state dir"
}

@test "list and state do not show a create that was killed as creating" {
	command -v strace >/dev/null || skip "strace is not installed"
	# Killed at the clone of the init: state.json says created_done=false,
	# and nothing will ever finish the create.
	strace -f -qq -o /dev/null -e inject=clone3:signal=KILL:when=1 \
		"$OCIRT" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$KID" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- || true
	KILLS=1
	[[ -z $(procs_touching /nonexistent "$KID") ]] || fail "the create is still running"
	run ocirt state "$KID"
	if ((status == 0)); then
		refute_output --partial '"creating"'
	fi
	assert_list_truthful
}

# What a delete killed between removing state.json and removing its
# directory leaves: no create holds the directory's lock, so it is stopped
# (the old ocirt said "creating" for ever), and delete --force removes it.
@test "a state dir whose state.json a killed delete removed reads stopped, and delete --force removes it" {
	ocirt_only "the layout of ocirt's state directory"
	create_container "$KID"
	local pid
	pid=$(state_field "$KID" pid)
	kill -KILL "$pid"
	while kill -0 "$pid" 2>/dev/null; do usleep_ 10000; done
	# What delete does before it removes the directory: the cgroup goes.
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "$KID" -exec rmdir {} + 2>/dev/null || true
	rm "$STATE_ROOT/$KID/state.json"
	assert_equal "$(state_field "$KID" status)" stopped
	run ocirt list --format json
	assert_success
	assert_equal "$(jq -r --arg id "$KID" '.[] | select(.id == $id) | .status' <<<"$output")" stopped
	ocirt delete --force "$KID"
	[[ ! -e $STATE_ROOT/$KID ]]
}
