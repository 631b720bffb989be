"""The Envoy stand-in of L7 listeners (proxies/envoy/l7-load-balancer.yaml.j2), the mechanics the ALB and the Classic
ELB's HTTP/HTTPS listeners share: listeners on the AWS ports, X-Forwarded-* in the model's mode, certificates (an
SNI list where the model has one, else one certificate), the TLS policy, ALPN, a redirect action where the topology
asks the model for one, what happens to an Upgrade, the health checks, a PROXY header on the back-end connections
where the topology states that claim. A model adds what is its own per listener
(the ALB: mutual TLS, its Host handling) through ``extra``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..render import ENVOY_REDIRECT, ENVOY_TLS
from ..topology import LB_SERVER_HEADER
from . import health

if TYPE_CHECKING:
    from .. import certs
    from ..topology import Listener, Topology
    from .standins import AddressBook

CONFIG_NAME = "lb-envoy.yaml"
# What a listener of a model without features of its own gets (see the ALB's standin for one that has them).
PLAIN = {"mtls": None, "mtls_headers": [], "mtls_strip": [], "strip_host_port": False}


def context(t: Topology, book: AddressBook, lb_certs: dict[str, certs.IssuedCert],
            extra: Callable[[Listener], dict[str, Any]] = lambda item: PLAIN) -> dict[str, Any]:
    """The template's context; ``extra(listener)``: the model's own settings of that listener (keys of PLAIN)."""
    xff = t.xff_mode
    model = t.lb_model
    policy = t.tls_policy
    sni = model.sni  # ALB: default certificate plus SNI list; Classic ELB: one certificate, no SNI
    names = t.lb.certificates
    clusters, listeners = {}, []
    for item in t.lb.listeners:
        ip, port = book.targets[item.target]
        name = f"targets_{item.target}"
        # a PROXY header in front of each back-end connection where the topology claims one (a Classic ELB's HTTP
        # listeners with the in-tree provider's policy: UNVERIFIED, LoadBalancerModel.l7_proxy_claim)
        clusters[name] = {"name": name, "ip": ip, "port": port, "proxy": t.lb.proxy_protocol}
        redirect = None
        if t.lb.ssl_redirect and not item.terminates_tls:
            redirect = {"port": book.https_port, "code": ENVOY_REDIRECT[301]}  # LBC ssl-redirect: 301 [LBC-IA]
        entry = {
            "name": f"listener_{item.port}", "bind_port": book.listener_ports[item.port], "ip": book.lb_bind,
            "tls": item.terminates_tls, "cluster": name, "redirect": redirect, **extra(item),
            "sni_certs": [lb_certs[n] for n in names[1:]] if (sni and item.terminates_tls) else [],
            "default_cert": lb_certs[names[0]] if item.terminates_tls else None,
            "alpn": ["h2", "http/1.1"] if model.h2_on_tls else ["http/1.1"],
        }
        listeners.append(entry)
        if book.lb_bind6 and t.lb.ip_address_type == "dualstack":  # IPv6 clients; the targets stay IPv4
            listeners.append({**entry, "name": f"listener_{item.port}_v6", "ip": book.lb_bind6})
    return dict(
        topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source, admin_port=book.lb_admin_port,
        xff=xff, xff_client_port=t.lb.xff_client_port and xff == "append", client_ca=book.client_ca,
        xff_settings={"use_remote_address": xff == "append", "trusted_hops": 0,
                      "skip_append": xff != "append" or t.lb.xff_client_port},
        sni=sni, websocket=model.l7_upgrade == "pass", idle_timeout=t.idle_timeout,
        policy=policy.name if policy else None, envoy_tls_min=ENVOY_TLS[policy.min] if policy else None,
        envoy_tls_max=ENVOY_TLS[policy.max] if policy else None, server_header=LB_SERVER_HEADER,
        listeners=listeners, clusters=list(clusters.values()), health_checks=health.checks(t, book),
        user_agent=health.HEALTH_CHECKER)
