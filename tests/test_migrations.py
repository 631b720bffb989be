"""Every migration of examples/migrations/ through `edgeconform compare`: the regression each must report, and none
for the clean ones.

Each pair is compared twice:
- as written: its topology files name their controllers (controller.kind: ingress-nginx, envoy-gateway, traefik).
  A pair whose controller does not run on the local target yet skips, naming it; it runs once that controller lands.
- in abstract terms: the same files without controller.kind, on the generic controller. The controller block's trust
  model is what every controller plug-in must honour, so the same regression must show.

The files themselves are checked too: every pair has its manifests, every manifest reference in `sources:` points at
a line that says something, and the manifests are valid Kubernetes objects (the real schemas and CRDs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from edgeconform import catalog, controllers
from edgeconform.compare import sides
from edgeconform.report import schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "migrations"
PAIRS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "expected.yaml").is_file())
SIDES = ("before", "after")
COMPARE_TIMEOUT = 300  # bounds a hung compare; not a wait
# A failing cell waits out its convergence timeout: a short one keeps the suite quick (as test_misconfigured does).
CONVERGE = ["--converge-timeout", "0.5"]


def expected(pair: str) -> dict:
    return yaml.safe_load((EXAMPLES / pair / "expected.yaml").read_text()) or {}


def kinds(path: Path) -> set[str]:
    """The controllers a topology file names (defaults and entries)."""
    document = yaml.safe_load(path.read_text())
    blocks = [(document.get("defaults") or {}).get("controller") or {}]
    blocks += [(entry or {}).get("controller") or {} for entry in document["topologies"].values()]
    return {block["kind"] for block in blocks if block.get("kind")}


def not_runnable(pair: str) -> list[str]:
    """Why the pair's named controllers cannot run here yet (empty: they can)."""
    reasons = []
    for kind in sorted(set().union(*(kinds(EXAMPLES / pair / f"{side}.yaml") for side in SIDES))):
        if kind not in controllers.available():
            reasons.append(f"the {kind} controller is not registered yet (known: {', '.join(controllers.names())})")
        elif "local" not in controllers.controller_class(kind).runs_on:
            reasons.append(f"the {kind} controller does not run on the local target yet (it runs on: "
                           f"{', '.join(controllers.controller_class(kind).runs_on)})")
        elif controllers.get(kind).local_unavailable():  # not built here (./dev tools), or a binary missing
            reasons.append(f"the {kind} controller cannot run here: {controllers.get(kind).local_unavailable()}")
    return reasons


def abstract_copy(pair: str, into: Path) -> Path:
    """The pair with controller.kind removed from both topology files (edgeconform.compare.sides.abstract_copy)."""
    return sides.abstract_copy(EXAMPLES / pair, into)


# --- the files -------------------------------------------------------------------------------------------------
def test_there_are_at_least_four_regressions_and_a_clean_migration():
    clean = [pair for pair in PAIRS if expected(pair).get("clean")]
    assert len(PAIRS) - len(clean) >= 4 and clean, PAIRS


@pytest.mark.parametrize("pair", PAIRS)
def test_a_pair_has_both_topologies_their_manifests_and_what_it_must_report(pair):
    folder = EXAMPLES / pair
    for side in SIDES:
        assert (folder / f"{side}.yaml").is_file()
        assert sorted((folder / side / "manifests").glob("*.yaml")), f"{pair}: no {side}/manifests"
    want = expected(pair)
    assert set(want) <= {"clean", "changes", "regressions", "facts", "responsible", "finding", "as_written"}, want
    # as_written: what the pair reports with its real controllers, where that differs from the abstract copy
    assert bool(want.get("clean")) != bool(want.get("regressions")), f"{pair}: clean, or the regressions it reports"


@pytest.mark.parametrize("pair", PAIRS)
def test_the_topologies_load_and_every_manifest_reference_says_something(pair, tmp_path):
    folder = abstract_copy(pair, tmp_path)
    for side in SIDES:
        (t,) = catalog.load_file(folder / f"{side}.yaml").values()  # refs resolve, or the loader names them
        refs = [ref for keys in t.sources.values() for ref in keys if catalog.MANIFEST_REF.match(ref)]
        assert refs, f"{pair}/{side}.yaml cites no manifest line"
        for ref in refs:
            path, line = ref.rsplit(":", 1)
            text = (folder / path).read_text().splitlines()[int(line) - 1].strip()
            assert text and not text.startswith("#"), f"{pair}/{side}.yaml: {ref} is a blank or comment line"


def test_a_broken_manifest_reference_is_named(tmp_path):
    folder = abstract_copy(PAIRS[0], tmp_path)
    path = folder / "before.yaml"
    document = yaml.safe_load(path.read_text())
    entry = next(iter(document["topologies"].values()))
    entry["sources"]["load_balancer.model"] = ["before/manifests/service.yaml:999"]
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(catalog.TopologyError, match=r"field 'sources.load_balancer.model': "
                                                    r"before/manifests/service.yaml:999: .* has \d+ lines"):
        catalog.load_file(path)
    entry["sources"]["load_balancer.model"] = ["before/manifests/nope.yaml:1"]
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(catalog.TopologyError, match="no such manifest"):
        catalog.load_file(path)


