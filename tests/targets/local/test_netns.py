"""The edge's own network namespace (edgeconform/targets/local/netns.py): made for root and for a normal user, with
AWS-like addresses that exist only inside, no way out, sockets handed to the harness, and nothing left behind."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edgeconform import binaries
from edgeconform.targets.local import netns

pytestmark = pytest.mark.integration
MODES = ["netns", "userns"] if os.geteuid() == 0 else ["userns"]
# A process whose child leaves its session: PR_SET_PDEATHSIG does not reach that child (fork clears it).
ESCAPER = "import os, time\nif os.fork() == 0:\n    os.setsid()\ntime.sleep(300)\n"


@pytest.fixture(params=MODES)
def ns(request):
    if not netns.available(userns=request.param == "userns")[0]:
        pytest.skip(netns.available(userns=request.param == "userns")[1])
    with netns.Namespace(userns=request.param == "userns") as namespace:
        yield namespace


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_gone(pids, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)  # pacing inside a bounded wait
    return all(gone(pid) for pid in pids)


# --- the namespace ---------------------------------------------------------------------------------------------
def test_processes_inside_are_root_with_cap_net_admin(ns):
    probe = ns.start([sys.executable, "-c", "import os; print(os.getuid(), os.readlink('/proc/self/ns/net'), "
                      "[l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1])"],
                     stdout=subprocess.PIPE, text=True)
    uid, net, cap_eff = probe.communicate(timeout=10)[0].split()
    assert uid == "0"
    assert int(cap_eff, 16) & (1 << 12), "CAP_NET_ADMIN (12) is missing inside: HAProxy's usesrc clientip needs it"
    assert net == os.readlink(f"/proc/{ns.holder.pid}/ns/net") != os.readlink("/proc/self/ns/net")


def test_the_harness_stays_in_the_host_namespace_where_the_ranges_are_not_local(ns):
    assert os.readlink("/proc/self/ns/net") != os.readlink(f"/proc/{ns.holder.pid}/ns/net")
    with netns._Netlink() as host:  # a read-only route lookup in the host: nothing is sent
        try:
            assert host.route_get("10.0.1.17")["type"] != "local"
        except OSError:
            pass


def test_the_namespace_has_no_uplink(ns):
    assert ns.interfaces() == [{"index": 1, "name": "lo", "up": True}]
    routes = ns.routes()
    assert all(route["dev"] == "lo" and "gateway" not in route for route in routes), routes
    assert not [route for route in routes if route["dst"] == "default"]
    for outside in netns.OUTSIDE:  # route lookups only: no packet is sent
        with pytest.raises(OSError) as raised:
            ns.route_get(outside)
        assert raised.value.errno == errno.ENETUNREACH
    assert ns.route_get("198.51.100.11")["type"] == "local" and ns.route_get("2001:db8:c::11")["type"] == "local"
    assert ns.uplinks() == []


def test_uplinks_reports_an_interface_or_a_route_that_leads_out():
    # The proof can fail: fed the host's own view (which has a default route here), it names what leads out.
    class Host(netns.Namespace):
        def __init__(self):  # the host's netlink, read only
            pass

        def socket(self, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
            return socket.socket(family, type, proto)

    found = Host().uplinks(outside=())
    assert found, "the host namespace has an interface or route besides lo; the proof must say so"


def test_a_failing_setup_step_raises_before_anything_runs():
    with pytest.raises(netns.NamespaceError, match=r"route add local 10\.0\.0\.0/16 dev lo table local failed: "
                                                   r"File exists \(EEXIST\)"):
        netns.Namespace(anyip=["10.0.0.0/16", "10.0.0.0/16"])


def test_the_work_folder_is_private_and_removed():
    with netns.Namespace() as ns:
        workdir = ns.workdir
        assert os.stat(workdir).st_mode & 0o777 == 0o700
    assert not os.path.exists(workdir)


def test_close_ends_every_process_inside(ns):
    started = ns.start(["sleep", "300"])
    # Started by the caller's own Popen, and a grandchild that leaves the process group: close() finds them too.
    other = subprocess.Popen([sys.executable, "-c", ESCAPER], **ns.popen_kwargs())
    deadline = time.monotonic() + 5
    while len(ns.members()) < 4 and time.monotonic() < deadline:  # holder, sleep, escaper, its child
        time.sleep(0.02)
    members = ns.members()
    assert len(members) == 4 and {ns.holder.pid, started.pid, other.pid} <= set(members)
    ns.close()
    other.wait(timeout=5)
    assert wait_gone(members)
    assert ns.holder.returncode == 0


def test_the_holder_outlives_the_thread_that_started_it():
    """PR_SET_PDEATHSIG fires when the creating *thread* exits; the holder must stay while the harness lives."""
    made = []
    thread = threading.Thread(target=lambda: made.append(netns.Namespace()))
    thread.start()
    thread.join()
    with made[0] as ns:
        time.sleep(0.2)  # long enough for a parent-death signal to have arrived
        assert ns.holder.poll() is None
        assert ns.socket().family == socket.AF_INET


# --- sockets handed out ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("server, client", [("10.0.1.17", "198.51.100.11"), ("2001:db8:1::17", "2001:db8:c::11")])
def test_passed_sockets_carry_the_namespaces_addresses(ns, server, client):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with ns.socket(family) as listener:
        listener.bind((server, 443))  # a low port: the harness owns the namespace
        listener.listen()
        with ns.connect(client, server, 443) as sock:
            accepted, peer = listener.accept()
            accepted.close()
            assert peer[0] == client and sock.getsockname()[0] == client
    with pytest.raises(OSError) as raised:  # outside the ranges there is nothing
        ns.connect(None, "192.0.2.1" if family == socket.AF_INET else "3fff::1", 80)
    assert raised.value.errno == errno.ENETUNREACH


def test_sockets_from_many_threads(ns):
    with ns.socket() as listener:
        listener.bind(("10.0.1.30", 80))
        listener.listen(512)
        peers = []

        def client(n):
            for _ in range(25):
                with ns.connect(f"198.51.100.{n + 1}", "10.0.1.30", 80):
                    peers.append(n)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        accepted = [listener.accept()[0].close() for _ in range(200)]
        for thread in threads:
            thread.join()
    assert len(peers) == len(accepted) == 200


# --- nothing outlives the harness --------------------------------------------------------------------------------
CHILD_HARNESS = r"""
import json, os, sys, time
from edgeconform.targets.local import netns
ns = netns.Namespace(userns=sys.argv[1] == "userns")
open(os.path.join(ns.workdir, "lb.cfg"), "w").write(sys.argv[3])
haproxy = ns.start([sys.argv[2], "-db", "-f", os.path.join(ns.workdir, "lb.cfg")], stdout=open(os.devnull, "w"),
                   stderr=open(os.devnull, "w"))
