# sysvm_helpers.bash - shared set-up for the suites that run inside the
# systemd test VM (tests/vm/sysvmcheck.sh): the managers with their default
# settings, the systemd cgroup driver.
#
# The VM is a throwaway host (every boot starts from the clean image), so
# these suites use the managers' default paths, configuration and cgroup
# manager; they only register the runtime under test, and remove their
# containers so the tests stay independent.
#
# Runtime under test: as in helpers.bash ($OCIRT_TEST_RUNTIME, e.g. "runc",
# else ./ocirt). The managers run a copy on the VM's disk, $SYSVM_RT (named
# like the runtime, $SYSVM_RT_NAME): a `make` on the host while the VM
# runs must not swap the binary under a container.

load ../helpers

SYSVM_CMD_TIMEOUT=${SYSVM_CMD_TIMEOUT:-120}

# sysvm_host - true on a systemd + cgroup v2 host. setup_file returns
# early without it (bats 1.8 cannot skip from setup_file), and each test's
# sysvm_require skips.
sysvm_host() {
	[[ $(cat /proc/1/comm) == systemd && $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]
}

# sysvm_require - skip unless this is a systemd + cgroup v2 host.
sysvm_require() {
	sysvm_host || skip "needs a systemd host on cgroup v2 (run it in the VM: tests/vm/sysvmcheck.sh)"
}

# sysvm_setup_runtime - copy the runtime under test to the VM's disk:
# exports SYSVM_RT (its path) and SYSVM_RT_NAME.
sysvm_setup_runtime() {
	local p=$OCIRT
	[[ $p == */* ]] || p=$(command -v "$p") || fail "runtime under test '$OCIRT' is not in PATH"
	[[ -x $p ]] || fail "runtime under test '$p' is not built (run 'make', or set OCIRT_TEST_RUNTIME=runc)"
	SYSVM_RT_NAME=$(basename "$p")
	SYSVM_RT=/usr/local/libexec/sysvm-rt/$SYSVM_RT_NAME
	mkdir -p "${SYSVM_RT%/*}"
	install -m 0755 "$p" "$SYSVM_RT.tmp"
	mv "$SYSVM_RT.tmp" "$SYSVM_RT"
	export SYSVM_RT SYSVM_RT_NAME
}

# sysvm_rootfs_tar FILE - the busybox root filesystem of rootfs-tools/ as a
# tarball, the image the managers import (there is no network in the VM).
sysvm_rootfs_tar() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/sysvm-rootfs.XXXXXX")
	"$REPO/rootfs-tools/mkrootfs.sh" "$d/rootfs" >/dev/null || fail "mkrootfs.sh failed"
	tar -C "$d/rootfs" -cf "$1" . || fail "tar of the rootfs failed"
	rm -rf "$d"
}

# wait_until SECONDS CMD... - poll CMD (every 0.1 s) until it succeeds.
wait_until() {
	local tries=$(($1 * 10))
	shift
	while ((tries-- > 0)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# apparmor_label PID - the AppArmor label of a process, e.g.
# "docker-default (enforce)".
apparmor_label() {
	tr -d '\0' <"/proc/$1/attr/current"
}

# scope_dir UNIT - the cgroup directory of a systemd unit.
scope_dir() {
	local cg
	cg=$(systemctl show -P ControlGroup "$1") || return 1
	[[ -n $cg ]] || return 1
	echo "/sys/fs/cgroup$cg"
}

# unit_left UNIT - true if UNIT is still active 5 s from now (an emptied
# scope stops a moment after its last process is gone).
unit_left() {
	local i
	for i in $(seq 50); do
		systemctl is-active -q "$1" || return 1
		sleep 0.1
	done
	return 0
}
