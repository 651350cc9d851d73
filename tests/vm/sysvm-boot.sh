#!/bin/bash
# sysvm-boot.sh - runs INSIDE the systemd test VM, as root, from
# sysvm.service (after multi-user.target); tests/vm/sysvm.sh puts it in the
# control share (/run/sysvm) with:
#   shares   "TAG PATH" lines: 9p shares to mount at PATH (the first is the cwd)
#   argv     the command, NUL-separated
# It writes /run/sysvm/status (the command's exit status) and
# /run/sysvm/times, then powers the VM off. The command's stdout and
# stderr go to the second serial port, which the host streams. When the
# host creates /run/sysvm/dump (the command printed nothing for a long
# time), it writes /run/sysvm/stall-report: what every process is doing.
set -u
ctl=/run/sysvm
out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null
exec >"$out" 2>&1 </dev/null

finish() {
	echo "$1" >"$ctl/status"
	sync
	# --force: stop the units' processes and unmount, but do not wait
	# for every service's stop job (the disk is a throwaway snapshot).
	systemctl --force poweroff
	exit "$1"
}

# What the VM is doing, for a stalled command: the process tree, each
# process's kernel stack, systemd's pending jobs, the blocked tasks the
# kernel knows of. Each probe is bounded, as PID 1 or a mount may be the
# thing that hangs.
stall_report() {
	local pid task cmd
	echo "== $(date -u +%FT%TZ), up $(cut -d' ' -f1 /proc/uptime)s, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "== processes"
	timeout 10 ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,wchan:28,etimes,time,args --forest
	# The command's processes (the descendants of this script), PID 1, and
	# any task in uninterruptible sleep.
	echo "== kernel stacks: the command's processes, PID 1, tasks in D state"
	for pid in $(timeout 10 ps -eo pid=,ppid=,stat= | awk -v top=$$ '
		{ parent[$1] = $2; state[$1] = $3 }
		END {
			for (p in parent) {
				keep = p == 1 || state[p] ~ /^D/
				for (q = p; !keep && q > 1; q = parent[q])
					keep = parent[q] == top
				if (keep) print p
			}
		}' | sort -n); do
		# Gone already: the report's own short-lived probes.
		[[ -d /proc/$pid/task ]] || continue
		# cmdline needs the process's mmap lock, which a stuck one may hold.
		cmd=$(timeout 5 cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ' | cut -c1-160)
		for task in /proc/"$pid"/task/*; do
			echo "-- $pid/${task##*/} $(cat "$task/comm" 2>&1) ($cmd)"
			cat "$task/stack" 2>&1
		done
	done
	echo "== systemd jobs"
	timeout 10 systemctl list-jobs --no-pager 2>&1
	echo "== the kernel's warnings and errors"
	dmesg --level=emerg,alert,crit,err,warn | tail -n 60
	echo "== blocked tasks (sysrq w)"
	echo w >/proc/sysrq-trigger
	sleep 1
	dmesg | sed -n '/sysrq: Show Blocked State/,$p' | tail -n 200
}

# The host's request for a report (tests/vm/sysvm.sh --stall): polled, as
# the control share is 9p, which has no inotify.
stall_watch() {
	while sleep 5; do
		[[ -e $ctl/dump ]] || continue
		rm -f "$ctl/dump"
		stall_report >"$ctl/stall-report.tmp" 2>&1
		mv "$ctl/stall-report.tmp" "$ctl/stall-report"
	done
}

read -r up _ </proc/uptime
echo "uptime_at_command=$up" >"$ctl/times"
stall_watch &

cwd=
while read -r tag path; do
	[[ -n $tag ]] || continue
	mkdir -p "$path"
	# cache=mmap: the host sees writes at once and exec/mmap work;
	# msize: fewer round trips for big reads (bats sources many files).
	if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=mmap "$tag" "$path"; then
		echo "sysvm: cannot mount share $tag at $path"
		finish 126
	fi
	[[ -n $cwd ]] || cwd=$path
done <"$ctl/shares"
cd "${cwd:-/root}" || finish 126

if [[ -f $ctl/shell ]]; then
	# sysvm.sh --shell: a root shell on the console, with job control.
	setsid -c bash -l <>/dev/ttyS0 >&0 2>&1
	finish 0
fi
mapfile -d '' argv <"$ctl/argv"
((${#argv[@]})) || finish 126
export HOME=/root LANG=C.UTF-8 TERM=dumb
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The busybox rootfs cache of rootfs-tools/mkbundle.sh on the VM's own disk:
# bundles hard-link it (cp -al), which cannot cross from a 9p share to /tmp.
export ROOTFS_CACHE=${ROOTFS_CACHE:-/var/tmp/ocirt-rootfs-cache}
"${argv[@]}"
st=$?
read -r up _ </proc/uptime
echo "uptime_at_exit=$up" >>"$ctl/times"
finish "$st"
