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
from .sources import cite

if TYPE_CHECKING:
    from .topology import Topology


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    sources: tuple[str, ...]
    everywhere: bool = False  # explains a failure of any cell, not only of the cells that list it

    def __str__(self) -> str:
        return f"{self.message} {cite(self.sources)} ({self.code})"


CODES = ("PROXY_NOT_EXPECTED", "PROXY_NOT_SENT", "XFF_TRUSTED_BEHIND_L4", "XFF_TOO_MANY_HOPS", "XFF_NOT_TRUSTED",
         "REDIRECT_LOOP_TLS_AT_LB", "CLB_HTTP_WEBSOCKET", "TLS_POLICY_OUTDATED",
         # what a real controller cannot express (its plug-in's limits(), edgeconform.controllers)
         "EG_NO_XFP_FROM_PROXY_PORT", "EG_SERVICE_ETP_LOCAL", "EG_UPGRADE_REFUSED_ON_REDIRECT")


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
        optional = _semantics(t).proxy_protocol == "optional"
        found.append(Finding(
            "PROXY_NOT_SENT",
            ("the controller reads a PROXY header when one comes (it is optional there) but the load balancer does "
             "not send one: a client that sends its own PROXY header chooses the address the controller believes"
             if optional else
             "the controller expects a PROXY header but the load balancer does not send one: every connection is "
             "dropped as a broken header, and a client that sends its own PROXY header chooses the address the "
             "controller believes"),
            ("#6996", "#57250", "ENVOY-PP", *(_semantics(t).sources.get("proxy_protocol", ()) if optional else ())),
            everywhere=True))
    hops = t.forwarded_hops
    if t.layer == "l4" and hops > 0:
        found.append(Finding(
            "XFF_TRUSTED_BEHIND_L4",
            f"the controller trusts {_hops(t)} behind an L4 load balancer that adds "
            "none: any client can forge its address (and X-Forwarded-Proto)",
            ("#1815", "#9163", "ENVOY-H")))
    if t.layer == "l7" and t.xff_mode == "append" and hops > 1:
        found.append(Finding(
            "XFF_TOO_MANY_HOPS",
            f"the controller trusts {_hops(t)} behind one L7 hop: without a client-sent "
            "entry it falls back to the load balancer's address, and with one it believes the forged entry",
            ("ALB-XFH", "ENVOY-H", "#9163")))
    if t.layer == "l7" and hops == 0:
        found.append(Finding(
            "XFF_NOT_TRUSTED",
            "the controller trusts no X-Forwarded-* hop behind an L7 load balancer: it takes the load balancer "
            "(or node) for the client and ignores X-Forwarded-Proto, so a cleartext redirect fires on HTTPS "
            "requests too and loops",
            ("#1957", "ENVOY-H", "NGX-CM"), everywhere=True))
    https = t.https_listener
    if https is not None and https.terminates_tls and t.layer == "l4" and _redirects(t, https.target):
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
    return found + _controller_limits(t)


def _semantics(t: Topology):
    from . import controllers

    return controllers.semantics_of(t)


def _controller_limits(t: Topology) -> list[Finding]:
    """What the topology asks that its controller cannot express (Controller.limits), as findings."""
    if not t.controller.kind:
        return []
    from . import controllers

    return [Finding(limit.code, limit.message, limit.sources, everywhere=limit.everywhere)
            for limit in controllers.get(t.controller.kind).limits(t) if limit.code]


def for_cell(t: Topology, name: str, variant: str = "") -> list[Finding]:
    """The findings that explain a failure of one cell: those that break everything, and those the cell lists."""
    listed = behaviour(name).cell(variant).explained_by
    return [f for f in findings(t) if f.everywhere or f.code in listed]


def _hops(t: Topology) -> str:
    """The controller's trust in words: its hop count, or the networks it trusts."""
    ctl = t.controller
    if ctl.trusted_cidrs:
        return f"X-Forwarded-For from {', '.join(ctl.trusted_cidrs)}"
    return f"{ctl.trusted_hops} X-Forwarded-For hop(s)"


def _redirects(t: Topology, target: str) -> bool:
    """Whether a controller port redirects requests that look like cleartext to it."""
    return target == "redirect" or (target == "http" and t.controller.cleartext == "redirect")
