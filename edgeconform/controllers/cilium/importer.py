"""Cilium ingress / Gateway API: the marks import knows it by, each from its documentation
(edgeconform.importing.recognised).
"""

from __future__ import annotations

from ...importing.recognised import Marks, Recognised


class CiliumIngressImporter(Recognised):
    kind = "cilium"
    cluster_kinds = (("networking.k8s.io/v1", "IngressClass"),
                     ("gateway.networking.k8s.io/v1", "GatewayClass"))
    marks = Marks(
        ingress_controllers=("cilium.io/ingress-controller",),  # [CILIUM-INGRESS]
        gateway_controllers=("io.cilium/gateway-controller",),  # [CILIUM-GW]
        annotations=("ingress.cilium.io/",),
        sources=("CILIUM-INGRESS", "CILIUM-GW"),
    )
