"""security[host-sni]: an HTTPS request whose Host differs from its SNI name is answered as documented: 421
Misdirected Request where TLS ends at the controller (as Contour does), routed by Host where it ends at the load
balancer (a documented limitation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..base import Cell, Expectation, straight_to_app
from .common import get, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...topology import Topology

NAME = "host-sni"


@dataclass(frozen=True)
class HostSniWant:
    # 421 Misdirected Request; served for the Host asked; or (straight to the application, TLS passed through)
    # arriving at the application with the Host and the SNI name as the client sent them, for it to decide
    result: Literal["misdirected", "routed", "arrives"]
    # Whether the Host the probe sends is one of the edge's hostnames (its second); False: the edge has one
    # hostname, so the probe sends a name no route has, and routing by it may end at the controller's default
    # backend (ingress-nginx's 404) instead of the application
    known_host: bool = True


@dataclass
class HostSniObservation:
    result: HttpResult

    def describe(self) -> str:
        r = self.result
        return lines([f"SNI {r.sni}, Host {r.host}: {r.describe()}"
                      + (f" (backend saw Host {r.report.get('host')})" if r.report else "")])


def rule(t: Topology) -> Expectation:
    from ...controllers import semantics_of

    at = t.tls_terminates_at
    if at is None:
        return not_applicable(t, NAME, "no TLS listener")
    known = len(t.hostnames) > 1  # the probe's Host: the second hostname, else a name no route has
    if at == "controller" and straight_to_app(t):
        return make(t, NAME, outcome="works", want=HostSniWant("arrives", known), sources=("RFC9110", "NLB-L"),
                    summary="the request reaches the application with the Host the client sent and the SNI name of "
                            "the connection it ended itself, so the application can refuse (421) what does not "
                            "match; nothing in front of it answers for it")
    if at == "controller":
        semantics = semantics_of(t)
        if semantics.host_sni == "route":
            # the controller documents no 421 and has no setting for one: what it does is the limitation
            return make(t, NAME, outcome="limited", want=HostSniWant("routed", known), ideal=HostSniWant("misdirected"),
                        sources=(*semantics.sources.get("host_sni", ()), "contour#2347"),
                        summary="the request is routed by its Host",
                        reason=f"{t.controller.kind} has no setting for 421 Misdirected Request: it routes by Host "
                               "whatever the SNI, so a client can reach one host over a connection set up for "
                               "another")
        if t.controller.host_sni_mismatch == "misdirected":
            return make(t, NAME, outcome="works", want=HostSniWant("misdirected"),
                        sources=("CONTOUR-421", "contour#2347", "RFC9110"),
                        summary="the controller answers 421 Misdirected Request when the Host is not a name of "
                                "the certificate SNI selected, so one host's TLS settings cannot be borrowed for "
                                "another")
        return make(t, NAME, outcome="limited", want=HostSniWant("routed", known), ideal=HostSniWant("misdirected"),
                    sources=("contour#2347", "RFC9110"), summary="the request is routed by its Host",
                    reason="the controller routes by Host whatever the SNI (controller.host_sni_mismatch: route): a "
                           "client can reach one host over a connection set up for another")
    model = t.lb_model
    return make(t, NAME, outcome="limited", want=HostSniWant("routed", known), ideal=HostSniWant("misdirected"),
                sources=model.cite("host_sni"), summary="the request is routed by its Host",
                reason=f"TLS ends at the {model.title}, so a Host that differs from the SNI name is routed by Host: "
                       f"{model.host_sni_reason}")


def probe(edge: Edge) -> HostSniObservation:
    from ...probing.tls import UNKNOWN_NAME

    names = edge.hostnames
    host = names[1] if len(names) > 1 else UNKNOWN_NAME
    return HostSniObservation(get(edge, "https", host, "/host-sni", sni=names[0], source=source(edge)))


def compare(edge: Edge, want: HostSniWant, seen: HostSniObservation) -> list[str]:
    result = seen.result
    if result.status is None:
        return [f"no response: {result.describe()}"]
    if want.result == "misdirected":
        if result.status == 421 and result.report is None:
            return []
        return [f"expected 421 Misdirected Request for Host {result.host} on a connection set up for SNI "
                f"{result.sni}, got {result.status} from {'the backend' if result.report else result.server}"]
    host_seen = (result.report or {}).get("host", "").split(":")[0]
    if want.result == "arrives":
        sni_seen = ((result.report or {}).get("tls") or {}).get("sni")
        if result.status == 200 and host_seen == result.host and sni_seen == result.sni:
            return []
        return [f"expected the application to receive Host {result.host} over a connection whose SNI was "
                f"{result.sni}, got {result.status}" + (f": it saw Host {host_seen!r}, SNI {sni_seen!r}"
                                                       if result.report else f" from {result.server}")]
    if result.report is not None and result.status == 200 and host_seen == result.host:
        return []
    if not want.known_host and result.report is None and result.status == 404:
        return []  # a Host no route has: routed by it to the controller's default backend, which answers 404
    return [f"expected the request to be routed by its Host {result.host} to the backend, got {result.status}"
            f" from {'the backend' if result.report else result.server}"]


CHECK = Cell(rule, probe, compare)
