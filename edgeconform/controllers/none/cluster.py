"""The application on a cluster (kind, eks): the echo backend as a Deployment of its own per topology, in the
harness's namespace, with the Service the load balancer reaches in front of it. Nothing is installed: an instance
target load balancer goes through the Service's NodePorts (kube-proxy and externalTrafficPolicy as for any
controller), an ip target one straight to the pods."""

from __future__ import annotations

from typing import Any

from ...kube import manifests
from ...kube.manifests import versions
from ...topology import Topology
from ..base import ControllerPlan, EdgeFacts, service_ports

NAME = "none"
APPLICATION = "edgeconform-app"
POD_SELECTOR = {"app.kubernetes.io/name": APPLICATION}
CONTAINER_PORTS = {"http": 8080, "https": 8443, "redirect": 8081}
RESOURCE_KINDS = (("apps/v1", "Deployment"),)
CERTS = "/certs"


def command(t: Topology) -> list[str]:
    """The application's command line: a listener per port the load balancer lands on, TLS where it passes TLS on."""
    argv = ["python", "/app/echo.py", "--tls-min-version", t.controller.tls_min_version]
    for kind in t.controller_kinds:
        argv += ["--listen-tls" if kind == "https" else "--listen", f"0.0.0.0:{CONTAINER_PORTS[kind]}"]
    if "https" in t.controller_kinds:
        for name in t.controller.certificates:
            folder = f"{CERTS}/{manifests.secret_name(name)}"
            argv.append(f"--cert={name}={folder}/tls.crt,{folder}/tls.key")
    return argv


def translate(t: Topology, facts: EdgeFacts) -> ControllerPlan:
    names = list(facts.certificates) if "https" in t.controller_kinds else []
    secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, facts.certificates[name], t.name)
               for name in names]
    pins = versions()
    objects = manifests.render(
        "none/application.yaml.j2", name=APPLICATION, namespace=manifests.NAMESPACE, labels=manifests.labels(t.name),
        selector=POD_SELECTOR, pod_labels={**POD_SELECTOR, **manifests.labels(t.name)},
        python_image=facts.echo_image or pins["images"]["python"], install_websockets=facts.echo_image is None,
        websockets=manifests.websockets_version(),
        pip_index_url=manifests.pip_index_url(), command=command(t),
        ports=[{"name": kind, "number": CONTAINER_PORTS[kind]} for kind in t.controller_kinds],
        secrets=[{"name": manifests.secret_name(name), "volume": f"cert-{i}",
                  "path": f"{CERTS}/{manifests.secret_name(name)}"} for i, name in enumerate(names)],
        echo_configmap=manifests.ECHO_SERVICE)
    service = manifests.edge_service(manifests.NAMESPACE, POD_SELECTOR, t.kubernetes.external_traffic_policy,
                                     service_ports(t, CONTAINER_PORTS), t.name)
    settings: dict[str, Any] = {"application": "the echo backend", "listens": command(t)[4:]}
    return ControllerPlan(NAME, [*secrets, *objects, *service], {k: CONTAINER_PORTS[k] for k in t.controller_kinds},
                          settings)
