#!/usr/bin/env bats
# cli.bats - the command line as managers and people meet it: version,
# help, bad verbs and flags, and `spec`.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# The verbs of the foundation issue (runc has these and more).
VERBS=(create start run state kill delete list spec ps pause resume)

config_schema() {
	require_validator
	local s=$SHARED_DIR/oci-schema/config-schema.json
	[[ -f $s ]] || skip "no config schema at $s"
	echo "$s"
}

@test "--version and -v print the version and the OCI spec version, and exit 0" {
	for flag in --version -v; do
		run ocirt $flag
		assert_success
		assert_line --index 0 --regexp "^$RUNTIME_NAME version [0-9]+\.[0-9]+\.[0-9]+"
		assert_line --regexp '^spec: [0-9]+\.[0-9]+\.[0-9]+'
	done
}

@test "--version's commit follows HEAD in an incremental build, and an unchanged tree relinks nothing" {
	ocirt_only "how ocirt's Makefile stamps its build"
	git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	[[ -f $REPO/src/cli/main.o ]] || skip "no build in $REPO to copy"
	# A copy of the built tree: a new commit there, then make rebuilds only
	# what the commit's id is compiled into (it printed the first build's
	# commit for ever before .commit).
	local t=$BATS_TEST_TMPDIR/tree
	mkdir "$t"
	tar -C "$REPO" --exclude=./tests/.work -cf - . | tar -C "$t" -xf -
	git -C "$t" -c user.name=t -c user.email=t@t commit -q --allow-empty -m t
	run make -C "$t" ocirt
	assert_success
	assert_output --partial "src/cli/main.c"
	assert_output --partial "oci/features.c"
	run "$t/ocirt" --version
	assert_line --index 1 "commit: $(git -C "$t" rev-parse --short HEAD)"
	run "$t/ocirt" features
	assert_output --partial "\"org.ocirt.commit\": \"$(git -C "$t" rev-parse --short HEAD)\""
	run make -C "$t" ocirt
	assert_success
	refute_output --partial "cc "
}

@test "--help prints the usage and every verb, and exits 0" {
	run ocirt --help
	assert_success
	assert_output --regexp '[Uu][Ss][Aa][Gg][Ee]'
	for verb in "${VERBS[@]}"; do
		assert_output --regexp "(^|[[:space:]])$verb([[:space:]]|,)"
	done
}

@test "<verb> --help prints that verb's usage and exits 0, for every verb" {
	for verb in "${VERBS[@]}"; do
		run ocirt "$verb" --help
		assert_success
		assert_output --regexp '[Uu][Ss][Aa][Gg][Ee]'
		assert_output --partial "$verb"
	done
}

@test "an unknown verb exits non-zero and names it" {
	run ocirt frobnicate
	assert_failure
	assert_output --partial frobnicate
}

@test "an unknown global flag exits non-zero and names it" {
	run ocirt --frobnicate list
	assert_failure
	assert_output --partial frobnicate
}

@test "an unknown flag of a verb exits non-zero and names it" {
	run ocirt create --frobnicate "$CTR_ID"
	assert_failure
	assert_output --partial frobnicate
	[[ ! -e $STATE_ROOT/$CTR_ID ]]
}

@test "a verb given too few arguments exits non-zero with its usage" {
	run ocirt start
	assert_failure
	[[ -n $output ]]
}

@test "spec writes a default config.json into the current directory" {
	cd "$BATS_TEST_TMPDIR"
	run ocirt spec
	assert_success
	[[ -f config.json ]]
	assert_equal "$(jq -c .process.args config.json)" '["sh"]'
	assert_equal "$(jq -r .root.path config.json)" rootfs
	jq -e '.ociVersion | test("^1\\.")' config.json >/dev/null
	jq -e '[.linux.namespaces[].type] | index("mount") != null' config.json >/dev/null
}

@test "spec refuses to overwrite an existing config.json" {
	cd "$BATS_TEST_TMPDIR"
	echo '{"keep": "me"}' > config.json
	run ocirt spec
	assert_failure
	assert_output --partial config.json
	assert_equal "$(cat config.json)" '{"keep": "me"}'
}

@test "spec --bundle DIR writes DIR/config.json" {
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	cd "$BATS_TEST_TMPDIR"
	run ocirt spec --bundle "$BATS_TEST_TMPDIR/elsewhere"
	assert_success
	[[ -f $BATS_TEST_TMPDIR/elsewhere/config.json ]]
	[[ ! -e $BATS_TEST_TMPDIR/config.json ]]
	jq -e . "$BATS_TEST_TMPDIR/elsewhere/config.json" >/dev/null
}

@test "spec --rootless has a user namespace mapping the caller's uid and gid" {
	cd "$BATS_TEST_TMPDIR"
	run ocirt spec --rootless
	assert_success
	jq -e '[.linux.namespaces[].type] | index("user") != null' config.json >/dev/null
	jq -e --argjson u "$(id -u)" '.linux.uidMappings | length > 0 and .[0].containerID == 0 and .[0].hostID == $u and .[0].size >= 1' config.json >/dev/null
	jq -e --argjson g "$(id -g)" '.linux.gidMappings | length > 0 and .[0].containerID == 0 and .[0].hostID == $g and .[0].size >= 1' config.json >/dev/null
	# Without the network namespace, as runc's rootless spec.
	jq -e '[.linux.namespaces[].type] | index("network") == null' config.json >/dev/null
}

@test "a config from spec --rootless runs: the process is root in its own user namespace" {
	make_bundle -- true
	rm "$BUNDLE/config.json"
	ocirt spec --rootless --bundle "$BUNDLE"
	update_config '.process.terminal = false | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"] | .linux.cgroupsPath = "'"$CGROUP_PARENT/$CTR_ID"'"'
	run ocirt run --bundle "$BUNDLE" "$CTR_ID"
	assert_success
	assert_line --index 0 0
	# A uid map of its own: one line, "0 <our uid> 1".
	assert_line --index 1 --regexp "^ *0 +$(id -u) +1$"
}

@test "spec output validates against the OCI config schema" {
	schema=$(config_schema)
	cd "$BATS_TEST_TMPDIR"
	ocirt spec
	validate_json "$schema" config.json
}

@test "spec --rootless output validates against the OCI config schema" {
	schema=$(config_schema)
	cd "$BATS_TEST_TMPDIR"
	ocirt spec --rootless
	validate_json "$schema" config.json
}

@test "spec writes the same default config as runc spec" {
	command -v runc >/dev/null || skip "runc is not installed"
	mkdir "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	ocirt spec --bundle "$BATS_TEST_TMPDIR/a"
	runc spec --bundle "$BATS_TEST_TMPDIR/b"
	# Same content except the spec version each runtime implements.
	run diff <(jq -S 'del(.ociVersion)' "$BATS_TEST_TMPDIR/a/config.json") \
		<(jq -S 'del(.ociVersion)' "$BATS_TEST_TMPDIR/b/config.json")
	assert_success
}

@test "main's early exits (--version, --help, bad global flag, unknown command) free nothing unset (valgrind)" {
	is_ocirt || skip "a check of ocirt's own memory use"
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	local args
	# Every path that leaves main through its `out` label before --root is
	# made absolute: the cleanup of a pointer declared after the jump ran on
	# stack garbage (it crashed `ocirt --version` on Debian's 6.1 kernel).
	for args in --version --help "--log-format nope list" "no-such-command"; do
		# shellcheck disable=SC2086
		run valgrind -q --error-exitcode=99 "$OCIRT" $args
		[[ $status != 99 ]] || fail "valgrind found an error in 'ocirt $args': $output"
	done
}