escaper = ns.start([sys.executable, "-c", sys.argv[4]])  # with a grandchild that leaves its group
while len(ns.members()) < 4:
    time.sleep(0.02)
net = os.stat(f"/proc/{ns.holder.pid}/ns/net")
print(json.dumps({"pids": ns.members(), "holder": ns.holder.pid, "children": [haproxy.pid, escaper.pid],
                  "net": [net.st_dev, net.st_ino], "workdir": ns.workdir}), flush=True)
time.sleep(300)
"""
HAPROXY_CFG = "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n" \
              "frontend nlb\n    bind 10.0.1.17:80\n    default_backend targets\n" \
              "backend targets\n    source 0.0.0.0 usesrc clientip\n    server echo 10.0.4.1:8080\n"


def child_harness(mode: str) -> dict:
    """A harness in a child process, with HAProxy and an escaper inside; returns what it made."""
    child = subprocess.Popen([sys.executable, "-c", CHILD_HARNESS, mode, binaries.find("haproxy"), HAPROXY_CFG,
                              ESCAPER], stdout=subprocess.PIPE, text=True)
    try:
        state = json.loads(child.stdout.readline())
    except BaseException:
        child.kill()
        raise
    state["harness"] = child
    assert len(state["pids"]) == 4  # holder, haproxy, escaper, its child
    return state


@pytest.mark.parametrize("mode", MODES)
def test_edge_processes_die_with_the_harness_by_themselves(mode):
    """PR_SET_PDEATHSIG survives setns and exec (the holder is stopped, so it cannot help); a grandchild that left
    its session is not covered by it: the holder's sweep ends it once it runs again."""
    state = child_harness(mode)
    os.kill(state["holder"], signal.SIGSTOP)
    try:
        state["harness"].kill()
        state["harness"].wait()
        assert wait_gone(state["children"])
        grandchild = set(state["pids"]) - set(state["children"]) - {state["holder"]}
        assert not any(gone(pid) for pid in grandchild)
    finally:
        os.kill(state["holder"], signal.SIGCONT)
    assert wait_gone(state["pids"])
    assert not os.path.exists(state["workdir"])


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_of_the_harness_leaves_nothing(mode):
    state = child_harness(mode)
    state["harness"].kill()
    state["harness"].wait()
    assert wait_gone(state["pids"])
    assert not os.path.exists(state["workdir"])
    for entry in os.listdir("/proc"):  # no process of ours is left in that namespace
        try:
            net = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        assert [net.st_dev, net.st_ino] != state["net"] or gone(int(entry)), entry


