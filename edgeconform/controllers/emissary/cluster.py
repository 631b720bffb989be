"""Emissary-ingress v4 on a cluster: its install (Helm OCI charts: the CRDs chart, then the main chart) and each
topology's resources (clusters/manifests/emissary/edge.yaml.j2 renders them, as settings.py's table says).

The backend learns what Emissary concluded from Mapping add_request_headers with Envoy command operators
(%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% and friends, documented for add_request_headers), the same values
the local Envoy controller sets (edgeconform/headers.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ... import assets, headers
from ...kube import manifests
from ...topology import Topology
from ..base import ControllerPlan, EdgeFacts, host_sni_note, redirect_code_note, service_ports, versions
from .settings import REDIRECT_CODE, TLS_VERSIONS

NAME = "emissary"
RELEASE = "emissary-ingress"
CRDS_RELEASE = "emissary-crds"
NAMESPACE = "emissary"
POD_SELECTOR = {"app.kubernetes.io/name": RELEASE, "app.kubernetes.io/instance": RELEASE}
RESOURCE_KINDS = tuple(("getambassador.io/v3alpha1", kind)
                       for kind in ("Listener", "Host", "Mapping", "TLSContext", "Module"))
CRDS = [f"{plural}.getambassador.io" for plural in ("listeners", "hosts", "mappings", "tlscontexts", "modules")]
CONTAINER_PORTS = {"http": 8080, "https": 8443, "redirect": 8081}
CONCLUSION_HEADERS = [*headers.ENVOY_VALUES, (headers.PORT, "%DOWNSTREAM_LOCAL_PORT%")]


def version() -> str:
    return str(versions()["controllers"][NAME]["version"])


def values_file() -> Path:
    return assets.path("clusters/manifests/emissary/values.yaml")


def install_commands(kubeconfig: str, timeout: float) -> list[list[str]]:
    """The helm command lines that install Emissary v4: the CRDs chart, then the main chart."""
    pins = versions()["controllers"][NAME]
    common = ["--kubeconfig", kubeconfig, "--wait", "--timeout", f"{int(timeout)}s"]
    return [
        ["helm", "upgrade", "--install", CRDS_RELEASE, pins["crds_chart"], "--version", str(pins["version"]),
         *common],
        ["helm", "upgrade", "--install", RELEASE, pins["chart"], "--version", str(pins["version"]),
         "--namespace", NAMESPACE, "--create-namespace", "--values", str(values_file()), *common],
    ]


def install(api, run, kubeconfig: str) -> None:
    """Install (or upgrade in place) Emissary v4 and wait until it serves. ``run`` runs one command line."""
    from ...kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

    crds, main = install_commands(kubeconfig, CONTROLLER_INSTALL.seconds)
    run(crds, CONTROLLER_INSTALL)
    # v4's CRDs chart serves getambassador.io/v3alpha1 only (no conversion webhook unless
    # enableLegacyVersions): the resources can be created once their CRDs are established
    for crd in CRDS:
        api.wait(CONTROLLER_READY, f"CRD {crd} becoming established", api.crd_established(crd))
    run(main, CONTROLLER_INSTALL)
    api.wait(CONTROLLER_READY, "Emissary-ingress becoming ready", api.pods_ready(NAMESPACE, POD_SELECTOR))


def translate(t: Topology, facts: EdgeFacts) -> ControllerPlan:
    ctl = t.controller
    used = t.controller_kinds
    listeners = []
    for kind in used:
        stack = (["PROXY"] if ctl.proxy_protocol else []) + (["TLS"] if kind == "https" else []) + ["HTTP", "TCP"]
        listeners.append({"kind": kind, "port": CONTAINER_PORTS[kind], "stack": stack,
                          "security_model": "INSECURE" if kind == "redirect" else "XFP",
                          "host_group": "redirect" if kind == "redirect" else "main"})
    action = "Redirect" if ctl.cleartext == "redirect" else "Route"
    hosts = _hosts(t, facts, "main", action, with_tls="https" in used)
    if "redirect" in used:
        hosts += _hosts(t, facts, "redirect", "Redirect", with_tls=False)
    secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, cert, t.name)
               for name, cert in facts.certificates.items()] if "https" in used else []
    objects = manifests.render(
        "emissary/edge.yaml.j2", namespace=manifests.NAMESPACE, controller_namespace=NAMESPACE,
        labels=manifests.labels(t.name), mapping_labels={**manifests.labels(t.name), "edgeconform.dev/route": "echo"},
        listeners=listeners, hosts=hosts, l7_depth=ctl.trusted_hops,
        tls_min_version=TLS_VERSIONS[ctl.tls_min_version],
        backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT},
        conclusion_headers=CONCLUSION_HEADERS)
    service = manifests.edge_service(NAMESPACE, POD_SELECTOR, t.kubernetes.external_traffic_policy,
                                     service_ports(t, CONTAINER_PORTS), t.name)
    settings: dict[str, Any] = {
        "listeners": {item["kind"]: {key: item[key] for key in ("port", "stack", "security_model")}
                      for item in listeners},
        "l7Depth": ctl.trusted_hops,
        "insecure_action": action,
        "hosts": [(host["hostname"], host["group"], host["insecure_action"], host["secret"]) for host in hosts],
    }
    return ControllerPlan(NAME, [*secrets, *objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                          settings, unsupported={**redirect_code_note("Emissary", REDIRECT_CODE, t),
                                                 **host_sni_note("Emissary", t)})


def _hosts(t: Topology, facts: EdgeFacts, group: str, action: str, with_tls: bool) -> list[dict[str, Any]]:
    """One Host per certificate name (the first, the default, as "*"); without TLS one Host "*"."""
    names = list(facts.certificates) if with_tls else []
    hosts = []
    for i, name in enumerate(names or [None]):
        hostname = "*" if i == 0 else name
        slug = "default" if i == 0 else manifests.secret_name(name).removeprefix("edgeconform-tls-")
        hosts.append({"name": f"edgeconform-{group}-{slug}", "hostname": hostname, "group": group,
                      "insecure_action": action, "secret": manifests.secret_name(name) if name else None,
                      "labels": {**manifests.labels(t.name), "edgeconform.dev/listener": group}})
    return hosts
