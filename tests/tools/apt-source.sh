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
apt-get "${opts[@]}" update >/dev/null
(cd "$dir" && apt-get "${opts[@]}" source --download-only "$pkg=$(dpkg-query -W -f '${Version}' "$pkg")" >/dev/null 2>&1)
mkdir -p "$dir/$pkg"
tar -xf "$(ls "$dir/${pkg}"_*.orig.tar.* | grep -v '\.asc$')" -C "$dir/$pkg" --strip-components=1
