"""The Gateway API-style ConformanceReport: its structure is upstream's (checked against real upstream reports from
the Go module cache), profiles come from the behaviour registry, and the verdicts map onto core and extended."""

from __future__ import annotations

import pytest
import yaml

from edgeconform import behaviours
from edgeconform.behaviours.base import Behaviour, Cell
from edgeconform.report import conformance, model
from edgeconform.report.conformance import ConformanceReport
from edgeconform.report.model import ExpectationRecord, Result, Run, TopologyRecord
from tests.crds import CrdsUnavailable, module_dir  # the Go module cache

GATEWAY_API_CONFORMANCE = ("sigs.k8s.io/gateway-api/conformance", "v1.6.3")


def result(topology: str, behaviour: str, verdict: str, *, variant: str = "", outcome: str = "works",
           run: str = "local") -> Result:
    return Result(topology=topology, behaviour=behaviour, variant=variant, run=run, target="local", verdict=verdict,
                  expectation=ExpectationRecord(outcome=outcome, text="", sources=[]),
                  nodeid=f"{topology}::{behaviour}::{variant}")


def record(name: str, kind: str | None = None) -> TopologyRecord:
    return TopologyRecord(name=name, fields={"load_balancer": {"model": "nlb"}, "kubernetes": {},
                                             "controller": {"kind": kind}},
                          derived={"layer": "l4"})


def report_of(results: list[Result], topologies: list[TopologyRecord], controllers=("envoy",)) -> model.Report:
    components = [model.Component(name=c, version="1.0") for c in controllers]
    run = Run(id="local", target="local", harness_version="0.1.0", controller=components[0], controllers=components,
              started_at="2026-11-27T00:00:00Z", seconds=1.0, python="3.11", pytest="8", args=[])
    return model.assemble(generated_at="2026-11-27T00:00:01Z", harness_version="0.1.0", runs=[run],
                          topologies=topologies, behaviours=list(behaviours.NAMES), results=results)


def test_profiles_come_from_the_behaviour_registry():
    assert [b.profile_name for b in behaviours.REGISTRY.values()] == \
        ["EDGE-CLIENT-IP", "EDGE-REDIRECT", "EDGE-WEBSOCKET", "EDGE-TLS-SNI", "EDGE-HEALTH-CHECK", "EDGE-DUAL-STACK",
         "EDGE-HOST-HEADER", "EDGE-SECURITY"]
    cell = behaviours.get("redirect").cell()
    assert Behaviour(name="hsts_preload", description="", cells={"": cell}).profile_name == "EDGE-HSTS-PRELOAD"
    assert isinstance(cell, Cell)


def test_verdicts_map_onto_core_and_extended_with_the_tests_named():
    results = [result("a", "client_ip", "pass"), result("b", "client_ip", "limited", outcome="limited"),
               result("a", "redirect", "fail"), result("b", "redirect", "n/a", outcome="n/a"),
               result("a", "websocket", "pass", variant="ws"), result("a", "websocket", "skip", variant="wss"),
               result("a", "security", "error", variant="host-sni"),
               result("b", "security", "fail", variant="tls-versions", outcome="limited")]
    [(name, report)] = conformance.build(report_of(results, [record("a"), record("b")])).items()
    assert name == "conformance-report.yaml"
    profiles = {p.name: p for p in report.profiles}
    assert list(profiles) == ["EDGE-CLIENT-IP", "EDGE-REDIRECT", "EDGE-WEBSOCKET", "EDGE-SECURITY"]  # no sni results
    client = profiles["EDGE-CLIENT-IP"]
    assert client.core.result == "success" and client.core.statistics.passed == 1
    assert client.extended.result == "success" and client.extended.unsupportedFeatures == ["b/client_ip"]
    redirect = profiles["EDGE-REDIRECT"]  # the n/a cell is no test of this edge
    assert redirect.core.result == "failure" and redirect.core.failedTests == ["a/redirect"]
    assert (redirect.core.statistics.passed, redirect.core.statistics.failed) == (0, 1) and redirect.extended is None
    ws = profiles["EDGE-WEBSOCKET"]
    assert ws.core.result == "partial" and ws.core.skippedTests == ["a/websocket[wss]"]
    security = profiles["EDGE-SECURITY"]
    assert security.core.failedTests == ["a/security[host-sni]"]
    assert security.extended.result == "failure" and security.extended.failedTests == ["b/security[tls-versions]"]
    assert "Core tests failed with 1 test failure(s)" in security.summary


