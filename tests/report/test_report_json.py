"""report.json of a real run: the documented schema, and what a design review needs from each cell."""

from __future__ import annotations

import json

import jsonschema
import pytest
from suiterun import BROKEN, EDGES, NO_CLEARTEXT, run_suites, validate

from edgeconform import __version__, behaviours, catalog, sources
from edgeconform.report import ReportError, load, schema
from edgeconform.report.model import Report


def test_the_committed_schema_is_the_models_schema():
    assert schema.PATH.read_text() == schema.text(), "stale schema: run python -m edgeconform.report.schema"
    jsonschema.Draft202012Validator.check_schema(schema.load())


@pytest.mark.integration
def test_a_full_run_writes_three_files_and_the_json_validates(full_run):
    for name in ("report.json", "report.md", "report.html"):
        assert (full_run.directory / name).stat().st_size > 0, name
    validate(full_run.json)
    assert f"edgeconform report: {full_run.directory / 'report.json'}" in full_run.output


@pytest.mark.integration
def test_the_schema_rejects_what_is_not_a_report(full_run):
    broken = full_run.json
    broken["results"][0]["verdict"] = "passed"
    with pytest.raises(jsonschema.ValidationError, match="passed"):
        validate(broken)
    missing = full_run.json
    del missing["results"][0]["observation"]
    with pytest.raises(jsonschema.ValidationError, match="observation"):
        validate(missing)


@pytest.mark.integration
def test_run_metadata_names_harness_target_and_controller(full_run):
    doc = full_run.json
    assert doc["format"] == "edgeconform-report" and doc["harness_version"] == __version__
    [run] = doc["runs"]
    assert run["target"] == "local" and run["exit_status"] == 1
    assert run["controller"]["name"] == "envoy" and run["controller"]["version"].count(".") == 2
    assert "--report" in run["args"]


@pytest.mark.integration
def test_every_topology_and_behaviour_is_a_cell_with_its_fields(full_run):
    doc = full_run.json
    topologies = {**catalog.load(), **catalog.load_file(EDGES)}
    assert [t["name"] for t in doc["topologies"]] == [*catalog.load(), BROKEN, NO_CLEARTEXT]
    for record in doc["topologies"]:
        t = topologies[record["name"]]
        assert record["fields"]["load_balancer"] == t.lb.model_dump(mode="json")
        assert record["derived"]["tls_terminates_at"] == t.tls_terminates_at
    assert doc["behaviours"] == list(behaviours.NAMES)
    assert len(doc["matrix"]) == len(doc["topologies"]) * len(doc["behaviours"])
    # one result per (topology, expectation): websocket has two variants (ws, wss)
    assert len(doc["results"]) == sum(len(behaviours.for_topology(topologies[t["name"]])) for t in doc["topologies"])


@pytest.mark.integration
def test_each_result_carries_expectation_verdict_observation_attempts_time_and_sources(full_run):
    doc = full_run.json
    topologies = {**catalog.load(), **catalog.load_file(EDGES)}
    for r in doc["results"]:
        want = behaviours.expectation(topologies[r["topology"]], r["behaviour"], r["variant"])
        assert r["expectation"]["outcome"] == want.outcome
        assert [s["key"] for s in r["expectation"]["sources"]] == list(want.sources)
        assert all(s["url"] == sources.url(s["key"]) for s in r["expectation"]["sources"])
        if r["verdict"] == "n/a":
            assert want.outcome == "n/a" and r["attempts"] is None and "not applicable" in r["message"]
            continue
        assert r["observation"].strip() and r["attempts"] >= 1 and r["seconds"] >= 0, r
    by_cell = {(r["topology"], r["behaviour"], r["variant"]): r for r in doc["results"]}
    limited = by_cell[("nlb-ip", "client_ip", "")]
    assert limited["verdict"] == "limited" and "client-IP preservation is off" in limited["expectation"]["text"]
    assert "198.51.100." in limited["observation"]  # the addresses the backend saw (the edge's namespace)
    assert by_cell[("nlb-proxy-v2", "client_ip", "")]["verdict"] == "pass"
    assert by_cell[(NO_CLEARTEXT, "redirect", "")]["verdict"] == "n/a"
    assert by_cell[(NO_CLEARTEXT, "websocket", "wss")]["verdict"] == "pass"


