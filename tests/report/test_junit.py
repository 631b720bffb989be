"""JUnit XML carries topology, behaviour, target and verdict on every testcase, so CI dashboards can group."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from suiterun import run_suites, validate

from edgeconform import behaviours, catalog

GROUPING = ("topology", "behaviour", "target", "verdict")
pytestmark = pytest.mark.integration  # conformance runs in pytest subprocesses, real edges


def junit_cases(path) -> dict[str, dict[str, str]]:
    """classname::name -> its properties."""
    root = ET.parse(path).getroot()
    return {f"{tc.get('classname')}::{tc.get('name')}": {p.get("name"): p.get("value") for p in tc.iter("property")}
            for tc in root.iter("testcase")}


def test_every_testcase_carries_the_grouping_properties(full_run):
    cases = junit_cases(full_run.junit)
    results = full_run.json["results"]
    assert len(cases) == len(results)
    by_name = {r["nodeid"].split("::")[-1]: r for r in results}
    for name, props in cases.items():
        assert all(props.get(key) for key in GROUPING), (name, props)
        r = by_name[name.split("::")[-1]]
        assert (props["topology"], props["behaviour"], props["target"], props["verdict"]) == \
               (r["topology"], r["behaviour"], "local", r["verdict"])
        assert props["variant"] == r["variant"] and props["expected"] == r["expectation"]["outcome"]
    verdicts = {props["verdict"] for props in cases.values()}
    assert verdicts == {"pass", "limited", "fail", "n/a"}


def test_a_setup_error_still_carries_a_verdict(tmp_path):
    """An edge that cannot be built (its processes are given no time to become ready) errors in setup: verdict
    error, in JUnit and in the report, which still validates."""
    run = run_suites(tmp_path, "--topology", "nlb-ip", env={"EDGECONFORM_READY_TIMEOUT": "0.001"})
    assert run.proc.returncode == 1, run.output
    cases = junit_cases(run.junit)
    tests = len(behaviours.for_topology(catalog.load()["nlb-ip"]))  # every test of the edge, security included
    assert len(cases) == tests
    assert {props["verdict"] for props in cases.values()} == {"error"}
    assert all(props["topology"] == "nlb-ip" and props["target"] == "local" for props in cases.values())
    doc = run.json
    assert doc["summary"] == {"error": tests}
    assert all("EDGECONFORM_READY_TIMEOUT" in r["diagnosis"] and r["error"] == "build" for r in doc["results"])
    assert all(r["diagnosis"].startswith("edgeconform could not build nlb-ip: ") for r in doc["results"])
    assert "ERROR nlb-ip · client_ip: " in run.proc.stdout
    validate(doc)
