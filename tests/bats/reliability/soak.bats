#!/usr/bin/env bats
# soak.bats - many create/start/kill/delete cycles leave the host exactly as
# they found it: fds, mounts, cgroup dirs, processes, state dirs, and no
# growth in ocirt's peak RSS. The work is tests/stress/soak.sh; this suite
# runs it at CI size (OCIRT_SOAK_CYCLES, default 100; OCIRT_STRESS=1: 1000).

load rel_helpers

setup() { rel_setup; }
teardown() { rel_teardown; }

@test "create/start/kill/delete cycles leak no fd, mount, cgroup, process or memory" {
	local n=${OCIRT_SOAK_CYCLES:-100}
	((STRESS)) && n=${OCIRT_SOAK_CYCLES:-1000}
	[[ -x /usr/bin/time ]] || skip "/usr/bin/time is missing (apt-get install -y time)"
	run env OCIRT="$OCIRT" SOAK_DIR="$BATS_TEST_TMPDIR/soak" \
		"$REPO/tests/stress/soak.sh" "$n" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	printf '# %s\n' "${lines[@]}" >&3
	assert_success
	assert_output --partial "soak: ok"
}
