"""Client IP: does the backend learn the real client address, and how did it arrive?

Probes come from three distinct client addresses. The backend's view (the address the controller settled on,
and whether it came from the TCP peer, a PROXY header or X-Forwarded-For) must match what the topology documents:
the client carried by PROXY v2, say, or the documented limitation (the NLB's own address when client-IP
preservation is off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Behaviour, Cell, Expectation, Fact, Facts, role_words

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.http import BackendView, HttpResult
    from ..topology import Role, Topology

NAME = "client_ip"


@dataclass(frozen=True)
class ClientIpWant:
    seen_as: Role  # whose address the controller concludes is the client
    via: str  # "peer", "proxy-v1", "proxy-v2", "xff", or "any"
    # Whose address X-Forwarded-For carries just before the entry the controller appends (the hop in front of it
    # wrote it): checked where the controller passes the list on instead of concluding from it. None: not checked.
    forwarded: Role | None = None
    # Where that entry is, counted from the right: 2 behind one L7 hop; behind CloudFront and the ALB 3 (the ALB
    # appended CloudFront's address after the entry CloudFront appended)
    forwarded_at: int = 2


@dataclass
class ClientIpSample:
    """One request from one client address, and what the backend learned about it."""

    source: str | None
    result: HttpResult
    proxy_version: str | None  # "v1"/"v2" when the controller counted a PROXY header for this request
    application: bool = False  # no controller: the backend is the application, reporting what arrived

    @property
    def view(self) -> BackendView | None:
        return self.result.view

    def describe(self) -> str:
        line = f"  {self.result.describe()}"
        view = self.view
        if view is not None and self.application:
            proxy = f"PROXY {view.proxy[0]} {view.proxy[1]} from {view.proxy[2]}" if view.proxy else "no PROXY header"
            line += (f"\n      the application's TCP peer={view.backend_peer}; {proxy}; "
                     f"X-Forwarded-For={list(view.xff)}")
        elif view is not None:
            line += (f"\n      backend saw client={view.client} via {via(self)}; controller peer={view.peer or 'not stated'}; "
                     f"X-Forwarded-For={list(view.xff)}")
        return line


# --- rule ----------------------------------------------------------------------------------------------------
def rewriter(t: Topology) -> Role:
    """Whose address the controller sees when the client's is not carried: the last hop that re-originates."""
    return "node" if t.node_snat else "lb"


