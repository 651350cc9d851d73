#!/usr/bin/env bats
# concurrency.bats - many ocirt invocations at once, on many ids and on one:
# 50 containers created and deleted in parallel, concurrent kills and
# deletes of one id, create racing delete, and list/state racing all of it.
#
# Each call must either succeed or fail with a clear message (non-empty),
# never crash (exit >= 128 from ocirt itself, or a core) or hang (timeout's
# 124); every state.json seen at any moment parses; afterwards the host is
# clean (the leak-checking teardown, and our own cgroup parent is empty).
#
# OCIRT_STRESS=1: 200 containers, 50 rounds of each race.

load rel_helpers

setup() {
	rel_setup
	RESULTS=$BATS_TEST_TMPDIR/results
	: >"$RESULTS"
	touch "$BATS_TEST_TMPDIR/started"
	# One shared rootfs; each id gets a bundle that is just a config.json
	# (root.path absolute), so that 50 bundles cost nothing to make.
	make_bundle --id shared
	SHARED_ROOTFS=$BUNDLE/rootfs
	if ((STRESS)); then N=200 ROUNDS=50; else N=50 ROUNDS=10; fi
	export OCIRT STATE_ROOT RESULTS BATS_TEST_TMPDIR
}

teardown() {
	stop_watcher
	rel_teardown
}

# bundle_for ID - print a bundle dir for ID (config.json only, cgroupsPath
# under our parent), making it once.
bundle_for() {
	local d=$BATS_TEST_TMPDIR/b-$1
	if [[ ! -e $d/config.json ]]; then
		mkdir -p "$d"
		jq --arg r "$SHARED_ROOTFS" --arg cg "$REL_PARENT/$1" \
			'.root.path = $r | .linux.cgroupsPath = $cg' "$BUNDLE/config.json" >"$d/config.json"
	fi
	echo "$d"
}

# call ARGS... - run ocirt, log "rc<TAB>args<TAB>first line of output" to
# $RESULTS (one write, so parallel calls do not interleave). Exported: runs
# under xargs.
call() {
	local out rc log
	# "|| rc=$?": under bats' set -e a bare failing assignment would end
	# the caller (the watcher) at its first refused call.
	rc=0
	# Into a file, not a $(...) pipe: as with runc, create gives the
	# container the caller's stdout, and a pipe would stay open as long as
	# the container runs.
	log=$(mktemp "$BATS_TEST_TMPDIR/call.XXXXXX")
	timeout -k 5 60 "$OCIRT" --root "$STATE_ROOT" "$@" </dev/null >"$log" 2>&1 \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- || rc=$?
	out=$(head -n 1 "$log")
	rm -f "$log"
	printf '%s\t%s\t%s\n' "$rc" "$*" "$out" >>"$RESULTS"
	return 0
}
export -f call

# one_life ID BUNDLE - create, start, delete --force one container.
one_life() {
	call create --bundle "$2" "$1"
	call start "$1"
	call delete --force "$1"
}
export -f one_life

# check_results - every call succeeded or said why; none crashed or hung.
check_results() {
	local bad
	bad=$(awk -F'\t' '$1 >= 124 || ($1 != 0 && $3 == "")' "$RESULTS")
	[[ -z $bad ]] || fail "crashed, hung or failed silently (rc, args, output):"$'\n'"$bad"
	# A core file (where core_pattern is a plain name: in the cwd of the
	# crashed process, which for ocirt is ours or the bundle).
	bad=$(find "$BATS_TEST_TMPDIR" "$PWD" -maxdepth 2 -name 'core*' -type f \
		-newer "$BATS_TEST_TMPDIR/started" 2>/dev/null)
	[[ -z $bad ]] || fail "core files: $bad"
	# For the record: how many calls, and the errors of the race losers.
	echo "# $(wc -l <"$RESULTS") calls ($(grep -cE $'\t(list|state) ' "$RESULTS") of them list/state racing); failures (count, rc, verb, message):" >&3
	awk -F'\t' '$1 != 0 {split($2, a, " "); print $1 "\t" a[1] "\t" $3}' "$RESULTS" |
		sed -E 's/ctr-[0-9]+-[0-9]+-[a-z][0-9]+/ID/g' | sort | uniq -c | sed 's/^/#   /' >&3
}

# The watcher: list and state in a loop for the whole test, checking that
# they never crash and that every state.json in the root parses whenever
# it is seen.
start_watcher() {
	(
		while [[ ! -e $BATS_TEST_TMPDIR/stop ]]; do
			call list --format json
			n=0
			# A few state.json files and state calls per round (rotating
			# with the glob order as containers come and go): enough to
			# race, without starving the calls under test on 2 cores.
			for f in "$STATE_ROOT"/*/state.json; do
				[[ -e $f ]] || continue
				((n++ < 3)) || break
				id=${f%/state.json}
				id=${id##*/}
				# A file that vanished (deleted) between glob and read is fine.
				if out=$(cat "$f" 2>/dev/null) && ! jq -e . >/dev/null 2>&1 <<<"$out"; then
					[[ -e $f ]] && printf '999\tcorrupt %s\t%s\n' "$f" "$out" >>"$RESULTS"
				fi
				call state "$id"
			done
		done
	) 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	WATCHER=$!
}

stop_watcher() {
	[[ -n ${WATCHER:-} ]] || return 0
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$WATCHER" || true
	WATCHER=
}

