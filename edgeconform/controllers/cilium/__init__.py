"""``cilium``: Cilium's ingress controller and Gateway API implementation (its Envoy); Cilium as the network plugin
alone is not a controller, so neither its images nor its own resources count. Recognised by ``edgeconform import``,
not run: no target builds it, so import refuses an edge behind it in one line that names it and the load balancer
found (docs/controllers/cilium.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class CiliumIngress(Controller):
    name: ClassVar[str] = "cilium"
    title: ClassVar[str] = "Cilium ingress / Gateway API"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("cilium", "cilium", "https://github.com/cilium/cilium",
                                            ("https://github.com/cilium/cilium/issues",))

    @classmethod
    def importer(cls):
        from .importer import CiliumIngressImporter

        return CiliumIngressImporter()
