"""Forwarding headers: how many X-Forwarded-For hops the controller trusts, against the L7 hops in front of it,
and what an entry of an ALB's X-Forwarded-For looks like."""

from __future__ import annotations

from ..controllers import semantics_of
from ..topology import Topology
from .base import EVERYWHERE, Said, rule

CLIENT = ("client_ip", "dual_stack", "security[forged-client]")  # the cells that read the client's address


def _controller(t: Topology) -> bool:
    """Whether a controller is there to trust hops (straight to the application, the application notes say what
    arrives: edgeconform.findings.application)."""
    return not semantics_of(t).straight_to_app


@rule("XFF_TRUSTED_BEHIND_L4", explains=(*CLIENT, "redirect", "security[forged-proto]"))
def trusted_behind_l4(t: Topology) -> Said | None:
    if t.layer == "l4" and t.forwarded_hops > 0 and _controller(t):
        return (f"the controller trusts {_hops(t)} behind an L4 load balancer that adds none: any client can forge "
                "its address (and X-Forwarded-Proto)", ("#1815", "#9163", "ENVOY-H"))
    return None


@rule("XFF_TOO_MANY_HOPS", explains=CLIENT)
def too_many_hops(t: Topology) -> Said | None:
    l7 = t.l7_hops
    if not (t.layer == "l7" and t.xff_mode == "append" and t.forwarded_hops > l7 and _controller(t)):
        return None
    how = ("it walks past every entry it trusts, so a client-sent one is believed" if t.controller.trusted_cidrs else
           "without a client-sent entry it falls back to the load balancer's address, and with one it believes "
           "the forged entry")
    return (f"the controller trusts {_hops(t)} behind {'one L7 hop' if l7 == 1 else f'{l7} L7 hops'}: {how}",
            ("ALB-XFH", "ENVOY-H", "#9163"))


@rule("XFF_TOO_FEW_HOPS", explains=("client_ip", "security[forged-client]"))
def too_few_hops(t: Topology) -> Said | None:
    # a controller that concludes no client from X-Forwarded-For (Traefik) trusts its peer's list or not: behind
    # CloudFront the ALB is that peer, and there is no hop count to fall short of
    l7 = t.l7_hops
    if t.layer == "l7" and t.xff_mode == "append" and 0 < t.forwarded_hops < l7 and semantics_of(t).client_from_xff \
            and _controller(t):
        return (f"CloudFront in front of the ALB makes {l7} L7 hops, and the controller trusts {_hops(t)}: it takes "
                "CloudFront's edge address for the client. Trust two hops (Envoy xff_num_trusted_hops: 2, "
                "ingress-nginx proxy-real-ip-cidr with CloudFront's ranges)", ("CF-ORIGIN", "ALB-XFH", "ENVOY-H"))
    return None


@rule("XFF_NOT_TRUSTED", explains=EVERYWHERE)
def not_trusted(t: Topology) -> Said | None:
    if t.layer == "l7" and t.forwarded_hops == 0 and _controller(t):
        return ("the controller trusts no X-Forwarded-* hop behind an L7 load balancer: it takes the load balancer "
                "(or node) for the client and ignores X-Forwarded-Proto, so a cleartext redirect fires on HTTPS "
                "requests too and loops", ("#1957", "ENVOY-H", "NGX-CM"))
    return None


@rule("XFF_CLIENT_PORT", explains=("client_ip", "security[forged-client]"))
def client_port(t: Topology) -> Said | None:
    if t.lb.xff_client_port and t.xff_mode == "append" and not semantics_of(t).xff_port_parsed and _controller(t):
        return ("routing.http.xff_client_port.enabled makes the ALB append ip:port ([ipv6]:port) to X-Forwarded-For; "
                "a controller that reads X-Forwarded-For entries as addresses (Envoy) cannot parse them and falls back "
                "to its TCP peer (the ALB, or the node), and one that passes the list on (Traefik) hands the backend "
                "ip:port where an address belongs. Turn the attribute off, or strip the port before trusting (nginx's "
                "realip module parses the port away)", ("ALB-XFH", "ALB-ATTR", "ENVOY-H"))
    return None


def _hops(t: Topology) -> str:
    """The controller's trust in words: its hop count, or the networks it trusts."""
    ctl = t.controller
    if ctl.trusted_cidrs:
        return f"X-Forwarded-For from {', '.join(ctl.trusted_cidrs)}"
    return f"{ctl.trusted_hops} X-Forwarded-For hop(s)"


RULES = (trusted_behind_l4, too_many_hops, too_few_hops, not_trusted, client_port)
