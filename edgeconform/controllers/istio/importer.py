"""Istio ingress gateway: the marks import knows it by, each from its documentation
(edgeconform.importing.recognised)."""

from __future__ import annotations

from typing import Any

from ...importing.documents import Document
from ...importing.recognised import Marks, Recognised, service_from


class IstioGatewayImporter(Recognised):
    kind = "istio"
    cluster_kinds = (("apps/v1", "Deployment"),
                     ("gateway.networking.k8s.io/v1", "GatewayClass"),
                     ("networking.istio.io/v1", "Gateway"))
    marks = Marks(
        images=("istio/proxyv2", "istio-release/proxyv2"),  # the gateway's Envoy
        labels=(("istio", "ingressgateway"), ("app", "istio-ingressgateway")),  # the chart's and istioctl's [ISTIO-GW]
        gateway_controllers=("istio.io/gateway-controller",),
        groups=("networking.istio.io",),  # Gateway, VirtualService
        annotations=("proxy.istio.io/",),  # proxy.istio.io/config on the gateway's Service
        sources=("ISTIO-GW",),
    )

    def mark(self, doc: Document) -> tuple[Any, ...] | None:
        """Its objects' marks, and the values of its gateway chart (``service.annotations`` carrying an Istio proxy
        annotation, at the top or under the subchart's key ``gateway``)."""
        found = super().mark(doc)
        if found is not None or doc.kind or not isinstance(doc.data, dict):
            return found
        root = _values_root(doc)
        if root is None:
            return None
        key = next(k for k in doc.get(*root, "service", "annotations") if str(k).startswith(self.marks.annotations))
        return (*root, "service", "annotations", key)

    def load_balancer(self, docs: list[Document]) -> Document | None:
        """The Service the gateway chart renders from its values (``service``: type LoadBalancer and the ports
        15021, 80, 443 by default) [ISTIO-GW]."""
        for doc in docs:
            root = None if doc.kind else _values_root(doc)
            if root is not None:
                return service_from(doc, (*root, "service"), "istio-ingressgateway", "istio-ingress",
                                    defaults={"type": "LoadBalancer", "ports": CHART_PORTS}, built_by=doc.describe())
        return None


# the gateway chart's default Service ports [ISTIO-GW]
CHART_PORTS = [{"name": "status-port", "port": 15021, "targetPort": 15021}, {"name": "http2", "port": 80,
               "targetPort": 80}, {"name": "https", "port": 443, "targetPort": 443}]


def _values_root(doc: Document) -> tuple[Any, ...] | None:
    """Where the gateway chart's values start in a values document: its top, or its ``gateway`` subchart key."""
    for root in ((), ("gateway",)):
        annotations = doc.get(*root, "service", "annotations")
        if isinstance(annotations, dict) and any(str(k).startswith("proxy.istio.io/") for k in annotations):
            return root
    return None
