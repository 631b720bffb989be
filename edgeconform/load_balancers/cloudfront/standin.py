"""The CloudFront stand-in in front of the ALB (proxies/envoy/cloudfront.yaml.j2): it listens on the ALB's public
ports at CloudFront's edge address and reaches the ALB's listeners over the origin protocol (what it does to the
request: edgeconform.load_balancers.cloudfront)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...render import render as render_template
from ..standins import AddressBook, StandIn
from . import ORIGIN_DOMAIN, SERVER, VIEWER_POLICY

if TYPE_CHECKING:
    from ... import certs
    from ...topology import Topology


def render(t: Topology, book: AddressBook, cdn_ip: str, admin_port: int, cert: certs.IssuedCert, ca: Path) -> StandIn:
    cf = t.lb.cloudfront
    assert cf is not None
    alb = {"http": next(i for i in t.lb.listeners if not i.terminates_tls) if cf.origin_protocol != "https-only" else None,
           "https": next(i for i in t.lb.listeners if i.terminates_tls) if cf.origin_protocol != "http-only" else None}
    origins = {scheme: {"name": f"alb_{scheme}", "ip": book.lb_bind, "port": book.listener_ports[item.port],
                        "tls": scheme == "https"} for scheme, item in alb.items() if item is not None}
    listeners = []
    for item in t.lb.listeners:
        tls = item.terminates_tls
        viewer = "forward" if tls or cf.viewer_protocol == "allow-all" else \
            "redirect" if cf.viewer_protocol == "redirect-to-https" else "refuse"
        scheme = {"http-only": "http", "https-only": "https"}.get(cf.origin_protocol, "https" if tls else "http")
        listeners.append({"name": f"viewer_{item.port}", "bind_port": book.listener_ports[item.port], "tls": tls,
                          "viewer": viewer, "origin": origins[scheme]["name"]})
    text = render_template("envoy/cloudfront.yaml.j2", topology=t.name, ip=cdn_ip, admin_port=admin_port,
                           viewer_protocol=cf.viewer_protocol, origin_protocol=cf.origin_protocol,
                           policy=VIEWER_POLICY.describe(), server_header=SERVER, https_port=book.https_port,
                           xff_settings={"use_remote_address": True, "trusted_hops": 0, "skip_append": False},
                           listeners=listeners, origins=list(origins.values()), cert=cert, ca=str(ca),
                           origin_domain=ORIGIN_DOMAIN)
    return StandIn("cloudfront stand-in (envoy)", "envoy", "cloudfront-envoy.yaml", text)
