"""The AWS annotation sets (clusters/eks/annotations.yaml), evaluated for one topology.

The data says which annotation encodes which topology field and cites its source; this module only evaluates
the ``when`` conditions and ``value`` templates against the topology and the run's settings, and refuses a
topology whose fields the model's annotations cannot express.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import yaml

from ... import assets
from ...topology import Topology
from .settings import EksSettings

MISSING_ARN = "<missing: --acm-cert {name}=ARN>"


class CannotExpress(Exception):
    """The topology asks for something its load balancer's annotations cannot produce."""


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


@cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


def context(t: Topology, settings: EksSettings) -> dict[str, Any]:
    """What the ``when`` and ``value`` expressions see."""
    lb = t.lb
    tls = [item for item in lb.listeners if item.terminates_tls]
    tls_targets = {item.target == "https" for item in tls}
    all_targets = {item.target == "https" for item in lb.listeners}
    attributes = []
    if t.lb.model == "alb":
        attributes.append(f"routing.http.xff_header_processing.mode={t.xff_mode}")
        if lb.idle_timeout:
            attributes.append(f"idle_timeout.timeout_seconds={lb.idle_timeout}")
        if lb.xff_client_port:
            attributes.append("routing.http.xff_client_port.enabled=true")
        if lb.preserve_host_header:
            attributes.append("routing.http.preserve_host_header.enabled=true")
    return {
        "t": t, "lb": lb, "listeners": lb.listeners, "settings": _SettingsView(settings),
        "tls_ports": sorted(item.port for item in tls),
        "tls_to_https": True in tls_targets or (lb.model == "alb" and True in all_targets),
        "mixed_tls_backends": len(tls_targets) > 1,
        "mixed_backends": len(all_targets) > 1,
        "mixed_layers": len({item.is_l7 for item in lb.listeners}) > 1,
        "arns": [settings.arn_for(name) or MISSING_ARN.format(name=settings.rename(name)) for name in lb.certificates],
        "policy": t.tls_policy.name if t.tls_policy else "",
        "attributes": attributes,
        "alb_listen_ports": json.dumps([{item.protocol: item.port} for item in lb.listeners], separators=(",", ":")),
    }


class _SettingsView:
    """The settings as the templates see them (source ranges already worked out)."""

    def __init__(self, settings: EksSettings):
        self.scheme = settings.scheme
        self.allow_from = settings.source_ranges


def refusals(t: Topology, settings: EksSettings) -> list[str]:
    ctx = context(t, settings)
    return [rule["reason"] for rule in data()["refuse"].get(t.lb.model, [])
            if _jinja().compile_expression(str(rule["when"]))(**ctx)]


def for_topology(t: Topology, settings: EksSettings) -> AnnotationSet:
    """The annotations that make ``t`` on AWS; CannotExpress when some field of ``t`` cannot be made."""
    problems = refusals(t, settings)
    if problems:
        raise CannotExpress(f"topology {t.name!r} cannot be built on AWS ({t.lb.model}): " + "; ".join(problems))
    model = data()["models"][t.lb.model]
    ctx = context(t, settings)
    items = []
    for entry in data()["annotations"][t.lb.model]:
        if "when" in entry and not _jinja().compile_expression(str(entry["when"]))(**ctx):
            continue
        value = _jinja().from_string(str(entry["value"])).render(**ctx)
        items.append(Annotation(entry["key"], value, tuple(entry.get("encodes", [])), tuple(entry["sources"]),
                                entry.get("why", "")))
    missing = tuple(settings.rename(name) for name in t.lb.certificates if settings.arn_for(name) is None)
    return AnnotationSet(t.lb.model, model["object"], model["reconciler"], tuple(items), missing)
