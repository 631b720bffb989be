"""A guard for the harness's own tests: a socket of this machine's own network namespace may connect only to
loopback. Every edge of the local target lives at AWS-like addresses (10.0.1.17, 198.51.100.11) inside a network
namespace of its own; the same addresses in this machine's namespace lead out through its default route, to
somebody else's network. A test that reaches for an edge's address without the edge's sockets (edge.transport.connect)
fails here, loudly, before a packet leaves.

Loaded by tests/conftest.py, and by every pytest the tests start (PYTEST_ADDOPTS="-p tests.netguard").
A socket's namespace is told by SO_NETNS_COOKIE (Linux 5.14+); where the kernel cannot tell, the guard
compares nothing and stays out of the way.
"""

from __future__ import annotations

import ipaddress
import socket

SO_NETNS_COOKIE = 71


def _cookie(sock: socket.socket) -> bytes | None:
    try:
        return sock.getsockopt(socket.SOL_SOCKET, SO_NETNS_COOKIE, 8)
    except OSError:
        return None


def _host_cookie() -> bytes | None:
    with socket.socket() as probe:
        return _cookie(probe)


class LeftTheMachine(PermissionError):
    """A connection from this machine's own namespace to an address outside loopback."""


def install() -> None:
    host = _host_cookie()
    if host is None or getattr(socket.socket.connect, "guarded", False):
        return
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return
        try:
            ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        except ValueError:  # a name: only localhost is ours
            if address[0] == "localhost":
                return
            raise LeftTheMachine(f"refused: a test connects to the name {address[0]!r} from this machine's own "
                                 "network namespace") from None
        if not ip.is_loopback and _cookie(sock) == host:
            raise LeftTheMachine(f"refused: a test connects to {ip} from this machine's own network namespace, where "
                                 "that address is not local and would leave through the default route. Edges live "
                                 "in namespaces of their own: connect with edge.transport.connect")

    def connect(self, address):
        check(self, address)
        return original_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return original_connect_ex(self, address)

    connect.guarded = True  # type: ignore[attr-defined]
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]


install()
