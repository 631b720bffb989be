"""Contour: the marks import knows it by, each from its documentation (edgeconform.importing.recognised)."""

from __future__ import annotations

from ...importing.recognised import Marks, Recognised


class ContourImporter(Recognised):
    kind = "contour"
    cluster_kinds = (("apps/v1", "Deployment"),
                     ("apps/v1", "DaemonSet"),
                     ("projectcontour.io/v1", "HTTPProxy"))
    marks = Marks(
        images=("projectcontour/contour",),  # its control plane's image [CONTOUR-EX]
        labels=(("app.kubernetes.io/name", "contour"),),
        gateway_controllers=("projectcontour.io/gateway-controller",),  # [CONTOUR-GW]
        ingress_controllers=("projectcontour.io/",),
        groups=("projectcontour.io",),  # HTTPProxy, ContourConfiguration, ContourDeployment, ...
        annotations=("projectcontour.io/",),
        sources=("CONTOUR-EX", "CONTOUR-GW"),
    )
