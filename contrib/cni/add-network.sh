#!/bin/bash
# add-network.sh [--ocirt-net PATH] [--arg ARG]... BUNDLE [CONFLIST]
#
# Give the container of BUNDLE its own network namespace, connected to a CNI
# network by ocirt-net hooks. Edits BUNDLE/config.json in place (atomically):
#
#   - linux.namespaces gets {"type": "network"} (without a path) unless a
#     network namespace is already there;
#   - hooks.createRuntime gets  ocirt-net add --conflist CONFLIST [ARG...]
#   - hooks.poststop gets       ocirt-net del --conflist CONFLIST [ARG...]
#
# createRuntime hooks run in the runtime's namespaces once the container's
# namespaces exist, so ocirt-net can reach /proc/<pid>/ns/net; poststop
# hooks run after the container is gone, and ocirt-net del works from what
# add recorded. Running the script twice does not add the hooks twice.
#
#   CONFLIST        default: /etc/cni/net.d/ocirt.conflist (install
#                   contrib/cni/ocirt.conflist there); made absolute.
#   --ocirt-net P   the hook binary (default: ocirt-net on PATH, else
#                   /usr/local/bin/ocirt-net); made absolute.
#   --arg ARG       one more argument for both hooks, e.g.
#                   --arg --state-dir --arg /run/my-net, or
#                   --arg --netns-of-host --arg /run/netns/host (tests).
#
# The jq recipe, for doing the same by hand:
#   jq --arg bin /usr/local/bin/ocirt-net --arg conf /etc/cni/net.d/ocirt.conflist '
#     .linux.namespaces |= (if any(.[]; .type == "network") then .
#                           else . + [{"type": "network"}] end)
#     | .hooks.createRuntime += [{"path": $bin, "args": ["ocirt-net", "add", "--conflist", $conf]}]
#     | .hooks.poststop      += [{"path": $bin, "args": ["ocirt-net", "del", "--conflist", $conf]}]'
set -euo pipefail

die() { echo "add-network: $*" >&2; exit 1; }

bin=
extra=()
while (($#)); do
	case $1 in
	--ocirt-net) bin=$2; shift 2 ;;
	--arg) extra+=("$2"); shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
(($# >= 1 && $# <= 2)) || die "usage: add-network.sh [--ocirt-net PATH] [--arg ARG]... BUNDLE [CONFLIST]"
bundle=$1
conf=${2:-/etc/cni/net.d/ocirt.conflist}
config=$bundle/config.json
[[ -f $config ]] || die "$config: no such file"
[[ -f $conf ]] || die "$conf: no such conflist"
conf=$(realpath "$conf")
if [[ -z $bin ]]; then
	bin=$(command -v ocirt-net || echo /usr/local/bin/ocirt-net)
fi
[[ $bin == /* ]] || bin=$(realpath "$bin")

tmp=$(mktemp "$config.XXXXXX")
trap 'rm -f "$tmp"' EXIT
extra_json=$(jq -cn '$ARGS.positional' --args -- "${extra[@]}")
jq --arg bin "$bin" --arg conf "$conf" --argjson extra "$extra_json" '
	def hook($cmd): {"path": $bin, "args": (["ocirt-net", $cmd, "--conflist", $conf] + $extra)};
	def add_once($h): (. // []) | if any(.[]; . == $h) then . else . + [$h] end;
	.linux.namespaces |= ((. // []) | if any(.[]; .type == "network") then . else . + [{"type": "network"}] end)
	| .hooks.createRuntime |= add_once(hook("add"))
	| .hooks.poststop |= add_once(hook("del"))
'  <"$config" >"$tmp"
chmod --reference="$config" "$tmp"
mv "$tmp" "$config"
trap - EXIT
