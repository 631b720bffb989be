"""The harness fails on known-bad edges, and says why.

Every file in examples/misconfigured/ is one mistake from aws-lb-facts.md §6 (or the TLS policy docs). The
conformance suites run against all of them in one pytest subprocess (junitxml gives per-test outcomes and
messages); for each edge this asserts that some tests fail, that none errors, and that every failure names the
mistake's finding code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from edgeconform import catalog, findings
from edgeconform.behaviours.security import CHECKS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "misconfigured"
# file -> the finding that must explain its failures
EXPECTED = {
    "proxy-v2-not-expected.yaml": "PROXY_NOT_EXPECTED",
    "proxy-expected-not-sent.yaml": "PROXY_NOT_SENT",
    "xff-trusted-behind-l4.yaml": "XFF_TRUSTED_BEHIND_L4",
    "xff-two-hops-behind-alb.yaml": "XFF_TOO_MANY_HOPS",
    "tls-at-nlb-redirect-loop.yaml": "REDIRECT_LOOP_TLS_AT_LB",
    "clb-http-websocket.yaml": "CLB_HTTP_WEBSOCKET",
    "xff-not-trusted-behind-clb-http.yaml": "XFF_NOT_TRUSTED",
    "tls-1.0-policy-at-nlb.yaml": "TLS_POLICY_OUTDATED",
}
# Checks each mistake must make fail (at least these; others may fail too, always naming the mistake).
MUST_FAIL = {
    "proxy-v2-not-expected.yaml": ["client_ip", "security[forged-client]", "security[tls-versions]"],
    "proxy-expected-not-sent.yaml": ["client_ip", "security[proxy-forged]"],
    "xff-trusted-behind-l4.yaml": ["security[forged-client]", "security[forged-proto]"],
    "xff-two-hops-behind-alb.yaml": ["client_ip", "security[forged-client]"],
    "tls-at-nlb-redirect-loop.yaml": ["redirect", "security[redirect-loop]"],
    "clb-http-websocket.yaml": ["websocket[ws]", "websocket[wss]"],
    "xff-not-trusted-behind-clb-http.yaml": ["redirect", "security[redirect-loop]", "security[forged-client]"],
    "tls-1.0-policy-at-nlb.yaml": ["security[tls-versions]"],
}


# The same mistakes in each real controller's own vocabulary (examples/misconfigured/<controller>/, same file
# names), plus mistakes only that vocabulary can make. Their failures name the mistake's code or one of the
# controller's own limits (what it cannot express, named beside the mistake: edgeconform.findings).
CONTROLLER_EXAMPLES = {
    "envoy-gateway": {
        "expected": {**EXPECTED, "proxy-optional-not-sent.yaml": "PROXY_NOT_SENT"},
        "must_fail": {**MUST_FAIL, "proxy-optional-not-sent.yaml": ["security[proxy-forged]"]},
        "limits": ("EG_NO_XFP_FROM_PROXY_PORT", "EG_UPGRADE_REFUSED_ON_REDIRECT", "EG_SERVICE_ETP_LOCAL"),
    },
}


def _topology(file: str, folder: Path = EXAMPLES):
    (topology,) = catalog.load_file(folder / file).values()
    return topology


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("controller", sorted(CONTROLLER_EXAMPLES))
def test_every_example_is_expressed_in_each_real_controllers_terms(controller):
    folder = EXAMPLES / controller
    assert sorted(p.name for p in folder.glob("*.yaml")) == sorted(CONTROLLER_EXAMPLES[controller]["expected"])
    for file in CONTROLLER_EXAMPLES[controller]["expected"]:
        t = _topology(file, folder)
        assert t.controller.kind == controller and t.controller.settings, f"{file}: not in {controller}'s own terms"


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_diagnosis_names_the_mistake(file):
    codes = [finding.code for finding in findings.findings(_topology(file))]
    assert EXPECTED[file] in codes


@pytest.mark.parametrize("controller, file", [(c, f) for c, spec in sorted(CONTROLLER_EXAMPLES.items())
                                              for f in sorted(spec["expected"])])
def test_diagnosis_names_the_mistake_in_the_controllers_terms(controller, file):
    codes = [finding.code for finding in findings.findings(_topology(file, EXAMPLES / controller))]
    assert CONTROLLER_EXAMPLES[controller]["expected"][file] in codes


@dataclass
class Run:
    cells: dict[str, dict[str, tuple[str, str]]]  # topology -> {cell: (outcome, message)}
    report: dict  # the run's report.json


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    """One run of every suite against every example (a pytest subprocess building real edges: the tests that use
    it are marked integration): outcomes from JUnit, and the report."""
    return _suite_run(tmp_path_factory.mktemp("misconfigured"), EXAMPLES, sorted(EXPECTED))


@pytest.fixture(scope="module")
def controller_runs(tmp_path_factory) -> dict[str, Run]:
    """The same, once per real controller over its examples; skipped where the controller cannot run here."""
    from edgeconform import controllers

    runs = {}
    for controller, spec in sorted(CONTROLLER_EXAMPLES.items()):
        why = controllers.get(controller).local_unavailable()
        if why:
            pytest.skip(f"{controller}: {why}")
        runs[controller] = _suite_run(tmp_path_factory.mktemp(controller), EXAMPLES / controller,
                                      sorted(spec["expected"]))
    return runs


def _suite_run(out: Path, folder: Path, files: list[str]) -> Run:
    report = out / "junit.xml"
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suites"), "-p", "no:cacheprovider", "-q", "--no-matrix",
            "--converge-timeout", "0.3", f"--junitxml={report}", "-o", "junit_logging=no", "--report", str(out)]
    for file in files:
        argv += ["--topology-file", str(folder / file)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert report.exists(), f"the suites did not run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    names = [_topology(f, folder).name for f in files]
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        params = name[name.index("[") + 1:-1] if "[" in name else ""
        topology = next((t for t in names if params.startswith(t)), None)
        if topology is None:
            continue
        variant = params[len(topology) + 1:]
        behaviour = case.get("classname", "").rsplit(".", 1)[-1].removeprefix("test_")
        behaviour = {"cleartext_redirect": "redirect", "tls_sni": "sni"}.get(behaviour, behaviour)
        cell = f"{behaviour}[{variant}]" if variant else behaviour
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = kind
                message = (element.get("message") or "") + "\n" + (element.text or "")
                break
        found.setdefault(topology, {})[cell] = (outcome, message)
    return Run(found, json.loads((report.parent / "report.json").read_text()))


@pytest.mark.integration
def test_security_verdicts_reach_the_report(run):
    security = [r for r in run.report["results"] if r["behaviour"] == "security"]
    assert {r["variant"] for r in security} == set(CHECKS)
    forged = next(r for r in security if r["topology"] == "bad-xff-trusted-behind-l4" and r["variant"] == "forged-client")
    assert forged["verdict"] == "fail" and "XFF_TRUSTED_BEHIND_L4" in forged["diagnosis"]


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_known_bad_edge_fails_naming_the_mistake(run, file):
    _fails_naming(run, _topology(file).name, EXPECTED[file], MUST_FAIL[file])


@pytest.mark.integration
@pytest.mark.parametrize("controller, file", [(c, f) for c, spec in sorted(CONTROLLER_EXAMPLES.items())
                                              for f in sorted(spec["expected"])])
def test_known_bad_edge_fails_with_each_real_controller(controller_runs, controller, file):
    spec = CONTROLLER_EXAMPLES[controller]
    _fails_naming(controller_runs[controller], _topology(file, EXAMPLES / controller).name, spec["expected"][file],
                  spec["must_fail"][file], also=spec["limits"])


def _fails_naming(run: Run, topology: str, code: str, must_fail: list[str], also: tuple[str, ...] = ()) -> None:
    cells = run.cells.get(topology)
    assert cells, f"no results for {topology}"
    errors = {cell: message for cell, (outcome, message) in cells.items() if outcome == "error"}
    assert not errors, f"{topology}: tests errored instead of failing: {errors}"
    failures = {cell: message for cell, (outcome, message) in cells.items() if outcome == "failure"}
    missing = [cell for cell in must_fail if cell not in failures]
    assert not missing, f"{topology}: expected {missing} to fail; outcomes: { {c: o for c, (o, _) in cells.items()} }"
    unnamed = [cell for cell, message in failures.items() if not any(c in message for c in (code, *also))]
    assert not unnamed, f"{topology}: failures that do not name {code}: {unnamed}"
