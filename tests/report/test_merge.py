"""edgeconform report merge: shards become one matrix; a cell the runs disagree on is marked as drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from suiterun import BROKEN, EDGES, REPO, run_suites, validate

pytestmark = pytest.mark.integration  # conformance runs and the merge command in subprocesses


def merge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgeconform.cli", "report", "merge", *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "160"})


@pytest.fixture(scope="session")
def shards(tmp_path_factory):
    """Two shards of one nightly matrix: different topologies, same target."""
    a = run_suites(tmp_path_factory.mktemp("shard-a"), "--topology", "nlb-ip", "--topology", "clb-http")
    b = run_suites(tmp_path_factory.mktemp("shard-b"), "--topology", "alb")
    assert a.proc.returncode == 0 and b.proc.returncode == 0, a.output + b.output
    return a, b


def test_shards_merge_into_one_matrix(shards, tmp_path):
    a, b = shards
    out = tmp_path / "merged"
    proc = merge(a.directory, b.directory / "report.json", "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "report.json").read_text())
    validate(doc)
    assert [t["name"] for t in doc["topologies"]] == ["nlb-ip", "clb-http", "alb"]
    assert [r["id"] for r in doc["runs"]] == ["local", "local-2"]
    assert len(doc["results"]) == len(a.json["results"]) + len(b.json["results"])
    assert len(doc["matrix"]) == 3 * len(doc["behaviours"]) and not any(c["drift"] for c in doc["matrix"])
    assert {r["run"] for r in doc["results"] if r["topology"] == "alb"} == {"local-2"}
    assert "| `alb` | pass | pass | pass | pass |" in (out / "report.md").read_text()  # then its security cell
    assert "alb" in proc.stdout and "edgeconform report:" in proc.stdout and "DRIFT" not in proc.stdout


def eks_like(report: dict, changes: dict[tuple[str, str], str]) -> dict:
    """A stand-in for an EKS run's report (no AWS account here): the local report relabelled as target eks,
    with the given cells as that run saw them. Merge only reads files, so this is what it would be given."""
    doc = json.loads(json.dumps(report))
    for run in doc["runs"]:
        run["id"] = run["target"] = "eks"
    for r in doc["results"]:
        r["run"] = r["target"] = "eks"
        r["verdict"] = changes.get((r["topology"], r["behaviour"]), r["verdict"])
    return doc


def test_a_cell_local_and_eks_disagree_on_is_drift(full_run, tmp_path):
    eks = tmp_path / "eks"
    eks.mkdir()
    seen_on_eks = eks_like(full_run.json, {("nlb-instance-local", "client_ip"): "limited"})
    (eks / "report.json").write_text(json.dumps(seen_on_eks))
    out = tmp_path / "merged"
    proc = merge(full_run.directory, eks, "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "report.json").read_text())
    validate(doc)
    drift = [c for c in doc["matrix"] if c["drift"]]
    assert [(c["topology"], c["behaviour"]) for c in drift] == [("nlb-instance-local", "client_ip")]
    assert drift[0]["by_target"] == {"local": "pass", "eks": "limited"}
    assert "DRIFT nlb-instance-local · client_ip: local says pass, eks says limited" in proc.stdout
    md = (out / "report.md").read_text()
    assert "| `nlb-instance-local` | local: pass \\| eks: limited ≠ |" in md
    assert "- **nlb-instance-local · client_ip**: local says pass, eks says limited" in md
    assert "- **clb-http · sni** on local, eks: limited: Classic ELBs do not support SNI" in md  # one note
    html = (out / "report.html").read_text()
    assert 'class="cell v-limited drift" data-topology="nlb-instance-local" data-behaviour="client_ip"' in html
    assert merge(full_run.directory, eks, "-o", tmp_path / "again", "--fail-on-drift").returncode == 1


def test_two_real_runs_of_differently_defined_edges_drift_and_warn(full_run, tmp_path):
    """nlb-proxy-v2 redefined with the controller not expecting PROXY: the same cells, measured, now fail."""
    edges = tmp_path / "edges.yaml"
    text = EDGES.read_text()
    edges.write_text(text.replace(f"  {BROKEN}:", "  nlb-proxy-v2:"))
    # a short convergence timeout: every cell fails, and a failure waits out the whole timeout
    redefined = run_suites(tmp_path / "redefined", "--topology-file", str(edges), "--topology", "nlb-proxy-v2",
                           "--converge-timeout", "0.3")
    assert redefined.proc.returncode == 1, redefined.output
    out = tmp_path / "merged"
    proc = merge(full_run.directory, redefined.directory, "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "report.json").read_text())
    assert {c["behaviour"] for c in doc["matrix"] if c["drift"]} == {"client_ip", "redirect", "websocket", "sni",
                                                                     "security"}
    assert {c["topology"] for c in doc["matrix"] if c["drift"]} == {"nlb-proxy-v2"}
    assert any("topology nlb-proxy-v2 differs between run(s) local and local-2" in w for w in doc["warnings"])
    assert "warning: topology nlb-proxy-v2 differs" in proc.stderr


def test_bad_inputs_are_named_with_the_fix(full_run, tmp_path):
    (tmp_path / "empty").mkdir()
    proc = merge(tmp_path / "empty", "-o", tmp_path / "out")
    assert proc.returncode == 2
    assert "has no report.json: give a directory written by `pytest suites --report DIR`" in proc.stderr
    (tmp_path / "other.json").write_text('{"tests": []}')
    proc = merge(tmp_path / "other.json", "-o", tmp_path / "out")
    assert proc.returncode == 2 and "not an edgeconform report" in proc.stderr
    (tmp_path / "file").write_text("")
    proc = merge(full_run.directory, "-o", tmp_path / "file")
    assert proc.returncode == 2 and "is a file; give a directory" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_report_option_refuses_a_file_before_building_anything(tmp_path):
    target = tmp_path / "taken"
    target.write_text("")
    run = run_suites(tmp_path / "unused", "--topology", "nlb-ip", "--report", str(target), report=False)
    assert run.proc.returncode == 4  # pytest's usage error: nothing collected, no edge built
    assert "--report" in run.proc.stderr and "is a file; give a directory" in run.proc.stderr
