"""Traefik on a cluster: its Helm chart, installed once; per topology an upgrade with the topology's entry points
(static configuration, so part of the installation) and its routers, middlewares and TLS options as CRDs."""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path
from typing import Any

import yaml

from ...kube import manifests
from ...topology import Topology
from ..base import ControllerPlan, EdgeFacts, service_ports, versions
from .limits import unsupported
from .resources import default_secret, middlewares, routers
from .settings import TraefikSettings, entry_points, listener_port, settings_of, tls_options

NAME = "traefik"
NAMESPACE = "traefik"
RELEASE = "traefik"
CONTAINER_PORTS = {"http": 8000, "https": 8443, "redirect": 8081}
POD_SELECTOR = {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": f"{RELEASE}-{NAMESPACE}"}
RESOURCE_KINDS = (("traefik.io/v1alpha1", "IngressRoute"), ("traefik.io/v1alpha1", "Middleware"),
                  ("traefik.io/v1alpha1", "TLSOption"), ("traefik.io/v1alpha1", "TLSStore"))


def chart_version() -> str:
    """The Traefik release the pinned Helm chart runs (clusters/kind/versions.yaml)."""
    return str(versions()["controllers"][NAME]["app_version"]).lstrip("v")


def install(api, run, kubeconfig: str) -> None:
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    run(install_command(kubeconfig, CONTROLLER_INSTALL.seconds, str(base_values_file())), CONTROLLER_INSTALL)
    api.wait(CONTROLLER_READY, "Traefik becoming ready", api.pods_ready(NAMESPACE, POD_SELECTOR))


def translate(t: Topology, facts: EdgeFacts) -> ControllerPlan:
    settings = settings_of(t)
    eps = entry_points(t)
    at_controller = t.tls_terminates_at == "controller"
    secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, cert, t.name)
               for name, cert in facts.certificates.items()] if at_controller else []
    objects = manifests.render("traefik/edge.yaml.j2", namespace=manifests.NAMESPACE, labels=manifests.labels(t.name),
                               routers=routers(t, settings, eps), middlewares=middlewares(t, settings, eps),
                               tls_options=tls_options(settings), default_cert=default_secret(t),
                               secrets=[secret["metadata"]["name"] for secret in secrets],
                               backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT})
    service = manifests.edge_service(NAMESPACE, POD_SELECTOR, t.kubernetes.external_traffic_policy,
                                     service_ports(t, CONTAINER_PORTS), t.name)
    values = helm_values(t, settings, facts)
    note = ("Traefik's entry points are static configuration of its installation: on a cluster edgeconform did "
            "not install, the release must already run with these Helm values (kind applies them itself): "
            + json.dumps(values, sort_keys=True))
    return ControllerPlan(NAME, [*secrets, *objects, *service],
                          {kind: CONTAINER_PORTS[kind] for kind in t.controller_kinds},
                          {"values": values, "native": settings.dump()}, unsupported=unsupported(t), notes=[note])


def configure(api, run, kubeconfig: str, plan: ControllerPlan, workdir: Path) -> None:
    """Traefik's entry points are static configuration: an upgrade of the release with the topology's values
    (a rolling restart), then its routes, middlewares and TLS resources."""
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    values = workdir / "traefik-values.yaml"
    values.write_text(yaml.safe_dump(plan.settings["values"], sort_keys=False))
    run(install_command(kubeconfig, CONTROLLER_INSTALL.seconds, str(base_values_file()), str(values)),
        CONTROLLER_INSTALL)
    api.wait(CONTROLLER_READY, "Traefik becoming ready with the topology's entry points",
             api.pods_ready(NAMESPACE, POD_SELECTOR))
    api.apply(plan.manifests)


def base_values_file() -> Path:
    from ... import assets

    return assets.path("clusters/manifests/traefik/values.yaml")


def install_command(kubeconfig: str, timeout: float, *values: str) -> list[str]:
    """The helm command line that installs (or upgrades) Traefik's chart, with the values files in order."""
    pins = versions()["controllers"]["traefik"]
    return ["helm", "upgrade", "--install", RELEASE, pins["chart"], "--version", str(pins["version"]),
            "--namespace", NAMESPACE, "--create-namespace", *(arg for path in values for arg in ("--values", path)),
            "--kubeconfig", kubeconfig, "--wait", "--timeout", f"{int(timeout)}s"]


def _cluster_cidrs(cidrs: list[str], facts: EdgeFacts) -> list[str]:
    """On a cluster the VPC is the network the load balancer and the nodes connect from: a private network as
    written becomes their addresses (0.0.0.0/0 and other networks stay)."""
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.prefixlen and net.is_private and any(ipaddress.ip_address(a) in net for a in ("10.0.1.17", "10.0.2.11")):
            out += [a if "/" in a else f"{a}/32" for a in (*facts.lb_addresses, *facts.node_addresses)]
        else:
            out.append(cidr)
    return list(dict.fromkeys(out))


def helm_values(t: Topology, settings: TraefikSettings, facts: EdgeFacts) -> dict[str, Any]:
    """The chart's values for ``t``'s entry points (ports.<name>.*): the same settings the local target renders.
    Redirections name an entry point (the chart renders it as that port's exposedPort)."""
    dumped = settings.dump().get("entryPoints", {})
    ports: dict[str, Any] = {}
    for name, kind in entry_points(t).items():
        ep = copy.deepcopy(dumped.get(name, {}))
        ep.pop("address", None)
        port: dict[str, Any] = {"port": CONTAINER_PORTS[kind], "exposedPort": listener_port(t, kind) or
                                CONTAINER_PORTS[kind], "expose": {"default": False}, "protocol": "TCP"}
        for key in ("proxyProtocol", "forwardedHeaders"):
            if ep.get(key):
                block = ep[key]
                if block.get("trustedIPs"):
                    block["trustedIPs"] = _cluster_cidrs(block["trustedIPs"], facts)
                port[key] = block
        http = ep.get("http") or {}
        target = (http.get("redirections") or {}).get("entryPoint")
        if target:
            if target["to"].startswith(":"):
                target["to"] = "websecure"  # the chart takes an entry point name and renders :exposedPort
            http["redirections"]["entryPoint"] = {"scheme": "https", "permanent": True, **target}
        if http.get("middlewares"):
            http["middlewares"] = [f"{manifests.NAMESPACE}-{m.split('@')[0]}@kubernetescrd" for m in http["middlewares"]]
        http.pop("tls", None)
        http["tls"] = {"enabled": kind == "https"}
        port["http"] = http
        ports[name] = port
    if "websecure" not in ports:  # the chart's own websecure port stays, unexposed, as a redirection target
        ports["websecure"] = {"port": CONTAINER_PORTS["https"], "exposedPort": 443, "expose": {"default": False}}
    return {"ports": ports}
