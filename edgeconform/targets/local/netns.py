"""Each edge in its own network namespace, as root or as a normal user: no sudo, no setcap, no `ip` binary.

How it works
- A *holder* process per namespace (this file run as a script) creates it. As root: a network namespace. As a
  normal user: a user namespace that maps the user to uid 0, then a network namespace owned by it. The holder
  brings `lo` up and adds AnyIP routes (`local <prefix> dev lo` in table local), so every address of those
  prefixes is local and bindable; then it only hands out sockets. Nothing is mounted (no /run/netns file), so
  the namespace disappears with its last process and last open file.
- Edge processes (HAProxy, Envoy, the echo) join the namespace between fork and exec (setns), so they run as
  uid 0 of the namespace with CAP_NET_ADMIN there: HAProxy's `usesrc clientip` works for a normal user.
- The harness stays in the host namespace. It reaches the edge over sockets created *inside* by the holder and
  passed back with SCM_RIGHTS: a socket keeps the network namespace it was created in, whoever uses it.
- Nothing can leave: the only interface is `lo`, no route points anywhere else; `uplinks()` proves it with
  netlink queries (no packet is sent).
- Nothing outlives the harness, even when it is SIGKILLed: each process has PR_SET_PDEATHSIG, and the holder,
  told by end of file or its own parent-death signal, kills whatever is left in the namespace (a grandchild that
  left its session) and removes the work folder. `close()` does the same in order.

Standard library only; the holder runs as `python -I -S` (no site-packages, no environment, no script folder).
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import ipaddress
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

__all__ = ["ANYIP", "OUTSIDE", "Namespace", "NamespaceError", "available"]

# Addresses that are local inside every namespace: clients (documentation ranges), load balancers and nodes
# (a VPC-like range), IPv6 (the documentation prefix). They exist only inside namespaces this module made.
ANYIP = ("10.0.0.0/16", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
# Outside addresses for the no-uplink proof: route lookups only, never a packet.
OUTSIDE = ("192.0.2.1", "1.1.1.1", "3fff::1", "2606:4700::1111")

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
# Resolved once here: the preexec hook runs between fork and exec and should do as little as possible.
_unshare, _setns, _prctl = _libc.unshare, _libc.setns, _libc.prctl
_unshare.argtypes, _setns.argtypes = [ctypes.c_int], [ctypes.c_int, ctypes.c_int]
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong]


class NamespaceError(RuntimeError):
    """A namespace could not be made or used; the message names the failing step, the cause and the way out."""


# --- the namespace, as the harness sees it ------------------------------------------------------------------
class Namespace:
    """One edge's network namespace.  ``with Namespace() as ns: ns.start([...]); sock = ns.connect(...)``.

    ``userns=None`` picks a user namespace for a normal user and a plain network namespace for root.
    Setup errors raise NamespaceError before anything runs in it.
    """

    def __init__(self, *, userns: bool | None = None, anyip=ANYIP, workdir: str | None = None, keep: bool = False,
                 prefix: str = "edgeconform-netns-", timeout: float = 10.0):
        self.userns = os.geteuid() != 0 if userns is None else userns
        self.anyip = tuple(str(ipaddress.ip_network(prefix)) for prefix in anyip)
        self._lock = threading.Lock()  # one request/answer at a time on the control socket
        self._processes: list = []
        self._ns_fds: list[tuple[int, int]] = []
        # A folder for configurations and logs (mode 0700): removed at the end, also by the holder when the harness
        # is killed, unless the caller keeps it (EDGECONFORM_KEEP_WORKDIR).
        self._own_workdir = not keep
        self.workdir = tempfile.mkdtemp(prefix=prefix) if workdir is None else workdir
        self._ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._closed = False
        config = {"parent": os.getpid(), "userns": self.userns, "anyip": self.anyip,
                  "workdir": self.workdir if self._own_workdir else None}
        with theirs:
            argv = [sys.executable, "-I", "-S", os.path.abspath(__file__), "--holder", str(theirs.fileno())]
            self.holder = subprocess.Popen(argv + [json.dumps(config)], pass_fds=[theirs.fileno()],
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._ctl.settimeout(timeout)
            answer = json.loads(self._ctl.recv(4096) or b'{"step": "start the holder", "errno": 0}')
            self._ctl.settimeout(None)
            if "errno" in answer:
                raise NamespaceError(explain(answer["step"], answer["errno"], self.userns, answer.get("detail", "")))
            # Processes join through these files; holding them also pins the namespace until close().
            kinds = [("user", CLONE_NEWUSER)] if self.userns else []
            for name, kind in kinds + [("net", CLONE_NEWNET)]:
                self._ns_fds.append((os.open(f"/proc/{self.holder.pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC), kind))
        except socket.timeout:
            self.close()
            raise NamespaceError(f"the namespace holder did not answer within {timeout:g} s") from None
        except BaseException:
            self.close()
            raise
        _live.add(self)

    # -- processes inside --
    def popen_kwargs(self) -> dict:
        """subprocess.Popen arguments that start the process inside (replaces any preexec_fn of the caller)."""
        parent = os.getpid()
        fds = list(self._ns_fds)

        def enter() -> None:  # in the child, between fork and exec: user namespace first, then network
            signal.pthread_sigmask(signal.SIG_SETMASK, [])  # a caller may block signals while it builds
            for fd, kind in fds:
                if _setns(fd, kind) != 0:
                    raise OSError(ctypes.get_errno(), f"setns({'user' if kind == CLONE_NEWUSER else 'net'})")
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after setns: a credential change would clear it
            if os.getppid() != parent:  # the harness died before the line above
                os._exit(1)
        return {"preexec_fn": enter, "start_new_session": True}

    def start(self, argv, **kwargs):
        """Start a program inside the namespace (subprocess.Popen); close() ends it with its process group."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen(argv, **kwargs, **self.popen_kwargs())
        self._processes.append(process)
        return process

    # -- sockets inside, used from the host namespace --
    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM, proto: int = 0) -> socket.socket:
        """A new socket that lives in the namespace's network stack (created by the holder, passed back)."""
        with self._lock:
            try:
                self._ctl.send(struct.pack("=iii", family, type, proto))
                data, ancdata, _flags, _addr = self._ctl.recvmsg(4, socket.CMSG_SPACE(4), socket.MSG_CMSG_CLOEXEC)
            except OSError as exc:
                raise NamespaceError(f"the namespace holder is gone ({exc})") from None
        if not data:
            raise NamespaceError(f"the namespace holder exited (code {self.holder.poll()})")
        (code,) = struct.unpack("=i", data)
        if code:
            raise OSError(code, f"socket() inside the namespace: {os.strerror(code)}")
        fd = struct.unpack("=i", ancdata[0][2][:4])[0]
        return socket.socket(fileno=fd)

    def connect(self, src: str | None, dst: str, port: int, timeout: float | None = 5.0) -> socket.socket:
        """A TCP connection from `src` (any local address inside, None: the kernel's choice) to `dst`:`port`."""
        return connect_with(self.socket, src, dst, port, timeout)

    # -- no-uplink proof (netlink queries on a socket from inside; nothing is sent anywhere) --
    def interfaces(self) -> list[dict]:
        with _Netlink(self.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)) as nl:
            return nl.links()

    def routes(self) -> list[dict]:
        with _Netlink(self.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)) as nl:
            return nl.routes()

    def route_get(self, dst: str) -> dict:
        """The kernel's route lookup for `dst` (RTM_GETROUTE); OSError(ENETUNREACH) when nothing leads there."""
        with _Netlink(self.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)) as nl:
            return nl.route_get(dst)

    def uplinks(self, outside=OUTSIDE) -> list[str]:
        """Everything that could carry a packet out of the namespace; an empty list is the proof there is none."""
        return uplinks_of(self.socket, outside)

    # -- the end --
    def close(self, grace: float = 2.0) -> None:
        """Stop every process inside (SIGTERM, then SIGKILL after `grace`), the holder, and remove the workdir."""
        if self._closed:
            return  # twice would signal pids that may belong to someone else by now
        self._closed = True
        _live.discard(self)
        for process in self._processes:
            _killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self._processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                pass
            _killpg(process.pid, signal.SIGKILL)  # and whatever it left in its group
            process.wait()
        if self._ns_fds:
            for pid in self.members():  # started by other means (popen_kwargs) or escaped their group
                if pid != self.holder.pid:
                    _kill(pid, signal.SIGKILL)
        for fd, _kind in self._ns_fds:
            os.close(fd)
        self._ns_fds = []
        self._ctl.close()  # the holder exits on end of file
        try:
            self.holder.wait(timeout=grace)
        except Exception:
            self.holder.kill()
            self.holder.wait()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def members(self) -> list[int]:
        """Pids of the processes in this network namespace (those this user may inspect)."""
        return _members(os.fstat(self._ns_fds[-1][0])) if self._ns_fds else []

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect_with(make_socket, src: str | None, dst: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection on a socket ``make_socket(family)`` makes in some namespace, from ``src`` (None: the kernel's
    choice) to ``dst``:``port`` (an address: names do not resolve there)."""
    family = socket.AF_INET6 if ipaddress.ip_address(dst).version == 6 else socket.AF_INET
    sock = make_socket(family)
    try:
        sock.settimeout(timeout)
        if src:
            sock.bind((src, 0))
        sock.connect((dst, port))
    except BaseException:
        sock.close()
        raise
    return sock


def uplinks_of(make_socket, outside=OUTSIDE, allowed_kinds: tuple[str, ...] = ()) -> list[str]:
    """Everything that could carry a packet out of the namespace ``make_socket()`` makes sockets in; an empty list
    is the proof there is none (netlink queries only, nothing is sent). ``allowed_kinds``: interfaces of these
    kinds (a container engine's "bridge" and "veth") and routes through them stay inside the machine, provided
    no route has a gateway and no outside address finds a route."""
    def netlink() -> _Netlink:
        return _Netlink(make_socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE))
    with netlink() as nl:
        links = nl.links()
        routes = nl.routes()
    inside = {link["name"] for link in links if link["name"] == "lo" or link.get("kind") in allowed_kinds}
    found = [f"interface {link['name']} ({link.get('kind') or 'no kind'})" for link in links
             if link["name"] not in inside]
    found += [f"route {route}" for route in routes
              if route.get("gateway") or route["dst"] == "default" or route.get("dev", "lo") not in inside]
    for address in outside:
        try:
            with netlink() as nl:
                found.append(f"route lookup {address} -> {nl.route_get(address)}")
        except OSError as exc:
            if exc.errno not in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                found.append(f"route lookup {address} -> {exc}")
    return found


_live: set[Namespace] = set()


def _close_all() -> None:
    for ns in list(_live):
        ns.close(grace=1.0)


atexit.register(_close_all)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _members(ns: os.stat_result) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        try:
            st = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if entry.isdigit() and (st.st_dev, st.st_ino) == (ns.st_dev, ns.st_ino):
            pids.append(int(entry))
    return pids


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --- can we? -------------------------------------------------------------------------------------------------
_available: dict[bool, tuple[bool, str]] = {}


def available(userns: bool | None = None) -> tuple[bool, str]:
    """(True, "") when a namespace can be made here, else (False, the reason with the setting to change).

    It really makes one (tens of milliseconds, cached): only a real attempt sees every restriction (AppArmor lets
    unshare succeed and takes the capabilities away afterwards).
    """
    userns = os.geteuid() != 0 if userns is None else userns
    if userns not in _available:
        try:
            Namespace(userns=userns).close()
            _available[userns] = (True, "")
        except NamespaceError as exc:
            _available[userns] = (False, str(exc))
    return _available[userns]


def _sysctl(name: str, root: str = "/proc/sys") -> str | None:
    try:
        with open(os.path.join(root, *name.split(".")), encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return None


def explain(step: str, err: int, userns: bool, detail: str = "", sysctl=_sysctl) -> str:
    """The one error message for a failed setup step: what failed, the setting behind it, and the way out."""
    kind = "a user + network namespace" if userns else "a network namespace"
    what = f"Cannot create {kind} for the edge (uid {os.geteuid()}): {step} failed"
    what += f": {os.strerror(err)} ({errno.errorcode.get(err, err)})" if err else ""
    what += f" {detail}" if detail else ""
    root = "run the harness as root (a plain network namespace needs no user namespace)"
    cause = fix = None
    if userns and err in (errno.EPERM, errno.EACCES):
        if step == "unshare(CLONE_NEWUSER)" and sysctl("kernel.unprivileged_userns_clone") == "0":
            cause = "kernel.unprivileged_userns_clone = 0 forbids user namespaces to normal users (Debian's switch)"
            fix = "sudo sysctl -w kernel.unprivileged_userns_clone=1"
        elif sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
            cause = ("kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 23.10 and later) lets unshare succeed "
                     "but takes every capability away inside the new user namespace")
            fix = ("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile with "
                   f"`userns,` for {sys.executable}")
        elif step.startswith("unshare"):
            cause = ("no sysctl explains it: a seccomp filter (container runtimes block unshare by default) or a "
                     "security module forbids it")
            fix = "allow unshare/user namespaces for this environment"
    elif err in (errno.ENOSPC, errno.EUSERS):
        limits = ["user.max_user_namespaces", "user.max_net_namespaces"] if userns else ["user.max_net_namespaces"]
        values = {name: sysctl(name) for name in limits}
        zero = [name for name, value in values.items() if value == "0"]
        shown = ", ".join(f"{name} = {value}" for name, value in values.items())
        cause = (f"{' and '.join(zero)} = 0 disables them" if zero else
                 f"the namespace limit is reached ({shown}) or nested too deep")
        fix = "sudo sysctl -w " + " ".join(f"{name}=15000" for name in (zero or limits))
    elif not userns and err == errno.EPERM and step.startswith("unshare"):
        cause = "this root lacks CAP_SYS_ADMIN (a container without it, or a seccomp filter)"
        return f"{what}. Cause: {cause}. Way out: run with CAP_SYS_ADMIN, or as a normal user (user namespace)."
    elif err == errno.EINVAL and step.startswith("unshare"):
        cause = "the kernel lacks namespace support (CONFIG_USER_NS / CONFIG_NET_NS) or the caller is multithreaded"
    if cause is None:
        return what + "."
    ways = [root] + ([fix] if fix else []) if userns else ([fix] if fix else [])
    return f"{what}. Cause: {cause}. Way out: " + ", or ".join(ways) + "."


# --- rtnetlink, just enough (pyroute2 would do, but costs half a second of import per holder) ------------------
_NLM_F_REQUEST, _NLM_F_ACK, _NLM_F_EXCL, _NLM_F_CREATE, _NLM_F_DUMP = 0x1, 0x4, 0x200, 0x400, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_RTM_NEWLINK, _RTM_GETLINK, _RTM_NEWROUTE, _RTM_GETROUTE = 16, 18, 24, 26
_IFLA_LINKINFO, _IFLA_INFO_KIND = 18, 1
_IFLA_IFNAME, _RTA_DST, _RTA_OIF, _RTA_GATEWAY, _RTA_PREFSRC, _RTA_TABLE = 3, 1, 4, 5, 7, 15
_RT_TABLE_LOCAL, _RTPROT_STATIC, _RT_SCOPE_HOST, _RTN_LOCAL = 255, 4, 254, 2
_ROUTE_TYPES = {1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
                7: "unreachable", 8: "prohibit"}
_TABLES = {254: "main", 255: "local"}


class _Netlink:
    def __init__(self, sock: socket.socket | None = None):
        self.sock = sock or socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.seq = 0

    def __enter__(self) -> _Netlink:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def request(self, kind: int, flags: int, body: bytes, attrs=()) -> list[bytes]:
        """Send one request; return the payloads answered, raise OSError for the kernel's error."""
        self.seq += 1
        payload = body + b"".join(struct.pack("=HH", 4 + len(v), t) + v + b"\0" * (-len(v) % 4) for t, v in attrs)
        self.sock.send(struct.pack("=IHHII", 16 + len(payload), kind, flags | _NLM_F_REQUEST | _NLM_F_ACK,
                                   self.seq, 0) + payload)
        answers = []
        while True:
            data, offset = self.sock.recv(1 << 20), 0
            while offset + 16 <= len(data):
                length, mtype, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
                message = data[offset + 16:offset + length]
                offset += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == _NLMSG_ERROR:
                    code = -struct.unpack_from("=i", message)[0]
                    if code:
                        raise OSError(code, os.strerror(code))
                    return answers  # the acknowledgement closes a non-dump request
                if mtype == _NLMSG_DONE:
                    return answers
                answers.append(message)

    @staticmethod
    def _attrs(data: bytes, offset: int) -> dict[int, bytes]:
        attrs = {}
        while offset + 4 <= len(data):
            length, kind = struct.unpack_from("=HH", data, offset)
            if length < 4:
                break
            attrs[kind & 0x3FFF] = data[offset + 4:offset + length]
            offset += (length + 3) & ~3
        return attrs

    def set_up(self, index: int) -> None:
        self.request(_RTM_NEWLINK, 0, struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, 1, 1))  # IFF_UP

    def add_local_route(self, prefix: str, index: int) -> None:
        net = ipaddress.ip_network(prefix)
        family = socket.AF_INET6 if net.version == 6 else socket.AF_INET
        body = struct.pack("=BBBBBBBBI", family, net.prefixlen, 0, 0, _RT_TABLE_LOCAL, _RTPROT_STATIC,
                           _RT_SCOPE_HOST, _RTN_LOCAL, 0)
        self.request(_RTM_NEWROUTE, _NLM_F_CREATE | _NLM_F_EXCL, body,
                     [(_RTA_DST, net.network_address.packed), (_RTA_OIF, struct.pack("=I", index))])

    def links(self) -> list[dict]:
        links = []
        for message in self.request(_RTM_GETLINK, _NLM_F_DUMP, struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)):
            _family, _type, index, flags, _change = struct.unpack_from("=BxHiII", message)
            attrs = self._attrs(message, 16)
            name = attrs.get(_IFLA_IFNAME, b"").rstrip(b"\0").decode()
            kind = self._attrs(attrs.get(_IFLA_LINKINFO, b""), 0).get(_IFLA_INFO_KIND, b"").rstrip(b"\0").decode()
            links.append({"index": index, "name": name, "up": bool(flags & 1), **({"kind": kind} if kind else {})})
        return links

    def _route(self, message: bytes, names: dict[int, str]) -> dict:
        family, dst_len, _src, _tos, table, _proto, _scope, rtype, _flags = struct.unpack_from("=BBBBBBBBI", message)
        attrs = self._attrs(message, 12)
        dst = f"{ipaddress.ip_address(attrs[_RTA_DST])}/{dst_len}" if _RTA_DST in attrs else "default"
        table = struct.unpack("=I", attrs[_RTA_TABLE])[0] if _RTA_TABLE in attrs else table
        route = {"type": _ROUTE_TYPES.get(rtype, str(rtype)), "dst": dst, "table": _TABLES.get(table, str(table)),
                 "family": 6 if family == socket.AF_INET6 else 4}
        if _RTA_OIF in attrs:
            index = struct.unpack("=I", attrs[_RTA_OIF])[0]
            route["dev"] = names.get(index, str(index))
        if _RTA_GATEWAY in attrs:
            route["gateway"] = str(ipaddress.ip_address(attrs[_RTA_GATEWAY]))
        if _RTA_PREFSRC in attrs:
            route["src"] = str(ipaddress.ip_address(attrs[_RTA_PREFSRC]))
        return route

    def routes(self) -> list[dict]:
        names = {link["index"]: link["name"] for link in self.links()}
        body = struct.pack("=BBBBBBBBI", socket.AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0, 0)
        return [self._route(message, names) for message in self.request(_RTM_GETROUTE, _NLM_F_DUMP, body)]

    def route_get(self, dst: str) -> dict:
        address = ipaddress.ip_address(dst)
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        body = struct.pack("=BBBBBBBBI", family, address.max_prefixlen, 0, 0, 0, 0, 0, 0, 0)
        names = {link["index"]: link["name"] for link in self.links()}
        return self._route(self.request(_RTM_GETROUTE, 0, body, [(_RTA_DST, address.packed)])[0], names)


