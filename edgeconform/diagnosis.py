"""Likely misconfigurations: where the controller's settings disagree with what the load balancer does.

These are the real failure modes of aws-lb-facts.md §6. A finding does not decide a verdict (observations do);
it explains a failure: when a behaviour fails, the findings that touch it are named in the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from .expectations import Behaviour
from .sources import cite
from .topology import Topology

ALL = frozenset(Behaviour)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    sources: tuple[str, ...]
    behaviours: frozenset[Behaviour] = ALL
    # Security checks (edgeconform.security.CHECKS) it explains; empty: all of them.
    checks: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.message} {cite(self.sources)} ({self.code})"


def findings(t: Topology) -> list[Finding]:
    found: list[Finding] = []
    lb, ctl = t.lb, t.controller
    if lb.proxy_protocol and not ctl.proxy_protocol:
        found.append(Finding(
            "PROXY_NOT_EXPECTED",
            f"the load balancer sends PROXY {lb.proxy_protocol} but the controller does not expect PROXY: it reads "
            "the header as the start of the request and every connection fails",
            ("#13320", "#57250", "NLB-TG23")))
    if ctl.proxy_protocol and not lb.proxy_protocol:
        found.append(Finding(
            "PROXY_NOT_SENT",
            "the controller expects a PROXY header but the load balancer does not send one: every connection is "
            "dropped as a broken header, and a client that sends its own PROXY header chooses the address the "
            "controller believes",
            ("#6996", "#57250", "ENVOY-PP")))
    if t.layer == "l4" and ctl.trusted_hops > 0:
        found.append(Finding(
            "XFF_TRUSTED_BEHIND_L4",
            f"the controller trusts {ctl.trusted_hops} X-Forwarded-For hop(s) behind an L4 load balancer that adds "
            "none: any client can forge its address (and X-Forwarded-Proto)",
            ("#1815", "#9163", "ENVOY-H"), frozenset({Behaviour.CLIENT_IP, Behaviour.REDIRECT, Behaviour.SECURITY}),
            frozenset({"forged-client", "forged-proto"})))
    if t.layer == "l7" and t.xff_mode == "append" and ctl.trusted_hops > 1:
        found.append(Finding(
            "XFF_TOO_MANY_HOPS",
            f"the controller trusts {ctl.trusted_hops} X-Forwarded-For hops behind one L7 hop: without a client-sent "
            "entry it falls back to the load balancer's address, and with one it believes the forged entry",
            ("ALB-XFH", "ENVOY-H", "#9163"), frozenset({Behaviour.CLIENT_IP, Behaviour.SECURITY}),
            frozenset({"forged-client"})))
    if t.layer == "l7" and ctl.trusted_hops == 0:
        found.append(Finding(
            "XFF_NOT_TRUSTED",
            "the controller trusts no X-Forwarded-* hop behind an L7 load balancer: it takes the load balancer "
            "(or node) for the client and ignores X-Forwarded-Proto, so a cleartext redirect fires on HTTPS "
            "requests too and loops",
            ("#1957", "ENVOY-H", "NGX-CM"), ALL))
    https = t.https_listener
    if https is not None and https.terminates_tls and t.layer == "l4" and _redirects(t, https.target):
        found.append(Finding(
            "REDIRECT_LOOP_TLS_AT_LB",
            f"TLS ends at the load balancer (port {https.port}) and the plaintext lands on a controller port that "
            "redirects cleartext; the load balancer adds no X-Forwarded-Proto, so HTTPS requests are redirected "
            "to HTTPS again, forever. Send 443 to a port that serves and 80 to one that redirects",
            ("#2724", "#12877", "NGX-AWS"), ALL))
    if lb.model == "clb" and t.layer == "l7":
        found.append(Finding(
            "CLB_HTTP_WEBSOCKET",
            "Classic ELB HTTP/HTTPS listeners break the WebSocket Upgrade; use TCP/SSL listeners (and PROXY v1 for "
            "the client address) for WebSocket traffic",
            ("#3746", "istio#11579", "EMS-AWS"), frozenset({Behaviour.WEBSOCKET})))
    at = t.tls_terminates_at
    oldest = t.lb.tls_min_version if at == "lb" else t.controller.tls_min_version
    if at is not None and oldest in ("TLSv1.0", "TLSv1.1"):
        where = "load balancer's TLS listener" if at == "lb" else "controller"
        found.append(Finding(
            "TLS_POLICY_OUTDATED",
            f"the {where} accepts {oldest}: the AWS recommended security policies (ELBSecurityPolicy-TLS13-1-2-2021-06) "
            "accept TLS 1.2 and 1.3 only, while ELBSecurityPolicy-2016-08, the default for listeners created with "
            "the CLI, CloudFormation or the CDK, still allows TLS 1.0",
            ("NLB-TLSPOL", "ALB-TLSPOL"), frozenset({Behaviour.SECURITY}), frozenset({"tls-versions"})))
    return found


def for_behaviour(t: Topology, behaviour: Behaviour | str, variant: str = "") -> list[Finding]:
    """The findings that explain a failure of ``behaviour`` (for the security behaviour: of the check ``variant``)."""
    behaviour = Behaviour(behaviour)
    return [f for f in findings(t) if behaviour in f.behaviours
            and (behaviour is not Behaviour.SECURITY or not f.checks or variant in f.checks)]


def _redirects(t: Topology, target: str) -> bool:
    """Whether a controller port redirects requests that look like cleartext to it."""
    return target == "redirect" or (target == "http" and t.controller.cleartext == "redirect")
