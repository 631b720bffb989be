"""``none``: no controller, the load balancer sends traffic straight to the application.

STUB of branch import-edges (19-objects), for import only: branch ``none`` (19-none) owns this package and replaces
this module with the controller (its facts, semantics and local wiring: the echo backend is the application).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import Controller


class NoController(Controller):
    name: ClassVar[str] = "none"
    title: ClassVar[str] = "none (the application behind the load balancer)"
    runs_on: ClassVar[tuple[str, ...]] = ()
    # as branch none fixes them: nothing between the load balancer and the application trusts or redirects
    fixed_trust: ClassVar[dict[str, Any]] = {"proxy_protocol": False, "trusted_hops": 0, "trusted_cidrs": [],
                                             "cleartext": "serve", "redirect_code": 308, "host_sni_mismatch": "route"}

    @classmethod
    def importer(cls):
        from . import importer

        return importer.importer()
