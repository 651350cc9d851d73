#!/bin/bash
# gen-man.sh [OCIRT] - print ocirt(8) in roff, generated from the binary's
# own --help output, so the man page cannot drift from the command line
# (tests/bats/docs.bats regenerates it and compares with contrib/ocirt.8).
set -euo pipefail
OCIRT=${1:-./ocirt}

esc() { sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/" -e 's/-/\\-/g'; }

version=$("$OCIRT" --version | head -n1 | awk '{print $3}')
cat <<HEAD
.TH OCIRT 8 "" "ocirt $version" "System Administration"
.SH NAME
ocirt \- a daemonless OCI container runtime, compatible with runc
.SH SYNOPSIS
.B ocirt
[\fIglobal options\fR] \fIcommand\fR [\fIcommand options\fR] [\fIarguments\fR...]
.SH DESCRIPTION
ocirt runs OCI bundles (a \fIconfig.json\fR and a root filesystem) in
namespaces, control groups and a seccomp and capability sandbox. Its command
line and JSON follow runc's, so containerd and podman can use it in runc's
place. In standalone use it leaves a small per-container shim that records
the container's output (\fBocirt logs\fR) and exit status (\fBocirt state\fR);
under a manager that is a child subreaper (conmon, containerd-shim) it adds
no process of its own.
.PP
The caller's stdio, as with runc: with a shim, the container reads the
caller's stdin when it is a pipe or a file (a terminal or a closed stdin
gives /dev/null), and its stdout and stderr go to the log and, when the
caller's stdout or stderr is a file or a pipe, there too
(\fBocirt run \-d\fR \fIid\fR \fB> out\fR). A pipe that is full holds the
container back, as runc's would, but for at most 10 s without progress;
then, or at once when the pipe's reader is gone, only the log goes on, and
an event of type "shim" says so (\fBocirt events\fR). A terminal or
/dev/null is not copied to.
.SH GLOBAL OPTIONS
.nf
HEAD
"$OCIRT" --help | sed -n '/^GLOBAL OPTIONS:/,$p' | tail -n +2 | esc
echo ".fi"
echo ".SH COMMANDS"
# The verbs of the COMMANDS section, less "help, h" (runc's layout).
for verb in $("$OCIRT" --help | sed -n '/^COMMANDS:/,/^$/p' | awk 'NF > 1 && $1 != "COMMANDS:" && $1 !~ /,$/ {print $1}'); do
	help=$("$OCIRT" "$verb" --help)
	echo ".SS $verb"
	echo ".nf"
	printf '%s\n' "$help" | sed -e '1{/^NAME:$/d}' | esc
	echo ".fi"
done
cat <<'TAIL'
.SH FILES
.TP
.I /run/ocirt/<id>/
the state of a container: state.json, a copy of config.json, exec.fifo while
it is created, and the shim's container.log and events.json (the memory
monitor's events and the shim's own failures, relayed by \fBocirt events\fR).
.TP
.I /dev/container_monitor
the kernel memory monitor (kmod/), used when present.
.SH ENVIRONMENT
.TP
.B OCIRT_SHIM
auto, always or never: overrides the rule that decides whether create and
run \-d leave a shim (see the README).
.SH EXIT STATUS
0 on success, 1 on an error. \fBrun\fR and \fBexec\fR in the foreground exit
with the container process's code (128+N when a signal N killed it);
\fBexec\fR exits 255 when the process cannot be started.
.SH SEE ALSO
.BR runc (8),
.BR crun (1),
.BR podman (1),
.BR ctr (8)
TAIL
