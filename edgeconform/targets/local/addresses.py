"""Loopback address plan for the local target: every role has its own address.

A slot is one second octet ``n`` of 127.0.0.0/8 (all of which is local on Linux)::

    client 127.n.10.x -> LB 127.n.1.1 -> [node 127.n.2.1] -> controller 127.n.3.1 -> echo 127.n.4.1

so "whose address did the backend see" has one answer. Slots are claimed by binding a socket on
127.n.0.1:CLAIM_PORT and holding it for the edge's life: the kernel releases it when the process dies, so
parallel workers (pytest-xdist) and crashed runs never collide. Ports inside a slot are fixed; a port that
something else holds is reported with its owner.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

CLAIM_PORT = 47000
PORT_OFFSET = int(os.environ.get("EDGECONFORM_PORT_OFFSET", "0"))

# Fixed ports inside a slot (before EDGECONFORM_PORT_OFFSET).
LB_ADMIN = 9901  # Envoy admin (L7 stand-in) or HAProxy stats (L4 stand-in)
NODE_PORT = {"http": 30080, "https": 30443, "redirect": 30081}
CONTROLLER_PORT = {"http": 8080, "https": 8443, "redirect": 8081}
CONTROLLER_ADMIN = 9901
ECHO_PORT = 9000


def public_to_local(port: int) -> int:
    """Where the local stand-in serves an AWS listener port: 80 -> 8080, 443 -> 8443 (no root needed)."""
    return (port + 8000 if port < 1000 else port) + PORT_OFFSET


def _p(port: int) -> int:
    return port + PORT_OFFSET


class AddressBusy(Exception):
    """An address the edge needs is held by another process; the message names the owner and the fix."""


@dataclass
class Slot:
    n: int
    _claim: socket.socket | None = field(default=None, repr=False)

    @property
    def lb(self) -> str:
        return f"127.{self.n}.1.1"

    @property
    def node(self) -> str:
        return f"127.{self.n}.2.1"

    @property
    def controller(self) -> str:
        return f"127.{self.n}.3.1"

    @property
    def echo(self) -> str:
        return f"127.{self.n}.4.1"

    @property
    def client_cidr(self) -> str:
        return f"127.{self.n}.10.0/24"

    def client(self, i: int) -> str:
        """The i-th client source address (i from 0)."""
        return f"127.{self.n}.10.{11 + i}"

    def controller_port(self, kind: str) -> int:
        return _p(CONTROLLER_PORT[kind])

    def node_port(self, kind: str) -> int:
        return _p(NODE_PORT[kind])

    @property
    def controller_admin(self) -> int:
        return _p(CONTROLLER_ADMIN)

    @property
    def lb_admin(self) -> int:
        return _p(LB_ADMIN)

    @property
    def echo_port(self) -> int:
        return _p(ECHO_PORT)

    def roles(self) -> dict[str, str]:
        return {self.lb: "lb", self.node: "node", self.controller: "controller", self.echo: "backend"}

    def release(self) -> None:
        if self._claim is not None:
            self._claim.close()
            self._claim = None


def claim(needed: list[tuple[str, str, int]] | None = None, first: int = 1) -> Slot:
    """Claim a free slot whose listening addresses are all free.

    ``needed`` lists (role attribute, description, port) pairs the edge will listen on; each is test-bound
    before the slot is returned, so a busy port moves us to the next slot and a port busy everywhere (a
    wildcard listener) becomes an error naming the process that holds it.
    """
    busy: list[str] = []
    for n in range(first, 255):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((f"127.{n}.0.1", _p(CLAIM_PORT)))
        except OSError:
            sock.close()
            continue  # another edge holds this slot
        slot = Slot(n, sock)
        conflict = next((c for c in (_try_bind(getattr(slot, role), port, what) for role, what, port in needed or [])
                         if c), None)
        if conflict is None:
            return slot
        slot.release()
        busy.append(conflict)
        if len(busy) >= 3 and len({b.split(":", 1)[1] for b in busy}) == 1:
            break  # the same port is busy in every slot: a wildcard listener
    detail = "; ".join(busy[:3]) or "every slot 127.1-254.0.1 is claimed by other edges"
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
