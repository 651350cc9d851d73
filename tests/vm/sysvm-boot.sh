#!/bin/bash
# sysvm-boot.sh - runs INSIDE the systemd test VM, as root, from
# sysvm.service (after multi-user.target); tests/vm/sysvm.sh puts it in the
# control share (/run/sysvm) with:
#   shares   "TAG PATH" lines: 9p shares to mount at PATH (the first is the cwd)
#   argv     the command, NUL-separated
# It writes /run/sysvm/status (the command's exit status) and
# /run/sysvm/times, then powers the VM off. The command's stdout and
# stderr go to the second serial port, which the host streams.
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

read -r up _ </proc/uptime
echo "uptime_at_command=$up" >"$ctl/times"

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
