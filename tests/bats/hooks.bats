#!/usr/bin/env bats
# hooks.bats - the config.json hooks: when each kind runs, in which
# namespace, with which state on stdin, and what a failing or hanging hook
# does to the lifecycle (runtime.md "Lifecycle", config.md "Hooks").

load helpers

# hook.sh KIND LOG - what every test hook does: keep the state from stdin in
# LOG.KIND.json and append KIND to LOG. Runs with the config's env only,
# hence the PATH in each hook entry.
HOOK_SCRIPT='kind=$1 log=$2
cat > "$log.$kind.json"
echo "$kind" >> "$log"'

HOOK_PATH_ENV='PATH=/usr/sbin:/usr/bin:/sbin:/bin'

setup() {
	common_setup
	# Hooks log into a host directory that the container sees as /shared,
	# so that the startContainer hook (run inside) logs to the same file.
	SHARED="$BATS_TEST_TMPDIR/shared"
	LOG="$SHARED/log"
	mkdir -p "$SHARED"
	HOOK="$BATS_TEST_TMPDIR/hook.sh"
	printf '#!/bin/sh\n%s\n' "$HOOK_SCRIPT" >"$HOOK"
	chmod 0755 "$HOOK"
}

teardown() { common_teardown; }

# add_hook KIND [--timeout SECONDS] PATH [ARG]... - append a hook entry
# (args exactly ARG..., env just PATH) to the bundle's hooks.KIND.
add_hook() {
	local kind=$1 timeout=null
	shift
	if [[ $1 == --timeout ]]; then
		timeout=$2
		shift 2
	fi
	local path=$1 args entry
	shift
	# After --: jq would take an arg like -c as its own option.
	args=$(jq -nc '$ARGS.positional' --args -- "$@")
	entry=$(jq -cn --arg p "$path" --arg env "$HOOK_PATH_ENV" \
		--argjson a "$args" --argjson t "$timeout" \
		'{path: $p, args: $a, env: [$env]}
		 + (if $t == null then {} else {timeout: $t} end)')
	update_config ".hooks.$kind = ((.hooks.$kind // []) + [$entry])"
}

# add_logging_hook KIND - a hook that logs KIND to $LOG. startContainer runs
# in the container's mount namespace after pivot_root, so its path and its
# log are the container's: the script in the rootfs and /shared.
add_logging_hook() {
	if [[ $1 == startContainer ]]; then
		put_script /hook.sh "$HOOK_SCRIPT"
		add_hook "$1" /hook.sh hook.sh "$1" /shared/log
	else
		add_hook "$1" "$HOOK" hook.sh "$1" "$LOG"
	fi
}

# bundle_with_hooks KIND... - a bundle whose container sees $SHARED as
# /shared, with a logging hook of each KIND.
bundle_with_hooks() {
	make_bundle
	update_config ".mounts += [{destination: \"/shared\", type: \"bind\",
		source: \"$SHARED\", options: [\"rbind\", \"rw\"]}]"
	local kind
	for kind in "$@"; do
		add_logging_hook "$kind"
	done
}

# logged - the kinds in $LOG, on one line.
logged() {
	[[ -f $LOG ]] || return 0
	tr '\n' ' ' <"$LOG" | sed 's/ $//'
}

# wait_for_log KINDS - wait until $LOG holds KINDS. The startContainer hook
# runs in the container's init, which may still be at it when start returns.
wait_for_log() {
	local i
	for i in $(seq 100); do
		[[ $(logged) == "$1" ]] && return 0
		sleep 0.05
	done
	assert_equal "$(logged)" "$1"
}

# hook_state KIND FIELD - a field of the state that the KIND hook read.
hook_state() {
	jq -r ".$2" "$LOG.$1.json"
}

# stop_and_delete - kill the container, wait for it to stop, delete it.
stop_and_delete() {
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	run ocirt delete "$CTR_ID"
	assert_success
}

@test "create runs prestart, createRuntime and createContainer hooks, start startContainer, delete poststop" {
	bundle_with_hooks prestart createRuntime createContainer startContainer poststop
	create_container
	assert_equal "$(logged)" "prestart createRuntime createContainer"
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_log "prestart createRuntime createContainer startContainer"
	stop_and_delete
	assert_equal "$(logged)" "prestart createRuntime createContainer startContainer poststop"
}

@test "poststart hooks run at start, after startContainer hooks and before start returns" {
	ocirt_only "runc 1.1 runs poststart hooks at create (fixed in runc 1.2)"
	bundle_with_hooks prestart createRuntime createContainer startContainer poststart poststop
	create_container
	assert_equal "$(logged)" "prestart createRuntime createContainer"
	run ocirt start "$CTR_ID"
	assert_success
	assert_equal "$(logged)" "prestart createRuntime createContainer startContainer poststart"
	stop_and_delete
	assert_equal "$(logged)" "prestart createRuntime createContainer startContainer poststart poststop"
}

@test "hooks of one kind run in the order of the config" {
	make_bundle
	add_hook createRuntime "$HOOK" hook.sh first "$LOG"
	add_hook createRuntime "$HOOK" hook.sh second "$LOG"
	add_hook createRuntime "$HOOK" hook.sh third "$LOG"
	create_container
	assert_equal "$(logged)" "first second third"
}

@test "a hook gets args (args[0] included) and env exactly as configured" {
	make_bundle
	add_hook createRuntime /bin/sh argv0 -c \
		'echo "$0 $1 $FOO" > "$2"
		 tr "\0" "\n" < /proc/$$/cmdline | head -n 1 >> "$2"
		 tr "\0" "\n" < /proc/$$/environ >> "$2"' \
		zero one "$LOG"
	update_config ".hooks.createRuntime[0].env = [\"$HOOK_PATH_ENV\", \"FOO=bar baz\"]"
	create_container
	run cat "$LOG"
	assert_output "zero one bar baz
argv0
$HOOK_PATH_ENV
FOO=bar baz"
}

@test "a hook without env gets the runtime's environment, one with an empty env gets none (runc, crun)" {
	make_bundle
	# Shell built-ins only: the second hook has no PATH.
	local probe='echo "probe=${HOOK_PROBE-unset}" > "$1"'
	add_hook createRuntime /bin/sh sh -c "$probe" sh "$BATS_TEST_TMPDIR/no-env"
	add_hook createRuntime /bin/sh sh -c "$probe" sh "$BATS_TEST_TMPDIR/empty-env"
	update_config 'del(.hooks.createRuntime[0].env) | .hooks.createRuntime[1].env = []'
	HOOK_PROBE=from-the-caller create_container
	assert_equal "$(cat "$BATS_TEST_TMPDIR/no-env")" "probe=from-the-caller"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/empty-env")" "probe=unset"
}

@test "prestart and createRuntime hooks get the state 'creating' with the init's host pid" {
	bundle_with_hooks prestart createRuntime
	create_container
	pid=$(state_field "$CTR_ID" pid)
	for kind in prestart createRuntime; do
		assert_equal "$(hook_state $kind id)" "$CTR_ID"
		assert_equal "$(hook_state $kind status)" creating
		assert_equal "$(hook_state $kind pid)" "$pid"
		assert_equal "$(hook_state $kind bundle)" "$BUNDLE"
	done
}

@test "a createContainer hook runs in the container's namespaces with the state 'creating' and pid 1" {
	make_bundle
	add_hook createContainer /bin/sh sh -c \
		'cat > "$1.json"; readlink /proc/self/ns/mnt /proc/self/ns/uts > "$1"' sh "$LOG"
	create_container
	assert_equal "$(jq -r .id "$LOG.json")" "$CTR_ID"
	assert_equal "$(jq -r .status "$LOG.json")" creating
	# The pid as seen in the container's pid namespace.
	assert_equal "$(jq -r .pid "$LOG.json")" 1
	pid=$(state_field "$CTR_ID" pid)
	assert_equal "$(cat "$LOG")" "$(readlink /proc/"$pid"/ns/mnt /proc/"$pid"/ns/uts)"
}

@test "a startContainer hook runs inside the container, from the container's rootfs, before the process" {
	bundle_with_hooks startContainer
	# The user process records whether the hook had run before it.
	update_config '.process.args = ["sh", "-c", "cat /shared/log > /shared/seen-by-process; exec sleep 1000"]'
	create_container
	[[ ! -e $LOG ]]
	run ocirt start "$CTR_ID"
	assert_success
	wait_for_file "$SHARED/seen-by-process"
	assert_equal "$(cat "$SHARED/seen-by-process")" startContainer
	assert_equal "$(hook_state startContainer id)" "$CTR_ID"
	assert_equal "$(hook_state startContainer status)" created
	assert_equal "$(hook_state startContainer pid)" 1
}

@test "a poststart hook gets the state 'running' with the container's host pid" {
	ocirt_only "runc 1.1 runs poststart hooks at create, with the state 'created'"
	bundle_with_hooks poststart
	create_container
	pid=$(state_field "$CTR_ID" pid)
	run ocirt start "$CTR_ID"
	assert_success
	assert_equal "$(hook_state poststart id)" "$CTR_ID"
	assert_equal "$(hook_state poststart status)" running
	assert_equal "$(hook_state poststart pid)" "$pid"
	assert_equal "$(hook_state poststart bundle)" "$BUNDLE"
}

@test "a poststop hook runs at delete, after the container is gone, with the state 'stopped'" {
	bundle_with_hooks poststop
	create_container
	ocirt start "$CTR_ID"
	[[ ! -e $LOG ]]
	stop_and_delete
	assert_equal "$(logged)" poststop
	assert_equal "$(hook_state poststop id)" "$CTR_ID"
	assert_equal "$(hook_state poststop status)" stopped
	assert_equal "$(hook_state poststop bundle)" "$BUNDLE"
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "a failing createRuntime hook fails create with the hook's stderr and leaves nothing" {
	make_bundle
	add_hook createRuntime /bin/sh sh -c 'echo "no network for you" >&2; exit 3'
	add_hook createRuntime "$HOOK" hook.sh after-failure "$LOG"
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "no network for you"
	# Later hooks do not run; no state is left (teardown also checks for
	# processes and cgroups).
	[[ ! -e $LOG ]]
	run ocirt state "$CTR_ID"
	assert_failure
	[[ -z $(ls -A "$STATE_ROOT") ]]
}

@test "a failing prestart hook fails create and leaves nothing" {
	make_bundle
	add_hook prestart /bin/sh sh -c 'echo "prestart refused" >&2; exit 1'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "prestart refused"
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "a failing createContainer hook fails create and leaves nothing" {
	make_bundle
	add_hook createContainer /bin/sh sh -c 'echo "createContainer refused" >&2; exit 1'
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --partial "createContainer refused"
	run ocirt state "$CTR_ID"
	assert_failure
}

# runtime.md: a failing prestart, createRuntime or createContainer hook
# stops the container and goes on to delete and the poststop hooks, which
# undo what the earlier hooks set up (a CNI network). runc's destroy does so
# for any create that fails once the container exists, a mount say.
@test "a create that fails in a hook or a mount still runs the poststop hooks, with the state 'stopped'" {
	for failing in prestart createRuntime createContainer mount; do
		rm -f "$LOG" "$LOG".*.json
		make_bundle
		if [[ $failing == mount ]]; then
			update_config '.mounts += [{destination: "/x", type: "bind", source: "/nonexistent-source", options: ["bind"]}]'
		else
			add_logging_hook "$failing"
			add_hook "$failing" /bin/sh sh -c "echo '$failing refused' >&2; exit 1"
		fi
		add_logging_hook poststop
		try create --bundle "$BUNDLE" "$CTR_ID"
		assert_failure
		if [[ $failing == mount ]]; then
			assert_equal "$(logged)" "poststop"
		else
			assert_output --partial "$failing refused"
			assert_equal "$(logged)" "$failing poststop"
		fi
		assert_equal "$(hook_state poststop status)" stopped
		assert_equal "$(hook_state poststop id)" "$CTR_ID"
		run ocirt state "$CTR_ID"
		assert_failure
	done
}

@test "a failing startContainer hook fails start and the process never runs" {
	ocirt_only "runc 1.1 runs startContainer hooks in the init after start has returned 0"
	make_bundle -- sh -c 'touch /tmp/started; exec sleep 1000'
	put_script /fail.sh 'echo "startContainer refused" >&2; exit 1'
	add_hook startContainer /fail.sh fail.sh
	create_container
	pid=$(state_field "$CTR_ID" pid)
	try start "$CTR_ID"
	assert_failure
	assert_output --partial "startContainer refused"
	[[ ! -e $BUNDLE/rootfs/tmp/started ]]
	for _ in $(seq 40); do pid_alive "$pid" || break; sleep 0.05; done
	! pid_alive "$pid"
}

@test "a failing poststart hook fails start and stops the container" {
	ocirt_only "runc 1.1 runs poststart hooks at create"
	bundle_with_hooks
	add_hook poststart /bin/sh sh -c 'echo "poststart refused" >&2; exit 1'
	create_container
	pid=$(state_field "$CTR_ID" pid)
	try start "$CTR_ID"
	assert_failure
	assert_output --partial "poststart refused"
	for _ in $(seq 40); do pid_alive "$pid" || break; sleep 0.05; done
	! pid_alive "$pid"
}

@test "a failing poststop hook only warns: delete succeeds and the container is gone" {
	make_bundle
	add_hook poststop /bin/sh sh -c 'echo "poststop complained" >&2; exit 1'
	create_container
	ocirt start "$CTR_ID"
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	try delete "$CTR_ID"
	assert_success
	assert_output --partial "poststop complained"
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "after a failing poststop hook the remaining poststop hooks still run" {
	ocirt_only "runc 1.1 stops at the first failing poststop hook"
	make_bundle
	add_hook poststop /bin/sh sh -c 'exit 1'
	add_hook poststop "$HOOK" hook.sh after-failure "$LOG"
	create_container
	ocirt start "$CTR_ID"
	stop_and_delete
	assert_equal "$(logged)" after-failure
}

@test "a hook that outlives its timeout is killed and create fails" {
	make_bundle
	add_hook createRuntime --timeout 1 /bin/sh sh -c 'echo $$ > "$1"; exec sleep 100' sh "$LOG.pid"
	SECONDS=0
	try create --bundle "$BUNDLE" "$CTR_ID"
	assert_failure
	assert_output --regexp "timed out|ran past specified timeout"
	((SECONDS < 10))
	hook_pid=$(cat "$LOG.pid")
	! pid_alive "$hook_pid"
	run ocirt state "$CTR_ID"
	assert_failure
}

@test "a hook that does not read its stdin does not break the lifecycle" {
	make_bundle
	# A large state: many annotations.
	update_config '.annotations = ([range(2000)] | map({key: "k\(.)", value: ("v" * 100)}) | from_entries)'
	add_hook createRuntime /bin/true true
	add_hook poststop /bin/true true
	create_container
	ocirt start "$CTR_ID"
	stop_and_delete
}
