#!/usr/bin/env bats
# exec.bats - `exec`: another process in a running container. It must join
# the init's namespaces, cgroup, capabilities, no_new_privs and seccomp
# profile, honour the process options (env, cwd, user, --process), and report
# the process's exit as runc does. Checked from inside the container and
# from the host.

load helpers

RECVTTY="$REPO/tests/tools/recvtty"

setup() { common_setup; }
teardown() { common_teardown; }

# run_container [ID] - run $BUNDLE detached and wait until it is running.
run_container() {
	local id=${1:-$CTR_ID}
	create_container "$id"
	ocirt start "$id"
	wait_for_status "$id" running
}

init_pid() {
	state_field "${1:-$CTR_ID}" pid
}

# status_field PID FIELD - a field of /proc/PID/status, read on the host.
status_field() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

@test "exec runs in the container's uts, pid, mount and net namespaces" {
	make_bundle
	update_config '.hostname="exec-test-host"'
	echo only-in-the-rootfs >"$BUNDLE/rootfs/exec-marker"
	run_container
	pid=$(init_pid)

	try exec "$CTR_ID" hostname
	assert_success
	assert_output exec-test-host

	# pid 1 in the exec's /proc is the container's init.
	try exec "$CTR_ID" sh -c 'tr "\0" " " </proc/1/cmdline'
	assert_success
	assert_output "sleep 1000 "

	# The mount view is the container's: a file that only its rootfs has.
	try exec "$CTR_ID" cat /exec-marker
	assert_success
	assert_output only-in-the-rootfs

	# Same net namespace as the init, read on the host.
	try exec "$CTR_ID" readlink /proc/self/ns/net
	assert_success
	assert_output "$(readlink "/proc/$pid/ns/net")"
	refute_output "$(host_ns net)"
}

@test "exec exits with the process's exit code" {
	make_bundle
	run_container
	try exec "$CTR_ID" sh -c 'exit 7'
	assert_equal "$status" 7
	try exec "$CTR_ID" true
	assert_success
}

@test "exec of a process killed by signal N exits 128+N" {
	make_bundle
	run_container
	try exec "$CTR_ID" sh -c 'kill -KILL $$'
	assert_equal "$status" 137
	try exec "$CTR_ID" sh -c 'kill -TERM $$'
	assert_equal "$status" 143
}

@test "exec -e adds a variable and overrides one of the config's" {
	make_bundle
	run_container
	try exec -e FOO=bar -e TERM=dumb "$CTR_ID" env
	assert_success
	assert_line FOO=bar
	assert_line TERM=dumb
	refute_line TERM=xterm
	# The config's other variables are still there.
	assert_line --regexp '^PATH=.*/bin'
}

@test "exec --cwd sets the working directory" {
	make_bundle
	run_container
	try exec --cwd /tmp "$CTR_ID" pwd
	assert_success
	assert_output /tmp
}

@test "exec -u 1000:1000 runs as that uid and gid" {
	make_bundle
	run_container
	try exec -u 1000:1000 "$CTR_ID" sh -c 'id -u; id -g'
	assert_success
	assert_equal "${lines[0]}" 1000
	assert_equal "${lines[1]}" 1000
}

@test "exec --additional-gids sets supplementary groups" {
	make_bundle
	run_container
	try exec -u 1000:1000 --additional-gids 2000 --additional-gids 3000 "$CTR_ID" id -G
	assert_success
	assert_output --regexp '(^| )2000( |$)'
	assert_output --regexp '(^| )3000( |$)'
}

@test "exec gets the init's capabilities and no_new_privs" {
	make_bundle
	run_container
	pid=$(init_pid)
	try exec "$CTR_ID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status'
	assert_success
	assert_line --regexp "^CapEff:[[:space:]]+$(status_field "$pid" CapEff)\$"
	assert_line --regexp "^CapBnd:[[:space:]]+$(status_field "$pid" CapBnd)\$"
	# runc's default spec sets noNewPrivileges.
	assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
}

# The Cap* lines of /proc/self/status.
CAP_LINES='^Cap(Inh|Prm|Eff|Bnd|Amb):'

