"""The HAProxy stand-in of L4 listeners (proxies/haproxy/l4-load-balancer.cfg.j2), the mechanics the NLB and the
Classic ELB's TCP/SSL listeners share: listeners on the AWS ports, certificates where TLS ends (HAProxy picks by
SNI among them), the TLS policy, the PROXY header HAProxy itself sends, the health checks. A model adds what is its
own (the NLB: a helper that writes its PROXY v2 header, ``via``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import health

if TYPE_CHECKING:
    from .. import certs
    from ..topology import Topology
    from .standins import AddressBook

CONFIG_NAME = "lb-haproxy.cfg"


def context(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
            transparent: bool, via: Mapping[int | str, tuple[str, int]] | None = None) -> dict[str, Any]:
    """The template's context. ``via``: where a helper of the model takes each listener's connections (per AWS
    listener port) instead of the target; HAProxy then hands them over with its own bare PROXY v2 header."""
    crt_list = None
    if lb_certs:  # HAProxy picks by SNI among these; the first line is the default certificate
        crt_list = workdir / "lb-crt-list.txt"
        crt_list.write_text("".join(f"{lb_certs[name].combined_pem}\n" for name in t.lb.certificates))
    proxy = {"v1": "send-proxy", "v2": "send-proxy-v2", None: None}[t.lb.proxy_protocol]
    relayed = via is not None
    listeners = []
    for item in t.lb.listeners:
        ip, port = via[item.port] if via is not None else book.targets[item.target]
        common = {"public_port": item.port, "protocol": item.protocol, "target": item.target,
                  "bind_port": book.listener_ports[item.port], "crt_list": crt_list if item.terminates_tls else None,
                  "relayed": relayed, "target_ip": ip, "target_port": port, "send_proxy": proxy,
                  "idle_timeout": t.listener_idle_timeout(item)}
        listeners.append({"name": f"listener_{item.port}", "bind_ip": book.lb_bind,
                          "transparent": transparent and not relayed, **common})
        if book.lb_bind6 and t.lb.ip_address_type == "dualstack":
            # IPv6 clients of IPv4 targets: the target sees the load balancer's IPv4 address even with client-IP
            # preservation on [NLB-TGA][LBC-SA]; a PROXY v2 header still carries the client (TCP6, UNVERIFIED)
            listeners.append({"name": f"listener_{item.port}_v6", "bind_ip": f"[{book.lb_bind6}]",
                              "transparent": False, **common})
    policy = t.tls_policy
    return dict(topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source,
                health_checks=health.checks(t, book, via), user_agent=health.HEALTH_CHECKER,
                stats_port=book.lb_admin_port, idle_timeout=t.idle_timeout, policy=policy.name if policy else None,
                tls_min_version=policy.min if policy else None, tls_max_version=policy.max if policy else None,
                listeners=listeners)
