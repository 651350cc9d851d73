#!/bin/bash
# apt-source.sh PACKAGE DIR - unpack the upstream source of the installed
# version of PACKAGE into DIR/PACKAGE (its orig tarball, from Debian's
# deb-src of the suite the host's packages come from), in a private apt
# state under DIR: the host's sources and lists stay as they are. Does
# nothing when DIR/PACKAGE is there already. Used by runc-suite.sh and
# crun-suite.sh.
set -euo pipefail

pkg=$1 dir=$2
[[ -d $dir/$pkg ]] && exit 0
lists=$dir/apt/lists
mkdir -p "$lists/partial" "$dir/apt/parts"
sed -n 's/^Types: deb$/Types: deb-src/p; /^URIs:/p; /^Suites:/p; /^Components:/p; /^Signed-By:/p' \
	/etc/apt/sources.list.d/debian.sources | awk 'NR<=5' >"$dir/apt/parts/src.sources"
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/apt/parts"
	-o "Dir::State::Lists=$lists")
version=$(dpkg-query -W -f '${Version}' "$pkg") || { echo "apt-source: $pkg is not installed" >&2; exit 1; }
apt-get "${opts[@]}" update >/dev/null
if ! (cd "$dir" && apt-get "${opts[@]}" source --download-only "$pkg=$version" >"$dir/apt/source.log" 2>&1); then
	echo "apt-source: cannot fetch the source of $pkg $version (see $dir/apt/source.log)" >&2
	exit 1
fi
# Unpacked beside DIR/PACKAGE and renamed once whole: a failed unpack
# leaves no DIR/PACKAGE that the next run would take as done.
tmp=$(mktemp -d "$dir/.$pkg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xf "$(ls "$dir/${pkg}"_*.orig.tar.* | grep -v '\.asc$')" -C "$tmp" --strip-components=1
mv "$tmp" "$dir/$pkg"
