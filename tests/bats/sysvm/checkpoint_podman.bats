#!/usr/bin/env bats
# checkpoint_podman.bats (systemd VM) - podman 4.3's `container checkpoint`
# and `container restore` of a container run with the runtime under test,
# on Debian 12's 6.1 kernel where criu 3.17 can dump.
#
# podman 4.3 lets only a runtime whose file is named runc or crun
# checkpoint (crutils.CRRuntimeSupportsCheckpointRestore looks at the
# name), so the runtime under test is installed as .../ocirt-cr/runc and
# passed with --runtime PATH. podman's defaults here otherwise: the
# systemd cgroup manager: restore starts the container's scope again. The
# AppArmor profile is unconfined: criu through the runtime is tested here,
# AppArmor in apparmor.bats.
#
#   /work/wt/sysvm/tests/vm/sysvm.sh --share $PWD --cmd 'bats tests/bats/sysvm/checkpoint_podman.bats'

load ../helpers

IMG=localhost/ocirt-cr-bb

in_sysvm() {
	[[ -d /run/systemd/system ]]
}

setup_file() {
	in_sysvm || return 0
	local d
	d=$(mktemp -d)
	"$REPO/rootfs-tools/mkrootfs.sh" "$d/rootfs" >/dev/null
	tar -C "$d/rootfs" -cf "$d/rootfs.tar" .
	podman import --change 'CMD ["/bin/sh"]' "$d/rootfs.tar" "$IMG" >/dev/null
	rm -rf "$d"
}

teardown_file() {
	if in_sysvm; then
		podman rm -af -t 0 >/dev/null 2>&1 || true
		podman rmi -f "$IMG" >/dev/null 2>&1 || true
	fi
}

setup() {
	in_sysvm || skip "runs only inside the systemd VM (tests/vm/sysvm.sh)"
	command -v criu >/dev/null || skip "criu is not installed"
	common_setup
	local p=$OCIRT
	[[ $p == */* ]] || p=$(command -v "$p")
	RT=/usr/local/libexec/ocirt-cr/runc
	mkdir -p "${RT%/*}"
	install -m 0755 "$p" "$RT"
	IN_VM=1
}

teardown() {
	[[ -n ${IN_VM:-} ]] || return 0
	podman rm -af -t 0 >/dev/null 2>&1 || true
	common_teardown
}

pm() {
	timeout -k 5 120 podman --runtime "$RT" "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# pcount NAME - the counter of container NAME. The counter is written to a
# new file and renamed over /count: `echo $i >/count` truncates first, and a
# cat between the truncation and the write reads nothing (CI saw it once).
pcount() {
	pm exec "$1" cat /count 2>/dev/null || echo 0
}

@test "podman checkpoint and restore (sysvm): the counter goes on from where it was" {
	run pm run -d --network none --security-opt apparmor=unconfined --name cr "$IMG" \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.2; done'
	assert_success
	for _ in $(seq 100); do (($(pcount cr) > 3)) && break; sleep 0.1; done
	run pm container checkpoint cr
	assert_success
	run pm inspect -f '{{.State.Status}}' cr
	assert_output exited
	run pm container restore cr
	assert_success
	run pm inspect -f '{{.State.Status}}' cr
	assert_output running
	# The restored container is in its scope again, tracked by systemd.
	id=$(pm inspect -f '{{.Id}}' cr)
	pid=$(pm inspect -f '{{.State.Pid}}' cr)
	assert_equal "$(systemctl is-active "libpod-$id.scope")" active
	grep -q "libpod-$id.scope" "/proc/$pid/cgroup"
	n=$(pcount cr)
	# Restored, not restarted: a new shell would be back near 1.
	((n > 3)) || fail "the counter is $n after restore"
	sleep 1
	(($(pcount cr) > n)) || fail "the counter stopped at $n"
	run pm rm -f -t 0 cr
	assert_success
}

@test "podman checkpoint --leave-running (sysvm): the container goes on" {
	run pm run -d --network none --security-opt apparmor=unconfined --name lr "$IMG" sleep 1000
	assert_success
	pid=$(pm inspect -f '{{.State.Pid}}' lr)
	run pm container checkpoint --leave-running lr
	assert_success
	run pm inspect -f '{{.State.Status}} {{.State.Pid}}' lr
	assert_output "running $pid"
}
