"""``ingress-nginx``: configured by its own ConfigMap keys, on a cluster (the real controller) and on the local target
(ingress-nginx's edge semantics on a stock nginx, not the controller).

The package: ``settings`` (its ConfigMap keys, and both directions to the abstract trust model; the table with
sources is docs/controllers/ingress-nginx.md), ``limits`` (what a topology asks that it cannot express),
``local`` (nginx rendered as its final template would), ``cluster`` (its kind manifest, each topology's ConfigMap
and Ingress), ``importer`` (its ConfigMap, Deployment and Ingresses read back) and ``advice.yaml`` (how compare
says a setting in its terms).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ...topology import Topology
from ..base import (Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Upstream,
                    package_advice)
from . import cluster, limits, local, settings


class IngressNginx(Controller):
    name = "ingress-nginx"
    title = "ingress-nginx"
    runs_on = ("local", "cluster")
    upstream = Upstream("kubernetes", "ingress-nginx", "https://github.com/kubernetes/ingress-nginx",
                        ("https://github.com/kubernetes/ingress-nginx/issues",))
    resource_kinds = cluster.RESOURCE_KINDS
    binaries = ("nginx",)
    settings_model = settings.Settings
    semantics = settings.SEMANTICS
    finding_codes = limits.CODES
    advice = package_advice(__file__)
    namespace = cluster.NAMESPACE
    pod_selector = cluster.POD_SELECTOR
    container_ports = cluster.CONTAINER_PORTS

    def version(self) -> str | None:
        return cluster.version()

    @classmethod
    def importer(cls):
        from .importer import IngressNginxImporter

        return IngressNginxImporter()

    # --- its vocabulary and the abstract trust model ----------------------------------------------------------
    @classmethod
    def to_abstract(cls, native: BaseModel, t: Topology) -> dict[str, Any]:
        return settings.to_abstract(native, t)

    def to_native(self, t: Topology) -> settings.Settings:
        return settings.to_native(t)

    def limits(self, t: Topology) -> list[Limit]:
        return limits.limits(t)

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        return settings.deciding(t, behaviour, variant)

    def unsupported(self, t: Topology) -> dict[str, str]:
        """Cells this controller cannot be set up to measure for ``t`` (see ``limits``)."""
        return limits.unsupported(t)

    # --- local: ingress-nginx's edge semantics on nginx --------------------------------------------------------
    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        return local.controller(t, place, self.version())

    # --- cluster ----------------------------------------------------------------------------------------------
    def install(self, api, run, kubeconfig: str, assets: Path | None = None) -> None:
        cluster.install(api, run, kubeconfig)

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        return cluster.translate(t, facts)
