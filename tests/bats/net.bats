#!/usr/bin/env bats
# net.bats - ocirt-net: CNI networking for containers through OCI hooks.
#
# Everything happens in namespaces the test makes: a network namespace
# stands in for the host (the bridge, the host end of each veth and the NAT
# rules go there, through --netns-of-host), another one for "the outside"
# world. "Containers" are either plain `unshare -n` processes fed to
# ocirt-net directly, or real ocirt containers whose config runs ocirt-net
# as createRuntime/poststop hooks (contrib/cni/add-network.sh). host-local
# keeps its leases in a private dataDir per test.

load helpers

CNI_DIR=${OCIRT_CNI_PATH:-/usr/lib/cni}

setup_file() {
	if ! [[ -x $CNI_DIR/bridge && -x $CNI_DIR/host-local && -x $CNI_DIR/portmap ]]; then
		skip_file "CNI plugins are not in $CNI_DIR (apt-get install containernetworking-plugins)"
		return 0
	fi
	if ! command -v iptables >/dev/null; then
		skip_file "iptables is not installed (the bridge plugin's ipMasq needs it)"
		return 0
	fi
	# ocirt-net from the Makefile when it has the rule, else built here.
	if [[ -z ${OCIRT_NET:-} ]]; then
		if grep -q '^ocirt-net:' "$REPO/Makefile" && make -C "$REPO" ocirt-net >/dev/null 2>&1; then
			OCIRT_NET=$REPO/ocirt-net
		else
			OCIRT_NET=$BATS_FILE_TMPDIR/ocirt-net
			cc -O2 -Wall -std=gnu11 -D_GNU_SOURCE -o "$OCIRT_NET" \
				"$REPO"/src/net/{ocirt-net,cni,net_state}.c "$REPO"/src/util/{error,fs}.c \
				-Wl,-Bstatic -lyajl_s -Wl,-Bdynamic
		fi
	fi
	export OCIRT_NET
	# A static busybox of our own for ping on the host side: the shared
	# rootfs cache may be rebuilt while the suite runs.
	"$REPO/rootfs-tools/mkbundle.sh" "$BATS_FILE_TMPDIR/warmup" "$OCIRT" >/dev/null
	cp "$BATS_FILE_TMPDIR/warmup/rootfs/bin/busybox" "$BATS_FILE_TMPDIR/busybox"
	rm -rf "$BATS_FILE_TMPDIR/warmup"
	export BUSYBOX=$BATS_FILE_TMPDIR/busybox
}

setup() {
	common_setup
	HOSTNS=ocirt-nh-$BATS_TEST_NUMBER-$$
	NET_DIR=$BATS_TEST_TMPDIR/net
	IPAM_DIR=$BATS_TEST_TMPDIR/ipam
	CONFLIST=$BATS_TEST_TMPDIR/test.conflist
	ip netns add "$HOSTNS"
	defer "ip netns del $HOSTNS"
	ip netns exec "$HOSTNS" ip link set lo up
	jq --arg d "$IPAM_DIR" '.plugins[0].ipam.dataDir = $d' "$REPO/contrib/cni/ocirt.conflist" >"$CONFLIST"
}

teardown() { common_teardown; }

# net VERB [ARGS...] - ocirt-net against this test's host netns and state.
net() {
	"$OCIRT_NET" "$@" --conflist "$CONFLIST" --state-dir "$NET_DIR" \
		--netns-of-host "/run/netns/$HOSTNS"
}

# hostns CMD... - run CMD in the namespace that stands for the host.
hostns() {
	ip netns exec "$HOSTNS" "$@"
}

# fake_container - start a process in a new netns; sets $PID.
fake_container() {
	unshare -n sleep 1000 </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	PID=$!
	disown "$PID"
	defer "kill -KILL $PID"
	# $! is the process before unshare(2) has run: until it has, its netns
	# is the host's, and a plugin must never be pointed at that.
	local host i
	host=$(readlink /proc/self/ns/net)
	for i in $(seq 200); do
		[[ $(readlink "/proc/$PID/ns/net" 2>/dev/null) != "$host" ]] && return 0
		sleep 0.01
	done
	fail "unshare -n did not make a network namespace for $PID"
}

