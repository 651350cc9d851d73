#!/bin/bash
# demo.sh - show ocirt running a busybox container, step by step.
#
# Builds a bundle under tests/.work/demo, then:
#   1. `run` in the foreground: echo, hostname, id, ps inside the container;
#   2. the lifecycle one verb at a time: create, state, start, state, list,
#      logs (when the runtime has it), kill, state, delete.
# Uses ${OCIRT:-./ocirt} and a private state root; cleans up after itself.
set -euo pipefail

cd "$(dirname "$0")/.."
OCIRT=${OCIRT:-./ocirt}
if ! command -v "$OCIRT" >/dev/null 2>&1; then
	echo "demo: runtime '$OCIRT' not found (build it with 'make', or set OCIRT=runc)" >&2
	exit 1
fi
work=tests/.work/demo
root=$(mktemp -d /tmp/ocirt-demo-root.XXXXXX)
id=demo-$$
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

cleanup() {
	"$OCIRT" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	"$OCIRT" --root "$root" delete --force "$id-bg" >/dev/null 2>&1 || true
	rm -rf "$root" "$work"
	rmdir /sys/fs/cgroup/*/ocirt-demo 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$work"
rootfs-tools/mkbundle.sh --set '.hostname="ocirt-demo"' \
	--set ".linux.cgroupsPath=\"/ocirt-demo/$id\"" \
	"$work" "$OCIRT" -- sh -c 'echo hello from ocirt; hostname; id; ps'

echo "bundle: $work (rootfs: busybox, config.json from '$OCIRT spec')"
step "$OCIRT" --root "$root" run --bundle "$work" "$id"
echo "(exit status $?)"

# The same bundle with a long-running process, driven one verb at a time.
rootfs-tools/mkbundle.sh --edit "$work" \
	'.process.args=["sh","-c","echo started as pid $$ in $(hostname); exec sleep 1000"]' \
	".linux.cgroupsPath=\"/ocirt-demo/$id-bg\""
id=$id-bg
step "$OCIRT" --root "$root" create --bundle "$work" --pid-file "$work/pid" "$id"
echo "pid file: $(cat "$work/pid")"
step "$OCIRT" --root "$root" state "$id"
step "$OCIRT" --root "$root" start "$id"
sleep 0.2
step "$OCIRT" --root "$root" state "$id"
step "$OCIRT" --root "$root" list
# A standalone ocirt keeps the output of a detached container in its shim's
# log (runc has no such verb: there the output went to this terminal).
if "$OCIRT" logs --help >/dev/null 2>&1; then
	step "$OCIRT" --root "$root" logs "$id"
fi
step "$OCIRT" --root "$root" kill "$id" KILL
for _ in $(seq 50); do
	[[ $("$OCIRT" --root "$root" state "$id" | jq -r .status) == stopped ]] && break
	sleep 0.1
done
step "$OCIRT" --root "$root" state "$id"
step "$OCIRT" --root "$root" delete "$id"
step "$OCIRT" --root "$root" list
echo
echo "demo done"
