# rel_helpers.bash - shared set-up for the reliability suites (kill_steps,
# soak, concurrency, hostile, pressure).
#
# Owns: a cgroup parent unique to each test (/ocirt-rel-<pid>-<test>, in
# every v1 hierarchy), the "host is clean" checks those suites assert after
# every hostile step (state dir, mounts, cgroup dirs, processes), and the
# "list tells the truth" check. Builds on ../helpers.bash (private --root,
# make_bundle, the leak-checking common_teardown).
#
# It never touches another test's cgroup parent, /run/ocirt or /run/runc.
#
# A suite does:
#   load rel_helpers
#   setup()    { rel_setup; }
#   teardown() { rel_teardown; }

load ../helpers

# OCIRT_STRESS=1 (make stress) selects the long versions of the suites.
STRESS=${OCIRT_STRESS:-0}

rel_setup() {
	common_setup
	# A parent of our own: the checks below can then say "nothing at all is
	# left under it" without racing other suites that use /ocirt-test.
	REL_PARENT="/ocirt-rel-$$-$BATS_TEST_NUMBER"
	CGROUP_PARENT=$REL_PARENT
}

rel_teardown() {
	local st=0 d leaks=()
	common_teardown || st=1
	# Our own parent must be empty: anything left is a leaked container cgroup.
	for d in /sys/fs/cgroup/*/"${REL_PARENT#/}"; do
		[[ -d $d ]] || continue
		while read -r sub; do
			leaks+=("cgroup left: $sub")
			kill_cgroup_procs "$sub"
			rmdir "$sub" 2>/dev/null || true
		done < <(find "$d" -mindepth 1 -depth -type d)
		rmdir "$d" 2>/dev/null || leaks+=("cgroup parent not removable: $d")
	done
	if ((${#leaks[@]})); then
		printf 'teardown: %s\n' "${leaks[@]}" >&2
		st=1
	fi
	return $st
}

# kill_cgroup_procs DIR - SIGKILL what is in one cgroup dir (leak clean-up).
kill_cgroup_procs() {
	local p
	for p in $(cat "$1/cgroup.procs" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	sleep 0.05
}

# cgroup_dirs_of ID - the cgroup dirs of container ID that exist, in every
# hierarchy (v1 and the unified one).
cgroup_dirs_of() {
	local d
	for d in /sys/fs/cgroup/*/"${REL_PARENT#/}/$1" /sys/fs/cgroup/"${REL_PARENT#/}/$1"; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

# alive PID - like pid_alive, without a fork (these checks run thousands
# of times, and a fork under load costs tens of ms).
alive() {
	local line st
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	st=${line##*) }
	st=${st%% *}
	[[ -n $st && $st != Z ]]
}

# cgroup_pids_of ID - live pids in container ID's cgroups (any hierarchy).
cgroup_pids_of() {
	local d p seen=" "
	for d in /sys/fs/cgroup/*/"${REL_PARENT#/}/$1" /sys/fs/cgroup/"${REL_PARENT#/}/$1"; do
		[[ -r $d/cgroup.procs ]] || continue
		while read -r p; do
			[[ $seen == *" $p "* ]] && continue
			seen+="$p "
			alive "$p" && echo "$p"
		done <"$d/cgroup.procs"
	done
	return 0
}

# procs_touching DIR ID - live pids whose cwd or root is under DIR, or whose
# command line names ID (an ocirt still working on ID, or the container).
procs_touching() {
	local dir=$1 id=$2 f p pat
	# "[c]tr-1" matches the id but not this grep's own command line.
	pat="[${id:0:1}]$(sed 's/[.+]/\\&/g' <<<"${id:1}")"
	{
		# One find and one grep over all of /proc: a per-pid bash loop
		# would make each check cost a second.
		find /proc -mindepth 2 -maxdepth 2 \( -name cwd -o -name root \) \
			-lname "$dir*" -printf '%h\n' 2>/dev/null
		grep -lsa -- "$pat" /proc/[0-9]*/cmdline
	} | while read -r f; do
		p=${f#/proc/}
		p=${p%%/*}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		alive "$p" && echo "$p"
	done
	return 0
}

# assert_host_clean ID BUNDLE [PIDS...] - after `delete --force ID`: no
# state dir (nor anything else in the state root), no mount under BUNDLE or the state root, no cgroup dir, none of
# PIDS alive (pids seen in its cgroups before the delete), no process whose
# cwd/root is in BUNDLE or whose command line names ID.
assert_host_clean() {
	local id=$1 bundle=$2 p i left=()
	shift 2
	[[ ! -e $STATE_ROOT/$id ]] || left+=("state dir $STATE_ROOT/$id")
	# Nor anything else in the root: a half-made directory under a private
	# name (state_dir_create's "~creating-<pid>-<n>") is a leak too.
	for i in "$STATE_ROOT"/* "$STATE_ROOT"/.[!.]*; do
		[[ -e $i ]] && left+=("in the state root: $i")
	done
	while read -r line; do
		left+=("mount: $line")
	done < <(awk -v b="$bundle" -v s="$STATE_ROOT" \
		'index($5, b) == 1 || index($5, s) == 1' /proc/self/mountinfo)
	for i in $(cgroup_dirs_of "$id"); do
		left+=("cgroup dir $i")
	done
	# A SIGKILLed process may take a moment to leave /proc.
	for i in $(seq 40); do
		left_pids=()
		for p in "$@" $(procs_touching "$bundle" "$id"); do
			alive "$p" && left_pids+=("$p")
		done
		((${#left_pids[@]} == 0)) && break
		sleep 0.05
	done
	for p in "${left_pids[@]}"; do
		left+=("process $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)")
	done
	if ((${#left[@]})); then
		printf 'left behind by %s: %s\n' "$id" "${left[@]}" >&2
		return 1
	fi
}

# assert_list_truthful - every container `list` shows is in a state that is
# true: created/running/paused only with a live pid, creating only while a
# process still creates it, and the list itself well-formed JSON.
assert_list_truthful() {
	local json rows id status pid
	json=$(ocirt list --format json 2>&1) || { echo "list failed: $json" >&2; return 1; }
	rows=$(jq -r 'if type == "array" then .[] | "\(.id) \(.status) \(.pid)" elif . == null then empty
		else error("not an array") end' <<<"$json") ||
		{ echo "list is not a JSON array: $json" >&2; return 1; }
	while read -r id status pid; do
		[[ -n $id ]] || continue
		case $status in
		created|running|paused)
			if ! [[ $pid =~ ^[1-9][0-9]*$ ]] || ! alive "$pid"; then
				echo "list says $id is $status with pid '$pid', which is not alive" >&2
				return 1
			fi ;;
		creating)
			# list reads under the state lock, which create holds until
			# it is done: "creating" is only true while an ocirt
			# process of this id is still at work.
			if [[ -z $(procs_touching /nonexistent "$id") ]]; then
				echo "list says $id is creating, but no process is creating it" >&2
				return 1
			fi ;;
		stopped) ;;
		*) echo "list shows $id in unknown status '$status'" >&2; return 1 ;;
		esac
	done <<<"$rows"
}

# ocirt_bg ARGS... - the runtime under test in the background, stdio to
# files, in its own process group; sets $BG_PID.
ocirt_bg() {
	setsid "$OCIRT" --root "$STATE_ROOT" "$@" </dev/null \
		>>"$BATS_TEST_TMPDIR/bg.out" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	BG_PID=$!
}

# usleep_ US - sleep US microseconds (0 = no sleep) without forking: a
# read with a timeout on a FIFO nobody writes. sleep(1) costs a fork and
# exec, which under load is longer than the delays being swept.
usleep_() {
	(($1 > 0)) || return 0
	if [[ -z ${REL_SLEEP_FD:-} ]]; then
		mkfifo "$BATS_TEST_TMPDIR/sleep.fifo"
		exec {REL_SLEEP_FD}<>"$BATS_TEST_TMPDIR/sleep.fifo"
	fi
	read -r -t "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" -u "$REL_SLEEP_FD" || true
}
