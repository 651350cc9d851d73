#!/bin/bash
# runc-suite.sh [RUNTIME...] - run runc's own integration tests
# (tests/integration of Debian's runc source package, the version installed)
# against each RUNTIME (default: this tree's ocirt, then /usr/sbin/runc),
# exactly as runc's CI runs them, and print what passed for each and the
# tests whose result differs. Not part of `make check`: it fetches the
# source with apt, and one run takes about 8 minutes.
#
# What runc's suite needs and Debian does not ship is stood in for:
# - the busybox image: rootfs-tools/mkrootfs.sh's rootfs without /proc
#   and /sys, as Docker's, as a tarball (the Debian image, used by one
#   hooks test, is the same tarball);
# - contrib/cmd/recvtty: tests/tools/recvtty behind runc's flags
#   (--pid-file, --no-stdin; --mode null is its --many); setup_recvtty
#   waits for its socket, which the Go one makes before its caller goes on;
# - `go env GOARCH`: amd64.
# - contrib/cmd/seccompagent, runc's example agent, whose answers (it makes
#   "foo-bar" for mkdir "foo") seccomp-notify*.bats checks: built from the
#   source when Debian's Go and the agent's libraries are installed
#   (golang-go golang-github-cyphar-filepath-securejoin-dev
#   golang-github-opencontainers-specs-dev
#   golang-github-seccomp-libseccomp-golang-dev
#   golang-github-sirupsen-logrus-dev golang-golang-x-sys-dev
#   libseccomp-dev pkg-config); without them those two files are left out.
# The tests run under `script`, as they need a controlling terminal.
# RUNC_SUITE_FILES="list.bats root.bats" runs only those files.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${RUNC_SUITE_WORK:-/tmp/ocirt-runc-suite}
runtimes=("$@")
((${#runtimes[@]})) || runtimes=("$repo/ocirt" /usr/sbin/runc)

fetch_source() {
	[[ -d $work/runc/tests/integration ]] || "$repo/tests/tools/apt-source.sh" runc "$work"
}

stand_ins() {
	local t=$work/runc/tests/integration
	mkdir -p "$work/bin" "$work/runc/contrib/cmd/recvtty" "$work/rootfs"
	if ! command -v go >/dev/null; then
		printf '#!/bin/sh\necho amd64\n' >"$work/bin/go"
		chmod +x "$work/bin/go"
	fi
	local agent=$work/runc/contrib/cmd/seccompagent
	if [[ ! -x $agent/seccompagent ]] && command -v go >/dev/null; then
		(cd "$agent" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$work/gocache \
			go build -o seccompagent seccompagent.go) || true
	fi
	if [[ ! -e $t/testdata/busybox-amd64.tar.xz ]]; then
		"$repo/rootfs-tools/mkrootfs.sh" "$work/rootfs" >/dev/null
		# Docker's busybox image has no /proc or /sys: mask.bats makes
		# them symlinks.
		rmdir "$work/rootfs/proc" "$work/rootfs/sys"
		tar -C "$work/rootfs" -cJf "$t/testdata/busybox-amd64.tar.xz" .
		cp "$t/testdata/busybox-amd64.tar.xz" "$t/testdata/debian-amd64.tar.xz"
	fi
	make -C "$repo" -s tests/tools/recvtty >/dev/null
	cat >"$work/runc/contrib/cmd/recvtty/recvtty" <<EOF
#!/bin/bash
args=()
while ((\$#)); do
	case \$1 in
	--pid-file) pf=\$2; shift 2 ;;
	--no-stdin) exec </dev/null; shift ;;
	*) args+=("\$1"); shift ;;
	esac
done
[[ -n \${pf:-} ]] && echo \$\$ >"\$pf"
# runc's null mode takes any number of connections (list.bats runs three
# containers on one socket): ours does with --many.
if [[ " \${args[*]} " == *" --mode null "* ]]; then
	exec "$repo/tests/tools/recvtty" --many "\${args[-1]}"
fi
exec "$repo/tests/tools/recvtty" "\${args[@]}"
EOF
	chmod +x "$work/runc/contrib/cmd/recvtty/recvtty"
	grep -q 'ocirt: wait for the socket' "$t/helpers.bash" ||
		sed -i 's|^\t("$RECVTTY" --pid-file "$dir/pid" --mode null "$CONSOLE_SOCKET" &) &$|&\n\tfor _ in $(seq 200); do [ -S "$CONSOLE_SOCKET" ] \&\& break; sleep 0.01; done # ocirt: wait for the socket|' \
			"$t/helpers.bash"
}

# What the suite's cgroup parent still holds, empty, from an earlier run.
# The rt test makes its container's cpu cgroup itself (to give it an
# rt_runtime); runc removes it at delete, ocirt leaves a cgroup it did not
# make, and the next run's rt test would find its runtime taken.
clean_cgroups() {
	find /sys/fs/cgroup/*/runc-cgroups-integration-test -mindepth 1 -depth -type d \
		-exec rmdir {} \; 2>/dev/null || true
}

run_suite() {
	local rt=$1 out=$2 files
	clean_cgroups
	local skip='^$'
	[[ -x $work/runc/contrib/cmd/seccompagent/seccompagent ]] || skip=seccomp-notify
	files=${RUNC_SUITE_FILES:-$(cd "$work/runc/tests/integration" && ls ./*.bats | grep -v "$skip" | tr '\n' ' ')}
	(cd "$work/runc/tests/integration" &&
		PATH="$work/bin:$PATH" RUNC=$rt script -qec "timeout 3600 bats -t $files" /dev/null >"$out" 2>&1) || true
}

command -v gawk >/dev/null || { echo "runc-suite: runc's helpers need gawk: apt-get install gawk" >&2; exit 1; }
fetch_source
stand_ins
for rt in "${runtimes[@]}"; do
	out=$work/$(basename "$rt").tap
	run_suite "$rt" "$out"
	printf '%-20s %s passed of %s\n' "$(basename "$rt")" "$(grep -c '^ok' "$out")" \
		"$(grep -m1 '^1\.\.' "$out" | cut -d. -f3)"
done
if ((${#runtimes[@]} == 2)); then
	a=$work/$(basename "${runtimes[0]}").tap b=$work/$(basename "${runtimes[1]}").tap
	echo "differing results (< $(basename "${runtimes[0]}"), > $(basename "${runtimes[1]}")):"
	{ diff <(grep -E '^(not )?ok' "$a" | sed -E 's/^(not ok|ok) [0-9]+ /\1 /' | sort) \
		<(grep -E '^(not )?ok' "$b" | sed -E 's/^(not ok|ok) [0-9]+ /\1 /' | sort) || true; } |
		grep '^[<>]' || echo "  none"
fi
echo "TAP output: $work/*.tap"