def rule(t: Topology) -> Expectation:
    from ..controllers import semantics_of

    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    ideal = ClientIpWant("client", "any")
    semantics = semantics_of(t)
    if semantics.straight_to_app and t.layer == "l7":
        return application_l7(t)
    backend = "the application" if semantics.straight_to_app else "the backend"
    if t.layer == "l7" and t.lb.proxy_protocol:  # a claim the topology states (LoadBalancerModel.l7_proxy_claim)
        version = t.lb.proxy_protocol
        return make(outcome="works", want=ClientIpWant("client", f"proxy-{version}"),
                    sources=model.cite("l7_proxy", "xff"),
                    summary=f"the backend sees the client's address, carried by the PROXY {version} header the "
                            f"{model.title} puts in front of each back-end connection of its HTTP listeners "
                            "(UNVERIFIED: the topology's unverified claim); it appends it to X-Forwarded-For too")
    if t.layer == "l7":
        keys = model.cite("xff")
        if t.xff_mode == "append" and not semantics.client_from_xff:
            who = rewriter(t)
            cf = bool(t.lb.cloudfront)
            appender = "CloudFront" if cf else model.title
            where = (f"second before the peer's (the {model.title} appended CloudFront's address after it)" if cf
                     else "just before the peer's")
            return make(outcome="limited", want=ClientIpWant(who, "peer", forwarded="client",
                                                             forwarded_at=t.l7_hops + 1), ideal=ideal,
                        sources=keys + (("CF-ORIGIN",) if cf else ()) + semantics.sources.get("client", ()),
                        summary=f"the controller states the {role_words(who)} as the client; the client's address "
                                f"reaches the backend in X-Forwarded-For, in the entry {appender} appended",
                        reason=f"{t.controller.kind} concludes no client from X-Forwarded-For: it states its TCP peer "
                               f"(the {role_words(who)}) and passes the list on, so the client's address is the "
                               f"entry {appender} appended, {where}")
        if t.xff_mode == "append" and t.lb.cloudfront:
            return make(outcome="works", want=ClientIpWant("client", "xff"),
                        sources=("CF-ORIGIN", *keys, "ENVOY-H"),
                        summary="the backend sees the client's address, taken from the X-Forwarded-For entry "
                                "CloudFront appended (second from the right: the ALB appends CloudFront's address)")
        if t.xff_mode == "append":
            return make(outcome="works", want=ClientIpWant("client", "xff"), sources=keys + ("ENVOY-H",),
                        summary=f"the backend sees the client's address, taken from the X-Forwarded-For entry the "
                                f"{model.title} appended (the rightmost one)")
        return make(outcome="limited", want=ClientIpWant(rewriter(t), "peer"), ideal=ideal, sources=keys,
                    summary=f"the backend sees the {role_words(rewriter(t))}",
                    reason=f"X-Forwarded-For {t.xff_mode} mode: the {model.title} does not add the client's address")
    if t.lb.proxy_protocol:
        version = t.lb.proxy_protocol
        if semantics.straight_to_app:
            return make(outcome="works", want=ClientIpWant("client", f"proxy-{version}"),
                        sources=tuple(dict.fromkeys((*model.cite("proxy"), *semantics.sources.get("proxy_protocol", ())))),
                        summary=f"the client's address reaches the application in the PROXY {version} header the "
                                f"{model.title} puts in front of each connection (the application must read it); "
                                f"its TCP peer is the {role_words(rewriter(t))}")
        return make(outcome="works", want=ClientIpWant("client", f"proxy-{version}"), sources=model.cite("proxy"),
                    summary=f"the backend sees the client's address, carried by PROXY {version}")
    if t.preserves_client_ip:
        if t.node_snat:
            return make(outcome="limited", want=ClientIpWant("node", "peer"), ideal=ideal,
                        sources=("NLB-TGA", "K8S-ETP"), summary=f"{backend} sees the node's address",
                        reason="externalTrafficPolicy Cluster: kube-proxy SNATs the preserved client address to the node's")
        local = "externalTrafficPolicy Local" if t.lb.target_type == "instance" else "ip targets"
        return make(outcome="works", want=ClientIpWant("client", "peer"), sources=("NLB-TGA", "K8S-ETP"),
                    summary=f"{backend} sees the client's address as the TCP peer (client-IP preservation, {local})")
    who = rewriter(t)
    keys = model.cite("l4_client_ip")
    if model.preserves_client_ip_attribute:
        reason = "client-IP preservation is off (the default for ip targets with TCP)"
    else:
        reason = f"{model.title} TCP/SSL listeners open their own connection to the target"
    if who == "node":
        reason += "; externalTrafficPolicy Cluster then SNATs to the node"
        keys += ("K8S-ETP",)
    return make(outcome="limited", want=ClientIpWant(who, "peer"), ideal=ideal, sources=keys,
                summary=f"{backend} sees the {role_words(who)}", reason=reason)


def application_l7(t: Topology) -> Expectation:
    """Straight to the application behind an L7 load balancer: what arrives is the load balancer (or the node) as
    the TCP peer and X-Forwarded-For as the load balancer left it; the client's address is the entry it appended."""
    model, who = t.lb_model, rewriter(t)
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    keys = model.cite("xff")
    if t.xff_mode == "append":
        cf = bool(t.lb.cloudfront)
        where = ("the X-Forwarded-For entry CloudFront appended, second from the right (the ALB appended CloudFront's "
                 "address after it)" if cf else
                 f"the rightmost X-Forwarded-For entry, the one the {model.title} appended")
        port = " (as ip:port: xff_client_port)" if t.lb.xff_client_port else ""
        return make(outcome="works", want=ClientIpWant("client", "xff", forwarded_at=t.l7_hops),
                    sources=(*(("CF-ORIGIN",) if cf else ()), *keys),
                    summary=f"the client's address reaches the application as {where}{port}; entries to its left "
                            f"are whatever the client sent, and the application's TCP peer is the {role_words(who)}")
    return make(outcome="limited", want=ClientIpWant(who, "peer"), ideal=ClientIpWant("client", "any"), sources=keys,
                summary=f"the application sees only the {role_words(who)}, as its TCP peer",
                reason=f"X-Forwarded-For {t.xff_mode} mode: the {model.title} does not add the client's address, so "
                       "nothing that reaches the application carries it")


