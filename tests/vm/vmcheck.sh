#!/bin/bash
# vmcheck.sh - `make vmcheck`: run the cgroup-v2 / kernel-module bats suites
# inside the QEMU test VM and print their TAP.
#
# Steps: tests/vm/prepare.sh (qemu, Debian kernel + headers, cached); a
# payload mirroring the repo at the same absolute path in the VM: ./ocirt,
# tests/bats/helpers.bash, the suites, rootfs-tools/ and the busybox rootfs
# cache (rootfs-tools/mkrootfs.sh) at tests/.work/rootfs-cache; bats,
# bats-support, bats-assert, jq, bash and GNU tools; then one boot running
#   bats --tap SUITES...
# The TAP is printed as it comes, then "vmcheck: N passed, N failed[, N skipped]".
#
# Environment:
#   VMCHECK_SUITES  suites to run, as globs relative to the repo (default:
#                   "tests/bats/vm/*.bats"; the host's cgroups.bats is the v1
#                   twin of tests/bats/vm/cgroups-v2.bats)
#   VMCHECK_FILTER  passed to bats --filter (a regex on test names)
#   VMCHECK_EXTRA   more run-vm.sh payload options, e.g.
#                   "--ko kmod/ocirt.ko --module veth --dir kmod/tests:/kt"
#   VMCHECK_ENV     "NAME=VALUE ..." exported in the VM before bats, e.g.
#                   "KMOD_KO=/usr/lib/modules/extra/container_monitor.ko
#                    PATH=/opt/kt:\$PATH" (no spaces inside a value)
#   VMCHECK_MODULES kernel modules to load at boot (default: overlay)
#   VMCHECK_TIMEOUT seconds for the whole VM run (default 600)
#   BATS_TEST_TIMEOUT  per test, in the VM (default 120; 0: none)
#   OCIRT           the runtime binary (default ./ocirt)
# Exit status: 0 when every test passed (skips allowed), 1 otherwise, and
# when the VM failed (timeout, panic) or ran no test. If QEMU cannot be had
# at all, prints "SKIP vmcheck: <reason>" and exits 0.
set -uo pipefail
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
fi
(($# == 0)) || { echo "usage: $0 (settings through the environment, see --help)" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
t0=$(date +%s.%N)
say() { echo "vmcheck: $*" >&2; }
fail() { echo "vmcheck: ERROR: $*" >&2; echo "vmcheck: 0 passed, 1 failed"; exit 1; }
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=tests/vm/tally.sh
. "$here/tally.sh"

# QEMU: the only reason to skip is that it cannot be installed at all.
if ! command -v qemu-system-x86_64 >/dev/null; then
	if ((EUID != 0)) || ! command -v apt-get >/dev/null; then
		echo "SKIP vmcheck: qemu-system-x86_64 is missing and cannot be installed (not root or no apt-get)"
		exit 0
	fi
	if ! "$here/prepare.sh" >/dev/null || ! command -v qemu-system-x86_64 >/dev/null; then
		if ! apt-cache show qemu-system-x86 >/dev/null 2>&1; then
			echo "SKIP vmcheck: qemu-system-x86_64 is missing and apt cannot provide qemu-system-x86"
			exit 0
		fi
		fail "installing qemu-system-x86 failed"
	fi
fi
prep=$("$here/prepare.sh") || fail "tests/vm/prepare.sh failed"
eval "$prep"
say "kernel $KVER (prepare took $(elapsed)s)"

ocirt=${OCIRT:-./ocirt}
[[ -x $ocirt ]] || fail "$ocirt is not built (run make)"
ocirt=$(cd "$(dirname "$ocirt")" && pwd)/$(basename "$ocirt")

# Suites.
shopt -s nullglob
suites=()
for g in ${VMCHECK_SUITES:-tests/bats/vm/*.bats}; do
	for f in $g; do [[ -f $f ]] && suites+=("$f"); done
done
shopt -u nullglob
((${#suites[@]})) || fail "no suite matches '${VMCHECK_SUITES:-tests/bats/vm/*.bats}'"

# Does `ocirt run` work on the host? The smoke suite skips its run test
# with a reason when it does not work here either.
host_run=0
hb=$(mktemp -d "${TMPDIR:-/tmp}/vmcheck-host.XXXXXX")
if rootfs-tools/mkbundle.sh "$hb/b" "$ocirt" -- echo hello >/dev/null 2>&1 &&
	[[ $(timeout 30 "$ocirt" --root "$hb/state" run --bundle "$hb/b" vmcheck-host-$$ </dev/null 2>/dev/null) == hello ]]; then
	host_run=1
fi
timeout 10 "$ocirt" --root "$hb/state" delete --force vmcheck-host-$$ >/dev/null 2>&1
rm -rf "$hb"

# Payload: the repo's test files at the repo's own path.
# A private stage: several vmchecks may run at once in one tree.
mkdir -p "$repo/tests/.work/vm"
stage=$(mktemp -d "$repo/tests/.work/vm/payload.XXXXXX")
out=
trap 'rm -rf "$stage" "$out"' EXIT
chmod 0755 "$stage"
mkdir -p "$stage/tests/bats" "$stage/tests/.work" "$stage/rootfs-tools"
cp -a tests/bats/helpers.bash "$stage/tests/bats/"
for f in "${suites[@]}"; do
	mkdir -p "$stage/$(dirname "$f")"
	cp -a "$f" "$stage/$f"
done
# Everything else a vm suite directory holds (helpers, fixtures, .ko...).
[[ -d tests/bats/vm ]] && cp -a tests/bats/vm/. "$stage/tests/bats/vm/"
cp -a rootfs-tools/*.sh "$stage/rootfs-tools/"
[[ -f tests/validate-json.py ]] && cp -a tests/validate-json.py "$stage/tests/"
rootfs-tools/mkrootfs.sh "$stage/tests/.work/rootfs-cache" >/dev/null || fail "mkrootfs.sh failed"
chmod 0755 "$stage/tests/.work/rootfs-cache"

# Test programs on PATH in the VM, and the kernel module under test.
vm_path=()
vm_env=(OCIRT_IN_VM=1 "OCIRT_HOST_RUN_OK=$host_run" ROOTFS_CACHE=/tmp/rootfs-cache)
# Per-test timeout; BATS_TEST_TIMEOUT=0 means none (the VM's own timeout
# still applies). Beware: with it, bats 1.8 runs a watchdog job, so a bare
# `wait` in a test or teardown waits for the watchdog, i.e. times out.
bto=${BATS_TEST_TIMEOUT:-120}
[[ $bto == 0 ]] || vm_env+=("BATS_TEST_TIMEOUT=$bto")
bins=()
add_path_dir() { # DIR (in the stage, repo-relative): its ELF executables on PATH
	local d=$1 f
	vm_path+=("$repo/$d")
	for f in "$stage/$d"/*; do
		[[ -f $f && -x $f ]] && head -c 4 "$f" | grep -q ELF && bins+=(--bin "$f")
	done
	return 0
}
if [[ -x rootfs-tools/workloads/build.sh ]]; then
	rootfs-tools/workloads/build.sh "$stage/tests/.work/workloads" >&2 ||
		fail "rootfs-tools/workloads/build.sh failed"
	add_path_dir tests/.work/workloads
fi
if [[ -f kmod/Makefile && ${VMCHECK_KMOD:-1} == 1 ]]; then
	# One build at a time in this tree (vmchecks may run concurrently).
	exec 8>"$repo/tests/.work/vm/.kmod.lock"
	flock 8
	make -s -C kmod KDIR="$KDIR" >&2 || fail "building kmod/ against $KDIR failed"
	if [[ -f kmod/tests/Makefile ]]; then
		make -s -C kmod/tests KDIR="$KDIR" >&2 || fail "building kmod/tests failed"
	fi
	shopt -s nullglob
	kos=(kmod/*.ko)
	shopt -u nullglob
	mkdir -p "$stage/kmod"
	for ko in "${kos[@]}"; do cp "$ko" "$stage/kmod/"; done
	((${#kos[@]})) && vm_env+=("KMOD_KO=$repo/${kos[0]}")
	if [[ -d kmod/tests ]]; then
		mkdir -p "$stage/kmod/tests"
		for f in kmod/tests/*; do
			[[ -f $f && -x $f ]] && cp "$f" "$stage/kmod/tests/"
		done
		add_path_dir kmod/tests
	fi
	exec 8>&-
fi
# strace shows in the VM which syscalls ocirt makes (CLONE_INTO_CGROUP).
command -v strace >/dev/null && bins+=(--bin "$(command -v strace)")
for d in ${VMCHECK_PATH:-}; do
	[[ -d $d ]] || fail "VMCHECK_PATH: no directory $d"
	mkdir -p "$stage/$d"
	cp -a "$d/." "$stage/$d/"
	add_path_dir "$d"
done
vm_path_s=$(IFS=:; echo "${vm_path[*]}")

mods=()
for m in ${VMCHECK_MODULES-overlay}; do mods+=(--module "$m"); done
# shellcheck disable=SC2206
extra=(${VMCHECK_EXTRA:-})

filter=()
[[ -n ${VMCHECK_FILTER:-} ]] && filter=(--filter "$VMCHECK_FILTER")
printf -v q_suites ' %q' "${suites[@]}"
printf -v q_filter ' %q' "${filter[@]}"
((${#filter[@]})) || q_filter=
printf -v q_env ' %q' "${vm_env[@]}"
cmd="cd $(printf %q "$repo") || exit 120
export$q_env
export PATH=$(printf %q "${vm_path_s:+$vm_path_s:}")\$PATH
${VMCHECK_ENV:+export $VMCHECK_ENV}
# hard links (mkbundle.sh --link) need the rootfs cache on /tmp's tmpfs
cp -a tests/.work/rootfs-cache /tmp/rootfs-cache || exit 120
bats --tap$q_filter$q_suites"

say "payload ready ($(elapsed)s); booting the VM for ${#suites[@]} suite(s): ${suites[*]}"
out=$(mktemp "${TMPDIR:-/tmp}/vmcheck-out.XXXXXX")
st=0
"$here/run-vm.sh" --timeout "${VMCHECK_TIMEOUT:-600}" --bats \
	--bin "$ocirt" --dir "$stage:$repo" "${bins[@]}" "${mods[@]}" "${extra[@]}" \
	--cmd "$cmd" | tee "$out" || st=${PIPESTATUS[0]}

say "done in $(elapsed)s (VM exit $st)"
tap_summary vmcheck "$out" "$st" run-vm
