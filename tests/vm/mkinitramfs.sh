#!/bin/bash
# mkinitramfs.sh -o OUT [OPTIONS] - build the test VM's initramfs (a cpio).
#
# The VM's whole system lives in this archive: no disk, no virtio. It holds
#   * busybox (every applet, merged-/usr layout like Debian 12) and our init,
#   * host programs with the shared libraries ldd names (and ld-linux),
#   * payload directories/files, copied as they are,
#   * kernel modules of the VM kernel (with their dependencies, in load
#     order), which init loads at boot.
#
# Options (each may be repeated):
#   -o FILE             output archive (required); gzip it if FILE ends in .gz
#   --kver VER          kernel version of the modules (default: prepare.sh's)
#   --bin PROG          copy a host program (path or name in PATH) and its
#                       libraries to the same path in the VM
#   --dir SRC[:DEST]    copy directory SRC (its content) to DEST (default SRC)
#   --file SRC[:DEST]   copy one file to DEST (default SRC), links dereferenced
#   --module NAME       load kernel module NAME (and what it depends on) at boot
#   --ko FILE           ship a .ko built elsewhere in /lib/modules/extra/
#                       (not loaded by init: the test loads it with insmod)
#   --list FILE         read more options from FILE, one per line, as
#                       "bin PROG", "dir SRC[:DEST]", "file SRC[:DEST]",
#                       "module NAME", "ko FILE" ('#' starts a comment)
#   --bats              shortcut: bash, bats (core, bats-support,
#                       bats-assert) and the tools bats and the suites use
#
# Paths in DEST are absolute paths inside the VM. Builds in a temporary
# staging directory; the archive is written atomically.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "mkinitramfs: ERROR: $*" >&2; exit 1; }

out= kver=
bins=() dirs=() files=() modules=() kos=()
add_opt() { # VERB ARG
	case $1 in
	bin|--bin) bins+=("$2") ;;
	dir|--dir) dirs+=("$2") ;;
	file|--file) files+=("$2") ;;
	module|--module) modules+=("$2") ;;
	ko|--ko) kos+=("$2") ;;
	bats|--bats) add_bats ;;
	*) die "unknown payload verb '$1'" ;;
	esac
}
# The GNU userland the suites expect (busybox fills in the rest): all of
# coreutils, grep, sed, find, awk, diff, and util-linux/procps/iproute2
# tools container tests use. Missing ones are left to busybox.
TOOLS=(bash jq grep sed find xargs awk diff cmp flock unshare nsenter setpriv
	mount umount prlimit mountpoint setsid lsns ps pgrep pkill kill ip getconf)
add_bats() {
	local t
	for t in "${TOOLS[@]}"; do
		command -v "$t" >/dev/null && [[ $(type -t "$t") == file ]] && bins+=("$t")
	done
	if [[ ${VM_COREUTILS:-1} == 1 ]]; then
		while IFS= read -r t; do
			[[ -f $t && -x $t ]] && bins+=("$t")
		done < <(dpkg -L coreutils 2>/dev/null | grep -E '^(/usr)?/bin/[^/]+$')
	else
		bins+=(stat)
	fi
	dirs+=(/usr/lib/bats-core /usr/libexec/bats-core)
	[[ -d /usr/lib/bats ]] && dirs+=(/usr/lib/bats)
	files+=(/usr/bin/bats)
	# VM_JQ=gojq: gojq (static, ~10x faster start; sorts object keys) as
	# jq in the VM. jq 1.6 spends ~0.5 s per call under TCG.
	if [[ ${VM_JQ:-jq} == gojq ]]; then
		command -v gojq >/dev/null || die "VM_JQ=gojq: gojq is not installed (tests/vm/prepare.sh installs it)"
		files+=("$(command -v gojq):/usr/bin/jq")
	fi
}
read_list() {
	local verb arg
	while read -r verb arg; do
		[[ -z $verb || $verb == \#* ]] && continue
		add_opt "$verb" "$arg"
	done <"$1"
}
while (($#)); do
	case $1 in
	-o) out=${2:?}; shift 2 ;;
	--kver) kver=${2:?}; shift 2 ;;
	--bin|--dir|--file|--module|--ko) add_opt "$1" "${2:?$1 needs an argument}"; shift 2 ;;
	--list) read_list "${2:?}"; shift 2 ;;
	--bats) add_bats; shift ;;
	-h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1" ;;
	esac
done
[[ -n $out ]] || die "usage: mkinitramfs.sh -o OUT [--bin P] [--dir S:D] [--file S:D] [--module M] [--list F]"

if [[ -z $kver ]]; then
	eval "$("$here/prepare.sh")"
	kver=$KVER
fi
moddir=${MODDIR:-$(cd "$here/../.." && pwd)/tests/.work/vm/$kver/root/lib/modules/$kver}