# kill_container PID - kill a fake container and wait until it is gone.
kill_container() {
	local i
	kill -KILL "$1"
	for i in $(seq 100); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	fail "process $1 did not die"
}

# state_json ID PID - the state a runtime gives a createRuntime hook.
state_json() {
	printf '{"ociVersion":"1.0.2","id":"%s","status":"creating","pid":%s,"bundle":"%s"}' \
		"$1" "$2" "$BATS_TEST_TMPDIR"
}

# net_add ID PID / net_del ID [PID] - ocirt-net as the hooks would call it;
# net_add_out prints the CNI result.
net_add_out() {
	state_json "$1" "$2" | net add
}
net_add() {
	net_add_out "$@" >/dev/null
}
net_del() {
	state_json "$1" "${2:-0}" | net del
}

# in_netns PID CMD... - run CMD in the network namespace of PID.
in_netns() {
	nsenter -t "$1" -n "${@:2}"
}

ping_from() {
	nsenter -t "$1" -n "$BUSYBOX" ping -c 1 -W 2 "$2"
}

# assert_no_leftovers ID - nothing of ID's network is left anywhere.
assert_no_leftovers() {
	local id=$1
	[[ ! -e $NET_DIR/$id.json ]] || fail "record $NET_DIR/$id.json left"
	[[ ! -e $NET_DIR/netns/$id ]] || fail "netns pin $NET_DIR/netns/$id left"
	run grep -F "$NET_DIR/netns/$id" /proc/self/mountinfo
	assert_failure
	# host-local keeps one file per leased address, named by the address,
	# holding the container id.
	run bash -c "grep -lx -- '$id' '$IPAM_DIR'/ocirt/[0-9]* 2>/dev/null"
	assert_output ""
	run nat_rules_of "$id"
	assert_output ""
}

# nat_rules_of ID - the host namespace's NAT rules made for container ID
# (the bridge plugin comments them with the id; -S escapes the quotes).
nat_rules_of() {
	hostns iptables -t nat -S | grep -F "id: \\\"$1\\\"" || true
}

# no_veth_left - the host namespace has no veth at all (each test has its own).
no_veth_left() {
	run hostns ip -o link show type veth
	assert_output ""
}

