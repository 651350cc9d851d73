#!/usr/bin/env python3
"""log_e2e.py - the shim's log path end to end, beside the host pipeline
and conmon, in one run (a benchmark: it reports, it does not fail).

A container writes MiB MiB of 100-byte lines to its stdout with the same
`yes LINE | head -c N` pipeline as the host, using the same binaries (the
host's coreutils `yes` and `head`, copied into the bundle's rootfs with the
libc they need), and the log goes to tmpfs:

  host   sh -c 'yes LINE | head -c N > FILE'          (the reference)
  host+P%  the same, beside a process that takes P% of one CPU in short
         bursts (--co-runner P, 25 by default): what the pipeline loses to
         any neighbour, to read the shim's cost against (its CPU column is
         the neighbour's)
  ocirt  ocirt run -d --shim always --log-path FILE   (timed until the shim exits)
  cat    ocirt run --shim never | cat > FILE          (timed until cat exits):
         the same container read by the cheapest reader there is, one
         thread writing no CRI headers (its CPU column is cat's)
  conmon podman run -d --log-driver k8s-file          (timed until conmon exits)

Each is timed once with N bytes and once with none, interleaved per round
(host, ocirt, conmon, host-empty, ocirt-empty, conmon-empty), so that the
fixed cost of starting and tearing down (podman's is large) is subtracted:
throughput = MiB / (median(t_N) - median(t_0)). This script is the child
subreaper of everything it starts, so it sees the exact moment the shim or
conmon exits (a `kill -0` poll would also count the time until the system's
pid 1 reaps the orphan: 1.7 s on this machine) and reads its CPU time
(utime + stime of its own threads, not its children's) while it is a zombie.
Below the table, the 25th and 75th percentiles of each round's throughput
against the host's in the same round show how much the medians hide, and
the context switches a round took (the whole machine's) show where yes and
head ran: on two CPUs they share one whenever the scheduler puts yes next
to head, and then switch at nearly every write. The CPUs' idle share of a
round tells how much of the machine was left unused: the host pipeline
leaves much of yes's CPU idle, and what a reader adds can only come out of
that idle time or out of the pipeline's own.
A last, separate round samples the RSS of the shim and of conmon every
1 ms (the largest VmRSS and RssAnon seen under load, and VmHWM), and their
RSS when idle.

--placements ROUNDS then times host, ocirt and cat again with the placement
fixed instead of left to the scheduler (yes and head under taskset, the
reader through the CPU affinity it inherits), so that each is compared with
the host pipeline placed the same way:
  split   yes on CPU 0, head on CPU 1, the reader on either
  packed  yes and head on CPU 1, the reader alone on CPU 0

Usage: log_e2e.py --ocirt [NAME=]PATH... --bundle DIR --logdir DIR [--mib 256]
                  [--rounds 5] [--no-podman] [--no-cat] [--co-runner PCT]
                  [--placements ROUNDS]
The bundle's rootfs must hold /usr/local/bin/yes and /usr/local/bin/head,
and /usr/local/bin/taskset for --placements (bench.sh puts them there).
"""
import argparse
import ctypes
import glob
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

