"""What every controller translation takes and gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import yaml

from .. import assets, certs
from ..topology import Topology

CONTROLLER_KINDS = ("http", "https", "redirect")
NODE_PORTS = {"http": 30080, "https": 30443, "redirect": 30081}  # the edge Service's fixed NodePorts
PUBLIC_PORTS = {"http": 80, "https": 443, "redirect": 81}  # the edge Service's own ports


@dataclass(frozen=True)
class EdgeFacts:
    """What the cluster side needs to know about the edge in front of it."""

    lb_addresses: tuple[str, ...]  # where the load balancer connects from (trusted for PROXY / X-Forwarded-*)
    certificates: dict[str, certs.IssuedCert]  # the controller's certificates by name (default first)


@dataclass
class ControllerPlan:
    """One topology translated for one controller."""

    controller: str
    manifests: list[dict[str, Any]]
    container_ports: dict[str, int]  # controller port kind -> the pod's port
    settings: dict[str, Any]  # the controller-specific settings, for reports and the translation tests
    unsupported: dict[str, str] = field(default_factory=dict)  # behaviour (or cell) -> why it cannot be measured


class Controller(Protocol):
    name: str
    namespace: str  # where the controller runs
    pod_selector: dict[str, str]
    container_ports: dict[str, int]  # controller port kind -> the port its pods listen on

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan: ...

    def install(self, api, run, kubeconfig: str) -> None: ...



def service_ports(t: Topology, container_ports: dict[str, int]) -> list[dict[str, Any]]:
    return [{"name": kind, "port": PUBLIC_PORTS[kind], "target_port": container_ports[kind],
             "node_port": NODE_PORTS[kind]} for kind in t.controller_kinds]


@cache
def versions() -> dict[str, Any]:
    """clusters/kind/versions.yaml: the pinned versions of everything a cluster target installs."""
    return yaml.safe_load(assets.path("clusters/kind/versions.yaml").read_text())


def redirect_code_note(controller: str, fixed: int, t: Topology) -> dict[str, str]:
    """A controller whose cleartext redirect code is fixed cannot show another one the topology asks for."""
    at_controller = t.redirect_intended and not t.lb.ssl_redirect
    if not at_controller or t.controller.redirect_code == fixed:
        return {}
    reason = (f"{controller} answers its cleartext redirect with {fixed} and has no setting for the code; "
              f"{t.name} asks for {t.controller.redirect_code} (set controller.redirect_code: {fixed} in a "
              "topology file to measure the redirect on this controller)")
    return {"redirect": reason, "websocket[ws]": reason}


def host_sni_note(controller: str, t: Topology) -> dict[str, str]:
    """edgeconform does not configure a real controller's answer to a Host that differs from the SNI name, so a
    topology asking for 421 (controller.host_sni_mismatch: misdirected) cannot be measured on it."""
    if t.tls_terminates_at != "controller" or t.controller.host_sni_mismatch != "misdirected":
        return {}
    return {"security[host-sni]": (
        f"edgeconform does not set up {controller}'s answer to a Host that differs from the SNI name; {t.name} asks "
        "for 421 Misdirected Request (set controller.host_sni_mismatch: route in a topology file to measure "
        "routing by Host on this controller)")}
