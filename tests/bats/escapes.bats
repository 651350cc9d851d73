#!/usr/bin/env bats
# escapes.bats - the escape classes of runc's past CVEs and hardening
# issues, each tried for real against the runtime under test. What this
# host's kernel blocks by itself is tried in the VM (tests/bats/vm/escapes.bats).
# Each test passes against runc too (OCIRT_TEST_RUNTIME=runc) unless it
# says why not.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# use_runtime_copy - run a private copy of the runtime under test from
# $BATS_TEST_TMPDIR/bin, so an attack that works damages only the copy.
use_runtime_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	RUNTIME_COPY="$BATS_TEST_TMPDIR/bin/$RUNTIME_NAME"
	cp "$(command -v "$OCIRT")" "$RUNTIME_COPY"
	OCIRT=$RUNTIME_COPY
	COPY_SUM=$(sha256sum <"$RUNTIME_COPY")
}

# CVE-2019-5736: a process that enters the container is an image of the
# runtime until its execve. Whoever holds its /proc/<pid>/exe can write the
# runtime's binary through it once no process runs it any more (a running
# binary is protected by ETXTBSY only). The created init waits for `start`
# inside the container: its exe must not be the binary on disk.
@test "the init of a created container does not run from the runtime's writable binary (CVE-2019-5736)" {
	use_runtime_copy
	make_bundle
	create_container
	pid=$(state_field "$CTR_ID" pid)
	run readlink "/proc/$pid/exe"
	refute_output "$RUNTIME_COPY"
	# The attacker's handle, taken the way the exploit does.
	exec {exe_fd}<"/proc/$pid/exe"
	ocirt delete --force "$CTR_ID"
	# With the runtime gone, reopen the handle for writing.
	run sh -c 'echo owned >"$1"' sh "/proc/$$/fd/$exe_fd"
	exec {exe_fd}<&-
	assert_failure
	assert_equal "$(sha256sum <"$RUNTIME_COPY")" "$COPY_SUM"
	run "$RUNTIME_COPY" --version
	assert_success
}
