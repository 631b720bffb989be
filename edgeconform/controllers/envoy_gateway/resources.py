"""What Envoy Gateway is given on both places: the Gateway with a listener per controller port, the
ClientTrafficPolicy, the HTTPRoutes (redirects, and the route to the backend) and the certificates' Secrets.

The backend learns what Envoy concluded from a RequestHeaderModifier with Envoy command operators
(edgeconform.headers), which Envoy Gateway passes through to Envoy."""

from __future__ import annotations

from typing import Any

from ... import headers
from ...kube import manifests
from ...topology import Topology
from .settings import to_native

GATEWAY = "edgeconform"  # the Gateway, its GatewayClass and the ClientTrafficPolicy
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
CONCLUSION_HEADERS = headers.ENVOY_VALUES


def resources(t: Topology, *, ports: dict[str, int], certificates: dict[str, Any],
              backend_ref: dict[str, Any], backend_ip: tuple[str, int] | None = None,
              gateway_class: str | None = GATEWAY, class_name: str = GATEWAY,
              gateway_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The Gateway, ClientTrafficPolicy, HTTPRoutes, Secrets (and a Backend for ``backend_ip``) for ``t``."""
    settings = to_native(t)
    rules = settings.redirects.model_dump(exclude_unset=True)
    secrets = {name: manifests.secret_name(name) for name in certificates}
    listeners = []
    for kind in t.controller_kinds:
        listener: dict[str, Any] = {"kind": kind, "port": ports[kind], "redirect": rules.get(kind)}
        if kind == "https":
            listener["certificate_refs"] = [{"kind": "Secret", "name": secrets[name]} for name in secrets]
        if kind == "redirect" and listener["redirect"] is None:  # the port only redirects: Gateway API's code
            listener["redirect"] = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}
        if kind == "redirect":
            listener["redirect"] = {key: value for key, value in listener["redirect"].items() if key != "matches"}
        listeners.append(listener)
    labels = manifests.labels(t.name)
    objects = manifests.render(
        "envoy-gateway/edge.yaml.j2", gateway=GATEWAY, gateway_class=gateway_class, class_name=class_name,
        namespace=manifests.NAMESPACE, labels=labels, gateway_labels=gateway_labels or labels,
        listeners=listeners, client_traffic_policy=settings.clientTrafficPolicy.model_dump(exclude_unset=True),
        backend_name="echo", backend_ip=backend_ip[0] if backend_ip else None,
        backend_port=backend_ip[1] if backend_ip else None, backend_ref=backend_ref,
        conclusion_headers=CONCLUSION_HEADERS, port_header=headers.PORT)
    if "https" in t.controller_kinds:
        objects += [manifests.tls_secret(secrets[name], manifests.NAMESPACE, cert, t.name)
                    for name, cert in certificates.items()]
    return objects
