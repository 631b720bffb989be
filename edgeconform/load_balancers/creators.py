"""The components that create an AWS load balancer for a cluster (catalog/creators.yaml): the AWS Load Balancer
Controller, the legacy in-tree provider, EKS Auto Mode. Each applies its own defaults where the manifests name
nothing (docs/defaults.md is the audit); a topology's ``load_balancer.created_by`` names one, and its unset fields
take that component's defaults.

    get("lbc").default("tls_policy", "nlb")   the Default (value, sources, setting, unverified), or None
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from .. import assets

NAMES = ("lbc", "in-tree", "auto-mode")  # the topology's load_balancer.created_by values
PATH = "catalog/creators.yaml"


@dataclass(frozen=True)
class Default:
    """What a component applies to one field when the manifests name nothing."""

    value: Any
    sources: tuple[str, ...]
    setting: dict[str, str] = field(default_factory=dict)  # its own configuration that changes it (arg, helm, ...)
    unverified: str | None = None  # the claim no page confirms
    models: tuple[str, ...] = ()  # the models it applies to (all the component's when empty)
    since: str | None = None  # the release it came in; ``before``: what an earlier release did
    before: Any = None


@dataclass(frozen=True)
class Ignored:
    """An annotation the component does not read on a model (``unless``: the one value it does read)."""

    why: str
    sources: tuple[str, ...]
    unless: str | None = None


@dataclass(frozen=True)
class Creator:
    name: str
    title: str
    models: tuple[str, ...]
    defaults: dict[str, Default]
    version: str | None = None
    ignores: dict[str, dict[str, Ignored]] = field(default_factory=dict)  # model -> annotation (or prefix*) -> why

    def ignored(self, model: str, key: str, value: str) -> Ignored | None:
        """Why this component does not read annotation ``key`` (with ``value``) on ``model``; None: it reads it."""
        table = self.ignores.get(model, {})
        found = table.get(key) or next((item for pattern, item in table.items()
                                        if pattern.endswith("*") and key.startswith(pattern[:-1])), None)
        if found is None or (found.unless is not None and str(value).strip().lower() == found.unless):
            return None
        return found

    def default(self, name: str, model: str, version: str | None = None) -> Default | None:
        """Its default for field ``name`` on ``model`` (a release ``version``, where one is known: a default that
        came later gives what the earlier release did)."""
        found = self.defaults.get(name)
        if found is None or (found.models and model not in found.models):
            return None
        if version and found.since and _older(version, found.since):
            return Default(found.before, found.sources, found.setting, found.unverified, found.models)
        return found


@cache
def all_creators() -> dict[str, Creator]:
    data = yaml.safe_load(assets.path(PATH).read_text(encoding="utf-8"))
    out = {}
    for name, entry in data["creators"].items():
        defaults = {key: Default(value=item["value"], sources=tuple(item["sources"]), setting=item.get("setting", {}),
                                 unverified=item.get("unverified"), models=tuple(item.get("models", ())),
                                 since=item.get("since"), before=item.get("before"))
                    for key, item in entry["defaults"].items()}
        ignores = {model: {key: Ignored(item["why"], tuple(item["sources"]), item.get("unless"))
                           for key, item in table.items()} for model, table in (entry.get("ignores") or {}).items()}
        out[name] = Creator(name, entry["title"], tuple(entry["models"]), defaults, entry.get("version"), ignores)
    if tuple(out) != NAMES:
        raise ValueError(f"{PATH} names the creators {list(out)}; the topology model knows {list(NAMES)}")
    return out


def get(name: str) -> Creator:
    try:
        return all_creators()[name]
    except KeyError:
        raise KeyError(f"unknown creating component {name!r}; known: {', '.join(NAMES)}") from None


def version_tuple(text: str) -> tuple[int, ...]:
    """``v2.6.0`` -> (2, 6, 0); a tag that is not a version gives ()."""
    parts = text.strip().lstrip("v").split("-")[0].split(".")
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        return ()


def _older(version: str, than: str) -> bool:
    mine, other = version_tuple(version), version_tuple(than)
    return bool(mine and other) and mine < other


__all__ = ["Creator", "Default", "Ignored", "NAMES", "all_creators", "get", "version_tuple"]