LINE = ("the quick brown fox jumps over the lazy dog 0123456789 "
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopq")  # 99 bytes + "\n"
PR_SET_CHILD_SUBREAPER = 36
HZ = os.sysconf("SC_CLK_TCK")
DEVNULL = os.open(os.devnull, os.O_RDWR)


def pipeline(nbytes, bindir="/usr/local/bin/", pin=None):
    """The writer; pin=(CPUS, CPUS) runs yes and head each under taskset."""
    yes, head = ("%staskset -c %s " % (bindir, c) for c in pin) if pin else ("", "")
    return "%s%syes '%s' | %s%shead -c %d" % (yes, bindir, LINE, head, bindir, nbytes)


def spawn(argv, env=None):
    exe = argv[0] if "/" in argv[0] else shutil.which(argv[0])
    return os.posix_spawn(exe, argv, env or os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, DEVNULL, 0),
                                        (os.POSIX_SPAWN_DUP2, DEVNULL, 1),
                                        (os.POSIX_SPAWN_DUP2, DEVNULL, 2)])


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def cpu_seconds(pid):
    """utime + stime of pid's own threads (fields 14, 15), read while it is a
    zombie: the kernel keeps them until it is reaped."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def run_until(argv, target, env=None):
    """Run argv; as the subreaper, reap everything it leaves behind, and
    return (seconds from spawn until the process named `target` exited,
    its CPU seconds). Waits until every descendant is gone."""
    t0 = time.monotonic()
    return reap_until(t0, spawn(argv, env), argv, target)


def reap_until(t0, first, argv, target):
    """run_until() for processes already spawned: `first` (started from
    argv) must exit with 0."""
    t_end = cpu = None
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            break
        if info is None:
            continue
        pid = info.si_pid
        if comm(pid) == target:
            t_end = time.monotonic() - t0
            cpu = cpu_seconds(pid)
        status = os.waitpid(pid, 0)[1]
        if pid == first and status != 0:
            reap_all()
            raise RuntimeError("%s failed (status %d)" % (" ".join(argv[:3]), status))
    if t_end is None:
        raise RuntimeError("%s: no %s process exited" % (argv[0], target))
    return t_end, cpu


# Every pipeline runs in a cgroup of its own under this one: a container
# does, and with cgroup v1's cpu controller a cgroup competes for the CPU as
# one task against the tasks of its parent, so a host pipeline in the root
# cgroup would get more CPU than a container on a loaded machine.
CGROUP_PARENT = "/ocirt-bench"


def cpu_cgroup_dir(name):
    v1 = "/sys/fs/cgroup/cpu"
    base = v1 if os.path.isdir(v1) and not os.path.islink(v1) else "/sys/fs/cgroup"
    return base + CGROUP_PARENT + "/" + name


class Host:
    name = "host"

    def __init__(self, logdir):
        self.out = os.path.join(logdir, "host.out")
        self.cgroup = cpu_cgroup_dir("host")
        os.makedirs(self.cgroup, exist_ok=True)

    def run(self, nbytes, pin=None):
        t0 = time.monotonic()
        pid = spawn(["sh", "-c", "echo $$ > %s/cgroup.procs && %s > %s"
                     % (self.cgroup, pipeline(nbytes, "/usr/bin/", pin), self.out)])
        os.waitpid(pid, 0)
        t = time.monotonic() - t0
        size = os.path.getsize(self.out)
        os.unlink(self.out)
        return t, None, size

    def sample(self, nbytes):
        return (None, None, None), None

    def close(self):
        os.rmdir(self.cgroup)


# A process that burns `duty` of one CPU in a period of 1 ms (0.25 ms busy
# at 25%), the way the shim's threads use the CPU: short bursts between
# sleeps.
CO_RUNNER = """
import time
busy, idle = 0.001 * %(duty)f, 0.001 * (1 - %(duty)f)
while True:
    t = time.perf_counter() + busy
    while time.perf_counter() < t:
        pass
    time.sleep(idle)
