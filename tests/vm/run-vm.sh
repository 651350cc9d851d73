#!/bin/bash
# run-vm.sh [OPTIONS] - boot the test VM (QEMU, TCG), run a command inside,
# and exit with that command's exit status.
#
# The VM is a Debian kernel (tests/vm/prepare.sh) booted through PVH with
# everything in an initramfs: cgroup v2 only, root, no disk, no network but
# lo. The command's output (stdout and stderr) is printed on our stdout.
#
# Payload (all options may be repeated; see mkinitramfs.sh):
#   --payload DIR[:DEST]  copy DIR to DEST in the VM (default /payload)
#   --bin PROG            a host program and its libraries
#   --dir SRC[:DEST]      a directory (DEST default: SRC)
#   --file SRC[:DEST]     one file
#   --module NAME         a kernel module to load at boot (with its deps)
#   --ko FILE             a .ko to ship in /lib/modules/extra (not loaded)
#   --list FILE           payload list (mkinitramfs.sh --list format)
#   --bats                bash, bats, bats-support, bats-assert, jq
#   --initramfs FILE      use this prebuilt archive instead (the options
#                         above are then ignored)
#   --keep-initramfs FILE also save the built archive as FILE for reuse
# Command:
#   --cmd SCRIPT          shell script to run (bash if in the payload, else
#                         busybox sh), started in /vm; stdin is /dev/null
#   --cmd-file FILE       the same, from a file
#   --shell               interactive shell on the console instead (debug)
# VM:
#   --timeout SECONDS     whole run, boot included (default 300; env VM_TIMEOUT)
#   --mem MB              memory (default 2048; env VM_MEM): the kmod stress
#                         test runs memory hogs that a smaller VM can run out of
#   --smp N               CPUs (default 2; env VM_SMP)
#   --append ARGS         more kernel command line
#   --log FILE            also keep the raw console output in FILE
#
# Only one VM runs at a time: the boot holds /tmp/ocirt-vm.lock (as
# sysvm.sh does) and waits for it.
#
# Exit status: the command's; 124 on timeout; 125 when the VM stopped
# without reporting a status (kernel panic, init failure); 126 when the VM
# could not be started. Each failure of the VM itself prints a line
# starting with "run-vm: ERROR:".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run-vm: ERROR: $*" >&2; exit 126; }

timeout_s=${VM_TIMEOUT:-300}
mem=${VM_MEM:-2048}
smp=${VM_SMP:-2}
append=
cmd= shell= initramfs= keep= logfile=
mkargs=()
while (($#)); do
	case $1 in
	--payload)
		p=${2:?}
		if [[ $p == *:* ]]; then mkargs+=(--dir "$p"); else mkargs+=(--dir "$p:/payload"); fi
		shift 2 ;;
	--bin|--dir|--file|--module|--ko|--list) mkargs+=("$1" "${2:?$1 needs an argument}"); shift 2 ;;
	--bats) mkargs+=(--bats); shift ;;
	--initramfs) initramfs=${2:?}; shift 2 ;;
	--keep-initramfs) keep=${2:?}; shift 2 ;;
	--cmd) cmd=${2?}; shift 2 ;;
	--cmd-file) cmd=$(cat "${2:?}"); shift 2 ;;
	--shell) shell=1; shift ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--append) append+=" ${2:?}"; shift 2 ;;
	--log) logfile=${2:?}; shift 2 ;;
	-h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[[ -n $cmd || -n $shell ]] || die "nothing to run: give --cmd SCRIPT, --cmd-file FILE or --shell"

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run tests/vm/prepare.sh)"
eval "$("$here/prepare.sh")" || die "prepare.sh failed"
[[ -f $VMLINUX ]] || die "no kernel $VMLINUX"

work=$(mktemp -d "${TMPDIR:-/tmp}/run-vm.XXXXXX")
qpid=
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The payload archive (big, reusable) + a small archive with the command:
# the kernel unpacks concatenated cpio archives in order.
if [[ -z $initramfs ]]; then
	initramfs=$work/payload.cpio
	"$here/mkinitramfs.sh" -o "$initramfs" --kver "$KVER" "${mkargs[@]}" ||
		die "mkinitramfs.sh failed"
	[[ -n $keep ]] && cp "$initramfs" "$keep"
fi
[[ -f $initramfs ]] || die "no initramfs $initramfs"
mkdir -p "$work/cmd/vm"
printf '%s\n' "$cmd" >"$work/cmd/vm/cmd"
(cd "$work/cmd" && printf '%s\n' vm vm/cmd | cpio -o -H newc --quiet -R 0:0) >"$work/cmd.cpio"
if [[ $initramfs == *.gz ]]; then
	# A gzip member cannot be followed by a plain cpio reliably: gzip it too.
	gzip -1 <"$work/cmd.cpio" >"$work/cmd.cpio.gz"
	cat "$initramfs" "$work/cmd.cpio.gz" >"$work/initrd"
else
	cat "$initramfs" "$work/cmd.cpio" >"$work/initrd"
fi

kcmd="console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init tsc=reliable no_timer_check"
kcmd+=" random.trust_cpu=on cryptomgr.notests audit=0 mitigations=off"
[[ -n $shell ]] && kcmd+=" vm.shell=1"
kcmd+=$append

qemu=(qemu-system-x86_64 -accel tcg,thread=multi -M q35 -cpu qemu64
	-m "$mem" -smp "$smp" -no-reboot -nodefaults -no-user-config
	-display none -kernel "$VMLINUX" -initrd "$work/initrd" -append "$kcmd")

# One VM at a time on this machine (sysvm.sh takes the same lock): two
# TCG guests on 2 cores make both time out.
exec 9>/tmp/ocirt-vm.lock
if ! flock -n 9; then
	echo "run-vm: waiting for another VM run (lock /tmp/ocirt-vm.lock)" >&2
	flock 9
fi

start=$(date +%s.%N)
if [[ -n $shell ]]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

# Console to a file (read as it grows), so that a hung VM is still
# reported and the output shows up live.
console=$work/console
: >"$console"
timeout -k 5 "$timeout_s" "${qemu[@]}" -serial "file:$console" </dev/null >"$work/qemu.out" 2>&1 &
qpid=$!
# Stream the console: drop CRs, hide the status marker.
tail -s 0.2 -n +1 -F --pid=$qpid "$console" 2>/dev/null | tr -d '\r' | grep --line-buffered -v -E '^VM-EXIT-STATUS=|^\[ *[0-9.]+\] reboot: Power down' &
tpid=$!
qst=0
wait "$qpid" || qst=$?
qpid=
wait "$tpid" 2>/dev/null || true
end=$(date +%s.%N)
[[ -n $logfile ]] && cp "$console" "$logfile"

st=$(tr -d '\r' <"$console" | sed -n 's/^VM-EXIT-STATUS=\([0-9]\+\)$/\1/p' | tail -n1)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
if [[ -n $st ]]; then
	echo "run-vm: command exited $st (VM ran ${elapsed}s)" >&2
	exit "$st"
fi
if ((qst == 124 || qst == 137)); then
	echo "run-vm: ERROR: TIMEOUT: the VM did not finish within ${timeout_s}s (killed)" >&2
	exit 124
fi
echo "run-vm: ERROR: the VM stopped (qemu exit $qst after ${elapsed}s) without reporting a status: kernel panic or init failure" >&2
cat "$work/qemu.out" >&2
tail -n 30 "$console" | tr -d '\r' | sed 's/^/run-vm: console: /' >&2
exit 125
