"""Starting one stand-in alone in a network namespace of its own, and playing the hops around it with sockets."""

from __future__ import annotations

import socket

import pytest
from proxyprotocol.detect import ProxyProtocolDetect
from proxyprotocol.v2 import ProxyProtocolIncompleteError

from edgeconform.edge import Edge, Lifecycle, Transport
from edgeconform.supervisor import Supervisor
from edgeconform.targets.local import netns, plan
from edgeconform.targets.local.addresses import NamespaceSite


@pytest.fixture
def stand_in(tmp_path):
    """Start only the processes of a topology's plan whose names start with one of ``roles``, in a network
    namespace of their own (the local target's site); the test plays the other roles with sockets made there."""
    started = []

    def start(topology, roles: tuple[str, ...]):
        slot = NamespaceSite(netns.Namespace())
        supervisor = Supervisor(tmp_path, connect=lambda ip, port, timeout: slot.connect(ip, port, None, timeout),
                                popen_kwargs=slot.popen_kwargs)
        started.append((slot, supervisor))
        p = plan(topology, slot, tmp_path)
        for process in p.processes:
            if process.name.startswith(roles):
                supervisor.run(process)
        supervisor.wait_ready()
        edge = Edge(topology=topology, target="local", endpoints=p.endpoints, ca=tmp_path / "ca.pem",
                    roles=slot.roles(), client_cidr=slot.client_cidr,
                    client_addresses=[slot.client(i) for i in range(4)],
                    lifecycle=Lifecycle(check_alive=supervisor.check), transport=Transport(socket=slot.connect))
        return slot, edge

    yield start
    for slot, supervisor in started:
        supervisor.stop()
        slot.release()


def read_proxy_header(conn: socket.socket):
    """Read exactly one PROXY header (v1 or v2) from ``conn``; returns (parsed header, its raw bytes)."""
    detect, data = ProxyProtocolDetect(), b""
    conn.settimeout(5)
    while True:
        try:
            return detect.unpack(data), data
        except ProxyProtocolIncompleteError as exc:
            want = exc.want_read
            data += conn.recv(want.want_bytes) if want.want_bytes else _line(conn)


def _line(conn: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        line += conn.recv(1)
    return line


def listen(slot: NamespaceSite, ip: str, port: int) -> socket.socket:
    """A listening socket of the edge's namespace, where the test plays a role (the controller)."""
    server = slot.ns.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((ip, port))
    server.listen(4)
    server.settimeout(5)
    return server


