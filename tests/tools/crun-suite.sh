#!/bin/bash
# crun-suite.sh [RUNTIME...] - run crun's own tests (tests/test_*.py of
# Debian's crun source package, the version installed) against each RUNTIME
# (default: this tree's ocirt, /usr/sbin/runc and /usr/bin/crun), and print
# what passed for each and the tests whose result differs between the first
# two. Not part of `make check`: it fetches the source with apt; one
# runtime takes about half a minute.
#
# crun's tests call the runtime in crun's dialect. A wrapper turns it into
# runc's for every runtime alike: it drops crun's global --cgroup-manager
# and the `--config config.json` that names the bundle's own config (the
# bundle is the working directory). A test that needs what runc's command
# line cannot say (--config with another file, delete --regex, crun's
# state files and annotations) fails for runc too.
# crun refuses this host's hybrid cgroup layout, so every runtime runs in a
# private mount namespace without /sys/fs/cgroup/unified; the host's mounts
# stay as they are.
# The tests' init is crun's tests/init.c, built static. What a failed test
# leaves (containers whose state went with the test's directory, the frozen
# freezer cgroup of test_delete) is removed after each runtime.
# CRUN_SUITE_FILES="test_exec.py test_hooks.py" runs only those files.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${CRUN_SUITE_WORK:-/tmp/ocirt-crun-suite}
runtimes=()
for rt in "$@"; do
	# Absolute: the tests run the runtime from each bundle's directory.
	runtimes+=("$(realpath "$(command -v "$rt" || echo "$rt")")")
done
((${#runtimes[@]})) || runtimes=("$repo/ocirt" /usr/sbin/runc /usr/bin/crun)

stand_ins() {
	mkdir -p "$work/bin"
	if [[ ! -x $work/bin/init ]]; then
		# init.c includes autoconf's config.h and needs nothing from it.
		: >"$work/bin/config.h"
		gcc -static -O2 -I"$work/bin" -o "$work/bin/init" "$work/crun/tests/init.c"
	fi
	cat >"$work/bin/runtime" <<'EOF'
#!/bin/bash
# crun's dialect to runc's, then the runtime in $CRUN_SUITE_RUNTIME.
args=()
while (($#)); do
	case $1 in
	--cgroup-manager) shift 2; continue ;;
	--cgroup-manager=*) shift; continue ;;
	--config) if [[ $2 == config.json ]]; then shift 2; continue; fi ;;
	esac
	args+=("$1")
	shift
done
exec "$CRUN_SUITE_RUNTIME" "${args[@]}"
EOF
	chmod +x "$work/bin/runtime"
}

# Containers a failed test left: their state went with the test's
# directory, but their processes and cgroups (named after the test's
# temporary directory, test-tmp*) did not.
clean_leftovers() {
	local frozen=/sys/fs/cgroup/freezer/frozen
	if [[ -d $frozen ]]; then
		# test_delete freezes its container's init here: thawed, the
		# SIGKILL that delete --force sent it is delivered.
		echo THAWED >"$frozen/freezer.state" 2>/dev/null || true
		xargs -r kill -9 <"$frozen/cgroup.procs" 2>/dev/null || true
	fi
	local d
	for d in $(find /sys/fs/cgroup -type d -name 'test-tmp*' 2>/dev/null); do
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null || true
	done
	sleep 0.2
	find /sys/fs/cgroup -depth -type d -name 'test-tmp*' -exec rmdir {} \; 2>/dev/null || true
	rmdir "$frozen" 2>/dev/null || true
}

run_suite() {
	local rt=$1 out=$2 t
	local files=${CRUN_SUITE_FILES:-$(cd "$work/crun/tests" && ls test_*.py | tr '\n' ' ')}
	rm -rf "$out.d"
	mkdir -p "$out.d"
	: >"$out"
	for t in $files; do
		# Each file from a directory of its own: the tests keep their
		# bundles and state under the working directory.
		(cd "$out.d" && cp "$work/crun/tests/tests_utils.py" . &&
			CRUN_SUITE_RUNTIME=$rt OCI_RUNTIME=$work/bin/runtime INIT=$work/bin/init \
				timeout 600 python3 "$work/crun/tests/$t" 2>"${t%.py}.err" |
			sed -n -E "s/^(not ok|ok) [0-9]+ - /\1 ${t%.py} /p" >>"$out") || true
	done
	clean_leftovers
}

"$repo/tests/tools/apt-source.sh" crun "$work"
stand_ins
for rt in "${runtimes[@]}"; do
	out=$work/$(basename "$rt").res
	export -f run_suite clean_leftovers
	export work
	unshare -m bash -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null; run_suite "$1" "$2"' \
		crun-suite "$rt" "$out"
	printf '%-20s %3d passed, %3d skipped, %3d failed\n' "$(basename "$rt")" \
		"$(grep '^ok' "$out" | grep -vc '#SKIP' || true)" "$(grep -c '#SKIP' "$out" || true)" \
		"$(grep -c '^not ok' "$out" || true)"
done
if ((${#runtimes[@]} >= 2)); then
	a=$work/$(basename "${runtimes[0]}").res b=$work/$(basename "${runtimes[1]}").res
	echo "differing results (< $(basename "${runtimes[0]}"), > $(basename "${runtimes[1]}")):"
	{ diff <(sed -E 's/^(not ok|ok) (.*)/\2: \1/' "$a" | sort) \
		<(sed -E 's/^(not ok|ok) (.*)/\2: \1/' "$b" | sort) || true; } |
		grep '^[<>]' || echo "  none"
fi
echo "results: $work/*.res; each test file's stderr in $work/RUNTIME.res.d/"
