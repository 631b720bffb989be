"""security[proxy-local]: a PROXY v2 LOCAL header (what NLB health checks send) is accepted without inventing a
client, even when the header carries an address block the receiver must ignore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..base import Cell, Expectation, straight_to_app
from .common import (LOCAL_DECOY_SOURCE, answered, controller_listeners, lines, make, not_applicable, scheme_of,
                     serving_listener, source)

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...probing.raw import RawResult
    from ...topology import Topology

NAME = "proxy-local"


@dataclass(frozen=True)
class ProxyLocalWant:
    decoy: str  # an address inside the LOCAL header that must not become the client


@dataclass
class ProxyLocalObservation:
    kind: str
    source: str
    local: HttpResult
    local_with_addresses: HttpResult
    health_check: RawResult

    def describe(self) -> str:
        out = []
        for label, r in (("LOCAL header", self.local), ("LOCAL header carrying an address block", self.local_with_addresses)):
            view = r.view
            seen = (f"; controller concluded client={view.client}, X-Forwarded-For={list(view.xff)}" if view else "")
            out.append(f"{label} on the {self.kind} listener from {self.source}: {r.describe()}{seen}")
        out.append(f"health-check style (LOCAL header, then close): {self.health_check.describe()}")
        return lines(out)


def rule(t: Topology) -> Expectation:
    if straight_to_app(t):  # the health_check cell measures the NLB's LOCAL headers reaching the application
        return not_applicable(t, NAME, "no controller: what the application makes of a PROXY v2 LOCAL header (the "
                                       "NLB's health checks) is its own business; health_check measures that they pass")
    if not t.controller.proxy_protocol:
        return not_applicable(t, NAME, "the controller expects no PROXY header")
    return make(t, NAME, outcome="works", want=ProxyLocalWant(LOCAL_DECOY_SOURCE), sources=("NLB-TG23", "ENVOY-PP"),
                summary="a PROXY v2 LOCAL header (what NLB health checks send) is accepted and the controller keeps "
                        "the connection's own peer as the client, even when the header carries an address block")


def probe(edge: Edge) -> ProxyLocalObservation:
    from ...probing import http, proxy_header, raw  # the HTTP stack loads when a probe runs

    kind = serving_listener(edge)
    ip, port = controller_listeners(edge)[kind]
    client, host = source(edge, 1), edge.hostnames[0]
    plain = http.direct_get(edge, ip, port, scheme_of(kind), host, "/proxy-local", source=client,
                            prefix=proxy_header.local())
    decoy = http.direct_get(edge, ip, port, scheme_of(kind), host, "/proxy-local-addresses", source=client,
                            prefix=proxy_header.local_with_addresses(LOCAL_DECOY_SOURCE, ip))
    health = raw.raw_exchange("LOCAL header then FIN", ip, port, proxy_header.local(), source=client,
                              connect=edge.transport.connect)
    edge.lifecycle.check_alive()
    return ProxyLocalObservation(kind, client or "?", plain, decoy, health)


def compare(edge: Edge, want: ProxyLocalWant, seen: ProxyLocalObservation) -> list[str]:
    problems = []
    for label, result in (("LOCAL header", seen.local), ("LOCAL header with an address block", seen.local_with_addresses)):
        if not answered(result):
            problems.append(f"a request after a {label} was refused: {result.describe()} (NLB health checks "
                            "send LOCAL headers: targets would be marked unhealthy)")
            continue
        view = result.view
        if view is None:
            continue  # answered without reaching the backend (a redirecting port): accepted, conclusion unseen
        if view.client != seen.source:
            problems.append(f"after a {label} the controller concluded client={view.client}, expected the "
                            f"connection's own peer {seen.source} (a LOCAL header carries no client)")
        invented = [entry for entry in view.xff if entry != seen.source and entry != view.peer]
        if want.decoy in view.xff or invented:
            problems.append(f"after a {label} X-Forwarded-For carries {list(view.xff)}: an address that is not the "
                            "peer was invented")
    if seen.health_check.answered_http and not seen.health_check.reply.startswith(b"HTTP/1.1 400"):
        problems.append(f"a bare LOCAL header was answered as a request: {seen.health_check.describe()}")
    return problems


CHECK = Cell(rule, probe, compare)
