"""Rules that derive, from a topology's fields, what each behaviour should look like from outside.

An expectation is *works* (with the observable) or *limited* (a documented limitation, with its reason and
source). Expectations follow from what the AWS load balancer documentably does, on an edge whose controller
is set up to match it. The controller's settings are what the suites test: when they disagree with the load
balancer, the observation departs from the expectation and the verdict is a failure with a diagnosis
(see edgeconform.diagnosis). Nothing here is written per test or per topology name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from .sources import cite
from .topology import Role, Topology


class Behaviour(StrEnum):
    CLIENT_IP = "client_ip"
    REDIRECT = "redirect"
    WEBSOCKET = "websocket"
    SNI = "sni"
    SECURITY = "security"  # variants: edgeconform.security.CHECKS


Outcome = Literal["works", "limited", "n/a"]


@dataclass(frozen=True)
class ClientIpWant:
    seen_as: Role  # whose address the controller concludes is the client
    via: str  # "peer", "proxy-v1", "proxy-v2", "xff", or "any"


@dataclass(frozen=True)
class RedirectWant:
    action: Literal["redirect", "serve"]
    code: int | None = None
    at: Literal["lb", "controller"] | None = None


@dataclass(frozen=True)
class WebSocketWant:
    result: Literal["echo", "refused", "redirected"]
    code: int | None = None


@dataclass(frozen=True)
class SniWant:
    terminates_at: Literal["lb", "controller"]
    per_name: tuple[tuple[str, str], ...]  # (hostname, certificate name it should get)
    unknown_gets: str  # the default certificate's name


Want = ClientIpWant | RedirectWant | WebSocketWant | SniWant


@dataclass(frozen=True)
class Expectation:
    topology: str
    behaviour: Behaviour
    outcome: Outcome
    summary: str  # the observable, in words
    want: Want | None
    sources: tuple[str, ...]
    variant: str = ""
    reason: str = ""  # why limited / not applicable
    ideal: Want | None = None  # limited only: what an unlimited edge would show (its appearance fails, strict)

    @property
    def cell(self) -> str:
        return f"{self.behaviour}[{self.variant}]" if self.variant else str(self.behaviour)

    def describe(self) -> str:
        cited = cite(self.sources)
        if self.outcome == "works":
            return f"works: {self.summary} {cited}"
        return f"{self.outcome}: {self.reason} {cited}".rstrip()


def _rewriter(t: Topology) -> Role:
    """Whose address the controller sees when the client's is not carried: the last hop that re-originates."""
    return "node" if t.node_snat else "lb"


def client_ip(t: Topology) -> Expectation:
    lb = t.lb_title
    make = lambda **kw: Expectation(topology=t.name, behaviour=Behaviour.CLIENT_IP, **kw)  # noqa: E731
    ideal = ClientIpWant("client", "any")
    if t.layer == "l7":
        keys = ("ALB-XFH",) if t.lb.model == "alb" else ("CLB-XFH",)
        if t.xff_mode == "append":
            return make(outcome="works", want=ClientIpWant("client", "xff"), sources=keys + ("ENVOY-H",),
                        summary=f"the backend sees the client's address, taken from the X-Forwarded-For entry the "
                                f"{lb} appended (the rightmost one)")
        return make(outcome="limited", want=ClientIpWant(_rewriter(t), "peer"), ideal=ideal, sources=keys,
                    summary=f"the backend sees the {_role_words(_rewriter(t))}",
                    reason=f"X-Forwarded-For {t.xff_mode} mode: the {lb} does not add the client's address")
    if t.lb.proxy_protocol:
        version = t.lb.proxy_protocol
        keys = ("NLB-TG23", "PP-BLOG") if t.lb.model == "nlb" else ("CLB-PP",)
        return make(outcome="works", want=ClientIpWant("client", f"proxy-{version}"), sources=keys,
                    summary=f"the backend sees the client's address, carried by PROXY {version}")
    if t.preserves_client_ip:
        if t.node_snat:
            return make(outcome="limited", want=ClientIpWant("node", "peer"), ideal=ideal,
                        sources=("NLB-TGA", "K8S-ETP"), summary="the backend sees the node's address",
                        reason="externalTrafficPolicy Cluster: kube-proxy SNATs the preserved client address to the node's")
        return make(outcome="works", want=ClientIpWant("client", "peer"), sources=("NLB-TGA", "K8S-ETP"),
                    summary="the backend sees the client's address as the TCP peer (client-IP preservation, "
                            "externalTrafficPolicy Local)")
    who = _rewriter(t)
    if t.lb.model == "nlb":
        reason, keys = "client-IP preservation is off (the default for ip targets with TCP)", ("NLB-TGA", "#1825")
    else:
        reason, keys = f"{lb} TCP/SSL listeners open their own connection to the target", ("CLB-L",)
    if who == "node":
        reason += "; externalTrafficPolicy Cluster then SNATs to the node"
        keys += ("K8S-ETP",)
    return make(outcome="limited", want=ClientIpWant(who, "peer"), ideal=ideal, sources=keys,
                summary=f"the backend sees the {_role_words(who)}", reason=reason)


