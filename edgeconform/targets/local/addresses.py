"""Where the local target puts one edge: every role on its own address, so "whose address did the backend see"
has one answer.

In a network namespace of the edge's own (the default; edgeconform.targets.local.netns), the roles carry
AWS-like addresses that exist nowhere else, and the load balancer listens on the real AWS ports::

    client 198.51.100.11.. -> LB 10.0.1.17:80/443 -> [node 10.0.2.11] -> controller 10.0.3.21 -> echo 10.0.4.31

Every edge has the same addresses and ports: namespaces never collide, so parallel workers need no claiming.

Where no namespace can be made (user namespaces disabled, a container without CAP_SYS_ADMIN), the fallback is a
loopback slot of the host, one second octet ``n`` of 127.0.0.0/8::

    client 127.n.10.x -> LB 127.n.1.1:8080/8443 -> [node 127.n.2.1] -> controller 127.n.3.1 -> echo 127.n.4.1

Slots are claimed by binding a socket on 127.n.0.1:CLAIM_PORT and holding it for the edge's life (the kernel
releases it when the process dies); a port something else holds is reported with its owner, and
EDGECONFORM_PORT_OFFSET moves every port of the fallback.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .netns import Namespace

CLAIM_PORT = 47000
PORT_OFFSET = int(os.environ.get("EDGECONFORM_PORT_OFFSET", "0"))  # the loopback fallback only

# Fixed ports inside a site (the loopback fallback adds EDGECONFORM_PORT_OFFSET).
LB_ADMIN = 9901  # Envoy admin (L7 stand-in) or HAProxy stats (L4 stand-in)
NODE_PORT = {"http": 30080, "https": 30443, "redirect": 30081}
# 8082, not 8081, for the redirect-only port: Envoy Gateway's file provider holds *:8081 (its health probe).
CONTROLLER_PORT = {"http": 8080, "https": 8443, "redirect": 8082}
CONTROLLER_ADMIN = 9901
ECHO_PORT = 9000
HEALTH_NODE_PORT = 32000  # the Service's healthCheckNodePort, where kube-proxy answers (externalTrafficPolicy Local)
RELAY_PORT = 9500  # + the listener's index: the NLB stand-in's PROXY v2 writer, on the load balancer's address
CLIENTS = 8  # client addresses per edge


class AddressBusy(Exception):
    """An address the edge needs is held by another process; the message names the owner and the fix."""


class Site:
    """Where the local target puts one edge: the addresses and ports of its roles, and how to reach and start
    things there (not to be confused with edgeconform.controllers.LocalPlace: the controller's share of it)."""

    lb: str
    node: str
    controller: str
    echo: str
    cdn: str
    # IPv6 (dual-stack load balancers): the load balancer's IPv6 address and the IPv6 clients' network; None
    # where the site has no IPv6 addresses of its own (the loopback fallback: only ::1).
    lb6: str | None = None
    client6_cidr: str | None = None

    def client6(self, i: int) -> str:
        raise NotImplementedError
    client_cidr: str
    offset: int = 0

    def client(self, i: int) -> str:
        raise NotImplementedError

    def listener_port(self, public: int) -> int:
        """Where the load balancer serves an AWS listener port."""
        raise NotImplementedError

    def controller_port(self, kind: str) -> int:
        return CONTROLLER_PORT[kind] + self.offset

    def node_port(self, kind: str) -> int:
        return NODE_PORT[kind] + self.offset

    @property
    def controller_admin(self) -> int:
        return CONTROLLER_ADMIN + self.offset

    @property
    def health_node_port(self) -> int:
        return HEALTH_NODE_PORT + self.offset

    def relay_port(self, index: int) -> int:
        return RELAY_PORT + index + self.offset

    @property
    def lb_admin(self) -> int:
        return LB_ADMIN + self.offset

    @property
    def echo_port(self) -> int:
        return ECHO_PORT + self.offset

    @property
    def vpc(self) -> tuple[str, ...]:
        """The networks the load balancer and the node connect from, and no client does."""
        return (f"{self.lb}/32", f"{self.node}/32")

    def roles(self) -> dict[str, str]:
        return {self.cdn: "cdn", self.lb: "lb", self.node: "node", self.controller: "controller", self.echo: "backend"}

    def clients(self) -> list[str]:
        return [self.client(i) for i in range(CLIENTS)]

    # how the harness reaches the site, and starts processes in it
    def connect(self, ip: str, port: int, source: str | None, timeout: float) -> socket.socket:
        raise NotImplementedError

    def popen_kwargs(self) -> dict[str, Any] | None:
        """subprocess.Popen arguments that start a process there (None: the supervisor's own)."""
        return None

    def release(self) -> None:
        pass


class NamespaceSite(Site):
    """The edge in a network namespace of its own: AWS-like addresses, real ports, nothing reaches out."""

    lb, node, controller, echo = "10.0.1.17", "10.0.2.11", "10.0.3.21", "10.0.4.31"
    # a CloudFront edge in front of the ALB: outside the VPC's range, as on AWS (CloudFront connects from its public
    # origin-facing ranges), so a controller that trusts the VPC's network does not trust CloudFront's edge
    cdn = "203.0.113.250"
    lb6, client6_cidr = "2001:db8:1::17", "2001:db8:100::/64"  # documentation prefix, local in the namespace only
    client_cidr = "198.51.100.0/24"
    vpc = ("10.0.0.0/16",)  # type: ignore[assignment]  # a VPC-like range: the load balancer, nodes, pods

    def __init__(self, namespace: Namespace):
        self.ns = namespace

    def client(self, i: int) -> str:
        return f"198.51.100.{11 + i}"

    def client6(self, i: int) -> str:
        return f"2001:db8:100::{11 + i:x}"

    def roles(self) -> dict[str, str]:
        return {**super().roles(), self.lb6: "lb"}

    def listener_port(self, public: int) -> int:
        return public

    def connect(self, ip: str, port: int, source: str | None, timeout: float) -> socket.socket:
        return self.ns.connect(source, ip, port, timeout)

    def popen_kwargs(self) -> dict[str, Any]:
        return self.ns.popen_kwargs()

    def enter(self) -> list[str]:
        """nsenter's command line into this namespace, for a person with curl (util-linux's nsenter)."""
        pid = str(self.ns.holder.pid)
        return ["nsenter", "--target", pid, "--user", "--preserve-credentials", "--net"] if self.ns.userns else \
            ["nsenter", "--target", pid, "--net"]

    def release(self) -> None:
        self.ns.close()


@dataclass
class Slot(Site):
    """The loopback fallback: a claimed slot 127.n of the host's own loopback."""

    n: int
    _claim: socket.socket | None = field(default=None, repr=False)
    offset: int = PORT_OFFSET

    @property
    def lb(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.1.1"

    @property
    def node(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.2.1"

    @property
    def controller(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.3.1"

    @property
    def echo(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.4.1"

    @property
    def cdn(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.5.1"

    @property
    def client_cidr(self) -> str:  # type: ignore[override]
        return f"127.{self.n}.10.0/24"

    def client(self, i: int) -> str:
        """The i-th client source address (i from 0)."""
        return f"127.{self.n}.10.{11 + i}"

    def listener_port(self, public: int) -> int:
        """80 -> 8080, 443 -> 8443: no privileged port is needed in the host's namespace."""
        return (public + 8000 if public < 1000 else public) + self.offset

    def connect(self, ip: str, port: int, source: str | None, timeout: float) -> socket.socket:
        if not ipaddress.ip_address(ip).is_loopback:  # in this machine's namespace only loopback is ours
            raise ConnectionRefusedError(f"{ip} is not a loopback address: the loopback fallback never leaves it")
        return socket.create_connection((ip, port), timeout=timeout, source_address=(source, 0) if source else None)

    def release(self) -> None:
        if self._claim is not None:
            self._claim.close()
            self._claim = None


def claim(needed: Callable[[Site], list[tuple[str, int]]] | None = None, first: int = 1) -> Slot:
    """Claim a free loopback slot whose listening addresses are all free.

    ``needed(slot)`` lists (description, address:port) pairs the edge will listen on; each is test-bound before the
    slot is returned, so a busy port moves us to the next slot and a port busy everywhere (a wildcard listener)
    becomes an error naming the process that holds it.
    """
    busy: list[str] = []
    for n in range(first, 255):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((f"127.{n}.0.1", CLAIM_PORT + PORT_OFFSET))
        except OSError:
            sock.close()
            continue  # another edge holds this slot
        slot = Slot(n, sock)
        conflict = next((c for c in (_try_bind(ip, port, what) for what, (ip, port) in (needed(slot) if needed else []))
                         if c), None)
        if conflict is None:
            return slot
        slot.release()
        busy.append(conflict)
        if len(busy) >= 3 and len({b.split(":", 1)[1] for b in busy}) == 1:
            break  # the same port is busy in every slot: a wildcard listener
    if not busy:
        holder = owner_of(CLAIM_PORT + PORT_OFFSET)
        detail = (f"port {CLAIM_PORT + PORT_OFFSET}, where edges claim their slot, is held on every loopback address"
                  f"{holder} (a wildcard listener)" if holder else "every slot 127.1-254.0.1 is claimed by other edges")
    else:
        detail = "; ".join(busy[:3])
    raise AddressBusy(
        f"no free loopback slot for the edge: {detail}. Stop the process holding the port, or move the "
        f"harness's ports with EDGECONFORM_PORT_OFFSET=1000 (current offset {PORT_OFFSET}).")


def _try_bind(ip: str, port: int, what: str) -> str | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((ip, port))
        sock.listen(1)
        return None
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        return f"{what} {ip}:{port} is in use{owner_of(port)}"
    finally:
        sock.close()


def owner_of(port: int) -> str:
    """' by pid N (name)' for the process listening on ``port``, when /proc tells; '' otherwise."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    if not inodes:
        return ""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f" by pid {pid} ({name})"
        except OSError:
            continue
    return " by another process"
