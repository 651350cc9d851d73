#!/bin/bash
# customize.sh ROOT - mmdebstrap's customize hook for the systemd test VM
# (tests/vm/sysvm-build.sh): runs on the host once the packages are in ROOT.
set -euo pipefail
r=${1:?usage: customize.sh ROOT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

echo sysvm >"$r/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 sysvm\n' >"$r/etc/hosts"
echo '/dev/vda / ext4 rw,relatime 0 1' >"$r/etc/fstab"

# The run unit and its starter.
install -m 0755 "$here/sysvm-run" "$r/usr/local/sbin/sysvm-run"
install -m 0644 "$here/sysvm.service" "$r/etc/systemd/system/sysvm.service"
chroot "$r" systemctl enable sysvm.service
chroot "$r" systemctl set-default multi-user.target

# Boot speed: no login prompts, timers or daemons the suites do not ask
# for (they start docker/containerd themselves, as an admin would).
for u in getty@tty1.service serial-getty@ttyS0.service console-getty.service \
	systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
	man-db.timer e2scrub_all.timer fstrim.timer e2scrub_reap.service \
	systemd-networkd-wait-online.service; do
	chroot "$r" systemctl mask "$u" >/dev/null 2>&1 || true
done
chroot "$r" systemctl disable docker.service docker.socket containerd.service >/dev/null 2>&1 || true

# The rootless tests' user: uid 1000, subordinate ids, lingering allowed.
chroot "$r" useradd -m -u 1000 -s /bin/bash tester
echo 'tester:100000:65536' >"$r/etc/subuid"
echo 'tester:100000:65536' >"$r/etc/subgid"
mkdir -p "$r/var/lib/systemd/linger"
: >"$r/var/lib/systemd/linger/tester"
# root without a password (console debugging with --shell).
chroot "$r" passwd -d root >/dev/null

# No apt caches or lists in the image.
rm -rf "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/archives/*.deb
