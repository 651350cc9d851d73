#!/usr/bin/env bats
# testsuite.bats - what make demo and make check rely on, on a fresh
# Debian 12: the packages tests/install-deps.sh installs, and suites that
# run the same on Debian's bats (1.8).

load helpers

# deps_closure LIST - the packages install-deps.sh's LIST (BUILD_PKGS or
# CHECK_PKGS) names, with every package they depend on, one per line.
deps_closure() {
	local -a BUILD_PKGS CHECK_PKGS
	eval "$(sed -n '/^BUILD_PKGS=/,/^case /{/^case /d;p}' "$REPO/tests/install-deps.sh")"
	local -n list=$1
	((${#list[@]} > 0)) || fail "install-deps.sh has no $1"
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${list[@]}" | grep -v '^ ' | sort -u
}

# owners FILE... - the packages that installed these files, one per line.
owners() {
	dpkg-query -S "$@" | cut -d: -f1 | tr ',' '\n' | tr -d ' ' | sort -u
}

need_debian() {
	command -v dpkg-query >/dev/null && command -v apt-cache >/dev/null || skip "not a Debian host"
}

# make demo runs `install-deps.sh build` and then `make all`: every header
# and library the build uses must come from a package that list names, or
# from one those depend on. (sd-bus.h's libsystemd-dev was missing once:
# make demo failed where it was not already installed.)
@test "install-deps.sh build installs the package of every header and library make all uses" {
	ocirt_only "install-deps.sh is ocirt's"
	need_debian
	local closure files pkgs missing=() p l BUILD_PKGS
	closure=$(deps_closure BUILD_PKGS)
	# Every file the compiler reads for each source, system headers included.
	files=$(cd "$REPO" && for f in oci/*.c src/*/*.c; do
		cc -M -std=gnu11 -D_GNU_SOURCE $(pkg-config --cflags yajl 2>/dev/null) "$f"
	done | tr ' \\' '\n\n' | grep '^/' | xargs realpath | sort -u)
	[[ $files == */systemd/sd-bus.h* && $files == */yajl/* ]] || fail "cc -M did not list the system headers"
	# The libraries make links statically (-lX becomes libX.a).
	for l in $(sed -n 's/^LDLIBS_STATIC := //p' "$REPO/Makefile" | grep -o -- '-l[a-z_0-9]*'); do
		files+=$'\n'$(realpath "$(cc -print-file-name="lib${l#-l}.a")")
	done
	pkgs=$(owners $files)
	for p in $pkgs; do
		grep -qx "$p" <<<"$closure" || missing+=("$p")
	done
	((${#missing[@]} == 0)) || fail "install-deps.sh build does not install ${missing[*]}"
	# The README's list is the same, but for the demo's busybox-static.
	eval "$(grep '^BUILD_PKGS=' "$REPO/tests/install-deps.sh")"
	for p in "${BUILD_PKGS[@]}"; do
		[[ $p == busybox-static ]] && continue
		grep '^Build dependencies:' "$REPO/README.md" | grep -qw -- "$p" ||
			fail "README.md's build dependencies do not name $p"
	done
}

# A host suite that skips without a command must get it from make check:
# else a fresh machine skips what CI never sees skipped (without uidmap
# every rootless test was skipped, and without criu two checkpoint tests
# failed). The VM suites' commands are in their images, not the host's.
@test "install-deps.sh check installs every command a host suite skips without" {
	ocirt_only "install-deps.sh is ocirt's"
	need_debian
	local closure cmds c path missing=() CHECK_PKGS
	closure=$(deps_closure CHECK_PKGS)
	cmds=$(grep -rhoE --include='*.bats' --include='*.bash' \
		'command -v [A-Za-z0-9_.-]+ *(>/dev/null)? *(2>&1)? *\|\| *skip' \
		--exclude=testsuite.bats --exclude-dir=vm --exclude-dir=sysvm "$REPO/tests/bats" | awk '{print $3}' | sort -u)
	[[ $cmds == *newuidmap* ]] || fail "found no command -v ... || skip in the suites"
	for c in $cmds; do
		path=$(command -v "$c") || { missing+=("$c (not installed)"); continue; }
		p=$(owners "$(realpath "$path")" 2>/dev/null | head -1)
		[[ -n $p ]] && grep -qx "$p" <<<"$closure" || missing+=("$c (${p:-no package})")
	done
	((${#missing[@]} == 0)) || fail "install-deps.sh check does not install: ${missing[*]}"
}

# Debian 12's bats 1.8 fails a whole file ("setup_file failed") when its
# setup_file calls skip: skip_file (helpers.bash) is the way.
@test "no suite's setup_file calls skip; they use skip_file" {
	local f bad=()
	while IFS= read -r f; do
		bad+=($(awk -v f="${f#"$REPO"/}" '
			/^setup_file\(\)/ { s = 1; next }
			s && /^}/ { s = 0 }
			s && /(^|[^_a-z])skip([^_a-z]|$)/ { print f ":" NR }' "$f"))
	done < <(find "$REPO/tests" -name '*.bats')
	((${#bad[@]} == 0)) || fail "setup_file calls skip at ${bad[*]}"
}