"""


class HostCoRunner(Host):
    """The host pipeline beside a co-runner that takes `duty` of one CPU
    (outside the pipeline's cgroup, as the shim is): how much the pipeline
    itself loses to any process that shares the machine with it. Its CPU
    column is the co-runner's CPU per MiB, to compare with the shim's."""

    def __init__(self, logdir, duty):
        self.name = "host+%d%%" % round(100 * duty)
        self.duty = duty
        self.out = os.path.join(logdir, "hostco.out")
        self.cgroup = cpu_cgroup_dir("hostco")
        os.makedirs(self.cgroup, exist_ok=True)

    def run(self, nbytes):
        co = spawn([sys.executable, "-c", CO_RUNNER % {"duty": self.duty}])
        try:
            # Let it start (the interpreter's start is not the load measured).
            time.sleep(0.1)
            c0 = cpu_seconds(co)
            t, _, size = Host.run(self, nbytes)
            return t, cpu_seconds(co) - c0, size
        finally:
            # Also when the pipeline failed: no neighbour left burning CPU.
            os.kill(co, signal.SIGKILL)
            os.waitpid(co, 0)


class Ocirt:
    def __init__(self, name, ocirt, bundle, logdir):
        self.name, self.ocirt, self.bundle = name, ocirt, bundle
        self.root = tempfile.mkdtemp(prefix="ocirt-bench-e2e.")
        self.log = os.path.join(logdir, name + ".log")
        self.n = 0
        with open(os.path.join(bundle, "config.json")) as f:
            self.config = json.load(f)
        self.config.setdefault("linux", {})["cgroupsPath"] = CGROUP_PARENT + "/" + name

    def _prepare(self, argv):
        self.config["process"]["args"] = argv
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(self.config, f)
        self.n += 1
        if os.path.exists(self.log):
            os.unlink(self.log)
        return "e2e-%d-%d" % (os.getpid(), self.n)

    def _argv(self, cid):
        return [self.ocirt, "--root", self.root, "run", "-d", "--shim", "always",
                "--log-path", self.log, "--bundle", self.bundle, cid]

    def _delete(self, cid):
        os.waitpid(spawn([self.ocirt, "--root", self.root, "delete", "--force", cid]), 0)

    def run(self, nbytes, pin=None):
        cid = self._prepare(["sh", "-c", pipeline(nbytes, pin=pin)])
        t, cpu = run_until(self._argv(cid), "ocirt-shim")
        size = os.path.getsize(self.log)
        self._delete(cid)
        return t, cpu, size

    def _shim_pid(self, cid):
        with open(os.path.join(self.root, cid, "state.json")) as f:
            return json.load(f)["shim_pid"]

    def sample(self, nbytes):
        cid = self._prepare(["sh", "-c", pipeline(nbytes)])
        os.waitpid(spawn(self._argv(cid)), 0)
        peak = sample_hwm(self._shim_pid(cid))
        reap_all()
        self._delete(cid)
        cid = self._prepare(["sleep", "2"])
        os.waitpid(spawn(self._argv(cid)), 0)
        time.sleep(0.5)
        idle = vm_kib(self._shim_pid(cid), "VmRSS")
        reap_all()
        self._delete(cid)
        return peak, idle

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class ContainerCat(Ocirt):
    """The same container without a shim (`run --shim never`), its stdout
    piped to `cat > FILE` outside its cgroup: the cheapest reader there is
    (one thread, no CRI headers), which tells what the shim costs from what
    any process that reads the container's output costs. Its CPU column is
    cat's."""

    def __init__(self, ocirt, bundle, logdir):
        Ocirt.__init__(self, "cat", ocirt, bundle, logdir)

    def run(self, nbytes, pin=None):
        cid = self._prepare(["sh", "-c", pipeline(nbytes, pin=pin)])
        argv = [self.ocirt, "--root", self.root, "run", "--shim", "never",
                "--bundle", self.bundle, cid]
        # Both ends are close-on-exec: each child keeps only the one it dups.
        # cat first: if cat cannot be started, no container is left running
        # (and if the container cannot be, cat reads EOF and ends).
        r, w = os.pipe()
        t0 = time.monotonic()
        try:
            os.posix_spawn(shutil.which("cat"), ["cat"], os.environ, file_actions=[
                (os.POSIX_SPAWN_DUP2, r, 0),
                (os.POSIX_SPAWN_OPEN, 1, self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                (os.POSIX_SPAWN_DUP2, DEVNULL, 2)])
            runner = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, w, 1),
                (os.POSIX_SPAWN_DUP2, DEVNULL, 2)])
        finally:
            os.close(r)
            os.close(w)
        t, cpu = reap_until(t0, runner, argv, "cat")
        size = os.path.getsize(self.log)
        self._delete(cid)
        return t, cpu, size

    def sample(self, nbytes):
        return (None, None, None), None


