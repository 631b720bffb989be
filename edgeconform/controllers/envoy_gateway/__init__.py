"""``envoy-gateway``: the real Envoy Gateway, configured in its own vocabulary.

Locally it runs standalone: ``envoy-gateway server`` with the file resource provider and the Host infrastructure,
inside the edge's network namespace. On a kind cluster it installs from its Helm chart and gets the same
resources (the backend is the echo Service there, a Backend with its address here).

The package: ``settings`` (its ClientTrafficPolicy and HTTPRoute redirects as a user writes them, both directions
to the abstract trust model; docs/controllers/envoy-gateway.md has the table), ``limits`` (what it cannot
express, with its own finding codes), ``resources`` (the Gateway API resources both places get), ``local`` and
``diagnostics`` (the standalone process, its readiness, what a failing test gets), ``cluster`` (its Helm chart),
``importer`` (a Gateway, its routes and policy read back) and ``advice.yaml`` (how compare says a setting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from ... import binaries
from ...supervisor import Process
from ...topology import Topology
from ..base import (Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Semantics,
                    package_advice)
from . import cluster, limits, local, settings


class EnvoyGateway(Controller):
    name: ClassVar[str] = settings.NAME
    title: ClassVar[str] = "Envoy Gateway"
    runs_on: ClassVar[tuple[str, ...]] = ("local", "cluster")
    not_on: ClassVar[dict[str, str]] = {"eks": (
        "not built for eks yet: its Gateway needs the GatewayClass and EnvoyProxy that the kind install creates, "
        "and the eks target configures a controller that is already installed")}
    program = local.PROGRAM
    settings_model: ClassVar[type[BaseModel]] = settings.Settings
    semantics: ClassVar[Semantics] = settings.SEMANTICS
    finding_codes = limits.CODES
    advice = package_advice(__file__)
    resource_kinds: ClassVar[tuple[tuple[str, str], ...]] = cluster.RESOURCE_KINDS
    tools: ClassVar[tuple[str, ...]] = ("helm",)
    namespace: ClassVar[str] = cluster.NAMESPACE
    pod_selector: ClassVar[dict[str, str]] = cluster.POD_SELECTOR
    container_ports: ClassVar[dict[str, int]] = cluster.CONTAINER_PORTS

    def version(self) -> str | None:
        return binaries.version(local.PROGRAM)

    @classmethod
    def importer(cls):
        from .importer import EnvoyGatewayImporter

        return EnvoyGatewayImporter()

    # --- its vocabulary, both ways ------------------------------------------------------------------------
    @classmethod
    def to_abstract(cls, native: BaseModel, t: Topology) -> dict[str, Any]:
        return settings.to_abstract(native, t)

    def to_native(self, t: Topology) -> settings.Settings:
        return settings.to_native(t)

    @classmethod
    def semantics_for(cls, t: Topology) -> Semantics:
        return settings.semantics_for(t)

    def limits(self, t: Topology) -> list[Limit]:
        return limits.limits(t)

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        described = settings.describe(t, f"{behaviour}[{variant}]" if variant else behaviour)
        return [described] if described else []

    # --- local: envoy-gateway server, file provider, Host infrastructure -------------------------------------
    def local_unavailable(self, isolated: bool = True) -> str | None:
        return local.unavailable(isolated)

    def standby(self, place: LocalPlace) -> Process | None:
        return local.standby(place)

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        return local.controller(t, place)

    # --- cluster: the Helm chart, then the resources per topology --------------------------------------------
    def install(self, api, run, kubeconfig: str, assets: Path | None = None) -> None:
        cluster.install(api, run, kubeconfig, assets)

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        return cluster.translate(t, facts)