def _manifests(pair: str) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((EXAMPLES / pair).glob("*/manifests/*.yaml")):
        for obj in yaml.safe_load_all(path.read_text()):
            if obj and "apiVersion" in obj:  # Helm values files are no Kubernetes objects
                out.append((f"{path.relative_to(EXAMPLES)}: {obj['kind']}/{obj['metadata']['name']}", obj))
    return out


@pytest.mark.integration  # the CRDs come from the Go module cache (`go mod download`)
@pytest.mark.parametrize("pair", PAIRS)
def test_the_manifests_are_valid_kubernetes_objects(pair):
    from tests import crds

    try:
        registry = crds.registry("gateway-api-standard", "envoy-gateway")
    except crds.CrdsUnavailable as exc:
        pytest.skip(str(exc))
    objects = _manifests(pair)
    assert objects
    problems = {where: result.errors for where, obj in objects if (result := crds.validate(registry, obj)).errors}
    assert not problems, problems


# --- compare ---------------------------------------------------------------------------------------------------
def run_compare(folder: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgeconform.cli", "compare", str(folder / "before.yaml"),
                           str(folder / "after.yaml"), "--report", str(out), "--", *CONVERGE],
                          cwd=ROOT, capture_output=True, text=True, timeout=COMPARE_TIMEOUT)


def compare(folder: Path, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    proc = run_compare(folder, out)
    migration = out / "migration.json"
    assert migration.is_file(), f"compare wrote no report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc, json.loads(migration.read_text())


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["as-written", "abstract"])
@pytest.mark.parametrize("pair", PAIRS)
def test_compare_reports_what_the_migration_breaks(pair, mode, tmp_path):
    if mode == "as-written":
        reasons = not_runnable(pair)
        if reasons:
            pytest.skip(f"{pair}: {'; '.join(reasons)}")
        folder = EXAMPLES / pair
    else:
        folder = abstract_copy(pair, tmp_path)
        plan = sides.plan(str(folder / "before.yaml"), str(folder / "after.yaml"), [], tmp_path / "plan")
        if plan.unchanged:  # a pure controller migration: without controller.kind both sides are one edge
            assert expected(pair).get("clean") and not expected(pair).get("changes"), \
                f"{pair}: its abstract copy is one edge on both sides, so it can only be clean"
            proc = run_compare(folder, tmp_path / "out")
            assert proc.returncode == 0 and "nothing changes at the edge" in proc.stdout, proc.stdout + proc.stderr
            assert "no change at the edge" in (tmp_path / "out" / "migration.md").read_text()
            return
    proc, report = compare(folder, tmp_path / "out")
    jsonschema.Draft202012Validator(schema.load(schema.MIGRATION_PATH)).validate(report)
    want = expected(pair)
    if mode == "as-written" and "as_written" in want:  # the real controller's own limit shows
        want = want["as_written"]
    output = proc.stdout + proc.stderr
    if want.get("clean"):
        assert proc.returncode == 0, output
        # changes: cells that start or stop being measured (a check that only one side's edge has), no regression
        changed = sorted(_cell(c) for c in report["changes"])
        assert changed == sorted(want.get("changes") or []) and not report["regressed"], \
            [c["summary"] for c in report["changes"]]
        assert all(c["kind"] == "change" for c in report["changes"])
        assert f"0 regressions, {len(changed)} change{'' if len(changed) == 1 else 's'}, 0 improvements" in proc.stdout
        return
    assert proc.returncode == 1, output
    regressed = {_cell(c): c for c in report["changes"] if c["kind"] == "regression"}
    for cell, verdicts in want["regressions"].items():
        assert cell in regressed, f"{pair}: {cell} did not regress; regressions: {sorted(regressed)}\n{output}"
        assert [regressed[cell]["sides"][side]["verdict"] for side in SIDES] == \
            [verdicts["before"], verdicts["after"]], regressed[cell]["summary"]
        assert f"REGRESSION {report['pairs'][0]['name']} · {cell}: {verdicts['before']} -> {verdicts['after']}" \
            in proc.stdout
    for cell, facts in (want.get("facts") or {}).items():
        moved = {f["name"]: [f["before"], f["after"]] for f in regressed[cell]["facts"]}
        for name, values in facts.items():
            assert moved.get(name) == values, f"{pair}: {cell} fact {name}: {moved}"
    named = {hint["field"] for c in regressed.values() for hint in c["hints"]}
    assert set(want.get("responsible") or []) <= named, f"{pair}: hints name {named}"
    assert "responsible" in proc.stdout
    if want.get("finding"):
        assert any(want["finding"] in c["explanations"]["after"] for c in regressed.values()), \
            f"{pair}: no regression is explained by {want['finding']}"
    for name in ("migration.md", "migration.html", "before/report.json", "after/conformance-report.yaml"):
        assert (tmp_path / "out" / name).is_file(), name


def _cell(change: dict) -> str:
    return f"{change['behaviour']}[{change['variant']}]" if change["variant"] else change["behaviour"]