class Conmon:
    """podman with a private store and configuration, the same rootfs
    imported as an image, and a k8s-file log on tmpfs."""
    name = "conmon"
    IMAGE = "localhost/ocirt-bench-log"

    def __init__(self, bundle, logdir):
        self.work = tempfile.mkdtemp(prefix="ocirt-bench-pm.")
        # podman refuses a runroot path longer than 50 characters.
        self.runroot = tempfile.mkdtemp(prefix="ocirt-bpm.", dir="/run")
        self.log = os.path.join(logdir, "conmon.log")
        w = self.work
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = min(32768, resource.getrlimit(resource.RLIMIT_NPROC)[1])
        os.makedirs(w + "/tmp")
        os.makedirs(w + "/networks")
        with open(w + "/containers.conf", "w") as f:
            f.write('[containers]\nnetns = "none"\n'
                    # Only within the hard limits: no CAP_SYS_RESOURCE here.
                    'default_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    'tmp_dir = "%s/tmp"\n'
                    '[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "%s/networks"\n'
                    % (nofile, nofile, nproc, nproc, w, w))
        with open(w + "/storage.conf", "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s/graph"\nrunroot = "%s"\n'
                    % (w, self.runroot))
        open(w + "/registries.conf", "w").close()
        self.env = dict(os.environ, CONTAINERS_CONF=w + "/containers.conf",
                        CONTAINERS_STORAGE_CONF=w + "/storage.conf",
                        CONTAINERS_REGISTRIES_CONF=w + "/registries.conf")
        subprocess.run(["tar", "-C", os.path.join(bundle, "rootfs"), "-cf", w + "/rootfs.tar", "."],
                       check=True)
        self.podman(["import", w + "/rootfs.tar", self.IMAGE])

    def podman(self, args, capture=False):
        r = subprocess.run(["podman"] + args, env=self.env, stdin=DEVNULL, check=True,
                           stdout=subprocess.PIPE if capture else DEVNULL, stderr=DEVNULL)
        return r.stdout.decode().strip() if capture else None

    def _argv(self, cmd):
        if os.path.exists(self.log):
            os.unlink(self.log)
        return ["podman", "run", "-d", "--runtime", "runc", "--network", "none",
                "--cgroup-parent", CGROUP_PARENT, "--log-driver", "k8s-file",
                "--log-opt", "path=" + self.log, self.IMAGE] + cmd

    def run(self, nbytes):
        t, cpu = run_until(self._argv(["sh", "-c", pipeline(nbytes)]), "conmon", self.env)
        size = os.path.getsize(self.log)
        self.podman(["rm", "-af", "-t", "0"])
        return t, cpu, size

    def _conmon_pid(self):
        return int(self.podman(["inspect", "-l", "--format", "{{.State.ConmonPid}}"], capture=True))

    def sample(self, nbytes):
        os.waitpid(spawn(self._argv(["sh", "-c", pipeline(nbytes)]), self.env), 0)
        peak = sample_hwm(self._conmon_pid())
        reap_all()
        self.podman(["rm", "-af", "-t", "0"])
        os.waitpid(spawn(self._argv(["sleep", "3"]), self.env), 0)
        time.sleep(0.5)
        idle = vm_kib(self._conmon_pid(), "VmRSS")
        reap_all()
        self.podman(["rm", "-af", "-t", "0"])
        return peak, idle

    def close(self):
        try:
            self.podman(["rm", "-af", "-t", "0"])
            self.podman(["rmi", "-af"])
        except subprocess.CalledProcessError:
            pass
        # c/storage leaves its overlay home mounted; unmount what is ours.
        with open("/proc/self/mountinfo") as f:
            mounts = [l.split()[4] for l in f]
        for m in reversed(mounts):
            if m.startswith(self.work) or m.startswith(self.runroot):
                subprocess.run(["umount", "-l", m], stderr=DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.runroot, ignore_errors=True)


