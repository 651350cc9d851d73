# cgroup_helpers.bash - finding a test container's cgroup files on cgroup v1
# (legacy or hybrid) and v2, shared by tests/bats/cgroups.bats (host and VM)
# and tests/bats/vm/cgroups-v2.bats (VM). It sits in vm/ because
# tests/vm/vmcheck.sh copies that directory into the VM whole.
#
# Containers made by make_bundle live at $CGROUP_PARENT/<id> in every
# hierarchy (helpers.bash).

cgroup_v2() {
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]
}

# cgroup_dir CONTROLLER [ID] - the container's directory for CONTROLLER
# (v2: the one directory; v1: that controller's hierarchy).
cgroup_dir() {
	local ctrl=$1 id=${2:-$CTR_ID}
	if cgroup_v2; then
		echo "/sys/fs/cgroup$CGROUP_PARENT/$id"
	else
		echo "/sys/fs/cgroup/$ctrl$CGROUP_PARENT/$id"
	fi
}

# cgroup_file CONTROLLER FILE [ID] - the path of FILE in that directory.
cgroup_file() {
	echo "$(cgroup_dir "$1" "${3:-}")/$2"
}

# cgroup_read CONTROLLER FILE [ID] - its content.
cgroup_read() {
	cat "$(cgroup_file "$@")"
}

# cg KEY [ID] - the file holding a setting, by the v1 name of the setting:
# memory.limit, memory.reservation, memory.swap, cpu.shares, cpu.quota,
# cpu.period, cpuset.cpus, cpuset.mems, pids.max, freezer.
cg() {
	local v1 v2 ctrl=${1%%.*}
	case $1 in
	memory.limit) v1=memory.limit_in_bytes v2=memory.max ;;
	memory.reservation) v1=memory.soft_limit_in_bytes v2=memory.low ;;
	memory.swap) v1=memory.memsw.limit_in_bytes v2=memory.swap.max ;;
	cpu.shares) v1=cpu.shares v2=cpu.weight ;;
	cpu.quota) v1=cpu.cfs_quota_us v2=cpu.max ;;
	cpu.period) v1=cpu.cfs_period_us v2=cpu.max ;;
	cpuset.cpus | cpuset.mems | pids.max) v1=$1 v2=$1 ;;
	*) fail "cg: unknown setting $1" ;;
	esac
	if cgroup_v2; then cgroup_file "$ctrl" "$v2" "${2:-}"; else cgroup_file "$ctrl" "$v1" "${2:-}"; fi
}

# cgroup_leftovers ID - every directory of ID still present, in any
# hierarchy.
cgroup_leftovers() {
	local d
	for d in /sys/fs/cgroup$CGROUP_PARENT/"$1" /sys/fs/cgroup/*$CGROUP_PARENT/"$1"; do
		[[ -d $d ]] && echo "$d"
	done
	return 0
}

# memory_hog_into_rootfs [BUNDLE] - copy the static memory_hog workload
# (rootfs-tools/workloads, built on demand) into the rootfs as /bin/memory_hog.
memory_hog_into_rootfs() {
	local hog
	hog=$(command -v memory_hog 2>/dev/null) || hog=$REPO/tests/.work/workloads/memory_hog
	if [[ ! -x $hog ]]; then
		"$REPO/rootfs-tools/workloads/build.sh" "$REPO/tests/.work/workloads" >/dev/null ||
			skip "rootfs-tools/workloads/build.sh could not build memory_hog"
	fi
	# A new file: the rootfs may be a hard-link copy of the cache.
	rm -f "${1:-$BUNDLE}/rootfs/bin/memory_hog"
	cp "$hog" "${1:-$BUNDLE}/rootfs/bin/memory_hog"
}

# a_block_device - "MAJOR:MINOR" of a whole disk of this machine, or nothing.
a_block_device() {
	local d
	for d in /sys/block/*; do
		[[ -e $d/dev && ! $d == */loop* && ! $d == */ram* ]] && { cat "$d/dev"; return 0; }
	done
	for d in /sys/block/loop*; do
		[[ -e $d/dev ]] && { cat "$d/dev"; return 0; }
	done
	return 0
}

# Device 10:229 (/dev/fuse) is not among the devices a restricting rule list
# keeps usable, so whether a container may open it shows the rules at work.
# The shell's error when the devices controller refuses it is EPERM's text;
# an allowed open reaches the driver (and may fail otherwise, e.g. ENODEV
# without the fuse module).
# The bundle needs MKNOD (a jq filter) for mknod itself: CAP_MKNOD is not in
# the spec's default set. The standard devices are probed alongside.
DEVICE_PROBE='mknod /tmp/fuse c 10 229 && { true </tmp/fuse && echo opened; } 2>&1
echo full=$(head -c 3 /dev/full | wc -c)
echo x >/dev/null && echo null-ok'
MKNOD='.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
DENY_ALL='.linux.resources.devices = [{"allow": false, "access": "rwm"}]'

# cg_bundle SCRIPT [JQ] - $BUNDLE running SCRIPT with the container's sh
# (written into the rootfs as /ocirt-test.sh, so the config's args stay a
# plain path), in $CGROUP_PARENT/$CTR_ID like make_bundle's, with the jq
# filter JQ applied. All edits are one jq run: jq is slow under the VM's
# emulation (about 1.5 s a run), and make_bundle plus update_config calls
# would cost several per test.
cg_bundle() {
	local script=$1 filter=${2:-.}
	"$REPO/rootfs-tools/mkbundle.sh" --link \
		--set ".linux.cgroupsPath=\"$CGROUP_PARENT/$CTR_ID\" | .root.readonly=false
			| .process.args=[\"/ocirt-test.sh\"] | $filter" \
		"$BUNDLE" "$OCIRT" >/dev/null
	put_script /ocirt-test.sh "$script"
}
