"""An Edge: one topology built on one target, ready to be probed.

Targets (local, kind, eks) build Edges; probes only talk to Edges. An Edge knows where clients connect, which
addresses belong to which role (so an observed address can be named), the CA to trust, and how to check that
the processes behind it are still alive.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .topology import Topology


@dataclass(frozen=True)
class Endpoint:
    """Where clients reach one load-balancer listener."""

    scheme: str  # "http" or "https"
    public_port: int  # the AWS listener port (80, 443)
    ip: str
    port: int  # where it is actually served (8080/8443 locally)

    def url(self, host: str | None = None, path: str = "/") -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host or self.ip}{port}{path}"


@dataclass(frozen=True)
class Converge:
    """A named, bounded convergence loop: N consecutive good observations within a timeout."""

    name: str
    timeout: float
    consecutive: int
    interval: float


LOCAL_CONVERGE = Converge("local", timeout=1.5, consecutive=2, interval=0.05)


@dataclass
class Edge:
    topology: Topology
    target: str
    endpoints: dict[str, Endpoint]  # "http" / "https" -> endpoint
    ca: Path
    roles: dict[str, str]  # address -> role ("lb", "node", "controller", "backend")
    client_cidr: str | None  # where probes bind their source address; None: cannot choose (EKS)
    # where probes send from; [None] where the target cannot choose (eks: whatever address NAT gives the runner)
    client_addresses: list[str | None]
    lb_server_header: str | None = None  # what the LB puts in responses it generates itself
    controller_admin: str | None = None  # Envoy admin URL of the controller, where the target has one
    # A client certificate (PEM with its key) that probes present where the edge asks for one (ALB mutual TLS)
    client_cert: Path | None = None
    # The load-balancer stand-in's admin or stats URL (target health), where the target runs the stand-in itself
    lb_admin: str | None = None
    controller_name: str | None = None  # the ingress controller (locally: the Envoy standing in), for reports
    controller_version: str | None = None
    # The controller's own listeners ("http"/"https"/"redirect" -> (ip, port)), where a probe can reach them
    # directly (PROXY-protocol checks); empty when the target hides the controller.
    controller_listeners: dict[str, tuple[str, int]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)  # behaviour -> why it cannot be measured here
    converge: Converge = LOCAL_CONVERGE
    # Targets whose clients cannot bind their own source address (kind): client address -> AWS listener port ->
    # where a relay that connects from that client address is reached.
    relays: dict[str, dict[int, tuple[str, int]]] = field(default_factory=dict)
    # Networks whose addresses belong to one role when no exact address is known (eks: the load balancer's
    # private addresses somewhere in the VPC): CIDR -> role, consulted after ``roles`` and ``client_cidr``.
    role_networks: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    ready_seconds: float = 0.0
    # A command prefix that runs a program where the edge's addresses are reachable (nsenter into its network
    # namespace); empty when they are reachable from here.
    enter: list[str] = field(default_factory=list)
    _alive: Callable[[], None] = lambda: None
    _logs: Callable[[], dict[str, str]] = lambda: {}
    _pids: Callable[[], list[int]] = lambda: []
    _close: list[Callable[[], None]] = field(default_factory=list)
    # Opens a TCP socket to (ip, port) from (source ip, 0) within a timeout: a plain socket of this machine, or
    # one made inside the edge's own network namespace.
    _connect: Callable[[str, int, str | None, float], socket.socket] = field(
        default=lambda ip, port, source, timeout: socket.create_connection(
            (ip, port), timeout=timeout, source_address=(source, 0) if source else None))

    @property
    def name(self) -> str:
        return self.topology.name

    @property
    def hostnames(self) -> list[str]:
        return list(self.topology.hostnames)

    def endpoint(self, scheme: str) -> Endpoint | None:
        return self.endpoints.get(scheme)

    def role_of(self, ip: str | None) -> str:
        """Name the role an observed address belongs to: client, lb, node, controller, backend or unknown."""
        if not ip:
            return "unknown"
        if ip in self.roles:
            return self.roles[ip]
        if self.client_cidr and _in(ip, self.client_cidr):
            return "client"
        for cidr, role in self.role_networks.items():
            if _in(ip, cidr):
                return role
        return "unknown"

    def resolve(self, scheme: str, port: int | None, source: str | None = None) -> tuple[str, int]:
        """Where to connect for a URL on one of this edge's hostnames (like curl --resolve), as ``source``."""
        endpoint = self.endpoints.get(scheme)
        if endpoint is None:
            raise LookupError(f"{self.name} has no {scheme} listener")
        if source in self.relays:  # the relay for this client address and listener
            relay = self.relays[source]
            public = endpoint.public_port if port in (None, endpoint.port) else port
            if public not in relay:
                raise LookupError(f"{self.name} has no relay from {source} to listener port {public}")
            return relay[public]
        if port in (None, endpoint.public_port, endpoint.port):
            return endpoint.ip, endpoint.port
        for other in self.endpoints.values():
            if port in (other.public_port, other.port):
                return other.ip, other.port
        return endpoint.ip, port

    def bind(self, source: str | None) -> str | None:
        """The local address a probe binds to appear as ``source``; None when a relay supplies the address."""
        return None if source in self.relays else source

    def connect(self, ip: str, port: int, *, source: str | None = None, timeout: float) -> socket.socket:
        """A TCP connection to ``ip:port`` that the edge sees coming from ``source`` (bound where the edge allows
        it). Every probe connects through here, so a target decides where sockets are made."""
        return self._connect(ip, port, self.bind(source), timeout)

    def admin_connect(self, ip: str, port: int, timeout: float) -> socket.socket:
        """A connection to an admin or stats endpoint of the edge (readiness, counters): no particular source."""
        return self._connect(ip, port, None, timeout)

    def check_alive(self) -> None:
        """Raise edgeconform.supervisor.ProcessFailed (with the log) if a process of this edge died."""
        self._alive()

    def logs(self) -> dict[str, str]:
        return self._logs()

    def pids(self) -> list[int]:
        """Process ids of the processes this edge runs on this machine (none for a remote edge)."""
        return self._pids()

    def on_close(self, action: Callable[[], None]) -> None:
        self._close.append(action)

    def close(self) -> None:
        while self._close:
            self._close.pop()()

    def describe(self) -> dict[str, Any]:
        """The JSON line `edgeconform up` prints."""
        http, https = self.endpoint("http"), self.endpoint("https")
        return {
            "topology": self.name,
            "target": self.target,
            "http": http.url() if http else None,
            "https": https.url() if https else None,
            "ca": str(self.ca),
            "hostnames": self.hostnames,
            "certificates": self.topology.certificates,
            "client_cidr": self.client_cidr,
            "roles": {role: ip for ip, role in self.roles.items()},
            "tls_terminates_at": self.topology.tls_terminates_at,
            "unsupported": self.unsupported,
            "ready_seconds": round(self.ready_seconds, 3),
            "workdir": str(self.workdir) if self.workdir else None,
            "enter": self.enter,
        }

    def to_json(self) -> str:
        return json.dumps(self.describe())


def endpoints_for(t: Topology, place: Callable[[int], tuple[str, int]]) -> dict[str, Endpoint]:
    """The http and https endpoints of a topology; ``place(public port)`` says where that listener is served."""
    out = {}
    for scheme, listener in (("http", t.http_listener), ("https", t.https_listener)):
        if listener is not None:
            ip, port = place(listener.port)
            out[scheme] = Endpoint(scheme, listener.port, ip, port)
    return out


def remove_tree(path: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(path, ignore_errors=True)


def _in(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)
    except ValueError:
        return False
