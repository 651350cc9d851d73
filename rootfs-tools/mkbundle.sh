#!/bin/bash
# mkbundle.sh [--copy|--link] [--set JQ]... DIR [RUNTIME] [-- CMD [ARG]...]
#
# Make an OCI bundle in DIR: DIR/rootfs (a busybox rootfs) and
# DIR/config.json from `RUNTIME spec`, with .process.terminal=false and
# .process.args set to CMD (default: the spec's own, `sh`).
#
#   --copy      DIR/rootfs is a real copy (cp -a) of the cached rootfs:
#               use it when the container writes to files that already exist.
#   --link      DIR/rootfs is a hard-link copy (cp -al): fast and small, but
#               the files are shared with the cache, so never write to them
#               (creating new files is fine). This is the default.
#   --set JQ    apply a jq filter to config.json, e.g.
#               --set '.hostname="box"' --set '.root.readonly=true'.
#               May be repeated; applied in order after the defaults.
#
# RUNTIME defaults to ./ocirt if it exists, else runc.
# The rootfs is built once by mkrootfs.sh into tests/.work/rootfs-cache/<key>
# (override with ROOTFS_CACHE) and reused.
#
# Helpers for scripts: `mkbundle.sh --edit DIR JQ...` applies jq filters to
# an existing DIR/config.json in place.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# The cache is keyed by mkrootfs.sh and the busybox it copies, so a change
# to either builds a fresh rootfs instead of reusing a stale one.
busybox=${BUSYBOX:-/bin/busybox}
key=$({ cat "$here/mkrootfs.sh"; stat -L -c '%s %Y' "$busybox"; } 2>/dev/null | sha1sum | cut -c1-12)
cache=${ROOTFS_CACHE:-$repo/tests/.work/rootfs-cache/$key}

die() { echo "mkbundle: $*" >&2; exit 1; }

# edit_config FILE JQ... - apply each filter in turn, atomically.
edit_config() {
	local file=$1 tmp
	shift
	for f in "$@"; do
		tmp=$(mktemp "$file.XXXXXX")
		if ! jq "$f" "$file" > "$tmp"; then
			rm -f "$tmp"
			die "jq filter failed: $f"
		fi
		mv "$tmp" "$file"
	done
}

# ensure_cache - build the shared rootfs once, race-free: build aside, rename.
ensure_cache() {
	[[ -x $cache/bin/busybox ]] && return 0
	mkdir -p "$(dirname "$cache")"
	(
		flock 9
		[[ -x $cache/bin/busybox ]] && exit 0
		tmp=$(mktemp -d "$cache.tmp.XXXXXX")
		"$here/mkrootfs.sh" "$tmp"
		chmod 0755 "$tmp"
		mv -T "$tmp" "$cache"
	) 9>"$cache.lock"
}

if [[ ${1:-} == --edit ]]; then
	shift
	dir=${1:?usage: mkbundle.sh --edit DIR JQ...}
	shift
	edit_config "$dir/config.json" "$@"
	exit 0
fi

mode=link
sets=()
while (($#)); do
	case $1 in
	--copy) mode=copy; shift ;;
	--link) mode=link; shift ;;
	--set) sets+=("${2:?--set needs a jq filter}"); shift 2 ;;
	-h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
dir=${1:?usage: mkbundle.sh [--copy|--link] [--set JQ]... DIR [RUNTIME] [-- CMD...]}
shift
runtime=
if (($#)) && [[ $1 != -- ]]; then
	runtime=$1
	shift
fi
[[ ${1:-} == -- ]] && shift
if [[ -z $runtime ]]; then
	if [[ -x ./ocirt ]]; then runtime=./ocirt; else runtime=runc; fi
fi

ensure_cache
mkdir -p "$dir"
if [[ ! -e $dir/rootfs ]]; then
	if [[ $mode == copy ]]; then
		cp -a "$cache" "$dir/rootfs"
	else
		cp -al "$cache" "$dir/rootfs"
	fi
fi

rm -f "$dir/config.json"
"$runtime" spec --bundle "$dir" || die "'$runtime spec' failed"
if (($#)); then
	tmp=$(mktemp "$dir/config.json.XXXXXX")
	# jq would take "-c" and friends as its own options: encode with python.
	args=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@")
	jq --argjson a "$args" '.process.args=$a' "$dir/config.json" > "$tmp"
	mv "$tmp" "$dir/config.json"
fi
edit_config "$dir/config.json" '.process.terminal=false' ${sets[@]+"${sets[@]}"}
