"""Security expectations: what a hostile client must *not* achieve through an edge, derived from its fields.

Each security check is one variant of the ``security`` behaviour (the suite's ``check`` parameter). Like every
expectation it is *works* (the attack fails as documented), *limited* (the edge cannot stop it, for a
documented reason) or *n/a*, and it is judged through the same path as the other behaviours. A check always
carries a control probe (an ordinary request that must still work), so an edge that is simply broken cannot
pass a check by refusing everything.

Checks (in matrix order):
- forged-client:  forged X-Forwarded-For, X-Real-IP and Forwarded never become the client address.
- forged-proto:   a forged X-Forwarded-Proto: https over cleartext does not bypass the cleartext redirect.
- proxy-required: a PROXY-expecting listener refuses a connection without a PROXY header.
- proxy-local:    a PROXY v2 LOCAL header (NLB health checks) is accepted without inventing a client.
- proxy-forged:   a client's own PROXY header, behind a load balancer that prepends one, never wins.
- tls-versions:   where TLS terminates, TLS 1.0/1.1 are refused and TLS 1.2/1.3 accepted.
- default-cert:   an unknown SNI name, and no SNI at all, get the documented default certificate.
- host-sni:       an HTTPS request whose Host differs from its SNI name: 421 or routed by Host, as documented.
- redirect-loop:  an HTTPS request is served, not redirected; cleartext redirects end (hop limit).
- hostile-input:  malformed PROXY headers, oversized headers and half-open connections end within bounded
                  time, and the edge keeps serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .expectations import Behaviour, Expectation, client_ip, redirect
from .topology import Role, Topology

CHECKS = ["forged-client", "forged-proto", "proxy-required", "proxy-local", "proxy-forged", "tls-versions",
          "default-cert", "host-sni", "redirect-loop", "hostile-input"]

# Values a hostile client puts in forwarding headers and PROXY headers. Documentation ranges (RFC 5737): they
# are only ever written into headers, never connected to.
FORGED_XFF = ("198.51.100.7", "203.0.113.9")
FORGED_REAL_IP = "198.51.100.8"
FORGED_FORWARDED = "198.51.100.9"
FORGED_PROXY_SOURCE = "192.0.2.77"
# An address block inside a LOCAL header, which the receiver must ignore. Measured with Envoy 1.40: a LOCAL
# header (0x20), with or without an address block, leaves the connection's own peer as the client; the
# addresses of a v2 header are used only with the PROXY command (0x21).
# Not 192.0.2.x: Envoy writes its own host address for a loopback peer, and that is 192.0.2.2 on some machines.
LOCAL_DECOY_SOURCE = "203.0.113.66"
FORGED = (*FORGED_XFF, FORGED_REAL_IP, FORGED_FORWARDED, FORGED_PROXY_SOURCE, LOCAL_DECOY_SOURCE)

# The AWS recommended policies (ELBSecurityPolicy-TLS13-1-2-2021-06 and its -Res variant) accept TLS 1.2 and
# 1.3 only. This baseline does not follow the topology's tls_min_version: an older minimum is the finding.
TLS_REFUSED = ("TLSv1", "TLSv1.1")
TLS_ACCEPTED = ("TLSv1.2", "TLSv1.3")
TLS_POLICY_SOURCES = {"nlb": ("NLB-TLSPOL",), "alb": ("ALB-TLSPOL",), "clb": ("CLB-TLSPOL",)}


# --- what each check wants ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForgedClientWant:
    seen_as: Role  # whose address the controller must conclude (the client_ip expectation's)
    forged: tuple[str, ...]


@dataclass(frozen=True)
class ForgedProtoWant:
    code: int
    at: Literal["lb", "controller"]


@dataclass(frozen=True)
class ProxyRequiredWant:
    kinds: tuple[str, ...]  # controller listeners that must refuse a header-less connection


@dataclass(frozen=True)
class ProxyLocalWant:
    decoy: str  # an address inside the LOCAL header that must not become the client


@dataclass(frozen=True)
class ProxyForgedWant:
    seen_as: Role  # the control request's client, as client_ip documents
    forged: str


@dataclass(frozen=True)
class TlsVersionsWant:
    refused: tuple[str, ...]
    accepted: tuple[str, ...]
    at: Literal["lb", "controller"]


@dataclass(frozen=True)
class DefaultCertWant:
    default: str
    at: Literal["lb", "controller"]


@dataclass(frozen=True)
class HostSniWant:
    result: Literal["misdirected", "routed"]  # 421 Misdirected Request, or served for the Host asked


@dataclass(frozen=True)
class RedirectLoopWant:
    cleartext: bool  # whether a cleartext start is followed too (there is an http listener)


@dataclass(frozen=True)
class HostileInputWant:
    proxy_listeners: tuple[str, ...]  # controller listeners that get malformed PROXY headers (may be empty)


SecurityWant = (ForgedClientWant | ForgedProtoWant | ProxyRequiredWant | ProxyLocalWant | ProxyForgedWant
                | TlsVersionsWant | DefaultCertWant | HostSniWant | RedirectLoopWant | HostileInputWant)
WANTS = SecurityWant.__args__  # type: ignore[attr-defined]


# --- rules ----------------------------------------------------------------------------------------------------
def _make(t: Topology, check: str, **kw) -> Expectation:
    return Expectation(topology=t.name, behaviour=Behaviour.SECURITY, variant=check, **kw)


def _not_applicable(t: Topology, check: str, reason: str) -> Expectation:
    return _make(t, check, outcome="n/a", want=None, sources=("NLB-L",), summary="", reason=reason)


def forged_client(t: Topology) -> Expectation:
    base = client_ip(t)
    seen_as = base.want.seen_as  # type: ignore[union-attr]
    who = "the client's own address" if seen_as == "client" else f"the {seen_as}'s address (the client_ip limitation)"
    if t.layer == "l7":
        how = (f"only the entry the {t.lb_title} appended (the rightmost) is trusted; client-sent entries to its "
               "left are not")
        keys: tuple[str, ...] = ("ALB-XFH" if t.lb.model == "alb" else "CLB-XFH", "ENVOY-H")
    else:
        how = "an L4 load balancer adds no headers, so the controller trusts none"
        keys = ("ENVOY-H", "#1815", "#9163")
    return _make(t, "forged-client", outcome="works", want=ForgedClientWant(seen_as, FORGED), sources=keys,
                 summary=f"forged X-Forwarded-For, X-Real-IP and Forwarded are ignored: the backend sees {who}; {how}")


def forged_proto(t: Topology) -> Expectation:
    plain = redirect(t)
    if plain.outcome != "works" or plain.want is None or plain.want.action != "redirect":  # type: ignore[union-attr]
        return _not_applicable(t, "forged-proto", "no cleartext redirect on this edge: nothing to bypass")
    code, at = plain.want.code, plain.want.at  # type: ignore[union-attr]
    where = "the ALB" if at == "lb" else "the controller"
    return _make(t, "forged-proto", outcome="works", want=ForgedProtoWant(code, at),
                 sources=(*plain.sources, "ENVOY-H", "#9163"),
                 summary=f"cleartext with a forged X-Forwarded-Proto: https is still redirected ({code} from {where})")


def proxy_required(t: Topology) -> Expectation:
    if not t.controller.proxy_protocol:
        return _not_applicable(t, "proxy-required", "the controller expects no PROXY header")
    kinds = tuple(t.controller_kinds)
    return _make(t, "proxy-required", outcome="works", want=ProxyRequiredWant(kinds), sources=("ENVOY-PP", "NGX-CM"),
                 summary=f"the controller's PROXY listeners ({', '.join(kinds)}) close a connection that starts "
                         "without a PROXY header, and serve one that starts with a valid header")


def proxy_local(t: Topology) -> Expectation:
    if not t.controller.proxy_protocol:
        return _not_applicable(t, "proxy-local", "the controller expects no PROXY header")
    return _make(t, "proxy-local", outcome="works", want=ProxyLocalWant(LOCAL_DECOY_SOURCE),
                 sources=("NLB-TG23", "ENVOY-PP"),
                 summary="a PROXY v2 LOCAL header (what NLB health checks send) is accepted and the controller keeps "
                         "the connection's own peer as the client, even when the header carries an address block")


def proxy_forged(t: Topology) -> Expectation:
    if t.layer == "l7":
        return _not_applicable(t, "proxy-forged", "an L7 load balancer parses HTTP: a PROXY header from a client is "
                                                  "a malformed request there")
    if not (t.lb.proxy_protocol or t.controller.proxy_protocol):
        return _not_applicable(t, "proxy-forged", "neither the load balancer nor the controller speaks PROXY")
    seen_as = client_ip(t).want.seen_as  # type: ignore[union-attr]
    keys = ("NLB-TG23", "ENVOY-PP") if t.lb.model == "nlb" else ("CLB-PP", "ENVOY-PP")
    return _make(t, "proxy-forged", outcome="works", want=ProxyForgedWant(seen_as, FORGED_PROXY_SOURCE), sources=keys,
                 summary=f"a PROXY header sent by the client never becomes the client address: the {t.lb_title} "
                         "prepends its own and the controller reads the first; the client's header is then a "
                         "malformed request")


def tls_versions(t: Topology) -> Expectation:
    at = t.tls_terminates_at
    if at is None:
        return _not_applicable(t, "tls-versions", "no TLS listener")
    keys = TLS_POLICY_SOURCES[t.lb.model] if at == "lb" else ("ALB-TLSPOL", "NLB-TLSPOL")
    where = f"the {t.lb_title}" if at == "lb" else "the controller"
    return _make(t, "tls-versions", outcome="works", want=TlsVersionsWant(TLS_REFUSED, TLS_ACCEPTED, at), sources=keys,
                 summary=f"{where} refuses TLS 1.0 and 1.1 and accepts TLS 1.2 and 1.3, as the AWS recommended "
                         "security policies do")


def default_cert(t: Topology) -> Expectation:
    at = t.tls_terminates_at
    if at is None:
        return _not_applicable(t, "default-cert", "no TLS listener")
    default = t.certificates[0]
    keys = {"nlb": ("NLB-TLS23",), "alb": ("ALB-HTTPS23", "LBC-IA"), "clb": ("CLB-HTTPS23",)}[t.lb.model] \
        if at == "lb" else ("NLB-L",) if t.lb.model == "nlb" else ("CLB-L",)
    return _make(t, "default-cert", outcome="works", want=DefaultCertWant(default, at), sources=keys,
                 summary=f"an unknown SNI name and a handshake without SNI both get the default certificate "
                         f"{default!r} from the {'controller' if at == 'controller' else t.lb_title}")


def host_sni(t: Topology) -> Expectation:
    at = t.tls_terminates_at
    if at is None:
        return _not_applicable(t, "host-sni", "no TLS listener")
    if at == "controller":
        if t.controller.host_sni_mismatch == "misdirected":
            return _make(t, "host-sni", outcome="works", want=HostSniWant("misdirected"),
                         sources=("CONTOUR-421", "contour#2347", "RFC9110"),
                         summary="the controller answers 421 Misdirected Request when the Host is not a name of "
                                 "the certificate SNI selected, so one host's TLS settings cannot be borrowed for "
                                 "another")
        return _make(t, "host-sni", outcome="limited", want=HostSniWant("routed"), ideal=HostSniWant("misdirected"),
                     sources=("contour#2347", "RFC9110"), summary="the request is routed by its Host",
                     reason="the controller routes by Host whatever the SNI (controller.host_sni_mismatch: route): a "
                            "client can reach one host over a connection set up for another")
    keys = {"nlb": ("NLB-TLS23",), "alb": ("ALB-HTTPS23",), "clb": ("CLB-HTTPS23",)}[t.lb.model]
    why = {"nlb": "the NLB picks a certificate by SNI but adds no HTTP headers; the controller never sees the SNI",
           "clb": "Classic Load Balancers do not support SNI: the Host cannot be compared with it",
           "alb": "the ALB picks a certificate by SNI and routes by Host; no Host-vs-SNI check is documented "
                  "(UNVERIFIED; the stand-in routes by Host)"}[t.lb.model]
    return _make(t, "host-sni", outcome="limited", want=HostSniWant("routed"), ideal=HostSniWant("misdirected"),
                 sources=keys, summary="the request is routed by its Host",
                 reason=f"TLS ends at the {t.lb_title}, so a Host that differs from the SNI name is routed by Host: {why}")


def redirect_loop(t: Topology) -> Expectation:
    if t.https_listener is None:
        return _not_applicable(t, "redirect-loop", "no TLS listener: nothing for cleartext to be redirected to")
    cleartext = redirect(t).outcome == "works" and t.http_listener is not None
    if t.layer == "l7":
        keys: tuple[str, ...] = ("#1957", "ENVOY-H", "ALB-XFH" if t.lb.model == "alb" else "CLB-XFH")
        how = "the controller trusts the load balancer's X-Forwarded-Proto: https"
    elif t.tls_terminates_at == "lb":
        keys, how = ("#2724", "#12877", "NGX-AWS"), "the TLS listener lands on a controller port that serves"
    else:
        keys, how = ("NGX-CM",), "the controller sees the TLS connection itself"
    return _make(t, "redirect-loop", outcome="works", want=RedirectLoopWant(cleartext), sources=keys,
                 summary=f"an https:// request is served by the backend, not redirected ({how})"
                         + ("; a cleartext start ends over TLS within the hop limit" if cleartext else ""))


def hostile_input(t: Topology) -> Expectation:
    kinds = tuple(t.controller_kinds) if t.controller.proxy_protocol else ()
    proxy = "; malformed PROXY headers are closed by the controller" if kinds else ""
    return _make(t, "hostile-input", outcome="works", want=HostileInputWant(kinds), sources=("ALB-Q", "ENVOY-PP"),
                 summary="an oversized header is refused (4xx or closed), a half-open connection does not stop other "
                         f"clients from being served{proxy}; every probe ends within its timeout and the edge keeps "
                         "serving")


RULES = {"forged-client": forged_client, "forged-proto": forged_proto, "proxy-required": proxy_required,
         "proxy-local": proxy_local, "proxy-forged": proxy_forged, "tls-versions": tls_versions,
         "default-cert": default_cert, "host-sni": host_sni, "redirect-loop": redirect_loop,
         "hostile-input": hostile_input}
assert list(RULES) == CHECKS


def expectation(t: Topology, check: str) -> Expectation:
    try:
        rule = RULES[check]
    except KeyError:
        raise ValueError(f"unknown security check {check!r}; known: {', '.join(CHECKS)}") from None
    return rule(t)


def for_topology(t: Topology) -> list[Expectation]:
    return [rule(t) for rule in RULES.values()]
