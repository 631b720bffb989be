"""The eks target's modes: how a cluster builds the AWS load balancer of a topology (clusters/eks/modes.yaml).

    lbc-annotations  annotated Service (NLB, Classic ELB) / Ingress (ALB)     edgeconform.targets.eks.annotations
    lbc-gateway      the AWS Load Balancer Controller's Gateway API           edgeconform.targets.eks.lbc_gateway
    auto-mode        EKS Auto Mode's built-in load balancing                  edgeconform.targets.eks.auto_mode

A mode answers two questions for a topology: what it cannot build (``refusals``: asked for every topology before
anything is created), and which objects ask AWS for the load balancer (``build``: a LoadBalancerPart). The
ingress controller's own resources are the controller plug-in's business (edgeconform.controllers, ``translate``),
the same in every mode. Which mode a cluster is in: edgeconform.targets.eks.detect; the modes by name:
edgeconform.targets.eks.builders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

import jinja2
import yaml

from ... import assets
from ...sources import cite
from ...topology import Topology
from .options import MODES as NAMES  # the one list, kept in the light options module
from .settings import EksSettings


@cache
def data() -> dict[str, Any]:
    return yaml.safe_load(assets.path("clusters/eks/modes.yaml").read_text())


@dataclass(frozen=True)
class LoadBalancerRef:
    """The object whose status carries the load balancer's DNS name (Service, Ingress or Gateway)."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Refusal:
    """Why a mode cannot build a topology: the field (or annotation) and the documentation that says so."""

    reason: str
    field: str = ""
    sources: tuple[str, ...] = ()

    def describe(self) -> str:
        cited = "".join(f" {cite([key])}" for key in self.sources if f"[{key}]" not in self.reason)
        return f"{self.field + ': ' if self.field else ''}{self.reason}{cited}"


class CannotBuild(Exception):
    """A topology the mode cannot build; the message names every refusal."""

    def __init__(self, t: Topology, mode: str, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__(f"topology {t.name!r} cannot be built on AWS ({t.lb.model}, mode {mode}): "
                         + "; ".join(r.describe() for r in refusals))


@dataclass(frozen=True)
class Setting:
    """One value the mode sets and why (an annotation, or a field of a Gateway API object), for the plan's reader."""

    where: str  # "Service annotation", "LoadBalancerConfiguration.spec.loadBalancerAttributes", ...
    key: str
    value: str
    encodes: tuple[str, ...]
    sources: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class ModeFacts:
    """What the cluster says about the APIs a mode uses (edgeconform.targets.eks.detect); defaults without one."""

    gateway_api_version: str = "gateway.networking.k8s.io/v1"
    lbc_gateway_api_version: str = "gateway.k8s.aws/v1"


@dataclass
class LoadBalancerPart:
    """What asks AWS for one topology's load balancer, in one mode."""

    mode: str
    reconciler: str
    objects: list[dict[str, Any]]  # this topology's, in apply order
    ref: LoadBalancerRef
    settings: list[Setting] = field(default_factory=list)
    shared: list[dict[str, Any]] = field(default_factory=list)  # cluster-wide, shared by the run's topologies
    notes: list[str] = field(default_factory=list)
    missing_arns: tuple[str, ...] = ()
    # The loadBalancerClass values a mutating webhook may leave on the Service (a server-side dry run checks before
    # anything is created); None: no such check for this mode and model
    webhook_classes: tuple[str | None, ...] | None = None


class Mode:
    """Base of the three modes."""

    name: ClassVar[str]

    def refusals(self, t: Topology, settings: EksSettings) -> list[Refusal]:
        raise NotImplementedError

    def build(self, t: Topology, settings: EksSettings, namespace: str, selector: dict[str, str],
              container_ports: dict[str, int], facts: ModeFacts) -> LoadBalancerPart:
        """The objects; raises CannotBuild (the same refusals as ``refusals``)."""
        raise NotImplementedError

    def check(self, t: Topology, settings: EksSettings) -> None:
        problems = self.refusals(t, settings)
        if problems:
            raise CannotBuild(t, self.name, problems)


@cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


# The data files hold a few hundred distinct expressions and templates, evaluated thousands of times per run
# (every topology, mode and controller): each is compiled once.
@cache
def _expression(text: str) -> Any:
    return _jinja().compile_expression(text)


@cache
def _template(text: str) -> jinja2.Template:
    return _jinja().from_string(text)


def holds(expression: Any, ctx: dict[str, Any]) -> bool:
    """A ``when`` of the data files, evaluated against the context (edgeconform.targets.eks.annotations.context)."""
    return bool(_expression(str(expression))(**ctx))


def render(template: Any, ctx: dict[str, Any]) -> str:
    """A ``value`` of the data files, rendered against the context."""
    return _template(str(template)).render(**ctx)


def rules(entries: list[dict[str, Any]], ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a data file whose ``when`` holds (no ``when``: always)."""
    return [entry for entry in entries or [] if "when" not in entry or holds(entry["when"], ctx)]


def refusals_from(entries: list[dict[str, Any]], ctx: dict[str, Any]) -> list[Refusal]:
    return [Refusal(" ".join(str(e["reason"]).split()), e.get("field", ""), tuple(e.get("sources", [])))
            for e in rules(entries, ctx)]


__all__ = ["CannotBuild", "LoadBalancerPart", "LoadBalancerRef", "Mode", "ModeFacts", "NAMES", "Refusal", "Setting",
           "data", "holds", "refusals_from", "render", "rules"]
