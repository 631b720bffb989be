"""Which setting is responsible for a change, in each side's own vocabulary (the table is catalog/advice.yaml).

``settings(t)`` lists what can differ between two edges, as the expectation rules read a topology: the load
balancer's fields, Kubernetes', and the controller's trust model. ``hints(...)`` names, for one changed cell,
every setting that differs and decides that cell, and every new finding that explains it, each phrased in the
vocabulary of its side: the controller's own terms (a plug-in's name: ingress-nginx, envoy-gateway, traefik), the
load balancer's annotations (aws-<model>, aws), or the topology file's own words (abstract).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from .. import assets, controllers, findings
from ..topology import Topology

ADVICE_PATH = "catalog/advice.yaml"
NOT_APPLICABLE = "n/a"  # a setting that does not apply to this edge (no TLS at the controller: its TLS policy)


def settings(t: Topology) -> dict[str, Any]:
    """The settings of ``t`` that can differ between two edges, by field (JSON values)."""
    lb, ctl = t.lb, t.controller
    at = t.tls_terminates_at
    controller_redirects = t.redirect_intended and not lb.ssl_redirect
    na = NOT_APPLICABLE
    return {
        "load_balancer.model": lb.model,
        # a redirect-only port is what matters about listeners; otherwise the ports, protocols and targets
        "load_balancer.listeners": "port-split" if any(item.target == "redirect" for item in lb.listeners) else
        ", ".join(f"{item.port}/{item.protocol}->{item.target}" for item in lb.listeners),
        "load_balancer.target_type": lb.target_type if t.lb_model.preserves_client_ip_attribute else na,
        "load_balancer.client_ip_preservation": t.preserves_client_ip if t.lb_model.preserves_client_ip_attribute else na,
        "load_balancer.proxy_protocol": lb.proxy_protocol,
        "load_balancer.xff": t.xff_mode if t.layer == "l7" else na,
        "load_balancer.ssl_redirect": lb.ssl_redirect if t.lb_model.redirect_action else na,
        "load_balancer.certificates": list(lb.certificates) if at == "lb" else na,
        # the oldest version its security policy accepts (what a policy change means for clients)
        "load_balancer.tls_min_version": t.lb_tls_policy.min if at == "lb" and t.lb_tls_policy else na,
        # kube-proxy only matters while the packets still carry the client's address [K8S-ETP]
        "kubernetes.external_traffic_policy": t.kubernetes.external_traffic_policy
        if lb.target_type == "instance" and t.preserves_client_ip else na,
        "controller.proxy_protocol": ctl.proxy_protocol,
        "controller.trusted_hops": t.forwarded_hops,
        "controller.cleartext": ctl.cleartext,
        "controller.redirect_code": ctl.redirect_code if controller_redirects else na,
        "controller.certificates": list(ctl.certificates) if at == "controller" else na,
        "controller.tls_min_version": ctl.tls_min_version if at == "controller" else na,
        "controller.host_sni_mismatch": ctl.host_sni_mismatch if at == "controller" else na,
    }


@dataclass(frozen=True)
class Entry:
    """How one vocabulary says one setting."""

    say: dict[Any, str]
    fix: dict[Any, str]
    why: dict[Any, str]
    sources: tuple[str, ...]

    def words(self, kind: str, value: Any) -> str | None:
        table = getattr(self, kind)
        key = _key(value)
        text = table[key] if key in table else table.get("any")
        return None if text is None else text.replace("{value}", _shown(value))


@dataclass(frozen=True)
class Advice:
    fields: dict[str, tuple[str, ...]]  # setting -> the cells it decides
    findings: dict[str, dict[str, Any]]  # finding code -> {setting: value} that resolves it
    vocabularies: dict[str, dict[str, Entry]]
    evidence: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # finding code -> settings it reads

    def reads(self, code: str) -> tuple[str, ...]:
        """The settings a finding rests on: its evidence, else the settings of its fix."""
        return self.evidence.get(code) or tuple(self.findings.get(code, {}))

    def vocabulary(self, t: Topology) -> list[str]:
        """Where a setting of ``t`` is looked up: its controller's terms, its load balancer's, the topology's."""
        return [t.controller.kind or controllers.DEFAULT, f"aws-{t.lb.model}", "aws", "abstract"]

    def phrase(self, chain: list[str], kind: str, field: str, value: Any) -> tuple[str | None, tuple[str, ...]]:
        """(words, sources) from the first vocabulary of ``chain`` that says ``field`` at ``value``."""
        for name in chain:
            entry = self.vocabularies.get(name, {}).get(field)
            words = entry.words(kind, value) if entry else None
            if words is not None:
                return words, entry.sources
        if kind == "say":
            return f"`{field}: {_shown(value)}`", ()
        return None, ()

    def say(self, chain: list[str], field: str, value: Any) -> tuple[str, tuple[str, ...]]:
        words, keys = self.phrase(chain, "say", field, value)
        return words or "", keys

    def fix(self, chain: list[str], field: str, value: Any) -> tuple[str, tuple[str, ...]]:
        words, keys = self.phrase(chain, "fix", field, value)
        if words is not None:
            return words, keys
        said, keys = self.say(chain, field, value)
        return f"set {said}", keys


