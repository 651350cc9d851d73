#!/bin/bash
# run.sh [SECONDS] [TARGET...] - build the libFuzzer targets with ASan and
# UBSan and fuzz each one for SECONDS (default 60).
#
# Targets: fuzz_config (oci_config_parse + oci_config_validate), fuzz_state
# (state_parse, state_format round trip), fuzz_process (oci_process_parse).
# Seeds: tests/fuzz/corpus/<target>/ (checked in). New inputs the fuzzer
# finds go to tests/.work/fuzz/corpus/<target>/ (not checked in), so the
# checked-in corpus stays small and reviewable.
#
# Every run first replays the checked-in corpus, including
# corpus/<target>/regressions/ (inputs that once crashed): a regression
# fails the run before any fuzzing. A crash found while fuzzing is copied
# to corpus/<target>/regressions/crash-<sha1> and fails the run: fix the
# bug, keep the input, commit both.
#
# Environment: CLANG (default clang), FUZZ_JOBS (parallel workers per
# target, default 1), FUZZ_RSS_MB (default 2048).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-60}
(($#)) && shift
targets=("$@")
((${#targets[@]})) || targets=(fuzz_config fuzz_state fuzz_process)
work=$repo/tests/.work/fuzz
cc=${CLANG:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -std=gnu11 -D_GNU_SOURCE -DOCIRT_VERSION=\"0.1.0\" -DOCIRT_COMMIT=\"fuzz\" $(pkg-config --cflags yajl 2>/dev/null)"
ldlibs="-Wl,-Bstatic -lyajl_s -lseccomp -lcap -Wl,-Bdynamic -lpthread"

die() { echo "fuzz: $*" >&2; exit 1; }
command -v "$cc" >/dev/null || die "$cc not found (apt-get install -y clang)"

# The code under test is built into its own directory with coverage
# instrumentation (only what changed since the last run); the linker takes
# only the objects a target needs. The layering keeps this set closed: the
# OCI model and utilities use nothing above them, and state.c only them.
build() {
	local src obj objs=()
	mkdir -p "$work/obj"
	for src in "$repo"/oci/*.c "$repo"/src/util/*.c "$repo"/src/runtime/state.c; do
		obj=$work/obj/$(echo "${src#"$repo"/}" | tr / _).o
		if [[ ! -e $obj || $src -nt $obj ]] || ! cmp -s <(cat "$repo"/oci/*.h "$repo"/src/*/*.h | sha1sum) "$work/headers.sum" 2>/dev/null; then
			$cc $cflags $san -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || return 1
		fi
		objs+=("$obj")
	done
	cat "$repo"/oci/*.h "$repo"/src/*/*.h | sha1sum > "$work/headers.sum"
	rm -f "$work/libocirt-fuzz.a"
	ar rcs "$work/libocirt-fuzz.a" "${objs[@]}" || return 1
	for t in "${targets[@]}"; do
		$cc $cflags $san -fsanitize=fuzzer -o "$work/$t" "$here/$t.c" \
			"$work/libocirt-fuzz.a" $ldlibs || return 1
	done
}

build || die "build failed"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
	seeds=$here/corpus/$t
	regs=$seeds/regressions
	found=$work/corpus/$t
	art=$work/artifacts/$t/
	mkdir -p "$seeds" "$regs" "$found" "$art"
	start=$SECONDS

	# 1. Replay: every seed and every kept regression must pass.
	mapfile -t files < <(find "$seeds" -type f | sort)
	if ((${#files[@]})) && ! "$work/$t" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
		"${files[@]}" >"$work/$t.replay.log" 2>&1; then
		tail -40 "$work/$t.replay.log"
		echo "fuzz: $t: a corpus input fails (see $work/$t.replay.log)"
		failed=1
		continue
	fi

	# 2. Fuzz for $secs seconds from the seeds plus what earlier runs found.
	rm -f "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*
	jobs=()
	# Parallel jobs log to fuzz-<n>.log in the cwd: run from $work.
	((${FUZZ_JOBS:-1} > 1)) && jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
	(cd "$work" && "$work/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
		-max_len=65536 -print_final_stats=1 -dict="$here/json.dict" -artifact_prefix="$art" \
		"${jobs[@]}" "$found" "$seeds" >"$work/$t.log" 2>&1)
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
	cov=$(grep -aoE 'cov: [0-9]+' "$work/$t.log" | tail -1)
	shopt -s nullglob
	crashes=("$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*)
	shopt -u nullglob
	if ((st != 0 || ${#crashes[@]})); then
		for c in "${crashes[@]}"; do
			cp "$c" "$regs/$(basename "$c")"
			echo "fuzz: $t: kept $regs/$(basename "$c")"
		done
		grep -a -A30 -m1 -E 'ERROR: |runtime error|deadly signal' "$work/$t.log"
		echo "fuzz: $t: FAILED after $((SECONDS - start)) s (exit $st, see $work/$t.log)"
		failed=1
	else
		echo "fuzz: $t: ok, ${execs:-?} runs in $((SECONDS - start)) s, ${cov:-cov: ?}, $(find "$seeds" -type f | wc -l) seeds replayed"
	fi
done
exit $failed
