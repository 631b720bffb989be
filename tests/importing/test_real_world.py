"""The real-world corpus (tests/importing/real_world/, see its README.md): public AWS edge configurations nobody on
this project wrote, each imported as found, with no flags, and checked field by field against the reading a careful
engineer wrote before running import (its expected.yaml).

``scheme`` and ``created_by`` are the written entry's ``load_balancer.scheme`` and ``load_balancer.created_by``
(``created_by`` also at the entry's top or in its record, where the reading first looked for it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edgeconform import importing
from edgeconform.topology import Topology

CORPUS = Path(__file__).resolve().parent / "real_world"
EDGES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())
ABSENT = "<absent: import gives no such field>"


def reading(slug: str) -> dict[str, Any]:
    return yaml.safe_load((CORPUS / slug / "expected.yaml").read_text())


def _role(t: Topology, listener: Any) -> str:
    """What a listener does with a request: redirect-at-lb (ALB ssl-redirect on a cleartext listener),
    redirect-at-controller (lands on a port that only redirects), or serve."""
    if t.lb.ssl_redirect and listener.protocol == "HTTP":
        return "redirect-at-lb"
    cleartext = not listener.terminates_tls and listener.target == "http"
    controller_redirects = t.controller.kind not in (None, "none") and t.controller.cleartext == "redirect"
    if listener.target == "redirect":
        return "redirect-at-controller"
    if cleartext and controller_redirects and t.https_listener not in (None, listener):
        return "redirect-at-controller"
    return "serve"


def _client_ip(t: Topology) -> str:
    """How the client's address reaches the first hop behind the load balancer (controller or application)."""
    if t.layer == "l7":
        return "xff"
    if t.lb.proxy_protocol:
        return f"proxy-{t.lb.proxy_protocol}"
    return "peer" if t.preserves_client_ip and not t.node_snat else "lost"


def observed(result: importing.Imported) -> dict[str, Any]:
    """The imported edge in the reading's vocabulary (README.md: the format)."""
    t, entry = result.topology, result.entry
    lb_entry = entry.get("load_balancer", {})
    kind = t.controller.kind or "none"
    at = t.tls_terminates_at
    lb: dict[str, Any] = {
        "model": t.lb.model,
        "listeners": [{"port": item.port, "protocol": item.protocol, "role": _role(t, item)}
                      for item in t.lb.listeners],
        "target_type": t.lb.target_type,
        "client_ip_preservation": t.preserves_client_ip if t.lb.model == "nlb" else None,
        "proxy_protocol": t.lb.proxy_protocol,
        "ssl_redirect": t.lb.ssl_redirect,
        "certificates": list(t.lb.certificates),
        "tls_policy": t.tls_policy.name if t.tls_policy else None,
        "scheme": lb_entry.get("scheme", ABSENT),
        "ip_address_type": t.lb.ip_address_type,
        "idle_timeout": t.lb.idle_timeout,
        "health_check": t.health_check.model_dump(exclude_none=True),
    }
    return {
        "outcome": "edge",
        "load_balancer": lb,
        "created_by": lb_entry.get("created_by", entry.get("created_by", result.record.get("created_by", ABSENT))),
        "controller": kind,
        "hostnames": list(t.hostnames),
        "tls_terminates_at": "none" if at is None else ("app" if at == "controller" and kind == "none" else at),
        "client_ip": _client_ip(t),
        "warnings": list(result.record.get("warnings", [])),
    }


def _same(field: str, want: Any, got: Any) -> bool:
    if field == "certificates":
        return len(got) == want if isinstance(want, int) else sorted(got) == sorted(want)
    if field == "hostnames":
        return sorted(got) == sorted(want)
    if field == "health_check":
        return all(got.get(key) == value for key, value in want.items())
    if field == "created_by" and isinstance(got, str):
        return got.split()[0].lower() == str(want).lower()
    return bool(got == want)


def differences(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Field by field, what the reading says and what import produced."""
    out = []
    for field, value in want.get("load_balancer", {}).items():
        seen = got["load_balancer"].get(field, ABSENT)
        if not _same(field, value, seen):
            out.append(f"load_balancer.{field}: expected {value!r}, import gave {seen!r}")
    for field in ("created_by", "controller", "tls_terminates_at", "client_ip"):
        if field in want and not _same(field, want[field], got[field]):
            out.append(f"{field}: expected {want[field]!r}, import gave {got[field]!r}")
    if "hostnames" in want:
        if want["hostnames"]:
            if not _same("hostnames", want["hostnames"], got["hostnames"]):
                out.append(f"hostnames: expected {want['hostnames']!r}, import gave {got['hostnames']!r}")
        elif not any("hostname" in w for w in got["warnings"]):
            out.append(f"hostnames: the files name none, so import should warn that it chose {got['hostnames']!r}; "
                       f"its warnings: {got['warnings']!r}")
    for placeholder in want.get("placeholders", []):
        if not any(placeholder in w for w in got["warnings"]):
            out.append(f"placeholder {placeholder!r}: import should name it (file, line, how to fill it); "
                       f"its warnings: {got['warnings']!r}")
    return out


def _import(slug: str, tmp_path: Path) -> importing.Imported:
    folder = CORPUS / slug
    inputs = [folder / item for item in reading(slug).get("inputs", ["."])]
    return importing.from_paths(inputs, output=tmp_path / "topology.yaml")


def test_the_corpus_is_complete():
    """At least 25 edges, each with its source and its reading."""
    assert len(EDGES) >= 25, EDGES
    for slug in EDGES:
        assert (CORPUS / slug / "SOURCE.md").is_file(), slug
        assert reading(slug)["outcome"] in ("edge", "refused"), slug


def _renders(slug: str) -> bool:
    """Whether importing the edge runs a real program: a Kustomize overlay (patches) is rendered by kustomize."""
    from edgeconform.importing import formats
    from edgeconform.importing.formats import kustomize

    inputs = [CORPUS / slug / item for item in reading(slug).get("inputs", ["."])]
    return any(kind == "kustomize" and kustomize.needs_renderer(path) for kind, path, _ in formats.inputs(inputs))


@pytest.mark.parametrize("slug", [pytest.param(slug, marks=pytest.mark.integration) if _renders(slug) else slug
                                  for slug in EDGES])
def test_import_agrees_with_the_reading(slug, tmp_path):
    if _renders(slug):
        from edgeconform.importing.formats import kustomize

        if kustomize.tool() is None:
            pytest.skip("a Kustomize overlay: neither kustomize (tools/build kustomize) nor kubectl is here")
    want = reading(slug)
    try:
        result = _import(slug, tmp_path)
    except importing.ImportFailed as refusal:
        message = str(refusal)
        if want["outcome"] == "edge":
            pytest.fail(f"{slug}: expected an edge, import refused: {message}")
        words = [*want.get("refused", []), *want.get("found", {}).values()]
        missing = [w for w in words if w.lower() not in message.lower()]
        missing += [p for p in want.get("placeholders", []) if p not in message]
        assert not missing, f"{slug}: the refusal should name {missing!r}; it says: {message}"
        return
    if want["outcome"] == "refused":
        got = observed(result)
        pytest.fail(f"{slug}: expected a refusal naming {want.get('found')!r} ({want.get('refused')!r}); import "
                    f"wrote a topology: {got['load_balancer']['model']} -> {got['controller']}")
    problems = differences(want, observed(result))
    assert not problems, f"{slug}: import disagrees with the reading:\n  " + "\n  ".join(problems)
