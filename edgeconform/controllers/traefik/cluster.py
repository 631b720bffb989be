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


def install(api, run, kubeconfig: str, assets: Path | None = None) -> None:
    """Its chart from its OCI registry, or (``assets``: no registry) the equivalent manifests of ours."""
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    if assets is not None:
        api.apply(crds(assets))
        for crd in CRD_NAMES:
            api.wait(CONTROLLER_READY, f"CRD {crd} becoming established", api.crd_established(crd))
        api.apply(plain_manifests(assets, yaml.safe_load(base_values_file().read_text())))
    else:
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


def configure(api, run, kubeconfig: str, plan: ControllerPlan, workdir: Path, assets: Path | None = None) -> None:
    """Traefik's entry points are static configuration: an upgrade of the release with the topology's values
    (a rolling restart), then its routes, middlewares and TLS resources. Without the chart: our manifests with the
    topology's static configuration (the same rolling restart)."""
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    values = workdir / "traefik-values.yaml"
    values.write_text(yaml.safe_dump(plan.settings["values"], sort_keys=False))
    if assets is not None:
        merged = yaml.safe_load(base_values_file().read_text())
        merged["ports"] = plan.settings["values"]["ports"]
        api.apply(plain_manifests(assets, merged))
        api.wait(CONTROLLER_READY, "Traefik rolling out with the topology's entry points",
                 api.rolled_out(NAMESPACE, DEPLOYMENT), interval=0.5)
    else:
        run(install_command(kubeconfig, CONTROLLER_INSTALL.seconds, str(base_values_file()), str(values)),
            CONTROLLER_INSTALL)
    api.wait(CONTROLLER_READY, "Traefik becoming ready with the topology's entry points",
             api.pods_ready(NAMESPACE, POD_SELECTOR))
    api.apply(plan.manifests)


# --- without the chart: the same installation in plain manifests (clusters/manifests/traefik/install.yaml.j2) ------
ADMIN_PORT = 8080  # the chart's "traefik" entry point: ping (the readiness probe) and the API
CRD_NAMES = ("ingressroutes.traefik.io", "middlewares.traefik.io", "tlsoptions.traefik.io", "tlsstores.traefik.io")
DEPLOYMENT = "traefik"


# The chart's own entry points (its values.yaml: ports.web, ports.websecure), which values files add to
CHART_PORTS = {"web": {"port": 8000, "exposedPort": 80},
               "websecure": {"port": 8443, "exposedPort": 443, "http": {"tls": {"enabled": True}}}}


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values: mappings key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def crds(assets: Path) -> list[dict[str, Any]]:
    """Traefik's CRDs as its module ships them (./dev kind-images copied them)."""
    return [doc for doc in yaml.safe_load_all((assets / "traefik" / "crds.yaml").read_text()) if doc]


def plain_manifests(assets: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The ClusterRole of Traefik's documentation for its CRD provider, and ours: namespace, account, binding, static
    configuration (``static_config`` of the chart values) and the Deployment of the pinned image."""
    import hashlib

    role = next(doc for doc in yaml.safe_load_all((assets / "traefik" / "rbac.yaml").read_text())
                if doc and doc["kind"] == "ClusterRole")
    role.setdefault("metadata", {}).setdefault("labels", {}).update(manifests.labels())
    static = yaml.safe_dump(static_config(values), sort_keys=False)
    ports = {"traefik": ADMIN_PORT, **{name: port["port"] for name, port in
                                         _merged(CHART_PORTS, values.get("ports") or {}).items()}}
    image = f"docker.io/library/traefik:{versions()['controllers'][NAME]['app_version']}"
    return [role, *manifests.render("traefik/install.yaml.j2", namespace=NAMESPACE, name=DEPLOYMENT,
                                    labels=manifests.labels(), cluster_role=role["metadata"]["name"], static=static,
                                    static_sha256=hashlib.sha256(static.encode()).hexdigest(), image=image,
                                    selector=POD_SELECTOR, ports=ports, admin_port=ADMIN_PORT)]


def static_config(values: dict[str, Any]) -> dict[str, Any]:
    """What Traefik's chart passes as arguments for these values, as Traefik's static configuration file: the
    entry points of ``ports`` (address, proxyProtocol, forwardedHeaders, http.redirections with the target entry
    point's exposedPort, http.middlewares, http.tls), the chart's ping on its "traefik" entry point, the CRD
    provider, no version checks or usage reports, and access logs (clusters/manifests/traefik/values.yaml)."""
    ports = _merged(CHART_PORTS, values.get("ports") or {})
    entry_points: dict[str, Any] = {"traefik": {"address": f":{ADMIN_PORT}/tcp"}}
    for name, port in ports.items():
        ep: dict[str, Any] = {"address": f":{port['port']}/tcp"}
        for key in ("proxyProtocol", "forwardedHeaders"):
            if port.get(key):
                ep[key] = port[key]
        http = port.get("http") or {}
        out: dict[str, Any] = {}
        redirect = (http.get("redirections") or {}).get("entryPoint")
        if redirect:
            target = redirect["to"]
            to = f":{ports[target].get('exposedPort', ports[target]['port'])}" if target in ports else target
            out["redirections"] = {"entryPoint": {**redirect, "to": to}}
        if http.get("middlewares"):
            out["middlewares"] = list(http["middlewares"])
        if (http.get("tls") or {}).get("enabled"):
            out["tls"] = {}
        if out:
            ep["http"] = out
        entry_points[name] = ep
    crd = values.get("providers", {}).get("kubernetesCRD", {})
    return {"global": {"checkNewVersion": False, "sendAnonymousUsage": False},
            "entryPoints": entry_points, "ping": {"entryPoint": "traefik"},
            "providers": {"kubernetesCRD": {"allowCrossNamespace": bool(crd.get("allowCrossNamespace"))}},
            "accessLog": {}, "log": {"level": "INFO"}}


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
