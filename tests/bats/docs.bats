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
