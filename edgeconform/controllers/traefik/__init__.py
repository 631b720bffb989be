"""``traefik``: Traefik v3, the real binary with its file provider on the local target, its Helm chart on kind.

The package: ``settings`` (its vocabulary, as a user writes it, and both directions to the abstract trust model;
docs/controllers/traefik.md has the table), ``limits`` (what it cannot express, with its own finding codes),
``resources`` (routers, middlewares and TLS options, the same on both places), ``local`` (the binary with its file
provider), ``cluster`` (its Helm chart and CRDs), ``importer`` (its values or static configuration and CRDs read
back) and ``advice.yaml`` (how compare says a setting in its terms).

Documented semantics that differ from the generic controller: a PROXY header is optional (never required), trust
is by the sender's address (no hop count) and Traefik draws no client from X-Forwarded-For, and redirect codes
follow the method (permanent: 301 for GET, 308 otherwise). Its headers cannot carry variables: its own statement
of the client is X-Real-Ip, which the echo backend reads as the client (``client_header``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ... import binaries
from ...binaries import Program
from ...topology import Topology
from ..base import Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, package_advice
from . import cluster, limits, local, settings
from .settings import TraefikSettings

# Built by ./dev tools from tools/traefik/go.mod; `traefik version` says "Version:      v3.6.12"
PROGRAM = Program("traefik", "EDGECONFORM_TRAEFIK", ("version",), r"^\s*Version:\s*v?(\S+)",
                  go_module="github.com/traefik/traefik/v3")


class Traefik(Controller):
    name: ClassVar[str] = "traefik"
    title: ClassVar[str] = "Traefik"
    runs_on: ClassVar[tuple[str, ...]] = ("local", "cluster")
    program = PROGRAM
    settings_model = TraefikSettings
    semantics = settings.SEMANTICS
    finding_codes = limits.CODES
    advice = package_advice(__file__)
    reports = frozenset({"client", "tls", "port"})
    client_header = "x-real-ip"  # Traefik's own statement of the client (no variables in its headers)
    resource_kinds = cluster.RESOURCE_KINDS
    tools = ("helm",)
    namespace = cluster.NAMESPACE
    pod_selector = cluster.POD_SELECTOR
    container_ports = cluster.CONTAINER_PORTS

    def version(self) -> str | None:
        """The local binary's (./dev tools, EDGECONFORM_TRAEFIK); without one, the release the Helm chart pinned in
        clusters/kind/versions.yaml runs (the same version: tests/targets/kind/test_kind_traefik.py)."""
        try:
            return binaries.version(PROGRAM)
        except binaries.MissingBinary:
            return cluster.chart_version()

    @classmethod
    def importer(cls):
        from .importer import TraefikImporter

        return TraefikImporter()

    @classmethod
    def to_abstract(cls, native: TraefikSettings, t: Topology) -> dict[str, Any]:  # type: ignore[override]
        return settings.abstract(native, t)

    def to_native(self, t: Topology) -> TraefikSettings:
        return settings.settings_of(t)

    def limits(self, t: Topology) -> list[Limit]:
        return limits.limits(t)

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        return settings.deciding(t, f"{behaviour}[{variant}]" if variant else behaviour)

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        return local.controller(t, place, PROGRAM)

    # --- clusters (kind: Helm chart, then per topology an upgrade with its entry points and the CRD resources) ----
    def install(self, api, run, kubeconfig: str, assets: Path | None = None) -> None:
        cluster.install(api, run, kubeconfig, assets)

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        return cluster.translate(t, facts)

    def configure(self, api, run, kubeconfig: str, plan: ControllerPlan, workdir: Path,
                  assets: Path | None = None) -> None:
        """Traefik's entry points are static configuration: an upgrade of the release with the topology's values
        (a rolling restart), then its routes, middlewares and TLS resources."""
        cluster.configure(api, run, kubeconfig, plan, workdir, assets)
