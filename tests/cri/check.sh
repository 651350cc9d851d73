#!/bin/bash
# check.sh [OCIRT] - run the README's Kubernetes section against a private
# containerd 1.6 with its CRI plugin: the README's TOML (extracted from
# README.md, so the check is of the text users copy), BinaryName set to the
# ocirt under test and Root to a private directory; then client.js speaks
# the CRI to it (Status, RunPodSandbox with the ocirt handler, a container,
# ExecSync, stop and remove). Then once more with restrict_oom_score_adj =
# false, where this host (no CAP_SYS_RESOURCE) must refuse the sandbox's
# oom_score_adj of -998 with ocirt's message.
#
# Needs: containerd, umoci, jq, node and npm (the two @grpc packages are
# installed under tests/.work/cri/ on first use). Not part of `make check`.
# Leaves nothing behind: its containerd, work dir and cgroups are removed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
OCIRT=$(realpath "${1:-$repo/ocirt}")
mod=$repo/tests/.work/cri
w=$(mktemp -d /tmp/ocirt-cri.XXXXXX)
cg=ocirt-cri-${w##*.}
[[ -e /run/containerd ]] && own_run=0 || own_run=1

cleanup() {
	[[ -f $w/pid ]] && kill "$(cat "$w/pid")" 2>/dev/null && sleep 1
	grep -F " $w/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$w"
	for d in /sys/fs/cgroup/*/"$cg"; do [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	((own_run)) && rm -rf /run/containerd 2>/dev/null
	return 0
}
trap cleanup EXIT

if [[ ! -d $mod/node_modules/@grpc/grpc-js || ! -d $mod/node_modules/@grpc/proto-loader ]]; then
	mkdir -p "$mod"
	(cd "$mod" && npm install --silent --no-audit --no-fund --prefix "$mod" @grpc/grpc-js @grpc/proto-loader >/dev/null)
fi

# The images: busybox as the pod's container, and as its pause container.
"$repo/rootfs-tools/mkrootfs.sh" "$w/rootfs" >/dev/null
make_image() { # NAME CMD...
	local name=$1 o=$w/oci-$1 a args=()
	shift
	umoci init --layout "$o"
	umoci new --image "$o:latest"
	umoci unpack --image "$o:latest" "$w/unpacked" >/dev/null
	cp -a "$w/rootfs/." "$w/unpacked/rootfs/"
	umoci repack --image "$o:latest" "$w/unpacked"
	rm -rf "$w/unpacked"
	for a in "$@"; do args+=(--config.cmd "$a"); done
	umoci config --image "$o:latest" "${args[@]}"
	jq --arg ref "docker.io/library/$name:latest" \
		'.manifests[0].annotations["org.opencontainers.image.ref.name"] = $ref' "$o/index.json" >"$w/i.json"
	mv "$w/i.json" "$o/index.json"
	tar -C "$o" -cf "$w/$name.tar" .
}
make_image ocirt-cri-pause sleep 2147483647
make_image ocirt-cri-bb /bin/sh

# run RESTRICT: start containerd with the README's TOML, RESTRICT as
# restrict_oom_score_adj, and run client.js; its exit status.
run() {
	local restrict=$1 st=0
	mkdir -p "$w/cni-bin" "$w/cni-conf" "$w/logs" "$w/ocirt-root"
	awk '/^## Kubernetes/ {k = 1} k && /^```toml$/ {t = 1; next} t && /^```$/ {exit} t' README.md |
		sed -e "s|\"/usr/local/bin/ocirt\"|\"$OCIRT\"|" \
			-e "s|\"/run/containerd/ocirt\"|\"$w/ocirt-root\"|" \
			-e "s|^  restrict_oom_score_adj = true|  restrict_oom_score_adj = $restrict|" \
			-e "/^  restrict_oom_score_adj/a\\  sandbox_image = \"docker.io/library/ocirt-cri-pause:latest\"" >"$w/ocirt.toml"
	grep -qF "BinaryName = \"$OCIRT\"" "$w/ocirt.toml" || { echo "check.sh: no TOML with BinaryName in README.md's Kubernetes section" >&2; return 1; }
	cat >>"$w/ocirt.toml" <<-EOT
		[plugins."io.containerd.grpc.v1.cri".cni]
		  bin_dir = "$w/cni-bin"
		  conf_dir = "$w/cni-conf"
	EOT
	cat >"$w/config.toml" <<-EOT
		version = 2
		imports = ["$w/ocirt.toml"]
		root = "$w/root"
		state = "$w/state"
		[grpc]
		  address = "$w/c.sock"
		[ttrpc]
		  address = "$w/c.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$w/opt"
	EOT
	containerd --config "$w/config.toml" </dev/null >"$w/containerd.log" 2>&1 &
	echo $! >"$w/pid"
	for _ in $(seq 75); do ctr --address "$w/c.sock" version >/dev/null 2>&1 && break; sleep 0.2; done
	ctr --address "$w/c.sock" -n k8s.io images import "$w/ocirt-cri-pause.tar" >/dev/null
	ctr --address "$w/c.sock" -n k8s.io images import "$w/ocirt-cri-bb.tar" >/dev/null
	NODE_PATH=$mod/node_modules LOGDIR=$w/logs CGROUP_PARENT=/$cg IMAGE=docker.io/library/ocirt-cri-bb:latest \
		node tests/cri/client.js "$w/c.sock" "$w/ocirt-root" || st=$?
	kill "$(cat "$w/pid")"
	for _ in $(seq 50); do kill -0 "$(cat "$w/pid")" 2>/dev/null || break; sleep 0.1; done
	rm -f "$w/pid"
	rm -rf "$w/root" "$w/state"
	return $st
}

echo "== restrict_oom_score_adj = true (the README's TOML)"
run true
echo "== restrict_oom_score_adj = false"
out=$(run false 2>&1) && { echo "$out"; echo "check.sh: the sandbox ran without restrict_oom_score_adj" >&2; exit 1; }
echo "$out"
grep -qF 'process.oomScoreAdj: a negative value needs CAP_SYS_RESOURCE' <<<"$out" || { echo "check.sh: not the expected refusal" >&2; exit 1; }
echo "ok: without restrict_oom_score_adj the sandbox is refused, saying why"