# --- probe ---------------------------------------------------------------------------------------------------
def samples(edge: Edge, count: int = 3, *, path: str = "/client-ip", extra_headers: dict[str, str] | None = None,
            timeout: float | None = None) -> list[ClientIpSample]:
    """Requests from ``count`` distinct client addresses; what the backend learned about each."""
    from ..probing import http  # the HTTP stack loads when a probe runs

    endpoint = edge.endpoint("https") or edge.endpoint("http")
    scheme = endpoint.scheme if endpoint else "https"
    host = edge.hostnames[0]
    out = []
    addresses = edge.client_addresses[:count] if edge.client_addresses else [None]
    before = http.proxy_counters(edge)
    for source in addresses:
        result = http.http_get(edge, scheme, host, f"{path}?from={source}", source=source, extra_headers=extra_headers,
                               timeout=timeout or http.TIMEOUT)
        after = http.proxy_counters(edge)
        moved = [v for v in ("v1", "v2") if after.get(v, 0) > before.get(v, 0)]
        out.append(ClientIpSample(source, result, moved[0] if len(moved) == 1 else None, edge.controller.application))
        before = after
    return out


def probe(edge: Edge) -> list[ClientIpSample]:
    return samples(edge, 3)


def via(sample: ClientIpSample) -> str:
    """How the controller got the address it settled on: peer, proxy-v1/v2 (or proxy), or xff; "unreported" when
    the controller states no TCP peer (edgeconform.controllers.base.Controller.reports)."""
    view = sample.view
    if view is None or not view.client:
        return "unknown"
    if view.peer is None:
        return "unreported"
    if sample.proxy_version and view.connection and view.client == view.connection:
        # the controller counted a PROXY header for this request (with client-IP preservation on too, its address
        # is also the TCP peer's, so the peer alone cannot tell)
        return f"proxy-{sample.proxy_version}"
    if view.connection and view.peer and view.connection != view.peer and view.client == view.connection:
        return "proxy"
    if view.client == view.peer:
        return "peer"
    if view.client in view.xff[:-1]:
        return "xff"
    if view.connection_stated and view.client != view.connection:
        return "xff"  # a controller that replaces X-Forwarded-For with its conclusion (ingress-nginx's default)
    return "unknown"


# --- compare -------------------------------------------------------------------------------------------------
def seen_as(edge: Edge, sample: ClientIpSample) -> str:
    """Whose address the backend took for this client's: client, another client (forged or mixed up), lb, node...
    Straight to the application: whose address arrived where an application reads it first (``arrived``)."""
    if edge.controller.application and sample.view is not None:
        return whose(edge, sample, arrived(edge, sample, "any")[0])
    seen = sample.view.client if sample.view else None
    if seen == sample.source or (sample.source is None and edge.role_of(seen) == "client"):
        return "client"
    if edge.role_of(seen) == "client":
        return f"another client ({seen})"
    return edge.role_of(seen)


def arrived(edge: Edge, sample: ClientIpSample, via: str, at: int = 1) -> tuple[str | None, str]:
    """Straight to the application: the address that reached it at the place ``via`` names, and that place
    ("peer", "xff", "proxy-v2"). ``at``: the X-Forwarded-For entry, counted from the right. "any": the first place
    an application would read (a PROXY header's source, else the entry the L7 load balancer appended, else the TCP
    peer)."""
    view = sample.view
    assert view is not None
    if via == "any":
        t = edge.topology
        if view.proxy_source:
            return view.proxy_source, f"proxy-{view.proxy[0]}"  # type: ignore[index]
        if t.xff_mode == "append":
            return arrived(edge, sample, "xff", t.l7_hops)
        return view.backend_peer, "peer"
    if via.startswith("proxy"):
        return view.proxy_source, f"proxy-{view.proxy[0]}" if view.proxy else "no PROXY header"
    if via == "xff":
        entry = view.xff[-at] if len(view.xff) >= at else None
        return (_without_port(entry) if edge.topology.lb.xff_client_port else entry), "xff"
    return view.backend_peer, "peer"


def _without_port(entry: str | None) -> str | None:
    """The address of an ALB's ip:port or [ipv6]:port entry (routing.http.xff_client_port.enabled) [ALB-XFH]."""
    if not entry:
        return entry
    if entry.startswith("["):
        return entry[1:].partition("]")[0]
    return entry.rpartition(":")[0] if entry.count(":") == 1 else entry


def whose(edge: Edge, sample: ClientIpSample, address: str | None) -> str:
    """Whose address ``address`` is, for this sample: client, another client (forged or mixed up), lb, node..."""
    if address == sample.source or (sample.source is None and edge.role_of(address) == "client"):
        return "client"
    if edge.role_of(address) == "client":
        return f"another client ({address})"
    return edge.role_of(address) if address else "nothing"


