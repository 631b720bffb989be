"""The container engine's namespaces: network, mount and PID, held by this script (run as `python -I -S holder.py
CONFIG`, standard library only). Podman, kind, buildah and every container run inside; nothing of them touches the
host's network, mounts or processes.

- Network: a new namespace with only ``lo`` up and no route anywhere. ``lo`` carries the resolver address the
  engine's resolv.conf names, where nothing answers: podman would otherwise give containers public resolvers
  (8.8.8.8) when the host's is on loopback, and their DNS queries would be addressed off the machine. Podman's bridge for the kind network, its
  veths and its firewall rules are made in here; packets for any outside address find no route.
- Mounts: a private mount namespace where /proc (this PID namespace's), /sys (a sysfs of this network namespace)
  and /sys/fs/cgroup (the host's cgroup v1 controllers and the unified hierarchy, mounted again: a fresh sysfs
  hides them, which is what breaks runc under `ip netns exec`) are mounted anew, /run is a tmpfs (runc, conmon,
  netavark, podman's runtime state), /etc/containers and /etc/resolv.conf are this engine's own files, and
  /lib/modules exists (kind bind-mounts it; an overlay on /usr/lib adds an empty one where the host has none).
- Cgroups: the holder moves itself into a cgroup of its own in every hierarchy (``edgeconform-kind-<id>`` below
  the harness's) and starts a cgroup namespace there, so podman's cgroups (cgroupfs manager) nest inside it and the
  harness removes them all at the end.
- PIDs: the first child is PID 1 of a new PID namespace. When it dies the kernel kills every process in it,
  containers included: nothing outlives the engine, whatever ends it.

The parent stays outside the PID namespace as the holder: it reports the PID 1's host pid, and kills it when told
(SIGTERM), when the harness dies (unless the engine is kept for a later run), or when PID 1 exits.
Commands enter with `nsenter --target PID1 --mount --net --pid --uts --cgroup`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUTS = 0x00020000, 0x40000000, 0x20000000, 0x04000000
CLONE_NEWCGROUP = 0x02000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x1000, 0x4000, 0x40000
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong]


class StepFailed(Exception):
    pass


def _check(step: str, result: int) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise StepFailed(f"{step}: {os.strerror(err)} (errno {err})")


def mount(source: str, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    _check(f"mount {fstype or source} on {target}", _libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
        data.encode() if data else None))


def cgroup_mounts(mountinfo: str) -> list[tuple[str, str, str]]:
    """(mount point, filesystem type, options) of the host's cgroup hierarchies, from /proc/self/mountinfo."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line:
            continue
        dash = fields.index("-")
        point, fstype, options = fields[4], fields[dash + 1], fields[dash + 3]
        if fstype in ("cgroup", "cgroup2") and point.startswith("/sys/fs/cgroup"):
            kept = [o for o in options.split(",") if o not in ("rw", "ro")]
            found.append((point, fstype, ",".join(kept)))
    return found


def own_cgroups(cgroups: list[tuple[str, str, str]], name: str) -> list[str]:
    """Make ``name`` below this process's cgroup in every hierarchy and move this process there; the folders."""
    current = {}
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        for line in f.read().splitlines():
            _id, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                current[controller] = path
    made = []
    for point, fstype, options in cgroups:
        if fstype == "cgroup2":
            key = ""
        else:
            key = next((o for o in options.split(",") if o in current), None)
            if key is None:
                continue
        folder = os.path.join(point, current[key].lstrip("/"), name)
        os.makedirs(folder, exist_ok=True)
        made.append(folder)
        if "cpuset" in options.split(","):  # a new cpuset is empty until given its parent's CPUs and memory nodes
            for knob in ("cpuset.cpus", "cpuset.mems"):
                with open(os.path.join(os.path.dirname(folder), knob), encoding="ascii") as f:
                    value = f.read()
                with open(os.path.join(folder, knob), "w", encoding="ascii") as f:
                    f.write(value)
        with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii") as f:
            f.write(str(os.getpid()))
    return made


