#!/bin/bash
# soak.sh [N] - N create/start/kill/delete cycles of one container, then
# prove that nothing grew: ocirt leaks no fd, mount, cgroup dir, process or
# memory over many runs.
#
# Checked (exit 1 on a leak):
#   - this script's own open fds (an fd ocirt passes down and forgets);
#   - mounts under the work dir, and the host's mount count in our mount
#     namespace;
#   - cgroup dirs under the soak's own parent (/ocirt-soak-<pid>) in every
#     hierarchy: none may be left;
#   - processes: none in our cgroups, none touching the bundle, no shim;
#   - the shim's fd count is the same in every cycle;
#   - the state root is empty again;
#   - peak RSS of create, start and delete (/usr/bin/time -f %M): the median
#     of the last 10% of cycles is not above the median of the first 10%
#     (plus 10% and 256 KiB of slack for allocator noise).
# Reported, and checked only with SOAK_HOST_STRICT=1 (other work on a shared
# host moves these): /proc/sys/fs/file-nr, all mounts, all cgroup dirs, all
# processes.
#
# Environment: OCIRT (runtime, default ./ocirt of this repo), SOAK_DIR (work
# dir, default a fresh mktemp -d, removed at the end).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
n=${1:-100}
ocirt_bin=${OCIRT:-$repo/ocirt}
own_dir=0
if [[ -z ${SOAK_DIR:-} ]]; then
	SOAK_DIR=$(mktemp -d /tmp/ocirt-soak.XXXXXX)
	own_dir=1
fi
root=$SOAK_DIR/state
bundle=$SOAK_DIR/bundle
id=soak-$$
parent=ocirt-soak-$$
timef=$SOAK_DIR/time.out
failures=()

die() { echo "soak: $*" >&2; exit 2; }
[[ -x $ocirt_bin ]] || die "$ocirt_bin is not built"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install -y time)"

oc() { timeout -k 5 30 "$ocirt_bin" --root "$root" "$@" </dev/null; }

# timed VERB ARGS... - run `ocirt VERB ARGS...`, append "VERB KiB" to
# $SOAK_DIR/rss.
timed() {
	local verb=$1 st
	/usr/bin/time -o "$timef" -f %M timeout -k 5 30 "$ocirt_bin" --root "$root" "$@" \
		</dev/null >>"$SOAK_DIR/out.log" 2>&1
	st=$?
	echo "$verb $(tail -1 "$timef")" >>"$SOAK_DIR/rss"
	return $st
}

fd_count() { local a=(/proc/$$/fd/*); echo ${#a[@]}; }
our_mounts() { grep -cF " $SOAK_DIR" /proc/self/mountinfo; }
all_mounts() { wc -l </proc/self/mountinfo; }
all_cgroups() { find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | wc -l; }
our_cgroups() { find /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent" -mindepth 1 -type d 2>/dev/null | wc -l; }
all_procs() { local a=(/proc/[0-9]*); echo ${#a[@]}; }
file_nr() { awk '{print $1}' /proc/sys/fs/file-nr; }
# Processes of this soak: in our cgroups, or naming our id (CLI, shim).
our_procs() {
	{
		cat /sys/fs/cgroup/*/"$parent"/*/cgroup.procs 2>/dev/null
		grep -lsa -- "[s]oak-$$" /proc/[0-9]*/cmdline | cut -d/ -f3
	} | sort -u | while read -r p; do
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		[[ -e /proc/$p ]] && echo "$p"
	done
}

snapshot() {
	echo "$(fd_count) $(our_mounts) $(all_mounts) $(our_cgroups) $(all_cgroups) $(all_procs) $(file_nr)"
}

"$repo/rootfs-tools/mkbundle.sh" --set ".linux.cgroupsPath=\"/$parent/$id\"" \
	--set '.root.readonly=false' "$bundle" "$ocirt_bin" -- sleep 1000 >/dev/null ||
	die "mkbundle failed"
mkdir -p "$root"
: >"$SOAK_DIR/rss"
: >"$SOAK_DIR/shimfds"

# One warm-up cycle, so that first-use caches (page cache, dentries, the
# cgroup parent) are not counted as growth.
oc create --bundle "$bundle" "$id" >/dev/null 2>&1 && oc delete --force "$id" >/dev/null 2>&1
read -r fd0 om0 am0 oc0 ac0 ap0 fnr0 < <(snapshot)
t0=$SECONDS

