"""The generic controller on the local target: proxies/envoy/controller.yaml.j2 rendered from the topology's
abstract controller block (docs/controllers/envoy.md has the table), and Envoy's readiness."""

from __future__ import annotations

from ... import binaries, headers
from ...render import ENVOY_REDIRECT, ENVOY_TLS, render
from ...supervisor import Process, all_of, http_ok, tcp_open
from ...topology import Topology
from ..base import LocalController, LocalPlace

CONFIG = "controller-envoy.yaml"


def controller(t: Topology, place: LocalPlace) -> LocalController:
    """The Envoy process configured for ``t`` at ``place``."""
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