@cache
def load() -> Advice:
    """catalog/advice.yaml (the load balancer's and the abstract vocabularies, the findings' fixes), with what each
    registered controller plug-in adds: its vocabulary (``advice``) and its finding codes' fixes."""
    document = yaml.safe_load(assets.path(ADVICE_PATH).read_text(encoding="utf-8"))
    vocabularies = copy.deepcopy(document.get("vocabularies") or {})
    fixes = {code: dict(settings) for code, settings in (document.get("findings") or {}).items()}
    for name in controllers.available():
        try:
            cls = controllers.controller_class(name)
        except (ImportError, ValueError):
            continue  # a broken plug-in is reported where it is used, not here
        for field, entry in cls.advice.items():
            vocabularies.setdefault(name, {})[field] = {**vocabularies.get(name, {}).get(field, {}), **entry}
        for code, settings in cls.finding_codes.items():
            fixes.setdefault(code, dict(settings))
    fixes.setdefault(controllers.CONTROLLER_LIMIT, {})  # a limit's own message says what to change
    return Advice(
        fields={field: tuple(cells) for field, cells in (document.get("fields") or {}).items()},
        findings=fixes, evidence={code: tuple(fields) for code, fields in (document.get("evidence") or {}).items()},
        vocabularies={name: {field: _entry(entry) for field, entry in entries.items()}
                      for name, entries in vocabularies.items()})


def _entry(raw: dict[str, Any]) -> Entry:
    return Entry(say=dict(raw.get("say") or {}), fix=dict(raw.get("fix") or {}), why=dict(raw.get("why") or {}),
                 sources=tuple(raw.get("sources") or ()))


@dataclass(frozen=True)
class Hint:
    """One setting responsible for a change, in words, with its sources."""

    field: str
    before: Any
    after: Any
    text: str
    sources: tuple[str, ...]
    finding: str | None = None  # the finding code, for a hint that comes from one