# --- when it cannot work: one clear message ----------------------------------------------------------------------
def fake_sysctl(values):
    return lambda name: values.get(name)


@pytest.mark.parametrize("step, err, values, setting", [
    ("unshare(CLONE_NEWUSER)", errno.EPERM, {"kernel.unprivileged_userns_clone": "0"},
     "kernel.unprivileged_userns_clone"),
    ("unshare(CLONE_NEWUSER)", errno.ENOSPC, {"user.max_user_namespaces": "0", "user.max_net_namespaces": "100"},
     "user.max_user_namespaces"),
    ("write /proc/self/uid_map", errno.EPERM, {"kernel.apparmor_restrict_unprivileged_userns": "1"},
     "kernel.apparmor_restrict_unprivileged_userns"),
    ("set lo up", errno.EPERM, {"kernel.apparmor_restrict_unprivileged_userns": "1"},
     "kernel.apparmor_restrict_unprivileged_userns"),
    ("write /proc/self/setgroups", errno.EACCES, {"kernel.apparmor_restrict_unprivileged_userns": "1"},
     "kernel.apparmor_restrict_unprivileged_userns"),  # as reported on Ubuntu 24.04
])
def test_the_message_names_the_setting_and_the_ways_out(step, err, values, setting):
    message = netns.explain(step, err, True, sysctl=fake_sysctl(values))
    assert f"{step} failed" in message and setting in message
    assert "run the harness as root" in message and "sudo sysctl -w" in message and f"{setting}=" in message


def test_user_namespaces_disabled_is_reported():
    """user.max_user_namespaces is per user namespace: set it to 0 in a throwaway one, then try."""
    script = r"""
import ctypes, json, os
from edgeconform.targets.local import netns
uid, gid = os.geteuid(), os.getegid()
assert ctypes.CDLL(None, use_errno=True).unshare(netns.CLONE_NEWUSER) == 0
netns._write("/proc/self/setgroups", "deny")
netns._write("/proc/self/uid_map", f"0 {uid} 1")
netns._write("/proc/self/gid_map", f"0 {gid} 1")
netns._write("/proc/sys/user/max_user_namespaces", "0")
print(json.dumps(netns.available(userns=True)))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    ok, reason = json.loads(result.stdout or "null") or (None, result.stderr)
    assert ok is False, reason
    assert "unshare(CLONE_NEWUSER) failed: No space left on device (ENOSPC)" in reason
    assert "user.max_user_namespaces = 0" in reason and "run the harness as root" in reason


def test_namespaces_work_on_this_machine():
    # The machine this project is built on can make them; where it cannot, every message above says why.
    assert netns.available() == (True, "")