def redirect(t: Topology) -> Expectation:
    make = lambda **kw: Expectation(topology=t.name, behaviour=Behaviour.REDIRECT, **kw)  # noqa: E731
    if t.http_listener is None:
        return make(outcome="n/a", want=None, sources=("NLB-L",), summary="",
                    reason="no cleartext listener: nothing to redirect")
    if t.lb.ssl_redirect:
        return make(outcome="works", want=RedirectWant("redirect", 301, "lb"), sources=("LBC-IA", "LBC-CODE", "ALB-L23"),
                    summary="cleartext gets 301 to https at the ALB (ssl-redirect), then the request is served over TLS")
    if not t.redirect_intended:
        return make(outcome="works", want=RedirectWant("serve"), sources=("NGX-CM",),
                    summary="cleartext is served as is: no redirect is configured")
    code = t.controller.redirect_code
    if t.layer == "l7":
        keys: tuple[str, ...] = ("CLB-XFH" if t.lb.model == "clb" else "ALB-XFH", "ENVOY-H", "NGX-CM")
        how = f"by X-Forwarded-Proto from the {t.lb_title}"
    elif t.tls_terminates_at == "lb":
        keys, how = ("NGX-AWS",), "on a port that only redirects (TLS ends at the load balancer, no X-Forwarded-Proto)"
    else:
        keys, how = ("NGX-CM",), "which sees the cleartext connection itself"
    return make(outcome="works", want=RedirectWant("redirect", code, "controller"), sources=keys,
                summary=f"cleartext gets {code} to https at the controller, {how}; following it ends in one "
                        f"TLS response, no loop")


def websocket(t: Topology, scheme: Literal["ws", "wss"]) -> Expectation:
    make = lambda **kw: Expectation(topology=t.name, behaviour=Behaviour.WEBSOCKET, variant=scheme, **kw)  # noqa: E731
    listener = t.http_listener if scheme == "ws" else t.https_listener
    if listener is None:
        kind = "cleartext" if scheme == "ws" else "TLS"
        return make(outcome="n/a", want=None, sources=("NLB-L",), summary="",
                    reason=f"the topology offers no {kind} listener for {scheme}://")
    if t.lb.model == "clb" and t.layer == "l7":
        return make(outcome="limited", want=WebSocketWant("refused"), ideal=WebSocketWant("echo"),
                    sources=("EMS-AWS", "#3746", "istio#11579", "CLB-L"),
                    summary="the Upgrade is refused before it reaches the backend",
                    reason="Classic ELB HTTP/HTTPS listeners break the WebSocket Upgrade (a TCP listener passes it)")
    if scheme == "ws" and t.redirect_intended:
        cleartext = redirect(t)  # the ws:// handshake meets the same redirect as any cleartext request
        code = cleartext.want.code
        return make(outcome="works", want=WebSocketWant("redirected", code), sources=cleartext.sources,
                    summary=f"the ws:// handshake gets the cleartext redirect ({code}), like any cleartext request")
    keys = {"nlb": ("NLB-L",), "alb": ("ALB-L",), "clb": ("CLB-L", "EMS-AWS")}[t.lb.model]
    return make(outcome="works", want=WebSocketWant("echo"), sources=keys,
                summary=f"the {scheme}:// Upgrade succeeds and text and binary frames echo back unchanged")


def sni(t: Topology) -> Expectation:
    make = lambda **kw: Expectation(topology=t.name, behaviour=Behaviour.SNI, **kw)  # noqa: E731
    at = t.tls_terminates_at
    if at is None:
        return make(outcome="n/a", want=None, sources=("NLB-L",), summary="", reason="no TLS listener")
    certs = t.certificates
    default = certs[0]

    def best(hostname: str) -> str:
        return hostname if hostname in certs[1:] else default

    want = SniWant(at, tuple((h, best(h)) for h in t.hostnames), default)
    where = "at the controller" if at == "controller" else f"at the {t.lb_title}"
    if at == "lb" and t.lb.model == "clb":
        return make(outcome="limited", want=want, sources=("CLB-HTTPS23",),
                    ideal=SniWant(at, tuple((h, h) for h in t.hostnames), default),
                    summary=f"TLS terminates {where}; every name gets the one certificate {default!r}",
                    reason="Classic Load Balancers do not support SNI: one certificate for every name")
    if at == "lb":
        keys = ("NLB-TLS23",) if t.lb.model == "nlb" else ("ALB-HTTPS23", "LBC-IA")
    else:
        keys = ("NLB-L",) if t.lb.model == "nlb" else ("CLB-L",)
    named = ", ".join(f"{h} -> {c}" for h, c in want.per_name)
    return make(outcome="works", want=want, sources=keys,
                summary=f"TLS terminates {where}; SNI selects the certificate ({named}); an unknown name gets "
                        f"the default {default!r}")


def for_topology(t: Topology) -> list[Expectation]:
    """Every expectation of one topology, in matrix order."""
    from . import security  # security rules build on the ones above
    return [client_ip(t), redirect(t), websocket(t, "ws"), websocket(t, "wss"), sni(t), *security.for_topology(t)]


def lookup(t: Topology, behaviour: Behaviour | str, variant: str = "") -> Expectation:
    behaviour = Behaviour(behaviour)
    if behaviour is Behaviour.WEBSOCKET:
        return websocket(t, variant or "wss")  # type: ignore[arg-type]
    if behaviour is Behaviour.SECURITY:
        from . import security
        return security.expectation(t, variant)
    return {Behaviour.CLIENT_IP: client_ip, Behaviour.REDIRECT: redirect, Behaviour.SNI: sni}[behaviour](t)


def _role_words(role: Role) -> str:
    return {"lb": "load balancer's address", "node": "node's address (kube-proxy SNAT)", "client": "client's address",
            "controller": "controller's address", "backend": "backend's address"}[role]