def set_up_mounts(config: dict, cgroups: list[tuple[str, str, str]]) -> None:
    """In the new mount namespace, as PID 1 of the new PID namespace."""
    mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the host
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("cgroup-root", "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
    for point, fstype, options in cgroups:
        os.makedirs(point, exist_ok=True)
        mount(fstype, point, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, options or None)
    mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    os.makedirs("/run/lock", exist_ok=True)
    state = config["state"]
    mount(os.path.join(state, "etc-containers"), "/etc/containers", None, MS_BIND)
    mount(os.path.join(state, "resolv.conf"), "/etc/resolv.conf", None, MS_BIND)
    if not os.path.isdir("/lib/modules"):
        # kind bind-mounts /lib/modules into its nodes; an overlay adds an empty one here, never on the host
        upper = "/run/edgeconform-usr-lib"
        os.makedirs(f"{upper}/upper/modules")
        os.makedirs(f"{upper}/work")
        lib = os.path.realpath("/lib")
        mount("overlay", lib, "overlay", 0, f"lowerdir={lib},upperdir={upper}/upper,workdir={upper}/work")


def bring_lo_up(resolver: str) -> None:
    """lo up, with the resolver address on it (rtnetlink(7): RTM_NEWLINK IFF_UP, RTM_NEWADDR)."""
    import ipaddress
    import socket
    import struct

    lo = socket.if_nametoindex("lo")
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as nl:
        def request(step: str, kind: int, flags: int, body: bytes) -> None:
            nl.send(struct.pack("=IHHII", 16 + len(body), kind, 0x1 | 0x4 | flags, 1, 0) + body)
            code = -struct.unpack_from("=i", nl.recv(4096), 16)[0]
            if code:
                raise StepFailed(f"{step}: {os.strerror(code)}")
        request("set lo up", 16, 0, struct.pack("=BxHiII", socket.AF_UNSPEC, 0, lo, 1, 1))
        address = ipaddress.ip_address(resolver).packed  # IFA_LOCAL and IFA_ADDRESS, /32, host scope
        attrs = b"".join(struct.pack("=HH", 8, kind) + address for kind in (2, 1))
        request(f"add {resolver}/32 to lo", 20, 0x400 | 0x200,
                struct.pack("=BBBBI", socket.AF_INET, 32, 0, 254, lo) + attrs)


def bridged_frames_skip_iptables() -> None:
    """Frames bridged between containers of one podman network do not traverse this namespace's iptables (the
    sysctls are per network namespace). Netavark masquerades what leaves its subnet with no exception for the
    bridge itself, so with bridge netfilter on, a container reaching a pod address through the node it routes it to
    (the load balancer of an ip target) would arrive from the bridge's address instead of its own. Docker's own
    rule excludes its bridge (`! -o docker0`): this makes podman's bridge behave the same."""
    for name in ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"):
        path = f"/proc/sys/net/bridge/{name}"
        if os.path.exists(path):  # absent where the kernel has no bridge netfilter: nothing to turn off
            with open(path, "w", encoding="ascii") as f:
                f.write("0")


def pid_one(config: dict, cgroups: list, report: int) -> None:
    """PID 1 of the engine's PID namespace: set the namespaces up, say so, then reap orphans until killed."""
    try:
        set_up_mounts(config, cgroups)
        bring_lo_up(config["resolver"])
        bridged_frames_skip_iptables()
    except (StepFailed, OSError) as exc:
        os.write(report, json.dumps({"error": str(exc)}).encode())
        os._exit(1)
    # PID 1 ignores signals it has no handler for: wait for them instead, and reap every orphan the PID namespace
    # hands it (processes whose parent, such as nsenter outside, ended)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD, signal.SIGTERM])
    os.write(report, json.dumps({"ok": True}).encode())
    os.close(report)
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        if signal.sigwaitinfo([signal.SIGCHLD, signal.SIGTERM]).si_signo == signal.SIGTERM:
            os._exit(0)


def holder(config: dict) -> None:
    report_fd = config["report_fd"]
    if not config["keep"]:  # (started in a session of its own: a kept engine outlives the run that started it)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != config["parent"]:
            os._exit(1)
    with open("/proc/self/mountinfo", encoding="utf-8") as f:  # before the mount namespace changes it
        cgroups = cgroup_mounts(f.read())
    try:
        cgroup_folders = own_cgroups(cgroups, config["cgroup"])
        _check("unshare(cgroup, mount, network, PID, UTS namespaces)",
               _libc.unshare(CLONE_NEWCGROUP | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS))
    except (StepFailed, OSError) as exc:
        os.write(report_fd, json.dumps({"error": str(exc)}).encode())
        os._exit(1)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        os.close(report_fd)
        pid_one(config, cgroups, write_end)
        os._exit(0)
    os.close(write_end)
    answer = json.loads(os.read(read_end, 4096) or b'{"error": "PID 1 of the engine exited during set-up"}')
    os.close(read_end)
    answer.update({"pid1": child, "holder": os.getpid(), "cgroups": cgroup_folders})
    with open(os.path.join(config["state"], "holder.json"), "w", encoding="utf-8") as f:
        json.dump(answer, f)
    os.write(report_fd, json.dumps(answer).encode())
    os.close(report_fd)
    if "error" in answer:
        os.waitpid(child, 0)
        os._exit(1)

    def stop(signum, frame) -> None:
        try:
            os.kill(child, signal.SIGKILL)  # the kernel then kills every process of the PID namespace
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness's Ctrl-C is the harness's to handle
    os.waitpid(child, 0)


if __name__ == "__main__" and len(sys.argv) == 2:
    holder(json.loads(sys.argv[1]))