@test "exec --cap adds to the bounding, effective, permitted and ambient sets, not to the inheritable one (runc since CVE-2022-29162)" {
	# No capability at all: --cap CAP_KILL (bit 5) is all the process has,
	# and without an inheritable CAP_KILL the ambient set cannot hold it.
	make_bundle
	update_config '.process.capabilities = {}'
	run_container
	try exec --cap CAP_KILL "$CTR_ID" grep -E "$CAP_LINES" /proc/self/status
	assert_success
	assert_line "CapInh:	0000000000000000"
	assert_line "CapPrm:	0000000000000020"
	assert_line "CapEff:	0000000000000020"
	assert_line "CapBnd:	0000000000000020"
	assert_line "CapAmb:	0000000000000000"

	# CAP_KILL inheritable by the spec (and so in its bounding set, or the
	# kernel refuses it): now it is ambient too.
	ocirt delete --force "$CTR_ID"
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "inheritable": ["CAP_KILL"]}'
	run_container
	try exec --cap CAP_KILL "$CTR_ID" grep -E "$CAP_LINES" /proc/self/status
	assert_success
	assert_line "CapInh:	0000000000000020"
	assert_line "CapAmb:	0000000000000020"
}

@test "exec is under the container's seccomp profile" {
	make_bundle
	update_config '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
	run_container
	try exec "$CTR_ID" grep '^Seccomp:' /proc/self/status
	assert_success
	assert_output --regexp '^Seccomp:[[:space:]]+2$'
	# And the profile is the container's: mkdir is refused.
	try exec "$CTR_ID" mkdir /tmp/denied
	assert_failure
	[[ ! -d $BUNDLE/rootfs/tmp/denied ]]
}

@test "exec -d --pid-file: the process joins the init's cgroups" {
	make_bundle
	run_container
	pid=$(init_pid)
	try exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CTR_ID" sleep 100
	assert_success
	xpid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	pid_alive "$xpid"
	assert_equal "$(cat "/proc/$xpid/cgroup")" "$(cat "/proc/$pid/cgroup")"
	run cat "/proc/$xpid/cgroup"
	assert_output --partial "$CGROUP_PARENT/$CTR_ID"
}