@test "ocirt-net add gives the container eth0 with an address from the conflist's range, recorded for ocirt-net ip" {
	fake_container
	run net_add_out n1 "$PID"
	assert_success
	ip=$(jq -r '.ips[0].address' <<<"$output")
	[[ $ip == 10.231.0.*/24 ]]
	run in_netns "$PID" ip -4 -o addr show dev eth0
	assert_output --partial "inet $ip"
	run in_netns "$PID" ip route show default
	assert_output --partial "via 10.231.0.1 dev eth0"
	run "$OCIRT_NET" ip --state-dir "$NET_DIR" n1
	assert_output "${ip%/*}"
	# The bridge and the host end of the veth are in the host stand-in.
	run hostns ip -o link show type veth
	assert_output --partial "master ocirt0"
	[[ -f $IPAM_DIR/ocirt/${ip%/*} ]]
	net_del n1
}

@test "two containers on the bridge reach each other, and the host namespace reaches both" {
	fake_container; a=$PID
	fake_container; b=$PID
	net_add a "$a"
	net_add b "$b"
	ip_a=$("$OCIRT_NET" ip --state-dir "$NET_DIR" a)
	ip_b=$("$OCIRT_NET" ip --state-dir "$NET_DIR" b)
	[[ $ip_a != "$ip_b" ]]
	run ping_from "$a" "$ip_b"
	assert_success
	run ping_from "$b" "$ip_a"
	assert_success
	run hostns "$BUSYBOX" ping -c 1 -W 2 "$ip_a"
	assert_success
	run ping_from "$b" 10.231.0.1
	assert_success
	net_del a
	net_del b
}

@test "del after the container died removes the veth, the lease, the NAT rules, the netns pin and the record" {
	fake_container
	net_add n1 "$PID"
	run nat_rules_of n1
	assert_output --partial MASQUERADE
	kill_container "$PID"
	# The pinned netns outlives the process, so DEL still finds the veth
	# and the bridge plugin removes the masquerade rules of its address.
	run net_del n1
	assert_success
	assert_no_leftovers n1
	no_veth_left
}

@test "del without a record succeeds and does nothing (DEL is idempotent)" {
	run net_del never-added
	assert_success
	fake_container
	net_add n1 "$PID"
	net_del n1
	run net_del n1
	assert_success
	assert_no_leftovers n1
}

@test "add twice for one container is refused and keeps the first network" {
	fake_container
	net_add n1 "$PID"
	run net_add_out n1 "$PID"
	assert_failure
	assert_output --partial "already has a network record"
	run in_netns "$PID" ip -o link show dev eth0
	assert_success
	net_del n1
	assert_no_leftovers n1
}

@test "a failing plugin fails add and undoes the plugins before it: no record, pin, lease, veth or rule" {
	jq '.plugins += [{"type": "ocirt-no-such-plugin"}]' "$CONFLIST" >"$CONFLIST.new"
	mv "$CONFLIST.new" "$CONFLIST"
	fake_container
	run net_add_out n1 "$PID"
	assert_failure
	assert_output --partial 'find plugin "ocirt-no-such-plugin"'
	assert_no_leftovers n1
	no_veth_left
	run in_netns "$PID" ip -o link show dev eth0
	assert_failure
}

@test "a plugin's CNI error reaches the message: an address outside the subnet" {
	jq '.plugins[0].ipam.ranges[0][0].rangeStart = "10.99.0.5"' "$CONFLIST" >"$CONFLIST.new"
	mv "$CONFLIST.new" "$CONFLIST"
	fake_container
	run net_add_out n1 "$PID"
	assert_failure
	assert_output --regexp 'plugin "bridge" ADD: .*10\.99\.0\.5'
	assert_no_leftovers n1
}

@test "gc deletes the records of containers that are gone and keeps the live ones" {
	fake_container; live=$PID
	fake_container; dead=$PID
	net_add live "$live"
	net_add dead "$dead"
	kill_container "$dead"
	run "$OCIRT_NET" gc --state-dir "$NET_DIR" --netns-of-host "/run/netns/$HOSTNS"
	assert_success
	assert_output dead
	assert_no_leftovers dead
	[[ -f $NET_DIR/live.json ]]
	run in_netns "$live" ip -o link show dev eth0
	assert_success
	net_del live
	assert_no_leftovers live
	no_veth_left
}

@test "ipMasq: a container reaches an outside namespace that has no route back to the container network" {
	out=ocirt-no-$BATS_TEST_NUMBER-$$
	ip netns add "$out"
	defer "ip netns del $out"
	ip link add vout type veth peer name vhost netns "$HOSTNS"
	ip link set vout netns "$out"
	hostns ip addr add 192.0.2.1/24 dev vhost
	hostns ip link set vhost up
	ip netns exec "$out" ip addr add 192.0.2.2/24 dev vout
	ip netns exec "$out" ip link set vout up
	ip netns exec "$out" ip link set lo up
	# Without masquerading, replies to 10.231.0.x would have no route.
	run ip netns exec "$out" ip route get 10.231.0.2
	assert_failure

	fake_container
	net_add n1 "$PID"
	run ping_from "$PID" 192.0.2.2
	assert_success
	run nat_rules_of n1
	assert_output --partial MASQUERADE

	net_del n1
	assert_no_leftovers n1
	run ping_from "$PID" 192.0.2.2
	assert_failure
}

# --- end to end: ocirt runs ocirt-net as its hooks -------------------------

# require_hooks - skip unless ocirt runs createRuntime and poststop hooks.
require_hooks() {
	local probe=$BATS_TEST_TMPDIR/hook-probe
	make_bundle --dir "$BATS_TEST_TMPDIR/probe" --id "$CTR_ID-probe"
	update_config ".hooks.createRuntime = [{\"path\": \"/bin/touch\", \"args\": [\"touch\", \"$probe\"]}]" \
		"$BATS_TEST_TMPDIR/probe"
	try create --bundle "$BATS_TEST_TMPDIR/probe" "$CTR_ID-probe"
	ocirt delete --force "$CTR_ID-probe" >/dev/null 2>&1 || true
	[[ $status -eq 0 && -e $probe ]] || skip "ocirt does not run createRuntime hooks yet: $output"
}

# net_bundle DIR ID - a bundle for ID whose hooks put it on the test network.
net_bundle() {
	make_bundle --dir "$1" --id "$2"
	"$REPO/contrib/cni/add-network.sh" --ocirt-net "$OCIRT_NET" \
		--arg --state-dir --arg "$NET_DIR" --arg --netns-of-host --arg "/run/netns/$HOSTNS" \
		"$1" "$CONFLIST"
}

@test "end to end: create runs ocirt-net add, the container has an address, delete runs del and leaves nothing" {
	require_hooks
	net_bundle "$BUNDLE" "$CTR_ID"
	create_container
	pid=$(state_field "$CTR_ID" pid)
	ip=$("$OCIRT_NET" ip --state-dir "$NET_DIR" "$CTR_ID")
	run in_netns "$pid" ip -4 -o addr show dev eth0
	assert_output --partial "inet $ip/24"
	run ocirt start "$CTR_ID"
	assert_success
	run hostns "$BUSYBOX" ping -c 1 -W 2 "$ip"
	assert_success
	run ocirt kill "$CTR_ID" KILL
	wait_for_status "$CTR_ID" stopped
	run ocirt delete "$CTR_ID"
	assert_success
	assert_no_leftovers "$CTR_ID"
	no_veth_left
}

@test "end to end: two ocirt containers ping each other over the bridge" {
	require_hooks
	net_bundle "$BUNDLE" "$CTR_ID-a"
	net_bundle "$BATS_TEST_TMPDIR/b" "$CTR_ID-b"
	create_container "$CTR_ID-a"
	create_container "$CTR_ID-b" --bundle "$BATS_TEST_TMPDIR/b"
	ocirt start "$CTR_ID-a"
	ocirt start "$CTR_ID-b"
	ip_a=$("$OCIRT_NET" ip --state-dir "$NET_DIR" "$CTR_ID-a")
	ip_b=$("$OCIRT_NET" ip --state-dir "$NET_DIR" "$CTR_ID-b")
	# From inside a's netns (the container itself lacks CAP_NET_RAW for ping).
	run ping_from "$(state_field "$CTR_ID-a" pid)" "$ip_b"
	assert_success
	run ping_from "$(state_field "$CTR_ID-b" pid)" "$ip_a"
	assert_success
	ocirt delete --force "$CTR_ID-a"
	ocirt delete --force "$CTR_ID-b"
	assert_no_leftovers "$CTR_ID-a"
	assert_no_leftovers "$CTR_ID-b"
	no_veth_left
}

@test "end to end: delete --force of a running container leaves no veth, lease, rule or record" {
	require_hooks
	net_bundle "$BUNDLE" "$CTR_ID"
	create_container
	run ocirt start "$CTR_ID"
	assert_success
	[[ -f $NET_DIR/$CTR_ID.json ]]
	run ocirt delete --force "$CTR_ID"
	assert_success
	assert_no_leftovers "$CTR_ID"
	no_veth_left
}
