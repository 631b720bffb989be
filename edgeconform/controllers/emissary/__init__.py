"""``emissary``: Emissary-ingress v4, installed in a cluster (kind, eks) from its Helm OCI charts; the default
controller there.

The package: ``settings`` (its vocabulary: the abstract block and what each field becomes in its Listeners,
Hosts, TLSContexts and Module), ``cluster`` (install, and each topology's resources), ``importer`` (those
resources read back into the abstract block). It does not run as local processes.
"""

from __future__ import annotations

from pathlib import Path

from ...topology import Topology
from ..base import Controller, ControllerPlan, EdgeFacts, Upstream
from . import cluster


class Emissary(Controller):
    name = "emissary"
    title = "Emissary-ingress"
    runs_on = ("cluster",)
    upstream = Upstream("emissary-ingress", "emissary", "https://github.com/emissary-ingress/emissary",
                        ("https://github.com/emissary-ingress/emissary/issues",))
    resource_kinds = cluster.RESOURCE_KINDS
    tools = ("helm",)
    namespace = cluster.NAMESPACE
    pod_selector = cluster.POD_SELECTOR
    container_ports = cluster.CONTAINER_PORTS

    def version(self) -> str:
        return cluster.version()

    @classmethod
    def importer(cls):
        from .importer import EmissaryImporter

        return EmissaryImporter()

    def install(self, api, run, kubeconfig: str, assets: Path | None = None) -> None:
        cluster.install(api, run, kubeconfig)

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        return cluster.translate(t, facts)
