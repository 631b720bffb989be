"""The pytest plugin (edgeconform.plugin), through whole pytest runs of the conformance suites as a user runs them
(a subprocess per run, building real edges)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from edgeconform import catalog

from .conftest import REPO

pytestmark = pytest.mark.integration

MISMATCH = """
topologies:
  nlb-proxy-mismatch:
    description: the NLB sends PROXY v2, the controller was never told (kubernetes/ingress-nginx#13320)
    hostnames: [app.edgeconform.test]
    load_balancer:
      model: nlb
      listeners:
        - {port: 80, protocol: TCP, target: http}
        - {port: 443, protocol: TCP, target: https}
      target_type: ip
      proxy_protocol: v2
    controller:
      proxy_protocol: false
      certificates: [default.edgeconform.test, app.edgeconform.test]
"""


def run_suites(tmp_path: Path, *args: str, name: str = "run",
               env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    junit = tmp_path / f"{name}.xml"
    # The four behaviour suites (a test's own -m comes later and wins); tests/test_misconfigured.py runs the
    # security suite against known-bad edges.
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "-q", "-m", "not security",
                          f"--junitxml={junit}", *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                         env={**os.environ, **(env or {})})
    return run, junit_outcomes(junit) if junit.exists() else {}


def junit_outcomes(path: Path) -> dict[str, tuple[str, str]]:
    """test name -> (outcome, message) from a JUnit XML file."""
    out = {}
    for case in ET.parse(path).iter("testcase"):
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = child.tag, (child.get("message") or "") + (child.text or "")
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
                message = child.get("message") or ""
        out[case.get("name")] = (outcome, message)
    return out


def test_a_user_topology_whose_lb_and_controller_disagree_fails_with_a_diagnosis(tmp_path):
    edges = tmp_path / "edges.yaml"
    edges.write_text(MISMATCH)
    run, outcomes = run_suites(tmp_path, "--topology-file", str(edges), "--converge-timeout", "0.3")
    assert run.returncode == 1, run.stdout[-3000:]
    measured = {test: v for test, v in outcomes.items() if v[0] != "skipped"}  # IPv6 and Host: n/a at an IPv4 NLB
    assert len(measured) == 6, outcomes
    for test, (outcome, message) in measured.items():
        if test.startswith("test_targets_are_healthy"):  # TCP health checks carry no PROXY header: healthy, as on AWS
            assert outcome == "passed", (test, outcome, message)
            continue
        assert outcome == "failure", (test, outcome, message)
        assert "PROXY_NOT_EXPECTED" in message and "expected: works" in message, message
    assert "FAIL nlb-proxy-mismatch · client_ip" in run.stdout  # the matrix's failure lines


def test_marker_selection_runs_only_that_family(tmp_path):
    run, outcomes = run_suites(tmp_path, "-m", "alb")
    assert run.returncode == 0, run.stdout[-3000:]
    albs = [name for name, t in catalog.load().items() if t.lb.model == "alb"]
    assert outcomes and all(test.split("[", 1)[1].rstrip("]").startswith(tuple(albs)) for test in outcomes)
    assert all(any(f"[{name}" in test for test in outcomes) for name in albs)


@pytest.mark.parametrize("args, words", [
    (["--topology", "nope"], "unknown topology ['nope']"),
    (["--topology-file", "/nonexistent.yaml"], "/nonexistent.yaml: no such file"),
])
def test_bad_selection_is_a_usage_error(tmp_path, args, words):
    run, _ = run_suites(tmp_path, *args)
    assert run.returncode == 4 and words in run.stderr, run.stderr


@pytest.mark.parametrize("setting, words", [
    ("missing", "EDGECONFORM_ENVOY={path} is not an executable file; fix the path or unset EDGECONFORM_ENVOY"),
    ("hangs", "{path} did not answer `envoy --version` within 1 s: it is not a working envoy; point EDGECONFORM_ENVOY"),
])
def test_a_bad_binary_setting_is_one_clear_error(tmp_path, setting, words):
    """One cause, one line: no per-topology tracebacks, nothing built."""
    path = tmp_path / "envoy"
    if setting == "hangs":
        path.write_text("#!/bin/sh\nsleep 30\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    run, outcomes = run_suites(tmp_path, "-m", "nlb", env={"EDGECONFORM_ENVOY": str(path),
                                                            "EDGECONFORM_VERSION_TIMEOUT": "1"})
    assert run.returncode == 4 and not outcomes, run.stdout[-2000:]
    assert words.format(path=path) in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) <= 2 and "Traceback" not in run.stderr + run.stdout, run.stderr


def test_xdist_gives_the_same_verdicts(tmp_path):
    serial, one = run_suites(tmp_path, "--no-matrix", name="serial")
    parallel, two = run_suites(tmp_path, "-n", "2", "--dist", "loadgroup", "--no-matrix", name="parallel")
    for run in (serial, parallel):  # the run that failed, with its failures
        assert run.returncode == 0, "\n".join(line for line in run.stdout.splitlines()
                                             if line.startswith(("FAIL", "ERROR"))) or run.stdout[-3000:]
    # loadgroup keeps one edge per topology per worker: xdist names each test's group, its topology, after an "@"
    # (with pytest 9.2 and xdist 3.8 it silently stops grouping: pytest-dev/pytest-xdist#1386, pinned in pyproject)
    grouped = {name.rpartition("@")[0]: (name.rpartition("@")[2], outcome) for name, (outcome, _) in two.items()}
    ungrouped = [name for name, (group, _) in grouped.items() if not name or f"[{group}" not in name]
    assert not ungrouped, f"tests run outside their topology's group: {ungrouped[:5]} (is --dist loadgroup broken?)"
    assert {k: v[0] for k, v in one.items()} == {name: outcome for name, (_, outcome) in grouped.items()}
    # every catalog topology x the 8 cells outside security; limited: the 6 of aws-lb-facts.md §7,
    # nlb-instance-local's IPv6 client (the NLB's address), and the two edges straight to the application whose NLB
    # hides the client from it (nlb-tls-app, nlb-app: ip targets without preservation)
    assert len(one) == 8 * len(catalog.load()) and sum(v[0] == "xfailed" for v in one.values()) == 9
