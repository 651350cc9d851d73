#!/bin/bash
# essential.sh ROOT - mmdebstrap's essential hook for the systemd test VM
# (tests/vm/sysvm-build.sh): runs before the kernel and initramfs-tools are
# installed, so that the initramfs their postinst builds is already the
# small one: only what mounting the virtio disk needs. The default
# (MODULES=most) takes minutes to build and boots slower under TCG.
set -euo pipefail
r=${1:?usage: essential.sh ROOT}
mkdir -p "$r/etc/initramfs-tools/conf.d" "$r/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$r/etc/initramfs-tools/conf.d/sysvm.conf"
printf '%s\n' virtio_pci virtio_blk ext4 >"$r/usr/share/initramfs-tools/modules.d/sysvm"
