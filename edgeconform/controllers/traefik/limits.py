"""What a topology asks that Traefik cannot express, or that Traefik's trust brings along: load-time findings with
Traefik's own codes, each naming the cells whose failure it explains."""

from __future__ import annotations

from typing import Any

from ...topology import Topology
from ..base import Limit
from .settings import SEMANTICS, abstract, settings_of, written_natively

CANNOT_EXPRESS = "TRAEFIK_CANNOT_EXPRESS"  # a setting of the topology that Traefik has no way to say
KEEPS_REAL_IP = "TRAEFIK_KEEPS_REAL_IP"  # the X-Real-Ip a trusted forwarder passes on, the client's own
CODES: dict[str, dict[str, Any]] = {CANNOT_EXPRESS: {}, KEEPS_REAL_IP: {}}  # fixes: the messages say them

REDIRECT_CELLS = ("redirect", "websocket[ws]", "security[forged-proto]", "security[redirect-loop]")
HOST_SNI_REASON = ("Traefik answers 421 Misdirected Request only when the TLS options of the Host and of the SNI name "
                   "differ; edgeconform gives every host the same options, so a Host that differs from the SNI name is "
                   "routed by Host (set controller.host_sni_mismatch: route in a topology file to measure that)")


def unsupported(t: Topology) -> dict[str, str]:
    if t.tls_terminates_at == "controller" and t.controller.host_sni_mismatch == "misdirected":
        return {"security[host-sni]": HOST_SNI_REASON}
    return {}


def limits(t: Topology) -> list[Limit]:
    """What ``t`` asks that Traefik cannot express, or that Traefik's trust brings along."""
    found: list[Limit] = []
    ctl = t.controller
    settings = settings_of(t)
    if not written_natively(t):
        translated = t.model_copy(update={"controller": ctl.model_copy(update=abstract(settings, t))})
        if not ctl.trusted_cidrs and translated.forwarded_hops != ctl.trusted_hops:
            cidrs = ", ".join(translated.controller.trusted_cidrs) or "none"
            found.append(Limit("controller.trusted_hops", (
                f"Traefik trusts forwarders by their address (forwardedHeaders.trustedIPs), not by a hop count, and "
                f"concludes no client from X-Forwarded-For: trusted_hops {ctl.trusted_hops} becomes trustedIPs "
                f"[{cidrs}], which trusts {translated.forwarded_hops} hop(s) on this edge (a cluster migrated with "
                "Traefik's ingress-nginx provider loses use-forwarded-headers the same way: it reads annotations, not "
                "the ConfigMap)"), ("TRAEFIK-EP", "TRAEFIK-NGINX", "traefik#12588"), CANNOT_EXPRESS,
                ("client_ip", "security[forged-client]", "security[forged-proto]")))
        at_controller = t.redirect_intended and not t.lb.ssl_redirect
        got = SEMANTICS.get_redirect_code(ctl.redirect_code)
        if at_controller and got != ctl.redirect_code:
            found.append(Limit("controller.redirect_code", (
                f"Traefik's redirect is permanent or temporary and its code follows the method: permanent gives 301 to "
                f"GET and 308 to other methods, temporary 302 and 307; {ctl.redirect_code} for GET cannot be "
                f"configured, so a GET gets {got}"), ("TRAEFIK-MW-CRD", "TRAEFIK-OPTS"), CANNOT_EXPRESS,
                REDIRECT_CELLS))
        if t.tls_terminates_at == "controller" and ctl.host_sni_mismatch == "misdirected":
            found.append(Limit("controller.host_sni_mismatch", HOST_SNI_REASON, ("TRAEFIK-DOMFRONT", "TRAEFIK-TLSOPT"),
                               CANNOT_EXPRESS, ("security[host-sni]",)))
    if t.forwarded_hops > 0:
        found.append(Limit("controller.settings.entryPoints.forwardedHeaders", (
            "Traefik keeps the X-Real-Ip header a trusted forwarder passes on (it sets X-Real-Ip only when the request "
            "has none), and an AWS load balancer passes the client's own: X-Real-Ip, one of the two headers Traefik "
            "documents for the client's address, then carries what the client wrote. Remove it with a headers "
            "middleware (customRequestHeaders X-Real-Ip: \"\") and read the client from X-Forwarded-For"),
            ("TRAEFIK-FH", "TRAEFIK-HDR"), KEEPS_REAL_IP, ("security[forged-client]",)))
    return found

