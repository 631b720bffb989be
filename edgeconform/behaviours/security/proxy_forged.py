"""security[proxy-forged]: a client's own PROXY header, behind a load balancer that prepends one, never wins: the
load balancer's header comes first and the controller reads the first; the client's is then a malformed request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import client_ip
from ..base import Cell, Expectation, straight_to_app
from ..client_ip import ClientIpSample, ClientIpWant
from .common import FORGED_PROXY_SOURCE, get, lines, main_scheme, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...topology import Role, Topology

NAME = "proxy-forged"


@dataclass(frozen=True)
class ProxyForgedWant:
    seen_as: Role  # the control request's client, as client_ip documents
    forged: str


@dataclass
class ProxyForgedObservation:
    control: ClientIpSample
    forged: dict[str, HttpResult]  # PROXY version -> result

    def describe(self) -> str:
        out = [f"control (no forged header): {self.control.result.describe()}"
               + (f"; backend saw client={self.control.view.client}" if self.control.view else "")]
        for version, r in self.forged.items():
            seen = f"; backend saw client={r.view.client}" if r.view else ""
            out.append(f"client sent its own PROXY {version} header naming {FORGED_PROXY_SOURCE}: "
                       f"{r.describe()}{seen}")
        return lines(out)


def rule(t: Topology) -> Expectation:
    if t.layer == "l7":
        return not_applicable(t, NAME, "an L7 load balancer parses HTTP: a PROXY header from a client is a malformed "
                                       "request there")
    if straight_to_app(t) and not t.lb.proxy_protocol:
        return not_applicable(t, NAME, "the load balancer sends no PROXY header: one a client sends reaches the "
                                       "application as the client wrote it, and reading it is the application's "
                                       "business")
    if not (t.lb.proxy_protocol or t.controller.proxy_protocol):
        return not_applicable(t, NAME, "neither the load balancer nor the controller speaks PROXY")
    seen_as = client_ip.rule(t).want.seen_as  # type: ignore[union-attr]
    if straight_to_app(t):
        return make(t, NAME, outcome="works", want=ProxyForgedWant(seen_as, FORGED_PROXY_SOURCE),
                    sources=(*t.lb_model.cite("proxy"), "PP-SPEC"),
                    summary=f"a PROXY header sent by the client never arrives as the application's PROXY header: the "
                            f"{t.lb_title} puts its own in front, and the client's follows it as the start of a "
                            "malformed request")
    return make(t, NAME, outcome="works", want=ProxyForgedWant(seen_as, FORGED_PROXY_SOURCE),
                sources=(*t.lb_model.cite("proxy"), "ENVOY-PP"),
                summary=f"a PROXY header sent by the client never becomes the client address: the {t.lb_title} "
                        "prepends its own and the controller reads the first; the client's header is then a "
                        "malformed request")


def probe(edge: Edge) -> ProxyForgedObservation:
    from ...probing import proxy_header

    scheme, host, forger = main_scheme(edge), edge.hostnames[0], source(edge, 2)
    control = ClientIpSample(source(edge), get(edge, scheme, host, "/proxy-forged-control", source=source(edge)), None)
    ip, _ = edge.resolve(scheme, None, forger)
    forged = {}
    for version in ("v1", "v2"):
        header = proxy_header.proxy(version, FORGED_PROXY_SOURCE, ip)
        forged[version] = get(edge, scheme, host, f"/proxy-forged-{version}", prefix=header, source=forger)
    return ProxyForgedObservation(control, forged)


def compare(edge: Edge, want: ProxyForgedWant, seen: ProxyForgedObservation) -> list[str]:
    problems = []
    control = client_ip.compare(edge, ClientIpWant(want.seen_as, "any"), [seen.control])
    problems += [f"control request: {problem}" for problem in control]
    for version, result in seen.forged.items():
        view = result.view
        if view is not None and edge.controller.application and want.forged in (view.proxy_source, view.backend_peer):
            problems.append(f"the client's own PROXY {version} header was read as the load balancer's: the "
                            f"application got PROXY {view.proxy} (its TCP peer {view.backend_peer})")
        elif view is not None and edge.controller.application:
            continue  # the application read the load balancer's header; what came after it is not a request
        elif view is not None and want.forged in (view.client, *view.xff):
            problems.append(f"the client's own PROXY {version} header was believed: the backend saw "
                            f"client={view.client} (X-Forwarded-For {list(view.xff)})")
        elif view is not None and view.client and edge.role_of(view.client) != want.seen_as \
                and view.client != seen.control.source:
            problems.append(f"after the client's PROXY {version} header the backend saw client={view.client} "
                            f"({edge.role_of(view.client)}), expected the {want.seen_as}'s address or a refusal")
    return problems


CHECK = Cell(rule, probe, compare, depends_on=("client_ip",))