def test_the_yaml_has_upstreams_keys_and_edgeconforms_own():
    results = [result("a", "client_ip", "pass")]
    [report] = conformance.build(report_of(results, [record("a")])).values()
    document = yaml.safe_load(conformance.to_yaml(report))
    assert list(document)[:8] == ["apiVersion", "kind", "date", "gatewayAPIVersion", "gatewayAPIChannel", "mode",
                                  "implementation", "profiles"]
    assert document["kind"] == "ConformanceReport" and document["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert document["implementation"] == {"organization": "envoyproxy", "project": "envoy",
                                          "url": "https://github.com/envoyproxy/envoy", "version": "1.0",
                                          "contact": ["https://github.com/envoyproxy/envoy/issues"]}
    assert document["profiles"][0]["core"] == {"result": "success",
                                               "statistics": {"Passed": 1, "Skipped": 0, "Failed": 0}}
    assert document["edgeconform"]["topologies"][0]["loadBalancer"] == {"model": "nlb"}
    ConformanceReport.model_validate(document)  # reads back


def test_a_topology_that_names_its_controller_gets_that_controllers_report():
    results = [result("a", "client_ip", "pass"), result("b", "client_ip", "fail")]
    reports = conformance.build(report_of(results, [record("a"), record("b", kind="some-controller")],
                                          controllers=("envoy", "some-controller")))
    assert sorted(reports) == ["conformance-report-some-controller.yaml", "conformance-report.yaml"]
    other = reports["conformance-report-some-controller.yaml"]
    assert other.implementation.project == "some-controller" and other.implementation.organization == "unknown"
    assert other.profiles[0].core.failedTests == ["b/client_ip"]
    assert [t.name for t in other.edgeconform.topologies] == ["b"]


def test_the_structure_check_can_fail():
    results = [result("a", "client_ip", "pass")]
    [report] = conformance.build(report_of(results, [record("a")])).values()
    document = yaml.safe_load(conformance.to_yaml(report))
    document["profiles"][0]["core"]["statistics"]["passed"] = 1  # upstream's key is Passed
    with pytest.raises(ValueError, match="passed"):
        ConformanceReport.model_validate(document)
    document = yaml.safe_load(conformance.to_yaml(report))
    document["profiles"][0]["core"]["result"] = "ok"
    with pytest.raises(ValueError, match="result"):
        ConformanceReport.model_validate(document)


@pytest.mark.integration  # `go mod download` fills the module cache
def test_upstream_reports_have_the_same_structure():
    """Real ConformanceReports of Gateway API implementations (read from the Go module cache at test time) validate
    against the model edgeconform writes with: its structure is upstream's, key for key."""
    try:
        root = module_dir(*GATEWAY_API_CONFORMANCE)
    except CrdsUnavailable as exc:
        pytest.skip(str(exc))
    files = sorted((root / "reports").glob("v1.*/*/*.yaml"))
    assert len(files) > 10, f"no upstream reports under {root / 'reports'}"
    checked = 0
    for path in files:
        document = yaml.safe_load(path.read_text())
        if not isinstance(document, dict) or document.get("kind") != "ConformanceReport" \
                or document.get("apiVersion") != "gateway.networking.k8s.io/v1":
            continue
        ConformanceReport.model_validate(document)
        checked += 1
    assert checked > 10
