# sub_cgroups.bash - cgroups that a container makes below its own, for
# kill.bats and frozen.bats, and pausing one. Loaded after helpers.
#
# A nested runtime or a systemd inside a container with a writable cgroupfs
# makes such cgroups; the test makes them from the host, which is the same
# to the runtime under test. Nothing here removes them: the runtime's
# delete must.

# container_cgroup_dirs [ID] - the container's cgroup in every hierarchy
# (v1 and hybrid's unified, or v2) that has it.
container_cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*"$CGROUP_PARENT/${1:-$CTR_ID}" /sys/fs/cgroup"$CGROUP_PARENT/${1:-$CTR_ID}"; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

# move_to_sub_cgroup PID SUB - make SUB (may be nested, a/b) below the
# container's cgroup in every hierarchy and move PID into it there.
move_to_sub_cgroup() {
	local pid=$1 sub=$2 d p part
	for d in $(container_cgroup_dirs); do
		mkdir -p "$d/$sub"
		# A new v1 cpuset cgroup has no cpus and mems and refuses tasks.
		if [[ -f $d/cpuset.cpus ]]; then
			p=$d
			for part in ${sub//\// }; do
				cat "$p/cpuset.cpus" >"$p/$part/cpuset.cpus"
				cat "$p/cpuset.mems" >"$p/$part/cpuset.mems"
				p=$p/$part
			done
		fi
		echo "$pid" >"$d/$sub/cgroup.procs"
	done
}

# freezer_state [ID] - FROZEN or THAWED (FREEZING on v1 while it lasts), of
# the container's cgroup.
freezer_state() {
	local v1=/sys/fs/cgroup/freezer$CGROUP_PARENT/${1:-$CTR_ID}
	if [[ -d /sys/fs/cgroup/freezer ]]; then
		cat "$v1/freezer.state"
	elif grep -q '^frozen 1' "/sys/fs/cgroup$CGROUP_PARENT/${1:-$CTR_ID}/cgroup.events"; then
		echo FROZEN
	else
		echo THAWED
	fi
}

# wait_gone PID [SECONDS] - poll until PID has exited (a zombie counts).
wait_gone() {
	local tries=$((${2:-5} * 20))
	while ((tries-- > 0)); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	fail "process $1 is still alive: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)"
}

# start_paused - create and start the bundle's container and pause it.
start_paused() {
	create_container
	ocirt start "$CTR_ID"
	wait_for_status "$CTR_ID" running
	ocirt pause "$CTR_ID"
	wait_for_status "$CTR_ID" paused
	assert_equal "$(freezer_state)" FROZEN
}
