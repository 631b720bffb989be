"""NGINX Gateway Fabric: the marks import knows it by, each from its documentation
(edgeconform.importing.recognised)."""

from __future__ import annotations

from ...importing.documents import Document
from ...importing.recognised import Marks, Recognised, service_from


class NginxGatewayFabricImporter(Recognised):
    kind = "nginx-gateway-fabric"
    cluster_kinds = (("apps/v1", "Deployment"),
                     ("gateway.networking.k8s.io/v1", "GatewayClass"),
                     ("gateway.nginx.org/v1alpha2", "NginxProxy"))
    marks = Marks(
        images=("nginx-gateway-fabric",),  # ghcr.io/nginx/nginx-gateway-fabric (and its nginx data plane) [NGF-NLB]
        labels=(("app.kubernetes.io/name", "nginx-gateway"),),
        gateway_controllers=("gateway.nginx.org/nginx-gateway-controller",),
        groups=("gateway.nginx.org",),  # NginxProxy, NginxGateway, ClientSettingsPolicy, ...
        sources=("NGF-NLB",),
    )

    def load_balancer(self, docs: list[Document]) -> Document | None:
        """The Service NGINX Gateway Fabric makes for each Gateway, from its NginxProxy's ``kubernetes.service``
        (ports: the Gateway's listeners, unknown without one) [NGF-NLB]."""
        proxy = next((doc for doc in docs if doc.kind == "NginxProxy" and doc.get("spec", "kubernetes", "service")),
                     None)
        if proxy is None:
            return None
        return service_from(proxy, ("spec", "kubernetes", "service"), proxy.name, proxy.namespace,
                            defaults={"type": "LoadBalancer", "ports": [{"port": 80}]}, built_by=proxy.describe())
