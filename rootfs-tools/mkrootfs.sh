#!/bin/bash
# mkrootfs.sh DIR - build a minimal busybox-static root filesystem in DIR.
#
# DIR gets bin/busybox with one symlink per applet in /bin, the usual empty
# mount points (proc sys dev tmp), /etc/passwd and /etc/group with root and
# nobody (65534), and /etc/hostname. Nothing outside DIR is touched.
set -euo pipefail

dir=${1:?usage: mkrootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
if ! [[ -x $busybox ]]; then
	echo "mkrootfs: $busybox not found: install busybox-static" >&2
	exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin etc root proc sys dev tmp run var/tmp home
chmod 1777 tmp var/tmp
chmod 0700 root
install -m 0755 "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
	[[ $applet == busybox ]] || ln -sf busybox "bin/$applet"
done
# Some programs look for sh and env in the usual places.
mkdir -p usr/bin sbin usr/sbin
ln -sfn ../../bin/env usr/bin/env

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
nobody:x:65534:
GROUP
echo rootfs > etc/hostname
: > etc/hosts
: > etc/resolv.conf
