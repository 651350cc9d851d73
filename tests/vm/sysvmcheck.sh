#!/bin/bash
# sysvmcheck.sh - `make sysvmcheck`: run the systemd-host suites
# (tests/bats/sysvm/*.bats) inside the systemd test VM (tests/vm/sysvm.sh:
# Debian 12, systemd PID 1, cgroup v2, AppArmor, the managers) and print
# their TAP.
#
# One boot runs `bats --tap SUITES...` with the repo shared at its own path
# (so ./ocirt, helpers.bash and rootfs-tools are the host's), then prints
#   sysvmcheck: N passed, N failed[, N skipped]
#
# Environment:
#   SYSVM_SUITES   suites to run, globs relative to the repo (default
#                  "tests/bats/sysvm/*.bats")
#   SYSVM_FILTER   passed to bats --filter (a regex on test names)
#   SYSVM_ENV      "NAME=VALUE ..." exported in the VM before bats, e.g.
#                  "OCIRT_TEST_RUNTIME=runc" (no spaces inside a value)
#   SYSVM_TIMEOUT  seconds for the whole VM run, boot included (default 2700:
#                  the suites take 1200-1370 s here; a hang is SYSVM_STALL's)
#   SYSVM_STALL    seconds without a line of TAP after which the VM reports
#                  what it is doing and is stopped (default 600: twice the
#                  per-test timeout, so only bats itself stuck trips it)
#   BATS_TEST_TIMEOUT  per test, in the VM (default 300; 0: none)
#   OCIRT_TEST_RUNTIME  the runtime under test in the VM, as on the host
#                  (default ./ocirt; "runc" is the VM's own runc)
# Exit status: 0 when every test passed (skips allowed), 1 otherwise, and
# when the VM failed (timeout, no status) or ran no test. If the image
# cannot be built here (no root, no package access), prints
# "SKIP sysvmcheck: <reason>" and exits 0.
set -uo pipefail
# The whole script is one compound command, read before it runs: the file
# may be edited (or checked out) while a long VM run is using it.
{
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
fi
(($# == 0)) || { echo "usage: $0 (settings through the environment, see --help)" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1
t0=$(date +%s.%N)
say() { echo "sysvmcheck: $*" >&2; }
fail() { echo "sysvmcheck: ERROR: $*" >&2; echo "sysvmcheck: 0 passed, 1 failed"; exit 1; }
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=tests/vm/tally.sh
. "$here/tally.sh"

if [[ ${OCIRT_TEST_RUNTIME:-} != runc ]]; then
	rt=${OCIRT_TEST_RUNTIME:-./ocirt}
	[[ -x $rt ]] || fail "$rt is not built (run make)"
fi

shopt -s nullglob
suites=()
for g in ${SYSVM_SUITES:-tests/bats/sysvm/*.bats}; do
	for f in $g; do [[ -f $f ]] && suites+=("$f"); done
done
shopt -u nullglob
((${#suites[@]})) || fail "no suite matches '${SYSVM_SUITES:-tests/bats/sysvm/*.bats}'"

# The image first (a cold build takes minutes; say so apart from the run).
built=$("$here/sysvm-build.sh")
case $? in
0) ;;
77) echo "${built/SKIP sysvm:/SKIP sysvmcheck:}"; exit 0 ;;
*) fail "building the VM image failed (tests/vm/sysvm-build.sh)" ;;
esac
say "image ready ($(elapsed)s)"

vm_env=(OCIRT_IN_SYSVM=1)
[[ -n ${OCIRT_TEST_RUNTIME:-} ]] && vm_env+=("OCIRT_TEST_RUNTIME=$OCIRT_TEST_RUNTIME")
# Per-test timeout; 0 means none (the VM's own timeout still applies).
bto=${BATS_TEST_TIMEOUT:-300}
[[ $bto == 0 ]] || vm_env+=("BATS_TEST_TIMEOUT=$bto")
# shellcheck disable=SC2206
vm_env+=(${SYSVM_ENV:-})
filter=()
[[ -n ${SYSVM_FILTER:-} ]] && filter=(--filter "$SYSVM_FILTER")

say "booting the VM for ${#suites[@]} suite(s): ${suites[*]}"
out=$(mktemp "${TMPDIR:-/tmp}/sysvmcheck-out.XXXXXX")
trap 'rm -f "$out"' EXIT
st=0
"$here/sysvm.sh" --timeout "${SYSVM_TIMEOUT:-2700}" --stall "${SYSVM_STALL:-600}" -- \
	env "${vm_env[@]}" bats --tap "${filter[@]}" "${suites[@]}" | tee "$out" || st=${PIPESTATUS[0]}

if grep -q '^SKIP sysvm:' "$out"; then
	echo "$(grep '^SKIP sysvm:' "$out" | sed 's/^SKIP sysvm:/SKIP sysvmcheck:/')"
	exit 0
fi
say "done in $(elapsed)s (VM exit $st)"
tap_summary sysvmcheck "$out" "$st" sysvm
exit
}
