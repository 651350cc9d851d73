#!/usr/bin/env bats
# docs.bats - the documentation stays in step with the command line.

load helpers

@test "the man page is what contrib/gen-man.sh makes from the current --help (run 'make man' after changing a flag)" {
	ocirt_only "the man page describes ocirt"
	run bash -c "'$REPO/contrib/gen-man.sh' '$OCIRT' | diff -u '$REPO/contrib/ocirt.8' -"
	assert_success
}

@test "every command in ocirt --help has its own --help and appears in the README" {
	ocirt_only "the README describes ocirt"
	local verbs
	verbs=$("$OCIRT" --help | sed -n '/^COMMANDS:/,/^$/p' | awk 'NF > 1 && $1 != "COMMANDS:" && $1 !~ /,$/ {print $1}')
	[[ -n $verbs ]]
	for v in $verbs; do
		run "$OCIRT" "$v" --help
		assert_success
		assert_output --partial "USAGE:
   ocirt $v"
		grep -q "\`$v" "$REPO/README.md" || fail "README.md does not mention \`$v\`"
	done
}

@test "the README's Kubernetes TOML is accepted by containerd: config dump has the ocirt handler with BinaryName, Root, SystemdCgroup" {
	command -v containerd >/dev/null || skip "containerd is not installed"
	# The first toml block of the section, as a user would copy it.
	awk '/^## Kubernetes/ {k = 1} k && /^```toml$/ {t = 1; next} t && /^```$/ {exit} t' \
		"$REPO/README.md" >"$BATS_TEST_TMPDIR/ocirt.toml"
	[[ -s $BATS_TEST_TMPDIR/ocirt.toml ]] || fail "README.md has no toml block in its Kubernetes section"
	# Imported by a private configuration, as the section suggests.
	cat >"$BATS_TEST_TMPDIR/config.toml" <<-EOF
		version = 2
		imports = ["$BATS_TEST_TMPDIR/ocirt.toml"]
		root = "$BATS_TEST_TMPDIR/root"
		state = "$BATS_TEST_TMPDIR/state"
	EOF
	run containerd --config "$BATS_TEST_TMPDIR/config.toml" config dump
	assert_success
	local dump=$output
	# The ocirt runtime table and its options table, each up to the next table.
	run awk '/^ *\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.ocirt(\.options)?\]$/ {p = 1; print; next} /^ *\[/ {p = 0} p' <<<"$dump"
	assert_line --regexp '^ *runtime_type = "io\.containerd\.runc\.v2"$'
	assert_line --regexp '^ *BinaryName = "/usr/local/bin/ocirt"$'
	assert_line --regexp '^ *Root = "/run/containerd/ocirt"$'
	assert_line --regexp '^ *SystemdCgroup = false$'
	run grep -E '^ *(restrict_oom_score_adj = true|default_runtime_name = "runc")$' <<<"$dump"
	assert_line --regexp 'restrict_oom_score_adj = true'
	assert_line --regexp 'default_runtime_name = "runc"'
}