@test "exec -d --pid-file writes digits only, the host pid of a live process in the container" {
	make_bundle
	run_container
	pid=$(init_pid)
	try exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CTR_ID" sleep 100
	assert_success
	content=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[[ $content =~ ^[0-9]+$ ]]
	[[ $(stat -c %s "$BATS_TEST_TMPDIR/exec.pid") -eq ${#content} ]]
	pid_alive "$content"
	[[ $content != "$pid" ]]
	assert_equal "$(tr '\0' ' ' <"/proc/$content/cmdline")" "sleep 100 "
	assert_equal "$(readlink "/proc/$content/ns/pid")" "$(readlink "/proc/$pid/ns/pid")"
	# exec -d returned while the process goes on.
	run ocirt ps --format json "$CTR_ID"
	assert_success
	assert_output --partial "$content"
}

@test "exec --process FILE takes args, env, cwd and user from the file" {
	make_bundle
	run_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
	{
		"terminal": false,
		"args": ["sh", "-c", "echo foo=$FOO; pwd; id -u; id -g"],
		"env": ["PATH=/usr/bin:/bin", "FOO=from-process-file"],
		"cwd": "/tmp",
		"user": {"uid": 1000, "gid": 1001}
	}
	EOF
	try exec --process "$BATS_TEST_TMPDIR/process.json" "$CTR_ID"
	assert_success
	assert_equal "${lines[0]}" foo=from-process-file
	assert_equal "${lines[1]}" /tmp
	assert_equal "${lines[2]}" 1000
	assert_equal "${lines[3]}" 1001
}

# As runc: a bad entry fails the exec with 255, and nothing runs.
@test "exec refuses an --env or process.json env entry without '=' or with an empty name, exit 255, in runc's words" {
	make_bundle
	run_container
	try exec -e FOO "$CTR_ID" touch /tmp/ran
	assert_equal "$status" 255
	assert_output --partial "invalid environment variable"
	try exec -e =x "$CTR_ID" touch /tmp/ran
	assert_equal "$status" 255
	assert_output --partial "environment variable name can't be empty"
	echo '{"args": ["touch", "/tmp/ran"], "cwd": "/", "env": ["PATH=/bin", "=x"]}' >"$BATS_TEST_TMPDIR/p.json"
	try exec -p "$BATS_TEST_TMPDIR/p.json" "$CTR_ID"
	assert_equal "$status" 255
	assert_output --partial "environment variable name can't be empty"
	run ocirt exec "$CTR_ID" test -e /tmp/ran
	assert_failure
}

@test "exec of a missing executable exits 255 with \"no such file or directory\"" {
	make_bundle
	run_container
	try exec "$CTR_ID" /no/such/binary
	assert_equal "$status" 255
	assert_output --partial "no such file or directory"
	# The container is unharmed.
	run state_field "$CTR_ID" status
	assert_output running
}

@test "exec into a stopped container fails with runc's \"cannot exec in a stopped container\"" {
	make_bundle -- true
	run_container_stopped() {
		create_container
		ocirt start "$CTR_ID"
		wait_for_status "$CTR_ID" stopped
	}
	run_container_stopped
	try exec "$CTR_ID" true
	assert_failure
	assert_output --partial "cannot exec in a stopped container"
}

@test "exec into a container that does not exist fails with \"does not exist\"" {
	try exec no-such-container true
	assert_failure
	assert_output --partial "does not exist"
}

@test "exec -t -d --console-socket: the process's stdio is a pty sent to the socket" {
	make_bundle
	run_container
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/tty.out"
	"$RECVTTY" --out "$out" "$sock" </dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	rpid=$!
	defer "kill $rpid"
	wait_for_file "$sock"
	try exec -t -d --console-socket "$sock" "$CTR_ID" sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; echo through-the-pty'
	assert_success
	for _ in $(seq 200); do
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.05
	done
	run tr -d '\r' <"$out"
	assert_line --regexp '^/dev/pts/[0-9]+$'
	assert_line stdin-is-a-tty
	assert_line through-the-pty
}

@test "exec -t --console-socket in the foreground waits for the process and exits with its code" {
	ocirt_only "runc refuses a console socket unless it detaches"
	make_bundle
	run_container
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/tty.out"
	"$RECVTTY" --out "$out" "$sock" </dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	rpid=$!
	defer "kill $rpid"
	wait_for_file "$sock"
	try exec -t --console-socket "$sock" "$CTR_ID" sh -c 'tty; echo through-the-pty; exit 4'
	assert_equal "$status" 4
	for _ in $(seq 200); do
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.05
	done
	run tr -d '\r' <"$out"
	assert_line --regexp '^/dev/pts/[0-9]+$'
	assert_line through-the-pty
}

@test "exec -t in the foreground on a tty proxies the terminal and propagates the exit code" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	make_bundle
	run_container
	local cmd
	printf -v cmd '%q ' timeout -k 5 30 "$OCIRT" --root "$STATE_ROOT" exec -t "$CTR_ID" sh -c 'tty; echo hello; exit 5'
	run env SHELL=/bin/bash script -qec "$cmd" /dev/null </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	assert_equal "$status" 5
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
	# script may write an EOF character that the tty echoes ("^@") first.
	assert_line --regexp '^(\^@)?/dev/pts/[0-9]+$'
	assert_line hello
}

@test "exec --process honours execCPUAffinity.final" {
	ocirt_only "runc 1.1 has no execCPUAffinity"
	(($(nproc) > 1)) || skip "the host has one CPU"
	make_bundle
	run_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
	{
		"terminal": false,
		"args": ["grep", "Cpus_allowed_list", "/proc/self/status"],
		"env": ["PATH=/usr/bin:/bin"],
		"cwd": "/",
		"user": {"uid": 0, "gid": 0},
		"execCPUAffinity": {"final": "0"}
	}
	EOF
	try exec --process "$BATS_TEST_TMPDIR/process.json" "$CTR_ID"
	assert_success
	assert_output --regexp '^Cpus_allowed_list:[[:space:]]+0$'
}
