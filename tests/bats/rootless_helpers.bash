# rootless_helpers.bash - run the runtime under test as an unprivileged user.
#
# Owns: the suite's own user ($RL_USER, made once, with the /etc/subuid and
# /etc/subgid ranges useradd gives it), a per-test directory that user owns
# ($RL_DIR: the bundle, its XDG_RUNTIME_DIR), and the check that a test left
# nothing of that user behind (state, processes, mounts). helpers.bash is
# loaded too, for the runtime under test and bats-assert; its root-only
# parts (--root, cgroup leak checks) are not used here.
#
# A suite does:
#   load helpers
#   load rootless_helpers
#   setup()    { rl_setup; }
#   teardown() { rl_teardown; }

RL_USER=${OCIRT_TEST_ROOTLESS_USER:-ocirtrl}

# rl_ensure_user - the unprivileged user, with sub-id ranges of its own.
rl_ensure_user() {
	command -v newuidmap >/dev/null || skip "newuidmap is not installed (package uidmap)"
	if ! id -u "$RL_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$RL_USER" 2>/dev/null || id -u "$RL_USER" >/dev/null ||
			fail "cannot create user $RL_USER"
	fi
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	if ! grep -q "^$RL_USER:" /etc/subuid || ! grep -q "^$RL_USER:" /etc/subgid; then
		usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$RL_USER"
	fi
	RL_SUBUID=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subuid)
	RL_SUBGID=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subgid)
}

# The runtime under test as a path the user can run (runc is in root's PATH).
rl_runtime_path() {
	if [[ $OCIRT == */* ]]; then
		echo "$OCIRT"
	else
		command -v "$OCIRT"
	fi
}

rl_setup() {
	common_setup
	rl_ensure_user
	RL_RUNTIME=$(rl_runtime_path)
	RL_DIR=$(mktemp -d /tmp/ocirt-rootless.XXXXXX)
	RL_XDG=$RL_DIR/xdg
	RL_BUNDLE=$RL_DIR/bundle
	RL_IDS=()
	mkdir -m 0700 "$RL_XDG"
	chown "$RL_USER:" "$RL_DIR" "$RL_XDG"
	chmod 0755 "$RL_DIR"
	# The runtime's state for this user, by its default: $XDG_RUNTIME_DIR/<name>.
	RL_STATE=$RL_XDG/$RUNTIME_NAME
}

# as_user CMD... - CMD as $RL_USER, with its own runtime dir, in $RL_DIR;
# stdio as given. A hung command fails instead of hanging the suite.
as_user() {
	(cd "$RL_DIR" && timeout -k 5 "$OCIRT_TEST_CMD_TIMEOUT" runuser -u "$RL_USER" -- \
		env XDG_RUNTIME_DIR="$RL_XDG" HOME="$RL_DIR" PATH="${RL_PATH:-/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin}" \
		"$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
}

# rl_try VERB ARGS... - the runtime as the user, output through a file (as
# helpers.bash's try: a container must not hold a pipe of bats open). Sets
# $status, $output, $lines. Container ids given to it are deleted in teardown.
rl_try() {
	local log="$RL_DIR/try.$RANDOM.log"
	status=0
	as_user "$RL_RUNTIME" "$@" </dev/null >"$log" 2>&1 || status=$?
	output=$(cat "$log")
	mapfile -t lines <<<"$output"
	[[ -n $output ]] || lines=()
}

# rl_bundle [CMD...] - $RL_BUNDLE: rootfs hard-linked from the cache (never
# written to: it stays root's), config from `spec --rootless` run by the
# user, without a terminal, args CMD (default: sleep 1000).
rl_bundle() {
	(($#)) || set -- sleep 1000
	"$REPO/rootfs-tools/mkbundle.sh" "${RL_BUNDLE_MODE:---link}" "$RL_BUNDLE" "$OCIRT" -- true >/dev/null
	rm -f "$RL_BUNDLE/config.json"
	chown "$RL_USER:" "$RL_BUNDLE"
	as_user "$RL_RUNTIME" spec --rootless --bundle "$RL_BUNDLE" || fail "spec --rootless failed"
	local args
	args=$(jq -cn '$ARGS.positional' --args -- "$@")
	rl_config ".process.terminal = false | .process.args = $args"
}

# rl_config JQ - edit the bundle's config.json, keeping it the user's.
rl_config() {
	local tmp
	tmp=$(mktemp "$RL_BUNDLE/config.XXXXXX")
	jq "$1" "$RL_BUNDLE/config.json" >"$tmp" || { rm -f "$tmp"; fail "jq filter failed: $1"; }
	mv "$tmp" "$RL_BUNDLE/config.json"
	chown "$RL_USER:" "$RL_BUNDLE/config.json"
	chmod 0644 "$RL_BUNDLE/config.json"
}

# rl_id - set $id to a fresh container id, deleted (as the user) in teardown.
rl_id() {
	id="rl-$BATS_TEST_NUMBER-$$-${#RL_IDS[@]}"
	RL_IDS+=("$id")
}

# rl_user_pids - the pids of processes (not zombies) running as the user.
rl_user_pids() {
	local f pid
	for f in $(grep -lsE "^Uid:[[:space:]]+$RL_UID[[:space:]]" /proc/[0-9]*/status); do
		pid=${f#/proc/}
		pid=${pid%/status}
		pid_alive "$pid" && echo "$pid"
	done
	return 0
}

# rl_wait_no_user_pids - give the user's last processes (a shim that
# records the exit after delete) up to 5 s to end.
rl_wait_no_user_pids() {
	local i
	for i in $(seq 100); do
		[[ -z $(rl_user_pids) ]] && return 0
		sleep 0.05
	done
}

# rl_assert_clean ID - nothing of container ID is left: no state directory,
# no process of the user, no mount of the test's directory on the host.
rl_assert_clean() {
	[[ ! -e $RL_STATE/$1 ]] || fail "state directory $RL_STATE/$1 is left behind"
	local pids
	rl_wait_no_user_pids
	pids=$(rl_user_pids)
	[[ -z $pids ]] || fail "processes of $RL_USER are left behind: $pids"
	! grep -q "$RL_DIR" /proc/self/mountinfo || fail "a mount under $RL_DIR is left behind"
}

rl_teardown() {
	local id pid left
	for id in "${RL_IDS[@]}"; do
		as_user "$RL_RUNTIME" delete --force "$id" </dev/null >/dev/null 2>&1 || true
	done
	rl_wait_no_user_pids
	left=$(rl_user_pids)
	# Only processes of the suite's own user, each by its pid.
	for pid in $left; do
		kill -9 "$pid" 2>/dev/null || true
	done
	[[ -n ${RL_DIR:-} ]] && rm -rf "$RL_DIR"
	[[ -z $left ]] || fail "processes of $RL_USER were left behind: $left"
}
