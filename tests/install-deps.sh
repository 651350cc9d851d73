#!/bin/bash
# install-deps.sh build|check - install the Debian 12 packages ocirt needs.
#
# build: what `make all` and `make demo` need.
# check: build's plus what `make check` and `make bench` need.
# Idempotent and quiet: it only speaks (and only runs apt-get) when a package
# is missing. Needs root for the install step.
set -euo pipefail

BUILD_PKGS=(gcc libc6-dev make pkg-config libyajl-dev libseccomp-dev libcap-dev libsystemd-dev busybox-static)
CHECK_PKGS=("${BUILD_PKGS[@]}" bats bats-assert bats-support jq libcmocka-dev
	python3 python3-jsonschema iproute2 util-linux procps bsdutils runc time)
# crun is optional (bench compares against it); installed for check as well.
CHECK_PKGS+=(crun)
# The suites beyond the core: strace (kill at every syscall), clang (the
# libFuzzer targets), CNI plugins and iptables (net.bats), the managers
# (podman, containerd, umoci, docker.io; their suites install what they
# miss too), and QEMU with what the VM image is built from (vmcheck).
CHECK_PKGS+=(strace clang containernetworking-plugins iptables podman conmon containerd umoci docker.io
	qemu-system-x86 xz-utils cpio gnuplot-nox)
# The systemd VM (sysvmcheck): its image is made with mmdebstrap and mkfs.ext4 -d.
CHECK_PKGS+=(mmdebstrap e2fsprogs)
# Rootless runs (newuidmap, newgidmap) and checkpoint/restore: podman only
# recommends uidmap, and apt here installs no recommends.
CHECK_PKGS+=(uidmap criu)
# cli.bats runs ocirt's early exits under valgrind.
CHECK_PKGS+=(valgrind)

case "${1:-}" in
build) want=("${BUILD_PKGS[@]}") ;;
check) want=("${CHECK_PKGS[@]}") ;;
*) echo "usage: $0 build|check" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
if ((EUID != 0)); then
	echo "install-deps: must run as root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
