"""Likely misconfigurations: where the controller's settings disagree with what the load balancer does.

These are the real failure modes of aws-lb-facts.md §6. A finding does not decide a verdict (observations do);
it explains a failure. Some break every cell of an edge (a PROXY mismatch drops every connection): they are
named with any failure. The others are named where a cell lists them (``Cell.explained_by`` in
edgeconform.behaviours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .behaviours import get as behaviour
from .controllers import limits_of, semantics_of
from .sources import cite

if TYPE_CHECKING:
    from .topology import Topology


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    sources: tuple[str, ...]
    everywhere: bool = False  # explains a failure of any cell, not only of the cells that list it
    cells: tuple[str, ...] = ()  # cells it explains besides those that list it ("redirect", "security[host-sni]")

    def __str__(self) -> str:
        return f"{self.message} {cite(self.sources)} ({self.code})"


CODES = ("PROXY_NOT_EXPECTED", "PROXY_NOT_SENT", "XFF_TRUSTED_BEHIND_L4", "XFF_TOO_MANY_HOPS", "XFF_NOT_TRUSTED",
         "REDIRECT_LOOP_TLS_AT_LB", "CLB_HTTP_WEBSOCKET", "TLS_POLICY_OUTDATED",
         # a controller's limit (Controller.limits; ingress-nginx's, edgeconform.controllers.ingress_nginx)
         "CONTROLLER_LIMIT",
         # Traefik's limits (edgeconform.controllers.traefik.limits): what it cannot express for a topology, and the
         # X-Real-Ip it keeps from a trusted forwarder
         "TRAEFIK_CANNOT_EXPRESS", "TRAEFIK_KEEPS_REAL_IP")


def findings(t: Topology) -> list[Finding]:
    found: list[Finding] = []
    lb, ctl, model = t.lb, t.controller, t.lb_model
    if lb.proxy_protocol and not ctl.proxy_protocol:
        found.append(Finding(
            "PROXY_NOT_EXPECTED",
            f"the load balancer sends PROXY {lb.proxy_protocol} but the controller does not expect PROXY: it reads "
            "the header as the start of the request and every connection fails",
            ("#13320", "#57250", "NLB-TG23"), everywhere=True))
    if ctl.proxy_protocol and not lb.proxy_protocol:
        semantics = semantics_of(t)
        outage = ("every connection is dropped as a broken header" if semantics.proxy_protocol == "required" else
                  f"{ctl.kind} serves connections without one too (its PROXY header is optional), so nothing breaks "
                  "visibly")
        found.append(Finding(
            "PROXY_NOT_SENT",
            f"the controller expects a PROXY header but the load balancer does not send one: {outage}, and a client "
            "that sends its own PROXY header chooses the address the controller believes",
            ("#6996", "#57250", "ENVOY-PP", *semantics.sources.get("proxy_protocol", ())), everywhere=True))
    hops = t.forwarded_hops
    if t.layer == "l4" and hops > 0:
        found.append(Finding(
            "XFF_TRUSTED_BEHIND_L4",
            f"the controller trusts {_hops(t)} behind an L4 load balancer that adds "
            "none: any client can forge its address (and X-Forwarded-Proto)",
            ("#1815", "#9163", "ENVOY-H")))
    if t.layer == "l7" and t.xff_mode == "append" and hops > 1:
        how = ("it walks past every entry it trusts, so a client-sent one is believed" if ctl.trusted_cidrs else
               "without a client-sent entry it falls back to the load balancer's address, and with one it believes "
               "the forged entry")
        found.append(Finding(
            "XFF_TOO_MANY_HOPS", f"the controller trusts {_hops(t)} behind one L7 hop: {how}",
            ("ALB-XFH", "ENVOY-H", "#9163")))
    if t.layer == "l7" and hops == 0:
        found.append(Finding(
            "XFF_NOT_TRUSTED",
            "the controller trusts no X-Forwarded-* hop behind an L7 load balancer: it takes the load balancer "
            "(or node) for the client and ignores X-Forwarded-Proto, so a cleartext redirect fires on HTTPS "
            "requests too and loops",
            ("#1957", "ENVOY-H", "NGX-CM"), everywhere=True))
    https = t.https_listener
    if https is not None and https.terminates_tls and t.layer == "l4" and _redirects(t, https.target) \
            and not _https_by_proxy_port(t, https.port):
        found.append(Finding(
            "REDIRECT_LOOP_TLS_AT_LB",
            f"TLS ends at the load balancer (port {https.port}) and the plaintext lands on a controller port that "
            "redirects cleartext; the load balancer adds no X-Forwarded-Proto, so HTTPS requests are redirected "
            "to HTTPS again, forever. Send 443 to a port that serves and 80 to one that redirects",
            ("#2724", "#12877", "NGX-AWS"), everywhere=True))
    if model.breaks_upgrade and t.layer == "l7":
        found.append(Finding(
            "CLB_HTTP_WEBSOCKET",
            f"{model.title} HTTP/HTTPS listeners break the WebSocket Upgrade; use TCP/SSL listeners (and PROXY "
            f"{model.proxy_protocol} for the client address) for WebSocket traffic",
            ("#3746", "istio#11579", "EMS-AWS")))
    at = t.tls_terminates_at
    oldest = t.lb.tls_min_version if at == "lb" else t.controller.tls_min_version
    if at is not None and oldest in ("TLSv1.0", "TLSv1.1"):
        where = "load balancer's TLS listener" if at == "lb" else "controller"
        found.append(Finding(
            "TLS_POLICY_OUTDATED",
            f"the {where} accepts {oldest}: the AWS recommended security policies (ELBSecurityPolicy-TLS13-1-2-2021-06) "
            "accept TLS 1.2 and 1.3 only, while ELBSecurityPolicy-2016-08, the default for listeners created with "
            "the CLI, CloudFormation or the CDK, still allows TLS 1.0",
            ("NLB-TLSPOL", "ALB-TLSPOL")))
    for limit in limits_of(t):  # what the controller cannot express: explains the cells the limit names
        found.append(Finding(limit.code, f"{t.controller.kind}: {limit.message}", limit.sources,
                             everywhere=not limit.cells, cells=limit.cells))
    return found


def for_cell(t: Topology, name: str, variant: str = "") -> list[Finding]:
    """The findings that explain a failure of one cell: those that break everything, and those the cell lists."""
    listed = behaviour(name).cell(variant).explained_by
    cell = f"{name}[{variant}]" if variant else name
    return [f for f in findings(t) if f.everywhere or f.code in listed or cell in f.cells]


def _hops(t: Topology) -> str:
    """The controller's trust in words: its hop count, or the networks it trusts."""
    ctl = t.controller
    if ctl.trusted_cidrs:
        return f"X-Forwarded-For from {', '.join(ctl.trusted_cidrs)}"
    return f"{ctl.trusted_hops} X-Forwarded-For hop(s)"


def _https_by_proxy_port(t: Topology, port: int) -> bool:
    """A controller that takes a PROXY header's destination port 443 for https (ingress-nginx) does not loop when
    TLS ends at the load balancer's 443 and PROXY reaches it."""
    return (port == 443 and t.lb.proxy_protocol is not None and t.controller.proxy_protocol
            and semantics_of(t).https_by_proxy_port)


def _redirects(t: Topology, target: str) -> bool:
    """Whether a controller port redirects requests that look like cleartext to it."""
    return target == "redirect" or (target == "http" and t.controller.cleartext == "redirect")