@pytest.mark.integration
def test_the_misconfigured_edge_fails_with_its_diagnosis(full_run):
    doc = full_run.json
    failed = [r for r in doc["results"] if r["verdict"] == "fail"]
    assert {r["topology"] for r in failed} == {BROKEN}
    # client_ip, redirect, ws, wss, sni, and every security check that applies (the PROXY mismatch breaks all);
    # not the health checks: the NLB's TCP checks carry no data, so no PROXY header, and pass as on AWS
    measured = [e for e in behaviours.for_topology(catalog.load_file(EDGES)[BROKEN])
                if e.outcome != "n/a" and e.behaviour != "health_check"]
    assert len(failed) == len(measured)
    for r in failed:
        assert "PROXY_NOT_EXPECTED" in r["diagnosis"] and "likely misconfiguration" in r["message"]
    assert doc["summary"]["fail"] == len(measured)
    assert {c["verdict"] for c in doc["matrix"] if c["topology"] == BROKEN
            and c["behaviour"] not in ("health_check", "dual_stack", "host_header")} == {"fail"}


@pytest.mark.integration
def test_load_reads_a_report_back_and_names_what_is_wrong(full_run, tmp_path):
    report = load(full_run.directory)
    assert isinstance(report, Report) and report.runs[0].target == "local"
    bad = full_run.json
    bad["results"][2]["attempts"] = "many"
    (tmp_path / "report.json").write_text(json.dumps(bad))
    with pytest.raises(ReportError, match=r"report.json: field results.2.attempts: .*integer"):
        load(tmp_path)
    with pytest.raises(ReportError, match="has no report.json"):
        load(tmp_path / "..")


@pytest.mark.integration
def test_deselected_topologies_have_no_row(tmp_path):
    run = run_suites(tmp_path, "-m", "alb")
    assert run.proc.returncode == 0, run.output
    doc = run.json
    validate(doc)
    albs = [name for name, t in catalog.load().items() if t.lb.model == "alb"]
    assert [t["name"] for t in doc["topologies"]] == albs and {r["topology"] for r in doc["results"]} == set(albs)


@pytest.mark.integration
def test_every_fact_a_run_records_is_one_its_behaviour_declares(full_run):
    recorded = 0
    for r in full_run.json["results"]:
        if not r["facts"]:
            continue
        declared = behaviours.get(r["behaviour"]).cell(r["variant"]).facts
        assert declared is not None and set(r["facts"]) == {f.name for f in declared.kinds}, r["nodeid"]
        recorded += 1
    measured = [r for r in full_run.json["results"] if r["behaviour"] in ("client_ip", "redirect", "websocket", "sni")
                and r["verdict"] in ("pass", "limited", "fail")]
    assert recorded == len(measured) > 0


@pytest.mark.integration
def test_a_run_writes_its_conformance_report(full_run):
    import yaml

    from edgeconform.report.conformance import ConformanceReport

    document = yaml.safe_load((full_run.directory / "conformance-report.yaml").read_text())
    report = ConformanceReport.model_validate(document)
    assert report.implementation.project == "envoy" and report.implementation.version != "unknown"
    assert [p.name for p in report.profiles] == [b.profile_name for b in behaviours.REGISTRY.values()]
    redirect = next(p for p in report.profiles if p.name == "EDGE-REDIRECT")
    assert redirect.core.result == "failure" and f"{BROKEN}/redirect" in redirect.core.failedTests
    sni = next(p for p in report.profiles if p.name == "EDGE-TLS-SNI")
    assert "clb-http/sni" in sni.extended.unsupportedFeatures  # a Classic ELB has no SNI: documented
    ran = {t["name"]: (t["fields"].get("controller") or {}).get("kind") for t in full_run.json["topologies"]}
    assert {t.name for t in report.edgeconform.topologies} == {name for name, kind in ran.items() if kind != "none"}
    # the edges straight to the application (controller none) ran without a controller: a report of their own
    straight = ConformanceReport.model_validate(
        yaml.safe_load((full_run.directory / "conformance-report-none.yaml").read_text()))
    assert {t.name for t in straight.edgeconform.topologies} == {name for name, kind in ran.items() if kind == "none"}
