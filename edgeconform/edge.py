"""An Edge: one topology built on one target, ready to be probed.

Targets (local, kind, eks) build Edges; probes only talk to Edges. What a behaviour reads of one: the topology,
the endpoints where clients connect, the CA to trust, the roles of addresses (so an observed address can be
named) and the clients' own, the convergence profile, and the controller (``ControllerInfo``: its name, version,
what it reports, the settings a cell rests on). Two objects of their own carry the rest:

- ``edge.transport``: how probes reach the edge, which is the target's business: sockets of this machine (a
  direct URL), sockets made inside the edge's network namespace, or a relay per client address (kind).
- ``edge.lifecycle``: the processes behind it: whether they are alive, their logs and ids, and what closing the
  edge undoes.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import shutil
import socket
from collections.abc import Callable, Mapping
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


def _host_socket(ip: str, port: int, source: str | None, timeout: float) -> socket.socket:
    return socket.create_connection((ip, port), timeout=timeout, source_address=(source, 0) if source else None)


@dataclass
class Transport:
    """How probes reach an edge: where their sockets are made and through what. One per target:

    - a direct URL (eks; the default): sockets of this machine, bound to the client address where one is given;
    - a network namespace (local): ``socket`` makes them inside the edge's namespace, and ``enter`` is the command
      prefix that runs a program there (nsenter), for a person with curl;
    - relays (kind): a client address that cannot be bound here is reached through a relay that connects from it,
      ``relays``: client address -> AWS listener port -> where that relay listens.
    """

    # Opens a TCP socket to (ip, port) from (source, 0) within a timeout (source None: the kernel's choice).
    socket: Callable[[str, int, str | None, float], socket.socket] = _host_socket
    enter: list[str] = field(default_factory=list)
    relays: dict[str, dict[int, tuple[str, int]]] = field(default_factory=dict)

    def relayed(self, source: str | None) -> bool:
        """Whether a relay, not a bound socket, makes the edge see ``source``."""
        return source in self.relays

    def connect(self, ip: str, port: int, *, source: str | None = None, timeout: float) -> socket.socket:
        """A TCP connection to ``ip:port`` that the edge sees coming from ``source``. Every probe connects through
        here, so the target decides where sockets are made."""
        return self.socket(ip, port, None if self.relayed(source) else source, timeout)

    def admin_connect(self, ip: str, port: int, timeout: float) -> socket.socket:
        """A connection to an admin or stats endpoint of the edge (readiness, counters): no particular source."""
        return self.socket(ip, port, None, timeout)


def _nothing(*args: Any) -> None:
    return None


@dataclass
class Lifecycle:
    """The processes behind an edge (none of them on this machine for a remote edge)."""

    check_alive: Callable[[], None] = _nothing  # raises edgeconform.supervisor.ProcessFailed (with the log)
    logs: Callable[[], dict[str, str]] = dict  # process (or pod) -> its log
    pids: Callable[[], list[int]] = list  # the ids of its processes on this machine
    _close: list[Callable[[], None]] = field(default_factory=list)

    def on_close(self, action: Callable[[], None]) -> None:
        """Undo ``action`` when the edge closes; the last one registered runs first."""
        self._close.append(action)

    def close(self) -> None:
        while self._close:
            self._close.pop()()


def _no_settings(behaviour: str, variant: str = "") -> list[str]:
    return []


@dataclass(frozen=True)
class ControllerInfo:
    """The ingress controller of an edge, as behaviours and verdicts read it. The target fills it from the
    controller it runs (``of``), so nothing below the targets looks a controller up."""

    name: str | None = None  # None: the target does not tell (eks: whatever the cluster runs)
    title: str = ""  # in messages: "Traefik"
    version: str | None = None
    # What it states to the backend about each request (edgeconform.controllers.base.Controller.reports); None:
    # unknown, judged as stating everything.
    reports: frozenset[str] | None = None
    admin: str | None = None  # its Envoy admin URL, where the target reaches it (PROXY counters)
    # Its own listeners ("http"/"https"/"redirect" -> (ip, port)), where a probe can reach them directly (PROXY
    # checks); empty when the target hides the controller.
    listeners: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    # (behaviour, variant) -> its settings that cell rests on (Controller.deciding, bound to the topology)
    rests_on: Callable[..., list[str]] = _no_settings
    # No controller: the backend is the application behind the load balancer (controller ``none``), so what the
    # backend reports is what arrived (TCP peer, raw X-Forwarded-*, a PROXY header), not a controller's conclusion
    application: bool = False

    @classmethod
    def of(cls, controller: Any, t: Topology, *, version: str | None = None, admin: str | None = None,
           listeners: Mapping[str, tuple[str, int]] | None = None) -> ControllerInfo:
        """From a controller plug-in (edgeconform.controllers.base.Controller) running ``t``."""
        return cls(name=controller.name, title=controller.title, version=version,
                   reports=frozenset(controller.reports), admin=admin, listeners=dict(listeners or {}),
                   rests_on=functools.partial(controller.deciding, t),
                   application=controller.semantics_for(t).straight_to_app)

    def states(self, what: str) -> bool:
        """Whether it tells the backend ``what`` ("peer": its TCP peer; "client": the client it concluded...)."""
        return self.reports is None or what in self.reports

    def deciding(self, behaviour: str, variant: str = "") -> list[str]:
        """Its own settings one cell rests on, for a failure's message."""
        return list(self.rests_on(behaviour, variant))


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
    controller: ControllerInfo = field(default_factory=ControllerInfo)
    transport: Transport = field(default_factory=Transport)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    lb_server_header: str | None = None  # what the LB puts in responses it generates itself
    # A client certificate (PEM with its key) that probes present where the edge asks for one (ALB mutual TLS)
    client_cert: Path | None = None
    # The load-balancer stand-in's admin or stats URL (target health), where the target runs the stand-in itself
    lb_admin: str | None = None
    unsupported: dict[str, str] = field(default_factory=dict)  # behaviour -> why it cannot be measured here
    converge: Converge = LOCAL_CONVERGE
    # Networks whose addresses belong to one role when no exact address is known (eks: the load balancer's
    # private addresses somewhere in the VPC): CIDR -> role, consulted after ``roles`` and ``client_cidr``.
    role_networks: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    ready_seconds: float = 0.0

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
        if self.transport.relayed(source):  # the relay for this client address and listener
            relay = self.transport.relays[source]  # type: ignore[index]
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

    def close(self) -> None:
        """Tear the edge down (its lifecycle's undo actions, last first)."""
        self.lifecycle.close()

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
            "enter": self.transport.enter,
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
