#!/bin/bash
# sysvm-build.sh [--print] - build (or find) the systemd test VM's image.
#
# The image is a Debian 12 (bookworm) system made with mmdebstrap
# --variant=minbase from apt's configured sources, with the packages of
# tests/vm/sysvm/packages: systemd as PID 1 (cgroup v2 unified, systemd's
# default), AppArmor, podman, docker, containerd, runc, crun, criu, bats...
# It is cached in $OCIRT_SYSVM_CACHE (default <repo>/tests/.work/sysvm) under
# a key hashing the package list and the files of the image (this script,
# sysvm/*): a change rebuilds it. The cache directory holds
#     disk.img     ext4 root file system (mkfs.ext4 -d: no loop mount)
#     vmlinux      the image's kernel, uncompressed (QEMU boots it via PVH)
#     initrd.img   the image's initramfs (loads virtio_blk/ext4, mounts vda)
# Prints "SYSVM_DIR=<dir>" on stdout when the image is ready; messages on
# stderr. Exit 0 when ready; 77 (after a "SKIP sysvm: <reason>" line on
# stdout) when it cannot be built here at all; 1 on a failed build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${OCIRT_SYSVM_CACHE:-$repo/tests/.work/sysvm}
log() { echo "sysvm-build: $*" >&2; }
die() { echo "sysvm-build: ERROR: $*" >&2; exit 1; }
skip() { echo "SKIP sysvm: $*"; exit 77; }

key=$(cat "$here/sysvm-build.sh" "$here"/sysvm/* | sha256sum | cut -c1-16)
dir=$cache/$key
if [[ -f $dir/.ready ]]; then
	echo "SYSVM_DIR=$dir"
	exit 0
fi

((EUID == 0)) || skip "building the image needs root (mmdebstrap, device nodes in mkfs.ext4 -d)"
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v xz >/dev/null || need+=(xz-utils)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
		skip "cannot install ${need[*]} with apt-get"
fi

mkdir -p "$cache"
exec 8>"$cache/.build.lock"
if ! flock -n 8; then
	log "another build is running; waiting for it"
	flock 8
fi
if [[ -f $dir/.ready ]]; then
	echo "SYSVM_DIR=$dir"
	exit 0
fi

t0=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
root=$dir/root
pkgs=$(sed 's/#.*//' "$here/sysvm/packages" | tr -s ' \n' '\n' | grep -v '^$' | paste -sd, -)
log "mmdebstrap bookworm into $root (takes a few minutes)"


mmdebstrap --variant=minbase --mode=root --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--include="$pkgs" \
	--essential-hook="$here/sysvm/essential.sh" \
	--customize-hook="$here/sysvm/customize.sh" \
	bookworm "$root" >&2 || {
	if ! apt-cache show systemd >/dev/null 2>&1; then
		rm -rf "$dir"
		skip "mmdebstrap failed and apt knows no packages (no package access)"
	fi
	die "mmdebstrap failed"
}
t1=$(date +%s)

# Kernel and initrd out of the image.
vmlinuz=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -n1)
[[ -f $vmlinuz && -f $initrd ]] || die "no kernel/initrd in $root/boot"
cp "$initrd" "$dir/initrd.img"
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
[[ -n $off ]] || die "no xz stream in $vmlinuz"
tail -c +$((off + 1)) "$vmlinuz" | xz -dc 2>/dev/null >"$dir/vmlinux" || true
head -c 4 "$dir/vmlinux" | grep -q ELF || die "vmlinux extraction failed"

# The disk: the tree plus room for images, containers and logs (sparse).
used=$(du -sm "$root" | cut -f1)
size=$((used + 3072))
log "mkfs.ext4 -d ($used MiB used, ${size} MiB disk)"
truncate -s "${size}M" "$dir/disk.img"
mkfs.ext4 -q -F -L sysvm-root -d "$root" "$dir/disk.img" >&2 || die "mkfs.ext4 -d failed"
rm -rf "$root"
t2=$(date +%s)
log "image ready in $dir: mmdebstrap $((t1 - t0))s, kernel+disk $((t2 - t1))s"
printf 'mmdebstrap=%s disk=%s\n' $((t1 - t0)) $((t2 - t1)) >"$dir/build-times"
touch "$dir/.ready"
# Older images are of no use any more.
for old in "$cache"/*/; do
	[[ ${old%/} == "$dir" ]] || rm -rf "$old"
done
echo "SYSVM_DIR=$dir"
