"""``kgateway``: kgateway (formerly Gloo Gateway), an Envoy-based Gateway API implementation. Recognised by
``edgeconform import``, not run: no target builds it, so import refuses an edge behind it in one line that names it
and the load balancer found (docs/controllers/kgateway.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class Kgateway(Controller):
    name: ClassVar[str] = "kgateway"
    title: ClassVar[str] = "kgateway"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("kgateway-dev", "kgateway", "https://github.com/kgateway-dev/kgateway",
                                            ("https://github.com/kgateway-dev/kgateway/issues",))

    @classmethod
    def importer(cls):
        from .importer import KgatewayImporter

        return KgatewayImporter()
