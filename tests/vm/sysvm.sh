#!/bin/bash
# sysvm.sh [OPTIONS] -- CMD ARGS...   (or --cmd 'SCRIPT')
# Boot the systemd test VM, run CMD in it as root, exit with CMD's status.
#
# The VM is a real Debian 12 host: systemd as PID 1, cgroup v2 unified,
# AppArmor enabled, podman/docker/containerd/runc/crun/criu, bats, a user
# `tester` (uid 1000) with subuid/subgid ranges and lingering. Built once by
# tests/vm/sysvm-build.sh and cached (OCIRT_SYSVM_CACHE, default
# <repo>/tests/.work/sysvm); the disk is booted as a snapshot, so each run
# starts from the clean image. No network but lo.
#
# CMD runs from a systemd service after multi-user.target, stdin /dev/null,
# cwd the first shared directory; its stdout and stderr come out on our
# stdout as it runs.
#
# Options:
#   --share DIR      mount host directory DIR at the same absolute path in the
#                    VM (9p, read-write, root is root). Repeatable; default:
#                    the repository this script belongs to
#   --cmd SCRIPT     run SCRIPT with bash -c instead of CMD ARGS
#   --timeout S      the whole run, boot included (default 1800; env SYSVM_TIMEOUT)
#   --stall S        when CMD has printed nothing for S seconds, ask the VM
#                    what its processes are doing, print that, and stop the
#                    VM as on a timeout (default 0: never; env SYSVM_STALL)
#   --mem MiB        memory (default 4096; env SYSVM_MEM)
#   --smp N          CPUs (default 2; env SYSVM_SMP)
#   --append ARGS    more kernel command line
#   --log FILE       also keep the VM console (kernel, systemd) in FILE
#   --shell          interactive root shell on the console (debugging)
# Only one VM runs at a time on the machine: the run holds the lock
# /tmp/ocirt-vm.lock (shared with run-vm.sh/vmcheck.sh) and waits for it.
#
# Exit status: CMD's; 124 on timeout or stall; 125 when the VM stopped without
# reporting a status; 126 when it could not be started. When the image
# cannot be built here (no root, no package access), prints
# "SKIP sysvm: <reason>" and exits 0.
set -euo pipefail
# The whole script is one compound command, read before it runs: the file
# may be edited (or checked out) while a long VM run is using it.
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "sysvm: ERROR: $*" >&2; exit 126; }
say() { echo "sysvm: $*" >&2; }

timeout_s=${SYSVM_TIMEOUT:-1800}
stall_s=${SYSVM_STALL:-0}
mem=${SYSVM_MEM:-4096}
smp=${SYSVM_SMP:-2}
append='' logfile='' shell='' script=''
shares=()
while (($#)); do
	case $1 in
	--share) shares+=("${2:?--share needs a directory}"); shift 2 ;;
	--cmd) script=${2?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--stall) stall_s=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--append) append+=" ${2:?}"; shift 2 ;;
	--log) logfile=${2:?}; shift 2 ;;
	--shell) shell=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
