"""Mode lbc-annotations: the AWS annotation sets (clusters/eks/annotations.yaml), evaluated for one topology.

The data says which annotation encodes which topology field and cites its source; this module only evaluates
the ``when`` conditions and ``value`` templates against the topology and the run's settings, and refuses a
topology whose fields the model's annotations cannot express. The other modes evaluate their data files with
the same context (``context``, ``holds``, ``render``); auto-mode starts from these sets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from ... import assets
from ...kube import manifests
from ...topology import Topology
from .modes import CannotBuild, LoadBalancerPart, LoadBalancerRef, Mode, ModeFacts, Refusal, Setting, holds, render
from .settings import EksSettings

MISSING_ARN = "<missing: --acm-cert {name}=ARN>"
MISSING_TRUST_STORE = "<missing: trust_store: in --eks-config>"
MODE = "lbc-annotations"

# Kept for the callers that know it by this name: a topology the annotation sets cannot express.
CannotExpress = CannotBuild


@dataclass(frozen=True)
class Annotation:
    key: str
    value: str
    encodes: tuple[str, ...]
    sources: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class AnnotationSet:
    model: str
    object: str  # "Service" or "Ingress"
    reconciler: str
    items: tuple[Annotation, ...]
    missing_arns: tuple[str, ...]  # certificate names without an ARN (placeholders in the values)

    def as_dict(self) -> dict[str, str]:
        return {item.key: item.value for item in self.items}


@cache
def data() -> dict[str, Any]:
    return yaml.safe_load(assets.path("clusters/eks/annotations.yaml").read_text())


def model_data(t: Topology) -> dict[str, Any]:
    """The annotation set's facts about ``t``'s model (``models:``): the object that asks for it, its reconciler..."""
    return data()["models"][t.lb_model.annotation_set]


def context(t: Topology, settings: EksSettings) -> dict[str, Any]:
    """What the ``when`` and ``value`` expressions see."""
    lb = t.lb
    tls = [item for item in lb.listeners if item.terminates_tls]
    tls_targets = {item.target == "https" for item in tls}
    all_targets = {item.target == "https" for item in lb.listeners}
    ingress = model_data(t)["object"] == "Ingress"  # an Ingress sets one backend protocol for every listener
    alb_attributes = [f"routing.http.xff_header_processing.mode={t.xff_mode}"]
    if lb.idle_timeout:
        alb_attributes.append(f"idle_timeout.timeout_seconds={lb.idle_timeout}")
    if lb.xff_client_port:
        alb_attributes.append("routing.http.xff_client_port.enabled=true")
    if lb.preserve_host_header:
        alb_attributes.append("routing.http.preserve_host_header.enabled=true")
    return {
        "t": t, "lb": lb, "listeners": lb.listeners, "settings": _SettingsView(settings),
        "tls_ports": sorted(item.port for item in tls),
        "tls_to_https": True in tls_targets or (ingress and True in all_targets),
        "mixed_tls_backends": len(tls_targets) > 1,
        "mixed_backends": len(all_targets) > 1,
        "mixed_layers": len({item.is_l7 for item in lb.listeners}) > 1,
        "arns": [settings.arn_for(name) or MISSING_ARN.format(name=settings.rename(name)) for name in lb.certificates],
        "policy": t.lb_tls_policy.name if t.lb_tls_policy else "",
        "alb_attributes": alb_attributes,
        "alb_listen_ports": json.dumps([{item.protocol: item.port} for item in lb.listeners], separators=(",", ":")),
    }


class _SettingsView:
    """The settings as the templates see them (source ranges already worked out)."""

    def __init__(self, settings: EksSettings):
        self.scheme = settings.scheme
        self.allow_from = settings.source_ranges
        self.trust_store = settings.trust_store or MISSING_TRUST_STORE


def refusals(t: Topology, settings: EksSettings) -> list[Refusal]:
    ctx = context(t, settings)
    return [Refusal(str(rule["reason"]), rule.get("field", ""), tuple(rule.get("sources", [])))
            for rule in data()["refuse"].get(t.lb_model.annotation_set, []) if holds(rule["when"], ctx)]


def missing_arns(t: Topology, settings: EksSettings) -> tuple[str, ...]:
    return tuple(settings.rename(name) for name in t.lb.certificates if settings.arn_for(name) is None)


def for_topology(t: Topology, settings: EksSettings) -> AnnotationSet:
    """The annotations that make ``t`` on AWS; CannotBuild when some field of ``t`` cannot be made."""
    problems = refusals(t, settings)
    if problems:
        raise CannotBuild(t, MODE, problems)
    model = model_data(t)
    ctx = context(t, settings)
    items = []
    for entry in data()["annotations"][t.lb_model.annotation_set]:
        if "when" in entry and not holds(entry["when"], ctx):
            continue
        items.append(Annotation(entry["key"], render(entry["value"], ctx), tuple(entry.get("encodes", [])),
                                tuple(entry["sources"]), entry.get("why", "")))
    return AnnotationSet(t.lb.model, model["object"], model["reconciler"], tuple(items), missing_arns(t, settings))


def resource_name(t: Topology) -> str:
    """The name of every object that asks AWS for ``t``'s load balancer, in every mode."""
    return f"edgeconform-{t.name}"[:63].rstrip("-")


