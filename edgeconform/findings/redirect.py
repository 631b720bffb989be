"""Cleartext redirects that loop: the controller cannot tell an HTTPS request from cleartext because the hop in
front of it ended TLS and said nothing. Every request loops, so these explain a failure of any cell."""

from __future__ import annotations

from ..controllers import semantics_of
from ..topology import Topology
from .base import EVERYWHERE, Said, redirects, rule


@rule("REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN", explains=EVERYWHERE)
def cloudfront_http_origin(t: Topology) -> Said | None:
    cf = t.lb.cloudfront
    if cf and cf.origin_protocol == "http-only" and any(redirects(t, item.target) for item in t.lb.listeners):
        return ("CloudFront reaches the ALB over HTTP (origin protocol http-only), so the ALB sets X-Forwarded-Proto: "
                "http on every request, HTTPS viewers' too, and the controller redirects them to HTTPS again, "
                "forever. Use origin protocol https-only (or match-viewer), or stop redirecting at the controller and "
                "let CloudFront redirect viewers (redirect-to-https)", ("CF-ORIGIN", "CF-DIST", "ALB-XFH", "#1957"))
    return None


@rule("REDIRECT_LOOP_TLS_AT_LB", explains=EVERYWHERE)
def tls_at_lb(t: Topology) -> Said | None:
    https = t.https_listener
    if https is not None and https.terminates_tls and t.layer == "l4" and redirects(t, https.target) \
            and not _https_by_proxy_port(t, https.port):
        return (f"TLS ends at the load balancer (port {https.port}) and the plaintext lands on a controller port that "
                "redirects cleartext; the load balancer adds no X-Forwarded-Proto, so HTTPS requests are redirected "
                "to HTTPS again, forever. Send 443 to a port that serves and 80 to one that redirects",
                ("#2724", "#12877", "NGX-AWS"))
    return None


def _https_by_proxy_port(t: Topology, port: int) -> bool:
    """A controller that takes a PROXY header's destination port 443 for https (ingress-nginx) does not loop when
    TLS ends at the load balancer's 443 and PROXY reaches it."""
    return (port == 443 and t.lb.proxy_protocol is not None and t.controller.proxy_protocol
            and semantics_of(t).https_by_proxy_port)


RULES = (cloudfront_http_origin, tls_at_lb)
