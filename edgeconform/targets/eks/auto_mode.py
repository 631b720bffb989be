"""Mode auto-mode: EKS Auto Mode builds the load balancers itself (clusters/eks/auto-mode.yaml).

It starts from the lbc-annotations sets (the same topology built the same way where Auto Mode can) and goes
through them annotation by annotation against AWS's tables for Auto Mode:
- "Not supported" with a named replacement: replaced (the type annotation becomes spec.loadBalancerClass
  eks.amazonaws.com/nlb; PROXY v2 moves into the target-group attributes);
- "Not supported" without one: the topology is refused, naming the annotation and the source;
- documented for Auto Mode: kept; anything else: kept, and the plan says it is UNVERIFIED on Auto Mode.
An ALB gets an IngressClass of Auto Mode's controller (eks.amazonaws.com/alb) with IngressClassParams carrying
the load-balancer-wide settings Auto Mode documents there (scheme, certificateARNs, loadBalancerAttributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from ... import assets
from ...kube import manifests
from ...topology import Topology
from . import annotations
from .modes import CannotBuild, LoadBalancerPart, Mode, ModeFacts, Refusal, Setting, refusals_from, rules
from .settings import EksSettings

MODE = "auto-mode"


@cache
def data() -> dict[str, Any]:
    return yaml.safe_load(assets.path("clusters/eks/auto-mode.yaml").read_text())


def _lookup(table: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The table entry for an annotation (an entry ending in "." matches every key with that prefix)."""
    if key in table:
        return table[key] or {}
    return next((entry or {} for prefix, entry in table.items() if prefix.endswith(".") and key.startswith(prefix)),
                None)


def _documented(entries: list[str], key: str) -> bool:
    return any(key == entry or (entry.endswith(".") and key.startswith(entry)) for entry in entries)


@dataclass
class Translation:
    """The lbc-annotations set as Auto Mode takes it."""

    annotations: dict[str, str] = field(default_factory=dict)
    settings: list[Setting] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # ALB: IngressClassParams spec
    refusals: list[Refusal] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)  # annotation keys neither table names
    notes: list[str] = field(default_factory=list)


def translate(lb_set: annotations.AnnotationSet) -> Translation:
    """Apply Auto Mode's tables to an lbc-annotations set (nlb: Service, alb: Ingress)."""
    model = data()["models"][lb_set.model]
    out = Translation()
    where = f"{lb_set.object} annotation"
    merges: list[tuple[str, str, annotations.Annotation]] = []
    for item in lb_set.items:
        moved = (model.get("to_params") or {}).get(item.key)
        if moved:
            out.params[moved["field"]] = _param_value(item.value, moved["form"])
            out.settings.append(Setting("IngressClassParams spec", moved["field"], item.value, item.encodes,
                                        (*model["class_sources"], *item.sources), item.why))
            continue
        refused = _lookup(model.get("not_supported") or {}, item.key)
        if refused is not None:
            instead = refused.get("instead")
            sources = tuple(refused.get("sources", []))
            if instead and "merge_into" in instead:
                merges.append((instead["merge_into"], instead["value"], item))
                if refused.get("unverified"):
                    out.notes.append(f"{item.key} is not supported by Auto Mode; replaced by {instead['merge_into']}: "
                                     f"{instead['value']}. UNVERIFIED: " + " ".join(refused["unverified"].split()))
            elif not instead:
                fix = f" ({refused['fix']})" if refused.get("fix") else ""
                out.refusals.append(Refusal(f"EKS Auto Mode does not support this annotation{fix}", f"annotation {item.key}",
                                            sources))
            continue  # instead: {field: ...}: the mode sets that field
        out.annotations[item.key] = item.value
        out.settings.append(Setting(where, item.key, item.value, item.encodes, item.sources, item.why))
        if not _documented(model.get("documented") or [], item.key):
            out.unverified.append(item.key)
    for key, value, item in merges:  # into the annotation AWS names instead (its row shows the merged value)
        current = out.annotations.get(key)
        out.annotations[key] = f"{current},{value}" if current else value
        before = next((s for s in out.settings if s.key == key), None)
        sources = tuple(_lookup(model["not_supported"], item.key).get("sources", []))
        merged = Setting(where, key, out.annotations[key], (*(before.encodes if before else ()), *item.encodes),
                         tuple(dict.fromkeys([*(before.sources if before else ()), *sources])),
                         f"{before.why + '; ' if before else ''}instead of {item.key} (not supported by Auto Mode)")
        out.settings = [merged if s is before else s for s in out.settings] if before else [*out.settings, merged]
    if out.unverified:
        out.notes.append("UNVERIFIED on Auto Mode (neither its supported nor its not-supported list names them): "
                         + ", ".join(out.unverified))
    return out