# --- the holder (runs as `python -I netns.py --holder FD CONFIG`) -------------------------------------------
class _StepFailed(Exception):
    def __init__(self, step: str, err: int, detail: str = ""):
        super().__init__(step, err, detail)
        self.step, self.err, self.detail = step, err, detail


def _step(step: str, call, *args):
    try:
        result = call(*args)
    except OSError as exc:
        raise _StepFailed(step, exc.errno or 0, "" if exc.errno else str(exc)) from None
    if isinstance(result, int) and result != 0 and call in (_unshare, _setns):
        raise _StepFailed(step, ctypes.get_errno())
    return result


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())  # one write(2): uid_map and gid_map accept exactly one
    finally:
        os.close(fd)


def _holder(fd: int, config: dict) -> None:
    ctl = socket.socket(fileno=fd)
    try:
        _serve(ctl, config)
    finally:  # the harness closed its end or died: nothing of the edge may outlive it
        me = os.getpid()
        for pid in _members(os.stat("/proc/self/ns/net")) if config.get("set_up") else ():
            if pid != me:
                _kill(pid, signal.SIGKILL)
        if config["workdir"]:
            shutil.rmtree(config["workdir"], ignore_errors=True)


def _serve(ctl: socket.socket, config: dict) -> None:
    def stop(signum, frame) -> None:
        # PR_SET_PDEATHSIG also fires when the *thread* that started us exits; the harness process is then still
        # our parent (prctl(2)), and we stay. Otherwise end the request loop as on end of file; an exception
        # here could cut the clean-up short when the signal comes twice.
        if signum == signal.SIGTERM or os.getppid() != config["parent"]:
            try:
                ctl.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGUSR1, stop)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGUSR1)  # the harness died, even of SIGKILL
    if os.getppid() != config["parent"]:
        return  # it died before the line above
    try:
        if config["userns"]:
            uid, gid = os.geteuid(), os.getegid()
            _step("unshare(CLONE_NEWUSER)", _unshare, CLONE_NEWUSER)
            # setgroups must be denied before an unprivileged process may write gid_map (user_namespaces(7)).
            _step("write /proc/self/setgroups", _write, "/proc/self/setgroups", "deny")
            _step("write /proc/self/uid_map", _write, "/proc/self/uid_map", f"0 {uid} 1")
            _step("write /proc/self/gid_map", _write, "/proc/self/gid_map", f"0 {gid} 1")
        _step("unshare(CLONE_NEWNET)", _unshare, CLONE_NEWNET)
        config["set_up"] = True  # from here on, every process in our network namespace is the edge's
        with _step("open a netlink socket", _Netlink) as nl:
            lo = socket.if_nametoindex("lo")
            _step("set lo up", nl.set_up, lo)
            for prefix in config["anyip"]:
                _step(f"route add local {prefix} dev lo table local", nl.add_local_route, prefix, lo)
        if any(":" in prefix for prefix in config["anyip"]):
            # IPv6 delivers to AnyIP routes, but bind() wants a configured address unless this is set
            # (Documentation/networking/ip-sysctl.rst); the setting belongs to this namespace only.
            _step("sysctl net.ipv6.ip_nonlocal_bind=1", _write, "/proc/sys/net/ipv6/ip_nonlocal_bind", "1")
    except _StepFailed as failed:
        ctl.send(json.dumps({"step": failed.step, "errno": failed.err, "detail": failed.detail}).encode())
        return
    try:
        ctl.send(b'{"ok": true}')
        while True:  # hand out sockets until the harness closes its end
            request = ctl.recv(64)
            if len(request) != 12:
                return
            try:
                sock = socket.socket(*struct.unpack("=iii", request))
            except OSError as exc:
                ctl.send(struct.pack("=i", exc.errno or errno.EINVAL))
                continue
            with sock:
                socket.send_fds(ctl, [struct.pack("=i", 0)], [sock.fileno()])
    except OSError:  # the harness is gone
        return


if __name__ == "__main__" and sys.argv[1:2] == ["--holder"]:
    _holder(int(sys.argv[2]), json.loads(sys.argv[3]))
