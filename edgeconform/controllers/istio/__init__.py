"""``istio``: Istio's ingress gateway (the istio/gateway chart, or a Gateway of class istio). Recognised by
``edgeconform import``, not run: no target builds it, so import refuses an edge behind it in one line that names it
and the load balancer found (docs/controllers/istio.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class IstioGateway(Controller):
    name: ClassVar[str] = "istio"
    title: ClassVar[str] = "Istio ingress gateway"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("istio", "istio", "https://github.com/istio/istio",
                                            ("https://github.com/istio/istio/issues",))

    @classmethod
    def importer(cls):
        from .importer import IstioGatewayImporter

        return IstioGatewayImporter()
