#!/usr/bin/env bats
# runc_cli.bats - runc 1.1's command line as scripts call it: help and its
# layout, flags after the container id, exec --ignore-paused, --cgroup and
# -p from a pipe, run --keep, ps of a stopped container, --debug lines.
# Every test states runc's behaviour and passes with OCIRT_TEST_RUNTIME=runc.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# The container's cgroup in the v1 hierarchy of controller $1.
v1_cgroup() {
	echo "/sys/fs/cgroup/$1$CGROUP_PARENT/$CTR_ID"
}

require_v1() {
	[[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || skip "a cgroup v1 (or hybrid) host"
}

# run_sleeper - a running container, `sleep 1000`.
run_sleeper() {
	make_bundle
	create_container
	ocirt start "$CTR_ID"
}

# ---- help and version ------------------------------------------------

@test "-h has runc's sections: NAME, USAGE, VERSION, COMMANDS (with help, h), GLOBAL OPTIONS" {
	run ocirt -h
	assert_success
	assert_line NAME:
	assert_line USAGE:
	assert_line --regexp "^   $RUNTIME_NAME \[global options\] command \[command options\] \[arguments\.\.\.\]$"
	assert_line VERSION:
	assert_line COMMANDS:
	assert_line --regexp '^   help, h +Shows a list of commands or help for one command$'
	assert_line 'GLOBAL OPTIONS:'
	assert_line --regexp '^   --debug '
}

@test "with no command it prints the same help and exits 0" {
	run ocirt
	assert_success
	assert_line COMMANDS:
	assert_line 'GLOBAL OPTIONS:'
}

@test "exec -h has NAME, USAGE and OPTIONS, and lists --cgroup and --ignore-paused; help exec prints the same" {
	run ocirt exec -h
	assert_success
	assert_line NAME:
	assert_line --regexp "^   $RUNTIME_NAME exec - "
	assert_line USAGE:
	assert_line --regexp "^   $RUNTIME_NAME exec \[command options\] <container-id> "
	assert_line OPTIONS:
	assert_line --regexp '^   --cgroup '
	assert_line --regexp '^   --ignore-paused '
	local exec_help=$output
	run ocirt help exec
	assert_success
	assert_equal "$output" "$exec_help"
	run ocirt h exec
	assert_success
	assert_equal "$output" "$exec_help"
}

@test "help of an unknown topic, or an unknown command with or without -h, says No help topic for 'foo' and exits 3" {
	for args in "help foo" "foo" "foo -h" "foo --help"; do
		run ocirt $args
		assert_equal "$status" 3
		assert_output --partial "No help topic for 'foo'"
	done
}

# ---- flags after the container id -------------------------------------

@test "update ID --pids-limit 20: a flag after the id is taken, as runc's" {
	require_v1
	run_sleeper
	run ocirt update "$CTR_ID" --pids-limit 20
	assert_success
	assert_equal "$(cat "$(v1_cgroup pids)/pids.max")" 20
}

@test "flags after the id: kill ID KILL --all and delete ID --force take them; unknown flags and exec's and ps's arguments stay" {
	run_sleeper
	# An unknown flag is not moved: it is one argument too many.
	run ocirt state "$CTR_ID" --foo
	assert_failure
	assert_output --partial 'state'
	assert_output --partial '1 argument'
	# exec takes no flags after the id: --env is the command.
	try exec "$CTR_ID" --env X=1 true
	assert_equal "$status" 255
	assert_output --partial -- '--env'
	assert_output --partial 'executable file not found'
	# ps passes what follows the id to ps(1).
	run ocirt ps "$CTR_ID" --format json
	assert_failure
	assert_output --partial 'unknown user-defined format specifier'
	run ocirt kill "$CTR_ID" KILL --all
	assert_success
	wait_for_status "$CTR_ID" stopped
	run ocirt delete "$CTR_ID" --force
	assert_success
	run ocirt state "$CTR_ID"
	assert_failure
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

# ---- exec --------------------------------------------------------------

@test "exec into a paused container is refused with runc's message, exit 255" {
	run_sleeper
	ocirt pause "$CTR_ID"
	try exec "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --partial 'cannot exec in a paused container (use --ignore-paused to override)'
	ocirt resume "$CTR_ID"
}

@test "exec --ignore-paused into a paused container waits for resume, then runs" {
	run_sleeper
	ocirt pause "$CTR_ID"
	local out=$BATS_TEST_TMPDIR/exec.out
	(
		st=0
		ocirt exec --ignore-paused "$CTR_ID" sh -c 'echo ran' </dev/null >"$out" 2>&1 || st=$?
		echo "exit $st" >>"$out"
	) 3>&- &
	local bg=$!
	sleep 1
	# Frozen with the container: nothing has run yet.
	run grep -c ran "$out"
	assert_output 0
	ocirt resume "$CTR_ID"
	wait "$bg"
	run cat "$out"
	assert_line ran
	assert_line 'exit 0'
}

@test "exec -p /dev/stdin reads the process JSON from a pipe" {
	run_sleeper
	run bash -c "echo '{\"args\":[\"/bin/sh\",\"-c\",\"echo from-pipe\"],\"cwd\":\"/\"}' |
		timeout 30 '$OCIRT' --root '$STATE_ROOT' exec -p /dev/stdin '$CTR_ID'"
	assert_success
	assert_output from-pipe
}

@test "exec -p <(...) reads the process JSON from a process substitution" {
	run_sleeper
	run bash -c "timeout 30 '$OCIRT' --root '$STATE_ROOT' exec \
		-p <(echo '{\"args\":[\"/bin/sh\",\"-c\",\"echo from-fifo\"],\"cwd\":\"/\"}') '$CTR_ID' </dev/null"
	assert_success
	assert_output from-fifo
}

@test "exec --cgroup pids:sub runs the process in that sub-cgroup of the pids hierarchy only" {
	require_v1
	run_sleeper
	mkdir "$(v1_cgroup pids)/sub"
	run ocirt exec --cgroup pids:sub "$CTR_ID" cat /proc/self/cgroup
	# The process has gone: the sub-cgroup goes now, before any assertion
	# can fail, or delete would find it in the way.
	rmdir "$(v1_cgroup pids)/sub"
	assert_success
	assert_line --regexp "^[0-9]+:pids:$CGROUP_PARENT/$CTR_ID/sub\$"
	assert_line --regexp "^[0-9]+:memory:$CGROUP_PARENT/$CTR_ID\$"
}

@test "exec --cgroup sub (no controller) runs the process in sub of every hierarchy" {
	require_v1
	run_sleeper
	local d
	for d in /sys/fs/cgroup/*"$CGROUP_PARENT/$CTR_ID"; do
		mkdir "$d/sub"
		# A cpuset cgroup takes no process until it has cpus and mems.
		if [[ -e $d/cpuset.cpus ]]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
	done
	run ocirt exec --cgroup sub "$CTR_ID" cat /proc/self/cgroup
	for d in /sys/fs/cgroup/*"$CGROUP_PARENT/$CTR_ID"; do
		rmdir "$d/sub"
	done
	assert_success
	assert_line --regexp "^[0-9]+:pids:$CGROUP_PARENT/$CTR_ID/sub\$"
	assert_line --regexp "^[0-9]+:memory:$CGROUP_PARENT/$CTR_ID/sub\$"
}

@test "exec --cgroup ../x is refused: it is not a sub cgroup path" {
	run_sleeper
	try exec --cgroup ../x "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --partial '../x is not a sub cgroup path'
	try exec --cgroup pids:../x "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --partial '../x is not a sub cgroup path'
}

# The words are runc's, which its own exec tests look for: "adding pid",
# the cgroup.procs path unquoted, "unknown controller".
@test "exec --cgroup of a sub-cgroup that does not exist fails, exit 255, naming its cgroup.procs" {
	require_v1
	run_sleeper
	try exec --cgroup pids:nosuch "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --regexp ' adding pid [0-9]+ .*/nosuch/cgroup\.procs: no such file or directory'
	try exec --cgroup nosuch "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --regexp ' adding pid [0-9]+ .*/nosuch/cgroup\.procs: no such file or directory'
}

@test "exec --cgroup with a controller no hierarchy has fails, exit 255: unknown controller" {
	require_v1
	run_sleeper
	try exec --cgroup whaaat:/ "$CTR_ID" true
	assert_equal "$status" 255
	assert_output --partial 'unknown controller whaaat'
}

# ---- run --keep, ps of a stopped container -------------------------------

@test "run --keep leaves the container stopped instead of deleting it; delete removes it" {
	make_bundle -- sh -c 'exit 3'
	try run --keep --bundle "$BUNDLE" "$CTR_ID"
	assert_equal "$status" 3
	assert_equal "$(state_field "$CTR_ID" status)" stopped
	run ocirt delete "$CTR_ID"
	assert_success
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

# runc run is a subreaper in the foreground, so what the container orphans
# (without a pid namespace of its own) is reparented to it; --no-subreaper
# leaves them to the host's reaper. The init's parent is the run itself.
@test "run adopts the container's orphans as a subreaper; run --no-subreaper does not" {
	make_bundle -- sh -c '(sleep 30 & echo $! >/tmp/orphan); sleep 0.3
		echo "$PPID $(awk "/^PPid:/ {print \$2}" /proc/$(cat /tmp/orphan)/status)"
		kill $(cat /tmp/orphan)'
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	try run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	read -r run_pid orphan_parent <<<"${lines[-1]}"
	assert_equal "$orphan_parent" "$run_pid"
	try run --no-subreaper --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	read -r run_pid orphan_parent <<<"${lines[-1]}"
	[[ $orphan_parent =~ ^[0-9]+$ && $orphan_parent != "$run_pid" ]] ||
		fail "the orphan's parent is '$orphan_parent' with --no-subreaper (run: $run_pid)"
}

@test "ps of a stopped container prints the header alone (json: null) and exits 0" {
	run_sleeper
	ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	run ocirt ps "$CTR_ID"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^UID +PID +PPID '
	run ocirt ps "$CTR_ID" -o pid
	assert_success
	assert_output --regexp '^ *PID$'
	run ocirt ps --format json "$CTR_ID"
	assert_success
	assert_output null
}

# ---- --debug ----------------------------------------------------------

@test "--debug --log FILE writes level=debug msg=\"...\" lines; without --debug there are none" {
	make_bundle
	ocirt --debug --log "$BATS_TEST_TMPDIR/debug.log" create --bundle "$BUNDLE" "$CTR_ID" \
		</dev/null >/dev/null 2>&1
	run grep -E '^time="[^"]+" level=debug msg=".+"$' "$BATS_TEST_TMPDIR/debug.log"
	assert_success
	ocirt --log "$BATS_TEST_TMPDIR/quiet.log" start "$CTR_ID"
	run grep -c 'level=debug' "$BATS_TEST_TMPDIR/quiet.log"
	assert_output 0
}

@test "--debug --log-format json writes JSON lines with \"level\":\"debug\"" {
	make_bundle
	local log=$BATS_TEST_TMPDIR/debug.json
	ocirt --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$CTR_ID" \
		</dev/null >/dev/null 2>&1
	# Every line is one JSON object, and some are debug lines.
	run jq -e -s 'length > 0 and all(.[]; type == "object" and has("msg") and has("time"))' "$log"
	assert_success
	run jq -r 'select(.level == "debug") | .msg' "$log"
	assert_success
	[[ -n $output ]]
}

# runc's init logs its stages to runc's debug log; ocirt's does too, under
# runc's names for them, which runc's own debug tests look for. The init's
# lines come from the container's side of the clone (the same log file),
# and create's last one is written before it tells the runtime it is ready.
@test "--debug logs the init's stages as runc names them: create, then exec" {
	make_bundle
	local log=$BATS_TEST_TMPDIR/debug.log
	ocirt --debug --log "$log" create --bundle "$BUNDLE" "$CTR_ID" </dev/null >/dev/null 2>&1
	run cat "$log"
	assert_line --regexp 'level=debug msg=".*nsexec container setup'
	assert_line --regexp 'level=debug msg=".*child process in init\(\)'
	assert_line --regexp 'level=debug msg=".*init: closing the pipe to signal completion'
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	: >"$log"
	ocirt --debug --log "$log" --log-format json exec "$CTR_ID" true
	run jq -r 'select(.level == "debug") | .msg' "$log"
	assert_line --partial 'nsexec container setup'
	assert_line --partial 'child process in init()'
	assert_line --partial 'setns_init: about to exec'
}

@test "--debug without --log writes the debug lines to stderr in the same shape" {
	make_bundle
	ocirt --debug create --bundle "$BUNDLE" "$CTR_ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err"
	run grep -E 'level=debug msg=".+"' "$BATS_TEST_TMPDIR/err"
	assert_success
}