def _place(via: str, at: int) -> str:
    if via == "xff":
        return "the rightmost X-Forwarded-For entry" if at == 1 else f"X-Forwarded-For entry {at} from the right"
    if via.startswith("proxy"):
        return "the PROXY header's source"
    return "the TCP peer" if via == "peer" else "what arrived"


def compare_application(edge: Edge, want: ClientIpWant, observed: list[ClientIpSample]) -> list[str]:
    """No controller: what reached the application, at the place the expectation names."""
    problems = []
    for sample in observed:
        if sample.view is None:
            problems.append(f"no answer from the application: {sample.result.describe()}")
            continue
        address, how = arrived(edge, sample, want.via, want.forwarded_at)
        role = whose(edge, sample, address)
        where = _place(want.via, want.forwarded_at) if want.via != "any" else _place(how, edge.topology.l7_hops)
        if role != want.seen_as:
            problems.append(f"probe from {sample.source}: {where} at the application is {address} ({role}), expected "
                            f"the {want.seen_as}'s address")
        elif want.via.startswith("proxy-") and how != want.via:
            problems.append(f"probe from {sample.source}: the client's address arrived in {how}, expected {want.via}")
    return problems


def compare(edge: Edge, want: ClientIpWant, observed: list[ClientIpSample]) -> list[str]:
    if edge.controller.application:
        return compare_application(edge, want, observed)
    problems = []
    for sample in observed:
        view = sample.view
        if view is None:
            problems.append(f"no answer from the backend: {sample.result.describe()}")
            continue
        seen, role = view.client, seen_as(edge, sample)
        how = via(sample)
        if role != want.seen_as:
            problems.append(f"probe from {sample.source}: the backend saw {seen} ({role}), expected the "
                            f"{want.seen_as}'s address")
        elif want.via != "any" and not _same_via(how, want.via) and not (how == "unreported" and
                                                                        not _reports_peer(edge)) \
                and not _indistinct(sample, how, want.via):
            problems.append(f"probe from {sample.source}: the backend saw {seen} via {how}, expected via {want.via}")
        if want.forwarded is not None:
            at = want.forwarded_at
            entry = view.xff[-at] if len(view.xff) >= at else None
            whose = "client" if entry is not None and entry == sample.source else (edge.role_of(entry) if entry else None)
            if whose != want.forwarded:
                where = "before the controller's own entry" if at == 2 else f"{at - 1} entries before the controller's own"
                problems.append(f"probe from {sample.source}: X-Forwarded-For {list(view.xff)} does not carry the "
                                f"{want.forwarded}'s address {where}")
    return problems


def _reports_peer(edge: Edge) -> bool:
    """Whether the edge's controller states its TCP peer to the backend (how an address arrived needs it)."""
    return edge.controller.states("peer")


def _indistinct(sample: ClientIpSample, how: str, wanted: str) -> bool:
    """PROXY with client-IP preservation (instance targets, externalTrafficPolicy Local): the header and the TCP peer
    carry the same address, so unless the controller's PROXY counters moved (Envoy's admin stats, where it serves
    them) nothing the backend learns tells which one the controller used."""
    view = sample.view
    return (how == "peer" and wanted.startswith("proxy-") and sample.proxy_version is None and view is not None
            and view.client == view.peer)


def _same_via(seen: str, wanted: str) -> bool:
    return seen == wanted or (seen == "proxy" and wanted.startswith("proxy-"))


def facts(edge: Edge, observed: list[ClientIpSample]) -> dict[str, str]:
    """Whose address the backend took for the client's, and how it arrived (the answers of every probe, when they
    differ: "client, lb"). Straight to the application: whose address arrived where an application reads it first,
    and where that was (so a migration from "ALB straight to the app" to "NLB + a controller" compares the same
    fact: the client's address, carried by X-Forwarded-For or by PROXY)."""
    answered = [sample for sample in observed if sample.view is not None]
    if not answered:
        return {"seen_as": "no answer", "via": "none"}
    how = (lambda s: arrived(edge, s, "any")[1]) if edge.controller.application else via
    return {"seen_as": ", ".join(dict.fromkeys(seen_as(edge, s) for s in answered)),
            "via": ", ".join(dict.fromkeys(how(s) for s in answered))}


FACTS = Facts(facts, (Fact("seen_as", "whose address the backend took for the client's", ideal="client"),
                      Fact("via", "how the client address reached the controller")))

BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: the backend learns the real client address",
    cells={"": Cell(rule, probe, compare, facts=FACTS)},
)
