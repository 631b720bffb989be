"""Host header: what Host the backend sees when a client's Host carries the listener's port.

An ALB rewrites the port part of Host unless routing.http.preserve_host_header.enabled is on [ALB-HOST][ALB-ATTR]:
on listeners 80 and 443 "any port number that was already in the incoming host header is removed" (on other ports
the listener port is appended: not emulated, see the finding); with the attribute on, Host is passed "without any
modification". The probe sends ``Host: <name>:<port>`` on the listener's own port and reads the Host the backend
received. L4 load balancers pass Host untouched, and no AWS page says what a Classic ELB HTTP listener does with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Behaviour, Cell, Expectation

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.http import HttpResult
    from ..topology import Topology

NAME = "host_header"


@dataclass(frozen=True)
class HostWant:
    keeps_port: bool


@dataclass
class HostObservation:
    sent: str
    result: HttpResult

    def describe(self) -> str:
        seen = self.result.report.get("host") if self.result.report else None
        return f"  sent Host {self.sent!r}: {self.result.describe()}" + (f"; the backend saw Host {seen!r}" if seen else "")


def rule(t: Topology) -> Expectation:
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    if not t.lb_model.has("preserve_host_header"):  # no documented Host handling (the ALB's: [ALB-HOST])
        why = ("an L4 load balancer does not parse HTTP: Host passes unchanged" if t.layer == "l4" else
               "no AWS page says what a Classic ELB HTTP listener does with the Host header")
        return make(outcome="n/a", want=None, sources=t.lb_model.cite("listeners"), summary="", reason=why)
    if t.lb.preserve_host_header:
        return make(outcome="works", want=HostWant(True), sources=("ALB-HOST", "ALB-ATTR"),
                    summary="the backend sees Host exactly as the client sent it, port included "
                            "(routing.http.preserve_host_header.enabled)")
    listener = t.https_listener or t.http_listener
    if listener is not None and listener.port not in (80, 443):
        return make(outcome="works", want=HostWant(True), sources=("ALB-HOST", "ALB-ATTR"),
                    summary=f"on listener {listener.port} the ALB keeps a port the client put in Host (it appends the "
                            "listener port only where Host has none)")
    return make(outcome="works", want=HostWant(False), sources=("ALB-HOST", "ALB-ATTR"),
                summary="the ALB removes the port a client put in Host on listeners 80 and 443 (Host preservation off, "
                        "the default)")


def probe(edge: Edge) -> HostObservation:
    from ..probing import http  # the HTTP stack loads when a probe runs

    scheme = "https" if edge.endpoint("https") else "http"
    endpoint = edge.endpoint(scheme)
    assert endpoint is not None
    name = edge.hostnames[0]
    sent = f"{name}:{endpoint.public_port}"  # the listener's own (AWS) port
    ip, port = edge.resolve(scheme, None, edge.client_addresses[0])
    result = http.direct_get(edge, ip, port, scheme, sent, "/host-header", sni=name, source=edge.client_addresses[0],
                             inside_tls=edge.topology.tls_terminates_at == "lb")
    return HostObservation(sent, result)


def compare(edge: Edge, want: HostWant, seen: HostObservation) -> list[str]:
    report = seen.result.report
    if report is None:
        return [f"no answer from the backend: {seen.result.describe()}"]
    host = report.get("host", "")
    expected = seen.sent if want.keeps_port else seen.sent.rsplit(":", 1)[0]
    if host != expected:
        return [f"the backend saw Host {host!r}, expected {expected!r}"]
    return []


BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: the Host header the backend sees (ALB Host preservation)",
    cells={"": Cell(rule, probe, compare)},
)
