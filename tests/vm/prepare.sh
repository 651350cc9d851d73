#!/bin/bash
# prepare.sh - get what the test VM needs, once, into a cache directory.
#
#   * qemu-system-x86, xz-utils, cpio, busybox-static: installed with apt-get
#     if missing (never a kernel: the Debian kernel is only downloaded).
#   * the current Debian kernel (the version linux-image-amd64 depends on):
#     linux-image-<ver>, linux-headers-<ver>, its -common headers and
#     linux-kbuild-<x.y> are fetched with `apt-get download` and unpacked
#     with `dpkg -x` into $VM_CACHE/<ver>/root (nothing is installed).
#   * $VM_CACHE/<ver>/vmlinux: the uncompressed kernel cut out of the
#     bzImage, booted through QEMU's PVH entry point (about 2x faster).
#   * the headers' absolute links/includes into /usr/src are rewritten to
#     point into the extraction dir, so that
#         make -C "$KDIR" M=$PWD modules
#     builds a module for the VM kernel.
#
# Idempotent: a finished cache (marked by $VM_CACHE/<ver>/.ready) is reused
# without any network access. Prints shell assignments on stdout:
#     KVER=<ver>  VMDIR=<dir>  VMLINUX=<file>  KDIR=<dir>  MODDIR=<dir>
# so callers can `eval "$(tests/vm/prepare.sh)"`. Messages go to stderr.
#
# Environment: VM_JQ=gojq also installs gojq (see mkinitramfs.sh). VM_CACHE (default tests/.work/vm), VM_KVER (force a version,
# else the one linux-image-amd64 depends on; if apt knows none, the newest
# cached one is used).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${VM_CACHE:-$repo/tests/.work/vm}
log() { echo "prepare: $*" >&2; }
die() { echo "prepare: ERROR: $*" >&2; exit 1; }

apt_updated=
apt_update() {
	[[ -n $apt_updated ]] && return 0
	log "apt-get update"
	apt-get update -qq >&2 || log "apt-get update failed"
	apt_updated=1
}

# Host tools.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v xz >/dev/null || need+=(xz-utils)
command -v cpio >/dev/null || need+=(cpio)
[[ -x /bin/busybox ]] && /bin/busybox --list 2>/dev/null | grep -qx switch_root || need+=(busybox-static)
[[ ${VM_JQ:-jq} != gojq ]] || command -v gojq >/dev/null || need+=(gojq)
if ((${#need[@]})); then
	((EUID == 0)) || die "missing ${need[*]} and not root to install them"
	apt_update
	log "installing ${need[*]} (once)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${need[@]}" >&2 || die "apt-get install ${need[*]} failed"
fi

# Which kernel.
kver_from_apt() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
kver=${VM_KVER:-}
if [[ -z $kver ]]; then
	kver=$(kver_from_apt)
	if [[ -z $kver ]]; then
		apt_update
		kver=$(kver_from_apt)
	fi
fi
if [[ -z $kver ]]; then
	# No apt lists: fall back to the newest finished cache.
	kver=$(ls -1 "$cache"/*/.ready 2>/dev/null | sed 's#.*/\([^/]*\)/.ready#\1#' | sort -V | tail -n1)
	[[ -n $kver ]] || die "cannot find the Debian kernel version (apt-cache depends linux-image-amd64 gives nothing)"
	log "apt knows no kernel: using cached $kver"
fi

vmdir=$cache/$kver
root=$vmdir/root
kdir=$root/usr/src/linux-headers-$kver
emit() {
	echo "KVER=$kver"
	echo "VMDIR=$vmdir"
	echo "VMLINUX=$vmdir/vmlinux"
	echo "KDIR=$kdir"
	echo "MODDIR=$root/lib/modules/$kver"
}
if [[ -f $vmdir/.ready ]]; then
	emit
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -f $vmdir/.ready ]]; then
	emit
	exit 0
fi

log "preparing kernel $kver in $vmdir"
rm -rf "$vmdir"
mkdir -p "$vmdir/debs" "$root"
apt_update_if_fails() {
	(cd "$vmdir/debs" && apt-get download "$@" >&2 2>/dev/null) && return 0
	apt_update
	(cd "$vmdir/debs" && apt-get download "$@" >&2)
}
# Header dependencies: the -common package and linux-kbuild-x.y.
hdeps=$(apt-cache depends "linux-headers-$kver" 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-headers-[^ ]*-common[^ ]*\|linux-kbuild-[0-9.]*\)$/\1/p')
[[ $hdeps == *common* && $hdeps == *kbuild* ]] ||
	die "cannot find the common headers / kbuild packages of linux-headers-$kver (got: $hdeps)"
# shellcheck disable=SC2086
apt_update_if_fails "linux-image-$kver" "linux-headers-$kver" $hdeps ||
	die "apt-get download of the kernel packages failed"
for deb in "$vmdir"/debs/*.deb; do
	log "extracting $(basename "$deb")"
	dpkg -x "$deb" "$root"
done
rm -rf "$vmdir/debs"

# vmlinux out of the bzImage: xz stream after the setup code.
vmlinuz=$root/boot/vmlinuz-$kver
[[ -f $vmlinuz ]] || die "no $vmlinuz in the image package"
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
[[ -n $off ]] || die "no xz stream in $vmlinuz (not an xz-compressed kernel?)"
tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null >"$vmdir/vmlinux.tmp" || true
head -c 4 "$vmdir/vmlinux.tmp" | grep -q 'ELF' || die "vmlinux extraction failed"
mv "$vmdir/vmlinux.tmp" "$vmdir/vmlinux"

# Decompress modules once (busybox insmod loads plain .ko only).
# The package ships no modules.dep (depmod runs at install): make one.
find "$root/lib/modules/$kver" -name '*.ko.xz' -print0 | xargs -0 -r -P2 -n64 xz -d
/bin/busybox depmod -b "$root" "$kver" || die "depmod failed"
[[ -s $root/lib/modules/$kver/modules.dep ]] || die "depmod made no modules.dep"

# Headers: make absolute /usr/src references point into the extraction dir.
sed -i "s#include /usr/src/#include $root/usr/src/#" "$kdir/Makefile"
while IFS= read -r -d '' l; do
	t=$(readlink "$l")
	[[ $t == "$root"/* ]] || ln -sfn "$root$t" "$l"
done < <(find "$root" -type l -lname '/*' -print0)
[[ -e $kdir/scripts/Makefile.modpost || -e $kdir/scripts/mod ]] ||
	log "warning: $kdir/scripts looks incomplete"

touch "$vmdir/.ready"
log "kernel $kver ready"
emit