@test "50 containers created, started and deleted in parallel, with list racing them" {
	local i
	for ((i = 0; i < N; i++)); do
		echo "ctr-$BATS_TEST_NUMBER-$$-p$i $(bundle_for "ctr-$BATS_TEST_NUMBER-$$-p$i")"
	done >"$BATS_TEST_TMPDIR/ids"
	start_watcher
	xargs -P 10 -L 1 bash -c 'one_life "$@"' _ <"$BATS_TEST_TMPDIR/ids"
	stop_watcher
	check_results
	# Every life went through: the creates, starts and deletes all succeeded.
	run awk -F'\t' '$1 != 0 && $2 !~ /^(list|state)/' "$RESULTS"
	assert_output ""
	assert_list_truthful
	run ocirt list -q
	assert_output ""
	for i in /sys/fs/cgroup/*/"${REL_PARENT#/}"/*; do
		[[ -d $i ]] && fail "cgroup left: $i"
	done
	true
}

@test "two concurrent kills and two concurrent deletes of one id: one container, one clean end" {
	local r id b
	start_watcher
	for ((r = 0; r < ROUNDS; r++)); do
		id="ctr-$BATS_TEST_NUMBER-$$-r$r"
		b=$(bundle_for "$id")
		create_container "$id" --bundle "$b"
		ocirt start "$id" || fail "start $id"
		printf '%s\n' "kill $id KILL" "kill $id KILL" "delete --force $id" "delete --force $id" |
			xargs -P 4 -L 1 bash -c 'call "$@"' _
		# Whatever the order, the container ends deleted.
		call delete --force "$id"
		assert_host_clean "$id" "$b" || fail "round $r left something"
	done
	stop_watcher
	check_results
	# The deletes must all succeed: delete --force of a gone id is not an error.
	run awk -F'\t' '$1 != 0 && $2 ~ /^delete/' "$RESULTS"
	assert_output ""
}

@test "create racing delete --force of the same id: either order, no leak" {
	local r id b created=0
	start_watcher
	for ((r = 0; r < ROUNDS * 2; r++)); do
		id="ctr-$BATS_TEST_NUMBER-$$-c$r"
		b=$(bundle_for "$id")
		printf '%s\n' "create --bundle $b $id" "delete --force $id" |
			xargs -P 2 -L 1 bash -c 'call "$@"' _
		# The create may have won: then the container exists and is true.
		assert_list_truthful
		ocirt state "$id" >/dev/null 2>&1 && created=$((created + 1))
		call delete --force "$id"
		assert_host_clean "$id" "$b" || fail "round $r left something"
	done
	stop_watcher
	echo "# create won the race in $created of $((ROUNDS * 2)) rounds" >&3
	check_results
	run awk -F'\t' '$1 != 0 && $2 ~ /^delete/' "$RESULTS"
	assert_output ""
}

@test "two concurrent creates of one id: exactly one wins, the other says it exists" {
	local r id b ok
	for ((r = 0; r < ROUNDS; r++)); do
		id="ctr-$BATS_TEST_NUMBER-$$-d$r"
		b=$(bundle_for "$id")
		: >"$RESULTS"
		printf '%s\n' "create --bundle $b $id" "create --bundle $b $id" "create --bundle $b $id" |
			xargs -P 3 -L 1 bash -c 'call "$@"' _
		check_results
		ok=$(awk -F'\t' '$1 == 0' "$RESULTS" | wc -l)
		((ok == 1)) || fail "round $r: $ok creates succeeded: $(cat "$RESULTS")"
		run grep -c "already exists" "$RESULTS"
		assert_output 2
		call delete --force "$id"
		assert_host_clean "$id" "$b" || fail "round $r left something"
	done
}

@test "state and list answer at once while a create is stuck in a slow createRuntime hook" {
	local id="ctr-$BATS_TEST_NUMBER-$$-h" b t0
	b=$(bundle_for "$id")
	jq '.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "8"]}]}' \
		"$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
	# A second container that is fine: list must show it meanwhile.
	create_container "$CTR_ID" --bundle "$(bundle_for "$CTR_ID")"
	ocirt_bg create --bundle "$b" "$id"
	wait_for_file "$STATE_ROOT/$id"
	t0=$SECONDS
	local OCIRT_TEST_CMD_TIMEOUT=4
	try list --format json
	assert_success
	assert_output --partial "\"$CTR_ID\""
	try state "$CTR_ID"
	assert_success
	# The stuck one: "creating" (it is), or a clear error; never a hang.
	try state "$id"
	((status != 124 && status != 137)) || fail "state of a container being created hung"
	((status == 0)) || [[ -n $output ]] || fail "state failed without saying why"
	((SECONDS - t0 < 6)) || fail "state and list took $((SECONDS - t0)) s"
	wait "$BG_PID" || true
}

@test "delete removes the state dir even if a file appears in it meanwhile (a late shim log or event)" {
	command -v strace >/dev/null || skip "strace is not installed"
	local r
	for r in 1 2 3; do
		create_container "$CTR_ID" --bundle "$(bundle_for "$CTR_ID")"
		# The shim opens its log after create has returned, and appends
		# events without the lock: here a writer adds a file while delete
		# is between its scan of the directory and its rmdir.
		(sleep 0.15; touch "$STATE_ROOT/$CTR_ID/events.json") 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		local writer=$!
		try_strace=$(strace -f -qq -o /dev/null -e inject=unlinkat:delay_exit=400000:when=1 \
			"$OCIRT" --root "$STATE_ROOT" delete --force "$CTR_ID" 2>&1 </dev/null \
			3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-) || fail "round $r: delete --force failed: $try_strace"
		# Only our writer: a bare wait would also wait for bats' timeout
		# watchdog when BATS_TEST_TIMEOUT is set.
		wait "$writer"
		[[ ! -e $STATE_ROOT/$CTR_ID ]] || fail "round $r: state dir left: $(ls -A "$STATE_ROOT/$CTR_ID")"
	done
}
