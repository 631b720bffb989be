"""Envoy Gateway on a cluster: its Helm chart (which brings the Gateway API and its own CRDs), the GatewayClass,
EnvoyProxy and Gateway the install adds once, and each topology's resources (resources.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...kube import manifests
from ...topology import Topology
from ..base import ControllerPlan, EdgeFacts, service_ports, versions
from .resources import CONTROLLER_NAME, GATEWAY, resources
from .settings import NAME, to_native

NAMESPACE = "envoy-gateway-system"  # where the chart runs Envoy Gateway, and Envoy Gateway its Envoy pods
RELEASE = "eg"
CONTAINER_PORTS = {"http": 8080, "https": 8443, "redirect": 8082}  # > 1024: Envoy Gateway shifts none of them
POD_SELECTOR = {"app.kubernetes.io/name": "envoy", "gateway.envoyproxy.io/owning-gateway-name": GATEWAY,
                "gateway.envoyproxy.io/owning-gateway-namespace": manifests.NAMESPACE}
# per topology, with the topology's label (the Gateway itself is the install's: re-applied, never deleted, so that
# its Envoy pods stay up between topologies)
RESOURCE_KINDS = (("gateway.networking.k8s.io/v1", "HTTPRoute"),
                  ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"))


def install(api, run, kubeconfig: str, assets: Path | None = None) -> None:
    """The chart from its OCI registry, or (``assets``) the one ./dev kind-images made from the Go module."""
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    chart = assets / "envoy-gateway-chart" if assets else None
    (helm,) = install_commands(kubeconfig, CONTROLLER_INSTALL.seconds, chart)
    run(helm, CONTROLLER_INSTALL)
    for crd in ("gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
                "httproutes.gateway.networking.k8s.io", "clienttrafficpolicies.gateway.envoyproxy.io",
                "envoyproxies.gateway.envoyproxy.io"):
        api.wait(CONTROLLER_READY, f"CRD {crd} becoming established", api.crd_established(crd))
    api.apply(install_objects())
    api.wait(CONTROLLER_READY, "Envoy Gateway's Envoy for the edgeconform Gateway becoming ready",
             api.pods_ready(NAMESPACE, POD_SELECTOR))


def translate(t: Topology, facts: EdgeFacts) -> ControllerPlan:
    objects = resources(t, ports=CONTAINER_PORTS, certificates=facts.certificates,
                             backend_ref={"name": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT},
                             gateway_class=None, gateway_labels=manifests.labels())
    used = t.controller_kinds
    service = manifests.edge_service(NAMESPACE, POD_SELECTOR, t.kubernetes.external_traffic_policy,
                                     service_ports(t, CONTAINER_PORTS), t.name)
    return ControllerPlan(NAME, [*objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                          to_native(t).dump())


def install_commands(kubeconfig: str, timeout: float, chart: Path | None = None) -> list[list[str]]:
    """The helm command line that installs Envoy Gateway (its chart brings the Gateway API and its own CRDs):
    the pinned chart of its OCI registry, or a chart folder (the same chart, from its Go module)."""
    pins = versions()["controllers"][NAME]
    source = [str(chart)] if chart else [pins["chart"], "--version", str(pins["version"])]
    return [["helm", "upgrade", "--install", RELEASE, *source,
             "--namespace", NAMESPACE, "--create-namespace", "--kubeconfig", kubeconfig, "--wait", "--timeout",
             f"{int(timeout)}s"]]


def install_objects() -> list[dict[str, Any]]:
    """What the install adds once: the GatewayClass with its EnvoyProxy, and the Gateway every topology then
    re-applies with its own listeners (its Envoy pods stay up between topologies)."""
    return manifests.render("envoy-gateway/install.yaml.j2", gateway=GATEWAY, namespace=manifests.NAMESPACE,
                            controller_namespace=NAMESPACE, labels=manifests.labels(),
                            controller_name=CONTROLLER_NAME, port=CONTAINER_PORTS["http"],
                            envoy_image=versions()["controllers"][NAME]["envoy_image"])
