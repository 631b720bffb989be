"""``contour``: Contour (projectcontour), an Envoy-based ingress controller and Gateway API implementation. Recognised
by ``edgeconform import``, not run: no target builds it, so import refuses an edge behind it in one line that names
it and the load balancer found (docs/controllers/contour.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class Contour(Controller):
    name: ClassVar[str] = "contour"
    title: ClassVar[str] = "Contour"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("projectcontour", "contour", "https://github.com/projectcontour/contour",
                                            ("https://github.com/projectcontour/contour/issues",))

    @classmethod
    def importer(cls):
        from .importer import ContourImporter

        return ContourImporter()
