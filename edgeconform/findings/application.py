"""The load balancer straight to the application (controller ``none``): what arrives there that only the
application can get right. The echo backend reports what arrives and never decides, so these are load-time notes
(what the local target cannot stand in for: the application's own reading of it), each with its sources; they
explain no failure."""

from __future__ import annotations

from ..controllers import straight_to_app
from ..topology import Topology
from .base import Said, rule


@rule("APP_READS_PROXY", kind="note")
def reads_proxy(t: Topology) -> Said | None:
    if straight_to_app(t) and t.lb.proxy_protocol:
        before_tls = " and before its TLS handshake" if any(i.target == "https" for i in t.lb.listeners) else ""
        return (f"the {t.lb_title} puts a PROXY {t.lb.proxy_protocol} header in front of every connection, health "
                f"checks included (a LOCAL header, no client): the application must read it before HTTP{before_tls}, "
                "or every connection fails as a malformed request (the echo reads it)",
                ("NLB-TG23", "PP-BLOG", "PP-SPEC", "#13320"))
    return None


@rule("APP_FORWARDED_HEADERS_FROM_CLIENTS", kind="note")
def forwarded_headers_from_clients(t: Topology) -> Said | None:
    if straight_to_app(t) and t.layer == "l4":
        return (f"an L4 load balancer adds no headers, so every X-Forwarded-For, X-Real-IP or Forwarded header that "
                f"reaches the application was written by a client: it must not read them (a framework's "
                f"trusted-proxy setting included), or any client chooses its address", ("NLB-TLS23", "#1815"))
    return None


@rule("APP_XFF_RIGHTMOST", kind="note")
def xff_rightmost(t: Topology) -> Said | None:
    if not (straight_to_app(t) and t.xff_mode == "append"):
        return None
    which = ("the second entry from the right (CloudFront appended the viewer, the ALB appended CloudFront)"
             if t.lb.cloudfront else f"the rightmost entry, the one the {t.lb_title} appended")
    port = "; with xff_client_port each entry is ip:port" if t.lb.xff_client_port else ""
    return (f"the client's address reaches the application as {which} of X-Forwarded-For; the entries to its left "
            f"are whatever the client sent, so an application that reads the leftmost entry lets any client choose "
            f"its address{port}", ("ALB-XFH", "ALB-ATTR", *(("CF-ORIGIN",) if t.lb.cloudfront else ()), "#9163"))


@rule("APP_NO_TLS_SIGNAL", kind="note")
def no_tls_signal(t: Topology) -> Said | None:
    https = t.https_listener
    if straight_to_app(t) and t.layer == "l4" and https is not None and https.terminates_tls:
        return (f"TLS ends at the {t.lb_title} and nothing tells the application which listener a request came "
                "through (no X-Forwarded-Proto; a PROXY header's destination port at most): an application that "
                "redirects cleartext to HTTPS by itself redirects HTTPS requests too, forever",
                ("NLB-TLS23", "#2724", "#12877"))
    return None


RULES = (reads_proxy, forwarded_headers_from_clients, xff_rightmost, no_tls_signal)
