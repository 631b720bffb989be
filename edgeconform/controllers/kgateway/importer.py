"""kgateway: the marks import knows it by, each from its documentation (edgeconform.importing.recognised)."""

from __future__ import annotations

from ...importing.recognised import Marks, Recognised


class KgatewayImporter(Recognised):
    kind = "kgateway"
    cluster_kinds = (("apps/v1", "Deployment"),
                     ("gateway.networking.k8s.io/v1", "GatewayClass"))
    marks = Marks(
        images=("kgateway-dev/kgateway", "kgateway-dev/envoy-wrapper"),
        gateway_controllers=("kgateway.dev/kgateway",),  # [KGATEWAY]
        groups=("gateway.kgateway.dev",),  # GatewayParameters, TrafficPolicy, ...
        sources=("KGATEWAY",),
    )