def _param_value(value: str, form: str) -> Any:
    if form == "list":
        return [part for part in value.split(",") if part]
    if form == "key-values":
        return [{"key": k, "value": v} for k, _, v in (part.partition("=") for part in value.split(",") if part)]
    return value


class AutoMode(Mode):
    name = MODE

    def refusals(self, t: Topology, settings: EksSettings) -> list[Refusal]:
        ctx = annotations.context(t, settings)
        out = refusals_from(data()["refuse"].get(t.lb_model.annotation_set, []), ctx)
        if out or t.lb_model.annotation_set not in data()["models"]:  # a model Auto Mode does not build is refused
            return out
        try:
            lb_set = annotations.for_topology(t, settings)
        except CannotBuild as exc:  # what the annotation sets cannot express, Auto Mode cannot either
            return exc.refusals
        return translate(lb_set).refusals

    def build(self, t: Topology, settings: EksSettings, namespace: str, selector: dict[str, str],
              container_ports: dict[str, int], facts: ModeFacts) -> LoadBalancerPart:
        self.check(t, settings)
        lb_set = annotations.for_topology(t, settings)
        tr = translate(lb_set)
        model = data()["models"][t.lb_model.annotation_set]
        ctx = annotations.context(t, settings)
        notes = list(tr.notes)
        notes += [f"{' '.join(n['note'].split())} {''.join(f'[{k}]' for k in n.get('sources', []))}"
                  for n in rules(data()["notes"].get(t.lb_model.annotation_set, []), ctx)]
        moved = annotations.AnnotationSet(lb_set.model, lb_set.object, lb_set.reconciler,
                                          tuple(annotations.Annotation(k, v, (), (), "") for k, v in tr.annotations.items()),
                                          lb_set.missing_arns)
        prefix: list[dict[str, Any]] = []
        if "load_balancer_class" in model:  # a Service of Auto Mode's class (NLB); else an Ingress of its IngressClass
            objs, ref = annotations.objects(t, settings, moved, namespace, selector, container_ports,
                                            load_balancer_class=model["load_balancer_class"])
            tr.settings.insert(0, Setting("Service", "spec.loadBalancerClass", model["load_balancer_class"],
                                          ("load_balancer.model",), tuple(model["class_sources"]),
                                          model["class_why"]))
            reconciler = f"EKS Auto Mode (loadBalancerClass {model['load_balancer_class']}) [EKS-AUTO-NLB]"
        else:
            name = annotations.resource_name(t)
            prefix = manifests.render("eks/auto-mode-ingress-class.yaml.j2", name=name, labels=manifests.labels(t.name),
                                      params_api_version=model["params_api_version"], params=tr.params,
                                      controller=model["ingress_class_controller"])
            objs, ref = annotations.objects(t, settings, moved, namespace, selector, container_ports,
                                            ingress_class=name)
            tr.settings.insert(0, Setting("IngressClass", "spec.controller", model["ingress_class_controller"],
                                          ("load_balancer.model",), tuple(model["class_sources"]),
                                          "Auto Mode's ALB controller; the load-balancer-wide settings go to its "
                                          "IngressClassParams"))
            reconciler = f"EKS Auto Mode (IngressClass controller {model['ingress_class_controller']}) [EKS-AUTO-ALB]"
        return LoadBalancerPart(MODE, reconciler, [*prefix, *objs], ref, tr.settings, notes=notes,
                                missing_arns=lb_set.missing_arns)


def unsupported_in(annotation_keys: list[str], model: str) -> list[str]:
    """The annotations Auto Mode lists as not supported, of those given (to explain a webhook's class)."""
    table = (data()["models"].get(model) or {}).get("not_supported") or {}
    return [key for key in annotation_keys if _lookup(table, key) is not None]


__all__ = ["AutoMode", "translate", "unsupported_in"]
