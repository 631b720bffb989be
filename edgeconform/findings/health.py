"""Health checks: the load balancer's checks fail at the controller, so every target is unhealthy (and AWS fails
open, routing to every target: traffic alone would not show it)."""

from __future__ import annotations

from ..topology import Topology
from .base import Said, redirects, rule


@rule("HEALTH_CHECK_PROXY_NODE_PORT", explains=("health_check",))
def proxy_to_node_port(t: Topology) -> Said | None:
    check = t.health_check
    if t.lb.proxy_protocol == "v2" and check.protocol == "HTTP" and check.port == "health-check-node-port":
        return ("PROXY v2 with instance targets and externalTrafficPolicy Local: the NLB's HTTP health checks go to "
                "kube-proxy's healthCheckNodePort with a PROXY header in front, which kube-proxy cannot parse, so "
                "every target is unhealthy. The LBC says not to combine them: use ip targets, or "
                "externalTrafficPolicy Cluster, or a health check on the controller's own PROXY-aware port",
                ("LBC-NLB", "NLB-TG23", "#10982", "contour#4833", "istio#25875"))
    return None


@rule("HEALTH_CHECK_REDIRECTED", explains=("health_check",))
def redirected(t: Topology) -> Said | None:
    check = t.health_check
    if not (check.protocol == "HTTP" and check.port == "traffic-port"):
        return None
    codes = [code for item in t.lb.listeners if redirects(t, item.target)
             for code in [t.controller.redirect_code] if not _code_in(code, check.success_codes or "")]
    if not codes:
        return None
    return (f"the HTTP health checks reach a controller port that redirects cleartext: they carry no "
            f"X-Forwarded-Proto, so they get {codes[0]}, which the success codes {check.success_codes} do not "
            "include, and every target is unhealthy. Check a path the controller serves, or accept 200-399",
            ("ELB-MATCHER", "LBC-IA", "LBC-SA", "ALB-XFH"))


def _code_in(code: int, codes: str) -> bool:
    """Whether an HTTP status is among success codes like "200-399,404"."""
    for part in filter(None, codes.split(",")):
        low, _, high = part.partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


RULES = (proxy_to_node_port, redirected)