def hints(behaviour: str, variant: str, before: Topology, after: Topology, advice: Advice | None = None) -> list[Hint]:
    """The settings responsible for a change of one cell from ``before`` to ``after`` (both as their runs bound
    them to a controller): every setting that differs and decides the cell, then every finding new in ``after``
    that explains it and whose fix no setting above already names."""
    advice = advice or load()
    cell = f"{behaviour}[{variant}]" if variant else behaviour
    old, new = settings(before), settings(after)
    chain_before, chain_after = advice.vocabulary(before), advice.vocabulary(after)
    title = _title(after)
    out: list[Hint] = []
    for field, cells in advice.fields.items():
        a, b = old.get(field), new.get(field)
        if a == b or NOT_APPLICABLE in (a, b) or not ({behaviour, cell} & set(cells)):
            continue
        was, keys = advice.say(chain_before, field, a)
        now, now_keys = advice.say(chain_after, field, b)
        why, why_keys = advice.phrase(chain_after, "why", field, b)
        fix, fix_keys = advice.fix(chain_after, field, a)
        if field.startswith("controller.") and chain_before[0] != chain_after[0]:
            lead = f"{was} had no counterpart in {title}" if _absent(b) else f"{was} became {now} in {title}"
            text = f"{lead}: {fix}"
        else:
            text = f"{was} became {now}: {why or fix}"
        out.append(Hint(field, a, b, text, _keys(keys, now_keys, why_keys if why else fix_keys)))
    named = {hint.field for hint in out}
    known = {f.code for f in findings.findings(before)}
    for finding in findings.for_cell(after, behaviour, variant):
        if finding.code in known:
            continue
        fixes = [(field, value) for field, value in advice.findings.get(finding.code, {}).items() if field not in named]
        if advice.findings.get(finding.code) and not fixes:
            continue  # a setting above already says what to change
        words = [advice.fix(chain_after, field, value) for field, value in fixes]
        text = f"{finding.message} ({finding.code})" + (": " + "; ".join(w for w, _ in words) if words else "")
        out.append(Hint(fixes[0][0] if fixes else "", None, None, text,
                        _keys(finding.sources, *(k for _, k in words)), finding=finding.code))
    return out


def problems(advice: Advice) -> list[str]:
    """What in the table cannot be used: unknown settings, cells, finding codes or source keys."""
    from .. import behaviours, sources
    from ..catalog import load as load_catalog

    known_fields = set(settings(next(iter(load_catalog().values()))))
    cells = set(behaviours.NAMES) | {f"{b.name}[{v}]" for b in behaviours.REGISTRY.values() for v in b.variants}
    out = [f"fields: {field!r} is not a setting ({', '.join(sorted(known_fields))})"
           for field in advice.fields if field not in known_fields]
    out += [f"fields.{field}: unknown cell {c!r}" for field, cs in advice.fields.items() for c in cs if c not in cells]
    out += [f"settings the table does not map to cells: {sorted(known_fields - set(advice.fields))}"] \
        if known_fields - set(advice.fields) else []
    codes = findings.codes()
    out += [f"findings: unknown code {code!r}" for code in advice.findings if code not in codes]
    out += [f"findings: {code} has no fix" for code in codes if code not in advice.findings]
    out += [f"findings.{code}: {field!r} is not a setting" for code, fixes in advice.findings.items()
            for field in fixes if field not in known_fields]
    out += [f"evidence: unknown code {code!r}" for code in advice.evidence if code not in codes]
    out += [f"evidence.{code}: {field!r} is not a setting" for code, fields in advice.evidence.items()
            for field in fields if field not in known_fields]
    for name, entries in advice.vocabularies.items():
        for field, entry in entries.items():
            if field not in known_fields:
                out.append(f"vocabularies.{name}: {field!r} is not a setting")
            bad = sources.unknown(list(entry.sources))
            if bad:
                out.append(f"vocabularies.{name}.{field}: unknown source key(s) {bad}")
            if not (entry.say or entry.fix or entry.why):
                out.append(f"vocabularies.{name}.{field}: says nothing (give say, fix or why)")
    return out


def _title(t: Topology) -> str:
    name = t.controller.kind or controllers.DEFAULT
    try:
        return controllers.controller_class(name).title
    except (KeyError, ValueError, ImportError):
        return name


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _absent(value: Any) -> bool:
    return value in (False, 0, None, "serve") or value == []


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    return "none" if value is None else str(value)


def _keys(*groups) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for group in groups for key in group))