def vm_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith(key + ":"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


def sample_hwm(pid):
    """Sample pid every 1 ms until it exits: (the largest VmRSS seen, the
    last VmHWM seen, the largest RssAnon seen). VmHWM also counts what the
    process held before the load: for the shim, the create it ran. RssAnon
    is the part of the RSS that is the process's own memory rather than
    pages of its binary and libraries, which the page cache shares. 1 ms,
    through one open fd: what a process maps as it finishes (the shim and
    conmon both record the exit then) lasts a few ms, which a slower
    sampling misses more often than not."""
    peak = hwm = anon = 0
    try:
        fd = os.open("/proc/%d/status" % pid, os.O_RDONLY)
    except OSError:
        return peak, hwm, anon
    try:
        while True:
            try:
                text = os.pread(fd, 8192, 0).decode()
            except OSError:
                break
            v = {}
            for l in text.splitlines():
                k, _, rest = l.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon"):
                    v[k] = int(rest.split()[0])
            if len(v) < 3:
                break
            peak, hwm, anon = max(peak, v["VmRSS"]), max(hwm, v["VmHWM"]), max(anon, v["RssAnon"])
            time.sleep(0.001)
    finally:
        os.close(fd)
    return peak, hwm, anon


def idle_jiffies():
    """Idle + iowait jiffies of all CPUs so far (/proc/stat cpu)."""
    with open("/proc/stat") as f:
        v = f.readline().split()
    return int(v[4]) + int(v[5])


def context_switches():
    """Context switches of the whole machine so far (/proc/stat ctxt)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("ctxt "):
                return int(line.split()[1])
    return 0


# Where the writer and its reader run decides the throughput on two CPUs
# as much as the reader's own cost: each placement pins yes and head with
# taskset (pin) and the reader through the affinity it inherits (cpus).
PLACEMENTS = [
    ("split", "yes on CPU 0, head on CPU 1, the reader on either", ("0", "1"), {0, 1}),
    ("packed", "yes and head on CPU 1, the reader on CPU 0", ("1", "1"), {0}),
]


def placement_rounds(subjects, nbytes, rounds):
    """{placement: {subject: net seconds}}: medians of `rounds` interleaved
    rounds, each pinned as PLACEMENTS says, the empty run subtracted."""
    mask = os.sched_getaffinity(0)
    out = {}
    try:
        for place, _, pin, cpus in PLACEMENTS:
            os.sched_setaffinity(0, cpus)
            t = {s.name: {0: [], nbytes: []} for s in subjects}
            for _ in range(rounds):
                for n in (nbytes, 0):
                    for s in subjects:
                        t[s.name][n].append(s.run(n, pin)[0])
            out[place] = {k: statistics.median(v[nbytes]) - statistics.median(v[0])
                          for k, v in t.items()}
    finally:
        os.sched_setaffinity(0, mask)
    return out


def print_placements(result, names, rounds):
    print("pinned placements, %d interleaved rounds each: net time, and x host "
          "in the same placement" % rounds)
    print("%-8s" % "" + "".join("%19s" % p for p, _, _, _ in PLACEMENTS))
    for name in names:
        row = ""
        for place, _, _, _ in PLACEMENTS:
            net, host = result[place][name], result[place]["host"]
            row += "%10.0f ms %5.2f" % (1000 * net, host / net if net > 0 else float("nan"))
        print("%-8s%s" % (name, row))
    print("; ".join("%s: %s" % (p, what) for p, what, _, _ in PLACEMENTS))


def reap_all():
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ocirt", required=True, action="append",
                    help="PATH, or NAME=PATH to compare several builds (repeat)")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--co-runner", type=int, default=25, metavar="PCT",
                    help="also time the host pipeline beside a process taking PCT%% "
                    "of one CPU (0: not)")
    ap.add_argument("--no-cat", action="store_true",
                    help="do not time the container read by cat (no shim)")
    ap.add_argument("--placements", type=int, default=0, metavar="ROUNDS",
                    help="also time host, ocirt and cat with the writer and the reader "
                    "pinned to CPUs 0 and 1 (needs taskset in the rootfs and 2 CPUs)")
    a = ap.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("log_e2e: cannot become a child subreaper")
    nbytes = a.mib << 20
    subjects = [Host(a.logdir)]
    if a.co_runner > 0:
        subjects.append(HostCoRunner(a.logdir, a.co_runner / 100))
    builds = [o.split("=", 1) if "=" in o else ("ocirt", o) for o in a.ocirt]
    for name, path in builds:
        subjects.append(Ocirt(name, path, a.bundle, a.logdir))
    if not a.no_cat:
        # The first build's `run`: the container is the same for every build.
        subjects.append(ContainerCat(builds[0][1], a.bundle, a.logdir))
    if not a.no_podman and shutil.which("podman") and shutil.which("conmon"):
        try:
            subjects.append(Conmon(a.bundle, a.logdir))
        except (subprocess.CalledProcessError, OSError) as e:
            print("log e2e: podman unusable, conmon not measured: %s" % e)
    times = {s.name: {0: [], nbytes: []} for s in subjects}
    cpus = {s.name: {0: [], nbytes: []} for s in subjects}
    switches = {s.name: [] for s in subjects}
    idles = {s.name: [] for s in subjects}
    sizes = {}
    placed = None
    load0 = os.getloadavg()
    try:
        for _ in range(a.rounds):
            for n in (nbytes, 0):
                for s in subjects:
                    c0 = context_switches()
                    i0, w0 = idle_jiffies(), time.monotonic()
                    t, cpu, size = s.run(n)
                    if n:
                        switches[s.name].append(context_switches() - c0)
                        idles[s.name].append((idle_jiffies() - i0) / HZ
                                             / ((time.monotonic() - w0) * os.cpu_count()))
                    times[s.name][n].append(t)
                    if cpu is not None:
                        cpus[s.name][n].append(cpu)
                    if n:
                        sizes[s.name] = size
        mem = {s.name: s.sample(nbytes) for s in subjects}
        if a.placements > 0 and {0, 1} <= os.sched_getaffinity(0):
            pinned = [s for s in subjects if isinstance(s, (Ocirt, Host))
                      and not isinstance(s, HostCoRunner)]
            placed = placement_rounds(pinned, nbytes, a.placements)
    finally:
        for s in subjects:
            s.close()
        # podman leaves conmon's cgroup (<parent>/conmon) behind, empty.
        dirs = (glob.glob("/sys/fs/cgroup/*%s/*/" % CGROUP_PARENT)
                + glob.glob("/sys/fs/cgroup%s/*/" % CGROUP_PARENT)
                + glob.glob("/sys/fs/cgroup/*" + CGROUP_PARENT))
        for d in dirs + [cpu_cgroup_dir("")]:
            try:
                os.rmdir(d)
            except OSError:
                pass
    load1 = os.getloadavg()

    print("log path end to end: %d MiB of 100-byte lines to stdout, logs on tmpfs, "
          "%d interleaved rounds; load average %.1f before, %.1f after (%d cores)"
          % (a.mib, a.rounds, load0[0], load1[0], os.cpu_count()))
    print("%-8s %9s %9s %9s %8s %7s %8s %10s %10s %9s %9s %9s" % (
        "", "median", "empty", "net", "MiB/s", "x host", "x conmon", "CPU ms/MiB",
        "RSS load", "VmHWM", "anon load", "idle RSS"))
    rate = {}
    for s in subjects:
        full, empty = statistics.median(times[s.name][nbytes]), statistics.median(times[s.name][0])
        # Too few MiB or rounds for the noise: no figure rather than a wrong one.
        rate[s.name] = a.mib / (full - empty) if full > empty else float("nan")
    for s in subjects:
        full, empty = statistics.median(times[s.name][nbytes]), statistics.median(times[s.name][0])
        cpu = "-"
        if cpus[s.name][nbytes]:
            c = statistics.median(cpus[s.name][nbytes]) - statistics.median(cpus[s.name][0])
            cpu = "%.2f" % (1000 * c / a.mib)
        (peak, hwm, anon), idle = mem[s.name]
        print("%-8s %7.0f ms %6.0f ms %6.0f ms %8.0f %7.2f %8s %10s %10s %9s %9s %9s" % (
            s.name, 1000 * full, 1000 * empty, 1000 * (full - empty), rate[s.name],
            rate[s.name] / rate["host"],
            "%.2f" % (rate[s.name] / rate["conmon"]) if "conmon" in rate else "-", cpu,
            "%.2f MiB" % (peak / 1024) if peak else "-",
            "%.2f MiB" % (hwm / 1024) if hwm else "-",
            "%.2f MiB" % (anon / 1024) if anon else "-",
            "%.2f MiB" % (idle / 1024) if idle else "-"))
    # The spread the medians hide: each round's throughput against the
    # host's of the same round (both net of their median empty run).
    spread = []
    host_net = [t - statistics.median(times["host"][0]) for t in times["host"][nbytes]]
    for s in subjects[1:]:
        net = [t - statistics.median(times[s.name][0]) for t in times[s.name][nbytes]]
        r = sorted(h / n for h, n in zip(host_net, net) if n > 0 and h > 0)
        if len(r) >= 4:
            q = statistics.quantiles(r, n=4)
            spread.append("%s %.2f-%.2f" % (s.name, q[0], q[2]))
    if spread:
        print("x host per round, 25th-75th percentile: " + ", ".join(spread))
    # Two processes that hand data to each other through a pipe on one CPU
    # switch at every write: how many switches a round took tells whether
    # yes and head shared a CPU.
    print("context switches per round, whole machine, median: " +
          ", ".join("%s %.0fk" % (k, statistics.median(v) / 1000) for k, v in switches.items()))
    print("CPUs idle during a round, median: " +
          ", ".join("%s %.0f%%" % (k, 100 * statistics.median(v)) for k, v in idles.items()))
    print("log bytes written (content + CRI headers): " +
          ", ".join("%s %d" % (k, v) for k, v in sizes.items()))
    if placed:
        print()
        print_placements(placed, list(placed[PLACEMENTS[0][0]]), a.placements)
    elif a.placements > 0:
        print("pinned placements: not timed, CPUs 0 and 1 are not both ours")


if __name__ == "__main__":
    main()
