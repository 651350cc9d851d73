#!/usr/bin/env bats
# kmod.bats - the container_monitor kernel module, end to end.
#
# Runs inside the test VM (tests/vm/), as root, with the module at $KMOD_KO
# and monitor_test and memory_hog on PATH (kmod/tests, rootfs-tools/
# workloads). Anywhere else, without $KMOD_KO, the whole file is skipped: the
# suite never loads a module into the host's kernel.
#
# The check interval is lowered to 200 ms so that the limits act quickly.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

DEV=/dev/container_monitor
SYSMOD=/sys/module/container_monitor
INTERVAL_MS=200
# Every kernel message of this suite comes after this line in the log.
MARK="kmod.bats: start of run"

# In the VM: the module is there to load (bats 1.8 cannot skip a whole file).
in_vm() {
	[[ -n ${KMOD_KO:-} && -f $KMOD_KO ]]
}

setup_file() {
	if in_vm; then
		echo "$MARK" >/dev/kmsg
	fi
}

teardown_file() {
	if in_vm && [[ -d $SYSMOD ]]; then
		rmmod container_monitor
	fi
}

setup() {
	in_vm || skip "no module at \$KMOD_KO: runs inside the test VM only"
	KILL_AT_TEARDOWN=()
}

teardown() {
	local p
	for p in "${KILL_AT_TEARDOWN[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# Only our own jobs: a bare `wait` would also wait for the timeout
	# watchdog bats runs in the background when BATS_TEST_TIMEOUT is set.
	((${#KILL_AT_TEARDOWN[@]} == 0)) || wait "${KILL_AT_TEARDOWN[@]}" 2>/dev/null || true
}

load_module() {
	[[ -d $SYSMOD ]] || insmod "$KMOD_KO"
	echo "$INTERVAL_MS" >"$SYSMOD/parameters/interval_ms"
}

# The kernel log since the start of this run.
kernel_log() {
	dmesg | sed -n "/$MARK/,\$p"
}

# wait_for FILE REGEX [TIMEOUT_S] - until a line of FILE matches.
wait_for() {
	local deadline=$((SECONDS + ${3:-10}))
	until grep -qE "$2" "$1" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# field LINE NAME - the value of NAME=... in a monitor_test/memory_hog line.
field() {
	sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"
}

@test "insmod refuses an interval_ms below 10 ms" {
	[[ ! -d $SYSMOD ]] || rmmod container_monitor
	run insmod "$KMOD_KO" interval_ms=5
	assert_failure
	[[ ! -d $SYSMOD ]]
	run kernel_log
	assert_output --partial "container_monitor: \`5' invalid for parameter \`interval_ms'"
}

@test "insmod creates /dev/container_monitor, a root-only character device" {
	load_module
	[[ -c $DEV ]]
	run stat -c '%a %u' "$DEV"
	assert_output "600 0"
	run grep -c container_monitor /proc/misc
	assert_output 1
}

@test "interval_ms is writable and refuses values below 10 ms" {
	load_module
	run sh -c "echo 9 >$SYSMOD/parameters/interval_ms"
	assert_failure
	assert_equal "$(cat "$SYSMOD/parameters/interval_ms")" "$INTERVAL_MS"
	echo 10 >"$SYSMOD/parameters/interval_ms"
	assert_equal "$(cat "$SYSMOD/parameters/interval_ms")" 10
	echo "$INTERVAL_MS" >"$SYSMOD/parameters/interval_ms"
}

@test "monitor_test: every ioctl, error path, event and privilege check" {
	load_module
	run monitor_test
	assert_success
	refute_line --partial "not ok"
	assert_line --regexp '^1\.\.[0-9]+$'
}

@test "memory_hog over its soft limit warns once and runs on; over its hard limit it is SIGKILLed within two intervals" {
	local hog watcher st soft hard t24 t48 write_ms delta
	load_module
	# 24 MiB, then 48 (between the limits), then 72 MiB (over the hard one).
	memory_hog 24 3000 >"$BATS_TEST_TMPDIR/hog" 2>&1 &
	hog=$!
	KILL_AT_TEARDOWN=("$hog")
	wait_for "$BATS_TEST_TMPDIR/hog" '^memory_hog: 24 MiB'

	# Register and listen on the same descriptor: no event can be missed.
	monitor_test watch "$hog" 20M 60M kmod-bats-hog 2 15000 \
		>"$BATS_TEST_TMPDIR/events" 2>&1 &
	watcher=$!

	wait_for "$BATS_TEST_TMPDIR/events" 'kind=SOFT'
	kill -0 "$hog"
	run monitor_test query "$hog"
	assert_success
	assert_output --partial "soft=20971520 hard=62914560 flags=soft_warned,"

	st=0
	wait "$watcher" || st=$?
	run cat "$BATS_TEST_TMPDIR/events"
	assert_equal "$st" 0
	assert_equal "${#lines[@]}" 2
	soft=${lines[0]} hard=${lines[1]}
	assert_equal "$(field "$soft" kind) $(field "$soft" pid)" "SOFT $hog"
	assert_equal "$(field "$soft" limit) $(field "$soft" id)" "20971520 kmod-bats-hog"
	assert_equal "$(field "$hard" kind) $(field "$hard" pid)" "HARD $hog"
	assert_equal "$(field "$hard" limit) $(field "$hard" id)" "62914560 kmod-bats-hog"

	st=0
	wait "$hog" || st=$?
	assert_equal "$st" $((128 + 9))
	run grep -c 'MiB' "$BATS_TEST_TMPDIR/hog"
	[[ $output -le 3 ]]

	# The third step starts 3 s after the 48 MiB line and crosses 60 MiB
	# while it writes its 24 MiB, which takes as long as the second step
	# took beyond its 3 s.  From then on: at most two intervals to the kill.
	t24=$(field "$(grep ' 24 MiB' "$BATS_TEST_TMPDIR/hog")" t_ns)
	t48=$(field "$(grep ' 48 MiB' "$BATS_TEST_TMPDIR/hog")" t_ns)
	write_ms=$(((t48 - t24) / 1000000 - 3000))
	delta=$((($(field "$hard" time_ns) - t48) / 1000000 - 3000))
	echo "# HARD event ${delta} ms after the third step began (a step writes in ${write_ms} ms)" >&3
	((delta <= write_ms + 2 * INTERVAL_MS + 100))

	run kernel_log
	assert_equal "$(grep -c "container 'kmod-bats-hog'.*soft limit" <<<"$output")" 1
	assert_equal "$(grep -c "container 'kmod-bats-hog'.*hard limit.*SIGKILL" <<<"$output")" 1
}

@test "the init of a pid namespace (a container's pid 1) is killed at its hard limit too" {
	local u init
	load_module
	unshare --pid --fork memory_hog 16 100000 >"$BATS_TEST_TMPDIR/hog" 2>&1 &
	u=$!
	KILL_AT_TEARDOWN=("$u")
	wait_for "$BATS_TEST_TMPDIR/hog" '^memory_hog: 16 MiB'
	init=$(cat "/proc/$u/task/$u/children")
	init=${init// /}
	run grep NSpid "/proc/$init/status"
	assert_output --regexp "^NSpid:[[:space:]]+$init[[:space:]]+1\$"

	run monitor_test watch "$init" 0 8M kmod-bats-nsinit 1 5000
	assert_success
	assert_output --regexp "^event pid=$init kind=HARD .* id=kmod-bats-nsinit\$"
	wait "$u" || true
	[[ ! -e /proc/$init ]]
	run grep -c 'MiB' "$BATS_TEST_TMPDIR/hog"
	assert_output 1
}

@test "a registered process that exits is forgotten: query answers ENOENT" {
	local pid
	load_module
	sleep 1 &
	pid=$!
	monitor_test register "$pid" 0 1G kmod-bats-exit
	run monitor_test query "$pid"
	assert_success
	assert_output --partial "flags=none"
	wait "$pid"
	run monitor_test query "$pid"
	assert_failure
	assert_output --partial ENOENT
	run monitor_test unregister "$pid"
	assert_failure
	assert_output --partial ENOENT
}

@test "rmmod is refused while the device is open" {
	local fd
	load_module
	exec {fd}<"$DEV"
	run rmmod container_monitor
	exec {fd}<&-
	assert_failure
	[[ -d $SYSMOD ]]
}

@test "rmmod with processes still registered works, and the module loads again" {
	local a b
	load_module
	sleep 300 &
	a=$!
	sleep 300 &
	b=$!
	KILL_AT_TEARDOWN=("$a" "$b")
	monitor_test register "$a" 1G 2G kmod-bats-rmmod-a
	monitor_test register "$b" 0 0 kmod-bats-rmmod-b
	sleep 0.5
	rmmod container_monitor
	[[ ! -d $SYSMOD && ! -e $DEV ]]
	kill -0 "$a" "$b"

	load_module
	monitor_test register "$a" 1G 2G kmod-bats-rmmod-a
	rmmod container_monitor
}

# Each loop below runs until $STRESS_END (seconds since the shell started).
stress_churn() {
	local p
	while ((SECONDS < STRESS_END)); do
		sleep 5 &
		p=$!
		monitor_test register "$p" 100K 0 "kmod-bats-churn-$1" 2>/dev/null
		monitor_test query "$p" >/dev/null 2>&1
		monitor_test register "$p" 0 0 kmod-bats-dup 2>/dev/null
		((RANDOM % 2)) && monitor_test unregister "$p" 2>/dev/null
		kill "$p"
		wait "$p" 2>/dev/null
	done
}

stress_hogs() {
	local p st
	while ((SECONDS < STRESS_END)); do
		memory_hog 4 5 >/dev/null &
		p=$!
		monitor_test register "$p" 8M 16M "kmod-bats-hog-$1" 2>/dev/null
		st=0
		wait "$p" || st=$?
		echo "$st"
	done
}

stress_readers() {
	while ((SECONDS < STRESS_END)); do
		monitor_test events 100000 300 >/dev/null 2>&1
	done
}

stress_interval() {
	local v
	while ((SECONDS < STRESS_END)); do
		for v in 10 15 500 10; do
			echo "$v" >"$SYSMOD/parameters/interval_ms"
		done
	done
}

@test "registrations, kills, readers and interval changes racing for 10 s, then rmmod" {
	local i
	load_module
	echo 10 >"$SYSMOD/parameters/interval_ms"
	STRESS_END=$((SECONDS + 10))
	local started=()
	for i in 1 2 3; do
		stress_churn "$i" &
		started+=($!)
	done
	stress_hogs 1 >"$BATS_TEST_TMPDIR/hogs1" &
	started+=($!)
	stress_hogs 2 >"$BATS_TEST_TMPDIR/hogs2" &
	started+=($!)
	stress_readers &
	started+=($!)
	stress_readers &
	started+=($!)
	stress_interval &
	started+=($!)
	# Our own jobs only (see teardown).
	wait "${started[@]}"
	# Every hog ended by SIGKILL: the module's, as nothing else kills them.
	run sort -u "$BATS_TEST_TMPDIR/hogs1" "$BATS_TEST_TMPDIR/hogs2"
	assert_output $((128 + 9))
	rmmod container_monitor
	load_module
	rmmod container_monitor
}

@test "the kernel log shows no oops, BUG or WARNING" {
	run kernel_log
	assert_output --partial "$MARK"
	refute_output --regexp 'Oops|BUG|WARNING|Call Trace|general protection|refcount_t'
}