def service_ports(t: Topology, object_kind: str, container_ports: dict[str, int]) -> list[dict[str, Any]]:
    """The Service's ports: one per listener for a load-balancer Service (AWS listener port -> controller port),
    one per controller port the listeners use behind an Ingress or a Gateway's routes."""
    if object_kind == "Service":
        return [{"name": f"port-{item.port}", "port": item.port, "target_port": container_ports[item.target]}
                for item in t.lb.listeners]
    return [{"name": kind, "port": container_ports[kind], "target_port": container_ports[kind]}
            for kind in t.controller_kinds]


def objects(t: Topology, settings: EksSettings, lb_set: AnnotationSet, namespace: str, selector: dict[str, str],
            container_ports: dict[str, int], *, load_balancer_class: str | None = None,
            ingress_class: str | None = None) -> tuple[list[dict[str, Any]], LoadBalancerRef]:
    """The annotated Service (NLB, Classic ELB) or Ingress and its Service (ALB): load-balancer.yaml.j2."""
    name = resource_name(t)
    objs = manifests.render(
        "eks/load-balancer.yaml.j2", object=lb_set.object, name=name, namespace=namespace,
        labels=manifests.labels(t.name), annotations=lb_set.as_dict(), selector=selector,
        external_traffic_policy=t.kubernetes.external_traffic_policy,
        ports=service_ports(t, lb_set.object, container_ports), node_ports=t.lb.target_type == "instance",
        source_ranges=settings.source_ranges if lb_set.object == "Service" else [],
        ingress_class=ingress_class or settings.alb_ingress_class, hostnames=t.hostnames,
        load_balancer_class=load_balancer_class)
    api_version = "v1" if lb_set.object == "Service" else "networking.k8s.io/v1"
    return objs, LoadBalancerRef(api_version, lb_set.object, namespace, name)


def settings_of(lb_set: AnnotationSet) -> list[Setting]:
    return [Setting(f"{lb_set.object} annotation", item.key, item.value, item.encodes, item.sources, item.why)
            for item in lb_set.items]


class AnnotationsMode(Mode):
    """Today's way: the AWS Load Balancer Controller's (and the legacy provider's) annotations."""

    name = MODE

    def refusals(self, t: Topology, settings: EksSettings) -> list[Refusal]:
        return refusals(t, settings)

    def build(self, t: Topology, settings: EksSettings, namespace: str, selector: dict[str, str],
              container_ports: dict[str, int], facts: ModeFacts) -> LoadBalancerPart:
        lb_set = for_topology(t, settings)
        objs, ref = objects(t, settings, lb_set, namespace, selector, container_ports)
        model = model_data(t)
        notes = [model["note"]] if model.get("note") else []
        classes = model.get("webhook_classes")
        return LoadBalancerPart(MODE, lb_set.reconciler, objs, ref, settings_of(lb_set), notes=notes,
                                missing_arns=lb_set.missing_arns, webhook_classes=tuple(classes) if classes else None)