for ((i = 1; i <= n; i++)); do
	if ! timed create --bundle "$bundle" "$id"; then
		failures+=("cycle $i: create failed: $(tail -1 "$SOAK_DIR/out.log")")
		oc delete --force "$id" >/dev/null 2>&1
		continue
	fi
	timed start "$id" || failures+=("cycle $i: start failed")
	shim=$(oc state "$id" 2>/dev/null | jq -r '.pid' 2>/dev/null)
	shim=$(awk '{print $4}' "/proc/$shim/stat" 2>/dev/null)
	if [[ -n $shim && -d /proc/$shim/fd ]]; then
		a=(/proc/"$shim"/fd/*)
		echo "${#a[@]}" >>"$SOAK_DIR/shimfds"
	fi
	oc kill "$id" KILL >/dev/null 2>&1 || failures+=("cycle $i: kill failed")
	for _ in $(seq 100); do
		[[ $(oc state "$id" 2>/dev/null | jq -r .status) == stopped ]] && break
		sleep 0.02
	done
	timed delete "$id" || failures+=("cycle $i: delete failed: $(tail -1 "$SOAK_DIR/out.log")")
	if ((${#failures[@]} > 10)); then
		failures+=("stopping after cycle $i")
		break
	fi
done
elapsed=$((SECONDS - t0))

# Let killed processes leave /proc before counting.
for _ in $(seq 50); do
	[[ -z $(our_procs) ]] && break
	sleep 0.1
done
read -r fd1 om1 am1 oc1 ac1 ap1 fnr1 < <(snapshot)
left_procs=$(our_procs | tr '\n' ' ')
left_state=$(ls -A "$root")

# rss_median VERB FROM TO - median peak RSS (KiB) of VERB in cycles FROM..TO.
rss_median() {
	awk -v v="$1" '$1 == v {print $2}' "$SOAK_DIR/rss" | sed -n "$2,$3p" | sort -n |
		awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'
}
tenth=$(((n + 9) / 10))

check() { # NAME BEFORE AFTER TOLERANCE
	local mark=ok
	(($3 - $2 > $4)) && { mark=LEAK; failures+=("$1 grew from $2 to $3"); }
	printf '  %-34s %8s %8s  %s\n' "$1" "$2" "$3" "$mark"
}
report() { # NAME BEFORE AFTER
	printf '  %-34s %8s %8s  %s\n' "$1" "$2" "$3" "(host-wide, $(( $3 - $2 >= 0 ? $3 - $2 : $2 - $3 )) apart)"
}

echo "soak: $n cycles of create/start/kill/delete in ${elapsed}s"
printf '  %-34s %8s %8s\n' what before after
check "fds of the soak's shell" "$fd0" "$fd1" 0
check "mounts under the soak dir" "$om0" "$om1" 0
check "cgroup dirs under /$parent" "$oc0" "$oc1" 0
check "processes of the soak" 0 "$(wc -w <<<"$left_procs")" 0
check "entries in the state root" 0 "$(wc -w <<<"$left_state")" 0
if [[ ${SOAK_HOST_STRICT:-0} == 1 ]]; then
	check "mounts (all)" "$am0" "$am1" 0
	check "cgroup dirs (all)" "$ac0" "$ac1" 0
	check "processes (all)" "$ap0" "$ap1" 5
	check "/proc/sys/fs/file-nr" "$fnr0" "$fnr1" 64
else
	report "mounts (all)" "$am0" "$am1"
	report "cgroup dirs (all)" "$ac0" "$ac1"
	report "processes (all)" "$ap0" "$ap1"
	report "/proc/sys/fs/file-nr" "$fnr0" "$fnr1"
fi
if [[ -s $SOAK_DIR/shimfds ]]; then
	lo=$(sort -n "$SOAK_DIR/shimfds" | head -1)
	hi=$(sort -n "$SOAK_DIR/shimfds" | tail -1)
	check "fds of the shim (min, max)" "$lo" "$hi" 0
fi
for verb in create start delete; do
	first=$(rss_median "$verb" 1 "$tenth")
	last=$(rss_median "$verb" $((n - tenth + 1)) "$n")
	check "peak RSS KiB of $verb (median)" "$first" "$last" $((first / 10 + 256))
done
[[ -n $left_procs ]] && failures+=("processes left: $left_procs")
[[ -n $left_state ]] && failures+=("state root not empty: $left_state")

rmdir /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent" 2>/dev/null
((own_dir)) && rm -rf "$SOAK_DIR"
if ((${#failures[@]})); then
	printf 'soak: FAIL: %s\n' "${failures[@]}"
	exit 1
fi
echo "soak: ok"