argv=("$@")
[[ -n $script ]] && argv=(bash -c "$script")
((${#argv[@]})) || [[ -n $shell ]] || die "nothing to run: give -- CMD ARGS..., --cmd SCRIPT or --shell"
((${#shares[@]})) || shares=("$repo")
for i in "${!shares[@]}"; do
	[[ -d ${shares[i]} ]] || die "--share ${shares[i]}: not a directory"
	shares[i]=$(cd "${shares[i]}" && pwd -P)
done

# The image (built or found in the cache; its own lock).
set +e
built=$("$here/sysvm-build.sh")
bst=$?
set -e
if ((bst == 77)); then
	echo "$built"
	exit 0
fi
((bst == 0)) || die "building the image failed (tests/vm/sysvm-build.sh)"
eval "$built"
img=$SYSVM_DIR

work=$(mktemp -d "${TMPDIR:-/tmp}/sysvm.XXXXXX")
qpid=
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The control share: the in-VM script, the command and the mounts.
ctl=$work/ctl
mkdir -p "$ctl"
install -m 0755 "$here/sysvm-boot.sh" "$ctl/boot.sh"
printf '%s\0' "${argv[@]}" >"$ctl/argv"
: >"$ctl/shares"
virtfs=(-virtfs "local,path=$ctl,mount_tag=sysvmctl,security_model=passthrough,id=sysvmctl")
for i in "${!shares[@]}"; do
	echo "share$i ${shares[i]}" >>"$ctl/shares"
	virtfs+=(-virtfs "local,path=${shares[i]},mount_tag=share$i,security_model=passthrough,multidevs=remap,id=share$i")
done
if [[ -n $shell ]]; then
	# boot.sh runs an interactive login shell on the console instead.
	: >"$ctl/shell"
fi

# -cpu qemu64: glibc's AVX2/AVX-512 paths, which -cpu max enables, run ~1.6x
# slower under TCG (measured for run-vm.sh); virtio-rng feeds the entropy
# that RDRAND would (dockerd and podman read random numbers at start).
# loglevel=4: the console shows the kernel's errors, among them its reports
# of hung tasks, soft lockups and RCU stalls, which a stalled run needs.
kcmd="root=/dev/vda rw console=ttyS0 panic=-1 quiet loglevel=4 systemd.show_status=false"
kcmd+=" fsck.mode=skip tsc=reliable no_timer_check random.trust_cpu=on cryptomgr.notests mitigations=off"
# podman's restart and auto-update units hold multi-user.target back ~12 s
# under TCG, for containers that a fresh image does not have.
for u in podman-restart.service podman-auto-update.service podman-auto-update.timer; do
	kcmd+=" systemd.mask=$u"
done
kcmd+=$append
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -M q35 -cpu qemu64
	-m "$mem" -smp "$smp" -no-reboot -nodefaults -no-user-config -display none
	-kernel "$img/vmlinux" -initrd "$img/initrd.img" -append "$kcmd"
	-drive "file=$img/disk.img,if=virtio,format=raw,snapshot=on,cache=unsafe"
	-device virtio-rng-pci "${virtfs[@]}")

# One VM at a time on this machine.
exec 9>/tmp/ocirt-vm.lock
if ! flock -n 9; then
	say "waiting for another VM run (lock /tmp/ocirt-vm.lock)"
	flock 9
fi

# watch_stall QPID: stop the VM when the command's output has not grown for
# stall_s seconds, after printing the VM's own account of its processes
# (boot.sh writes it when asked through the control share). A test that
# hangs that long is failing anyway, and the rest of the timeout tells
# nothing more.
watch_stall() {
	local size last=-1 quiet=0 waited
	while kill -0 "$1" 2>/dev/null; do
		sleep 5
		size=$(stat -c %s "$out")
		if [[ $size != "$last" ]]; then
			last=$size quiet=0
			continue
		fi
		quiet=$((quiet + 5))
		((quiet >= stall_s)) || continue
		say "ERROR: STALL: the command printed nothing for ${stall_s}s; asking the VM for a report"
		: >"$ctl/dump"
		for ((waited = 0; waited < 90; waited += 2)); do
			[[ -e $ctl/stall-report ]] && break
			sleep 2
		done
		if [[ -e $ctl/stall-report ]]; then
			sed 's/^/sysvm: stall: /' "$ctl/stall-report" >&2
		else
			say "the VM gave no report within 90s (its kernel or its 9p share is stuck)"
		fi
		: >"$work/stalled"
		kill "$1" 2>/dev/null
		return
	done
}

start=$(date +%s.%N)
if [[ -n $shell ]]; then
	exec "${qemu[@]}" -serial mon:stdio -serial null
fi

console=$work/console out=$work/out
: >"$console"
: >"$out"
timeout -k 5 "$timeout_s" "${qemu[@]}" -serial "file:$console" -serial "file:$out" \
	</dev/null >"$work/qemu.out" 2>&1 &
qpid=$!
tail -s 0.2 -n +1 -F --pid=$qpid "$out" 2>/dev/null &
tpid=$!
wpid=
if ((stall_s > 0)); then
	watch_stall "$qpid" &
	wpid=$!
fi
qst=0
wait "$qpid" || qst=$?
qpid=
wait "$tpid" 2>/dev/null || true
if [[ -n $wpid ]]; then
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
fi
end=$(date +%s.%N)
[[ -n $logfile ]] && cp "$console" "$logfile"

elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
times=
if [[ -f $ctl/times ]]; then
	# shellcheck disable=SC1091
	times=$(. "$ctl/times"; awk -v c="${uptime_at_command:-0}" -v x="${uptime_at_exit:-0}" -v e="$elapsed" \
		'BEGIN { printf "boot %.1fs, command %.1fs, ", c, x - c }')
fi
if [[ -s $ctl/status ]]; then
	st=$(<"$ctl/status")
	say "command exited $st (${times}VM ran ${elapsed}s)"
	exit "$st"
fi
console_tail() {
	tail -n 40 "$console" | tr -d '\r' | sed 's/^/sysvm: console: /' >&2
}
if [[ -e $work/stalled ]]; then
	say "ERROR: STALL: stopped the VM after ${elapsed}s, the command silent for ${stall_s}s"
	console_tail
	exit 124
fi
if ((qst == 124 || qst == 137)); then
	say "ERROR: TIMEOUT: the VM did not finish within ${timeout_s}s (killed)"
	console_tail
	exit 124
fi
say "ERROR: the VM stopped (qemu exit $qst after ${elapsed}s) without reporting a status"
cat "$work/qemu.out" >&2
console_tail
exit 125
exit
}
