"""``nginx-gateway-fabric``: NGINX Gateway Fabric (nginx), a Gateway API implementation on NGINX. Recognised by
``edgeconform import``, not run: no target builds it, so import refuses an edge behind it in one line that names it
and the load balancer found (docs/controllers/nginx-gateway-fabric.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class NginxGatewayFabric(Controller):
    name: ClassVar[str] = "nginx-gateway-fabric"
    title: ClassVar[str] = "NGINX Gateway Fabric"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("nginx", "nginx-gateway-fabric",
                                            "https://github.com/nginx/nginx-gateway-fabric",
                                            ("https://github.com/nginx/nginx-gateway-fabric/issues",))

    @classmethod
    def importer(cls):
        from .importer import NginxGatewayFabricImporter

        return NginxGatewayFabricImporter()
