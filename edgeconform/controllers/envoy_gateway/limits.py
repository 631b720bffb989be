"""What a topology asks that Envoy Gateway cannot express: load-time findings with its own codes, each naming the
cells whose failure it explains (or every cell)."""

from __future__ import annotations

from typing import Any

from ...topology import Topology
from ..base import Limit

NO_XFP_FROM_PROXY_PORT = "EG_NO_XFP_FROM_PROXY_PORT"
UPGRADE_REFUSED_ON_REDIRECT = "EG_UPGRADE_REFUSED_ON_REDIRECT"
SERVICE_ETP_LOCAL = "EG_SERVICE_ETP_LOCAL"
# its codes, with the settings that resolve each in compare's advice ({}: the message says what to change)
CODES: dict[str, dict[str, Any]] = {NO_XFP_FROM_PROXY_PORT: {"load_balancer.listeners": "port-split"},
                                    UPGRADE_REFUSED_ON_REDIRECT: {}, SERVICE_ETP_LOCAL: {}}


def limits(t: Topology) -> list[Limit]:
    found = []
    https = t.https_listener
    http_redirects = t.controller.cleartext == "redirect" and any(
        item.target == "http" and item.terminates_tls for item in t.lb.listeners)
    if t.layer == "l4" and t.lb.proxy_protocol and https is not None and https.terminates_tls and http_redirects:
        found.append(Limit(
            "controller.settings.redirects.http",
            f"Envoy Gateway cannot take X-Forwarded-Proto from the PROXY header's destination port: TLS ends at "
            f"the {t.lb_title} and its plaintext reaches the http listener, where Envoy sets X-Forwarded-Proto "
            "from the connection (http), so HTTPS requests are redirected again. Envoy has forwarded_proto_config "
            "for this, Envoy Gateway does not expose it; send the TLS port to a listener that serves and 80 to "
            "one that redirects (the port split)",
            ("eg#9219", "envoy#43031", "NGX-AWS"), code=NO_XFP_FROM_PROXY_PORT, everywhere=True))
    if t.redirect_intended and not t.lb.ssl_redirect and t.http_listener is not None:
        found.append(Limit(
            "controller.settings.redirects",
            "Envoy Gateway enables the WebSocket Upgrade per route, on routes that forward to a backend; a route "
            "that redirects has none, so Envoy refuses a ws:// handshake there with 403 (upgrade_failed) "
            "instead of redirecting it as the RequestRedirect filter says. Observed with v1.9.1; Envoy Gateway "
            "documents no such exception (UNVERIFIED beyond the issues on the same mechanism)",
            ("eg#2632", "eg#9452", "GW-REDIRECT"), code=UPGRADE_REFUSED_ON_REDIRECT, cells=("websocket[ws]",)))
    if t.lb.target_type == "instance" and t.kubernetes.external_traffic_policy == "Cluster":
        found.append(Limit(
            "kubernetes.external_traffic_policy",
            "Envoy Gateway creates its Envoy Service with externalTrafficPolicy: Local unless an EnvoyProxy sets "
            "provider.kubernetes.envoyService.externalTrafficPolicy: Cluster; this topology's Cluster (kube-proxy "
            "SNAT to the node) holds on a cluster only with that EnvoyProxy (the local and kind targets build "
            "the Service the topology names)",
            ("EG-SVC", "K8S-ETP"), code=SERVICE_ETP_LOCAL, cells=("client_ip",)))
    return found
