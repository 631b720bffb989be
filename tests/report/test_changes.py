"""The change model merge and compare share: drift is a measured disagreement; a change has a direction, from the
verdicts and from each fact as its behaviour declares it (ideal, keep, or only shown)."""

from __future__ import annotations

from edgeconform.report.changes import changes, drifts, fact_changes
from edgeconform.report.model import Result


def result(verdict: str, run: str = "before", behaviour: str = "client_ip", variant: str = "",
           facts: dict | None = None) -> Result:
    return Result(topology="t", behaviour=behaviour, variant=variant, run=run, target="local", verdict=verdict,
                  nodeid=f"{run}::{behaviour}::{variant}", facts=facts or {})


def one(*results: Result):
    [change] = changes(list(results), order=["before", "after"])
    return change


def test_a_worse_verdict_is_a_regression_a_better_one_an_improvement():
    assert one(result("pass"), result("limited", "after")).kind == "regression"
    assert one(result("limited"), result("fail", "after")).kind == "regression"
    assert one(result("pass"), result("error", "after")).kind == "regression"
    assert one(result("fail"), result("pass", "after")).kind == "improvement"
    assert one(result("pass"), result("pass", "after")).kind == "same"
    assert one(result("fail"), result("error", "after")).kind == "change"  # broken either way, differently


def test_a_cell_that_stops_or_starts_being_measured_is_a_change_not_a_regression():
    change = one(result("pass"), result("n/a", "after"))
    assert change.kind == "change" and not change.drift
    assert one(result("skip"), result("pass", "after")).kind == "change"


def test_leaving_an_ideal_fact_regresses_even_when_both_verdicts_are_limitations():
    change = one(result("limited", facts={"seen_as": "client"}), result("limited", "after", facts={"seen_as": "lb"}))
    assert change.kind == "regression"
    [fact] = change.facts
    assert (fact.name, fact.before, fact.after, fact.effect) == ("seen_as", "client", "lb", "regression")
    assert fact.sentence() == "whose address the backend took for the client's: client -> lb"
    assert one(result("limited", facts={"seen_as": "node"}),
               result("limited", "after", facts={"seen_as": "lb"})).kind == "change"  # neither is the ideal


def test_a_redirect_code_or_location_that_changes_regresses_although_both_pass():
    before = {"status": 308, "location": "https://a.test/x", "loop": False, "answered_by": "controller"}
    change = one(result("pass", behaviour="redirect", facts=before),
                 result("pass", "after", behaviour="redirect", facts={**before, "status": 301}))
    assert change.kind == "regression" and [f.name for f in change.facts] == ["status"]
    moved = one(result("pass", behaviour="redirect", facts=before),
                result("pass", "after", behaviour="redirect", facts={**before, "answered_by": "lb"}))
    assert moved.kind == "same" and moved.facts[0].effect == "info"  # who answers is shown, not counted


def test_how_the_address_arrives_is_shown_not_counted():
    change = one(result("pass", facts={"seen_as": "client", "via": "proxy-v1"}),
                 result("pass", "after", facts={"seen_as": "client", "via": "proxy-v2"}))
    assert change.kind == "same" and [(f.name, f.effect) for f in change.facts] == [("via", "info")]


def test_facts_present_on_one_side_only_are_not_compared():
    assert fact_changes("client_ip", "", {"seen_as": "client"}, {}) == []
    assert fact_changes("newer_behaviour", "", {"x": 1}, {"x": 2})[0].effect == "info"  # undeclared: shown


def test_drift_is_the_measured_disagreement_merge_marks():
    assert drifts([result("pass", "local"), result("limited", "eks")])
    assert not drifts([result("pass", "local"), result("skip", "eks")])
    assert not drifts([result("pass", "local", variant="ws"), result("limited", "eks", variant="wss")])
    three = changes([result("pass", "a"), result("pass", "b"), result("fail", "c")])
    assert three[0].drift and three[0].kind == "change" and three[0].verdicts() == "a says pass, b says pass, c says fail"


def test_a_cell_whose_verdict_improved_is_an_improvement_whatever_its_facts_did():
    # issue 19: fail -> pass with a new redirect Location was reported as a REGRESSION because a kept fact changed
    broken = {"status": 308, "location": "https://a.test:8443/x", "loop": True, "answered_by": "controller"}
    fixed = {"status": 308, "location": "https://a.test/x", "loop": False, "answered_by": "controller"}
    change = one(result("fail", behaviour="redirect", facts=broken),
                 result("pass", "after", behaviour="redirect", facts=fixed))
    assert change.kind == "improvement"
    effects = {fact.name: fact.effect for fact in change.facts}
    assert effects == {"location": "change", "loop": "improvement"}
    # the same fact change with a verdict that did not improve still regresses
    assert one(result("pass", behaviour="redirect", facts=fixed),
               result("pass", "after", behaviour="redirect", facts={**fixed, "location": "https://b.test/x"})
               ).kind == "regression"
    assert one(result("fail", facts={"seen_as": "lb"}), result("limited", "after", facts={"seen_as": "node"})
               ).kind == "improvement"
