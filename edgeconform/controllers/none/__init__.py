"""``none``: no controller. The load balancer's targets are the application itself, the most common AWS edge of all
(an ALB Ingress or an LBC Gateway ALB with ip targets on the application's pods, an EKS Auto Mode ALB, an NLB
Service in front of the application's own pods) [LBC-IA][LBC-SA][EKS-AUTO-ALB][EKS-AUTO-NLB].

The echo backend plays the application and reports what an application sees: its TCP peer, the raw
X-Forwarded-* headers, any PROXY header in front of the request, and the TLS it ends itself where the load balancer
passes TLS through. What the application would trust of that is its own business, so the expectations state what
arrives ("the client's address is the rightmost X-Forwarded-For entry, the one the ALB appended"), never what a
controller would conclude. Nothing between the load balancer and the application redirects, answers or checks
anything, so the trust model is fixed (``fixed_trust``): a topology that names ``none`` writes no trust settings,
only the application's own certificates (where TLS reaches it) and the oldest TLS version it accepts.

The package: ``local`` (the echo at the controller's place, no controller process), ``cluster`` (the application's
Deployment and the Service in front of it; nothing to install), ``limits`` (what a topology asks that the
application behind a load balancer alone cannot do). Its importer (``importer.py``: an ALB Ingress, an LBC Gateway
ALB, an Auto Mode ALB or an NLB Service whose targets are the application's pods) is the import work's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...kube import manifests
from ...topology import Topology
from ..base import Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Semantics
from . import cluster, limits, local

SEMANTICS = Semantics(
    redirect_default=308, proxy_protocol="optional", host_sni="route", straight_to_app=True, client_from_xff=False,
    sources={"straight_to_app": ("LBC-IA", "LBC-SA", "EKS-AUTO-ALB", "EKS-AUTO-NLB"),
             "client": ("ALB-XFH", "NLB-TGA", "NLB-TG23"), "proxy_protocol": ("NLB-TG23", "PP-SPEC"),
             "host_sni": ("RFC9110",)},
    notes={"straight_to_app": "ip targets are the application's pods; instance targets its Service's NodePorts",
           "client": "the application sees the load balancer (or the node) as its TCP peer unless the NLB preserves "
                     "the client's address; an L7 load balancer appends the client to X-Forwarded-For; an NLB with "
                     "PROXY v2 puts the client in the header in front of the request",
           "proxy_protocol": "the echo reads a PROXY header where one arrives and serves a connection without one: "
                             "whether an application requires it is its own business",
           "host_sni": "the application gets the SNI name and the Host as sent; nothing answers 421 for it"})


class NoneController(Controller):
    name: ClassVar[str] = "none"
    title: ClassVar[str] = "none (the load balancer straight to the application)"
    runs_on: ClassVar[tuple[str, ...]] = ("local", "cluster")
    # it states nothing: the backend reports what arrived (edgeconform.edge.ControllerInfo.application)
    reports: ClassVar[frozenset[str]] = frozenset()
    semantics: ClassVar[Semantics] = SEMANTICS
    fixed_trust: ClassVar[dict[str, Any]] = {"proxy_protocol": False, "trusted_hops": 0, "trusted_cidrs": [],
                                             "cleartext": "serve", "redirect_code": 308, "host_sni_mismatch": "route"}
    installs: ClassVar[bool] = False
    resource_kinds = cluster.RESOURCE_KINDS
    namespace: ClassVar[str] = manifests.NAMESPACE
    pod_selector: ClassVar[dict[str, str]] = cluster.POD_SELECTOR
    container_ports: ClassVar[dict[str, int]] = cluster.CONTAINER_PORTS

    @classmethod
    def importer(cls):
        # an edge whose load balancer's targets are the application's own pods (asked last: no controller claims it)
        from .importer import NoneImporter

        return NoneImporter()

    def limits(self, t: Topology) -> list[Limit]:
        return limits.limits(t)

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        return local.application(t, place)

    def install(self, api, run, kubeconfig: str) -> None:
        """Nothing to install: the application's Deployment comes with each topology (``translate``)."""

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        return cluster.translate(t, facts)
