"""security[proxy-required]: a PROXY-expecting controller listener refuses a connection without a PROXY header
(and serves one with a valid header), so nobody who reaches it directly can skip the header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..base import Cell, Expectation, straight_to_app
from .common import answered, controller_listeners, lines, make, not_applicable, scheme_of, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...topology import Topology

NAME = "proxy-required"


@dataclass(frozen=True)
class ProxyRequiredWant:
    kinds: tuple[str, ...]  # controller listeners probed
    refuses: bool = True  # a header-less connection is closed unanswered (False: served, the documented limitation)


@dataclass
class ProxyRequiredObservation:
    without_header: dict[str, HttpResult]
    with_header: dict[str, HttpResult]

    def describe(self) -> str:
        return lines([f"{kind} listener, no PROXY header: {r.describe()}" for kind, r in self.without_header.items()]
                     + [f"{kind} listener, valid PROXY v2 header: {r.describe()}" for kind, r in self.with_header.items()])


def rule(t: Topology) -> Expectation:
    from ...controllers import semantics_of

    if straight_to_app(t):
        return not_applicable(t, NAME, "no controller: the load balancer's targets are the application, which reads a "
                                       "PROXY header where one arrives; whether it requires one is its own business")
    if not t.controller.proxy_protocol:
        return not_applicable(t, NAME, "the controller expects no PROXY header")
    kinds = tuple(t.controller_kinds)
    semantics = semantics_of(t)
    if semantics.proxy_protocol == "optional":  # the controller serves a connection with or without a header
        return make(t, NAME, outcome="limited", want=ProxyRequiredWant(kinds, refuses=False),
                    ideal=ProxyRequiredWant(kinds),
                    sources=semantics.sources.get("proxy_protocol", ()), summary="a connection without a PROXY header "
                    "is served as well", reason=f"{t.controller.kind} accepts connections with or without a PROXY "
                    "header: whoever reaches its listeners directly can skip the header")
    return make(t, NAME, outcome="works", want=ProxyRequiredWant(kinds), sources=("ENVOY-PP", "NGX-CM"),
                summary=f"the controller's PROXY listeners ({', '.join(kinds)}) close a connection that starts "
                        "without a PROXY header, and serve one that starts with a valid header")


def probe(edge: Edge) -> ProxyRequiredObservation:
    from ...probing import http, proxy_header  # the HTTP stack loads when a probe runs

    client, host = source(edge), edge.hostnames[0]
    without, with_header = {}, {}
    for kind, (ip, port) in controller_listeners(edge).items():
        scheme = scheme_of(kind)
        without[kind] = http.direct_get(edge, ip, port, scheme, host, "/no-proxy-header", source=client)
        honest = proxy_header.proxy("v2", client or "127.0.0.1", ip, dest_port=port)  # claims its own address
        with_header[kind] = http.direct_get(edge, ip, port, scheme, host, "/proxy-header", source=client,
                                            prefix=honest)
    return ProxyRequiredObservation(without, with_header)


def compare(edge: Edge, want: ProxyRequiredWant, seen: ProxyRequiredObservation) -> list[str]:
    problems = []
    for kind in want.kinds:
        without, with_header = seen.without_header.get(kind), seen.with_header.get(kind)
        if without is None or with_header is None:
            problems.append(f"the {kind} listener was not probed")
            continue
        if want.refuses and answered(without):
            problems.append(f"the {kind} listener answered a connection without a PROXY header "
                            f"({without.status}): it does not require PROXY")
        if not want.refuses and not answered(without):
            problems.append(f"the {kind} listener refused a connection without a PROXY header, which this controller "
                            f"documents as accepted: {without.describe()}")
        if not answered(with_header):
            problems.append(f"the {kind} listener did not answer a connection with a valid PROXY v2 header: "
                            f"{with_header.describe()}")
    return problems


CHECK = Cell(rule, probe, compare)
