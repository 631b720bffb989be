"""``none``: no controller, the load balancer sends traffic straight to the application.

STUB of branch import-edges (19-objects), for import only: branch ``none`` (19-none) owns this package and replaces
this module with the controller (its facts, semantics and local wiring: the echo backend is the application).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller


class NoController(Controller):
    name: ClassVar[str] = "none"
    title: ClassVar[str] = "none (the application behind the load balancer)"
    runs_on: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def importer(cls):
        from .importer import NoneImporter

        return NoneImporter()