stage=$(mktemp -d "${TMPDIR:-/tmp}/vm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Merged /usr, as on the host, so host paths (/bin/bash, /lib64/ld-linux...)
# and their /usr twins both resolve.
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/{etc,proc,sys,dev,run,tmp,root,newroot,mnt,var/tmp}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
chmod 1777 "$stage/tmp" "$stage/var/tmp"
chmod 0700 "$stage/root"

# copy_file SRC DEST - DEST inside the VM; a link in the way is replaced.
copy_file() {
	local src=$1 dst=$stage$2
	mkdir -p "$(dirname "$dst")"
	rm -f "$dst"
	cp -L --preserve=mode "$src" "$dst"
}

# Program and its libraries.
copy_bin() {
	local p=$1 lib
	if [[ $p == */* ]]; then
		p=$(realpath -s "$p")
	else
		p=$(command -v "$p") || die "program '$1' not found on the host"
	fi
	[[ -f $p ]] || die "program '$p' not found"
	copy_file "$p" "$p"
	# Shared libraries, if dynamic ("not a dynamic executable" otherwise).
	while read -r lib; do
		[[ -n $lib ]] && copy_file "$lib" "$lib"
	done < <(ldd "$p" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}')
}

[[ -x /bin/busybox ]] || die "/bin/busybox missing (apt-get install busybox-static)"
copy_file /bin/busybox /usr/bin/busybox
for b in "${bins[@]}"; do copy_bin "$b"; done
for spec in "${dirs[@]}"; do
	src=${spec%%:*}
	dst=${spec#*:}
	[[ $spec == *:* ]] || dst=$(realpath -s "$src")
	[[ -d $src ]] || die "payload directory '$src' not found"
	mkdir -p "$stage$dst"
	cp -a "$src/." "$stage$dst/"
done
for spec in "${files[@]}"; do
	src=${spec%%:*}
	dst=${spec#*:}
	[[ $spec == *:* ]] || dst=$(realpath -s "$src")
	[[ -e $src ]] || die "payload file '$src' not found"
	copy_file "$src" "$dst"
done

# Kernel modules: NAME and its dependencies from modules.dep, deepest first.
if ((${#modules[@]})); then
	[[ -f $moddir/modules.dep ]] || die "no $moddir/modules.dep (run tests/vm/prepare.sh)"
	declare -A seen=()
	order=()
	mod_path() { # NAME -> relative path in modules.dep
		local n=${1//-/_} line
		line=$(awk -F: -v n="$n" '{ b=$1; sub(".*/", "", b); sub("\\.ko$", "", b); gsub("-", "_", b); if (b == n) { print $1; exit } }' "$moddir/modules.dep")
		echo "$line"
	}
	visit() { # RELPATH
		local rel=$1 dep
		[[ -n ${seen[$rel]:-} ]] && return 0
		seen[$rel]=1
		for dep in $(awk -F: -v r="$rel" '$1 == r { print $2; exit }' "$moddir/modules.dep"); do
			visit "$dep"
		done
		order+=("$rel")
	}
	for m in "${modules[@]}"; do
		if grep -qE "/${m//-/[-_]}\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
			echo "mkinitramfs: module $m is built in" >&2
			continue
		fi
		rel=$(mod_path "$m")
		[[ -n $rel ]] || die "kernel module '$m' not found in $moddir"
		visit "$rel"
	done
	vmmod=/usr/lib/modules/$kver
	mkdir -p "$stage$vmmod"
	: >"$stage/etc/vm-modules"
	for rel in "${order[@]}"; do
		copy_file "$moddir/$rel" "$vmmod/$rel"
		grep -E "^$rel:" "$moddir/modules.dep" >>"$stage$vmmod/modules.dep"
		echo "$vmmod/$rel" >>"$stage/etc/vm-modules"
	done
	cp "$moddir/modules.builtin" "$stage$vmmod/" 2>/dev/null || true
fi
for ko in "${kos[@]}"; do
	[[ -f $ko ]] || die "module file '$ko' not found"
	copy_file "$ko" "/usr/lib/modules/extra/$(basename "$ko")"
done

# busybox applets where no real program was copied.
while read -r a; do
	a=${a#/}
	case $a in bin/*|sbin/*) a=usr/$a ;; esac
	[[ -e $stage/$a || -L $stage/$a ]] && continue
	mkdir -p "$stage/$(dirname "$a")"
	ln -s /usr/bin/busybox "$stage/$a"
done < <(/bin/busybox --list-full)
[[ -e $stage/usr/bin/sh ]] || ln -s busybox "$stage/usr/bin/sh"

# python3: if the payload has none, a stand-in for the one snippet
# rootfs-tools/mkbundle.sh uses (json.dumps(sys.argv[1:])), done with jq.
if [[ ! -e $stage/usr/bin/python3 && -e $stage/usr/bin/jq ]]; then
	cat >"$stage/usr/bin/python3" <<'PY'
#!/bin/sh
# VM stand-in for python3 (the VM has no python): only json.dumps(sys.argv[1:]).
if [ "$1" = -c ] && [ "$2" = 'import json, sys; print(json.dumps(sys.argv[1:]))' ]; then
	shift 2
	# --arg values are never taken as options (unlike --args ones: "-c").
	n=$# i=0 f=
	for a do
		set -- "$@" --arg "a$i" "$a"
		f="$f${f:+,}\$a$i"
		i=$((i + 1))
	done
	shift "$n"
	exec jq -cn "$@" "[$f]"
fi
echo "python3: not available in the test VM (only a jq stand-in for json.dumps(sys.argv[1:]))" >&2
exit 127
PY
	chmod 0755 "$stage/usr/bin/python3"
fi

# /init and a minimal /etc.
install -m 0755 "$here/init" "$stage/init"
echo "$kver" >"$stage/etc/vm-kver"
cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo ocirt-vm >"$stage/etc/hostname"
echo '127.0.0.1 localhost ocirt-vm' >"$stage/etc/hosts"
: >"$stage/etc/resolv.conf"
ln -s /proc/self/mounts "$stage/etc/mtab"

tmp=$(mktemp "$out.XXXXXX")
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	if [[ $out == *.gz ]]; then gzip -1; else cat; fi >"$tmp"
mv "$tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1))" >&2
