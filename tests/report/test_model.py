"""The matrix and drift derived from results: worst verdict wins, skips never drift."""

from __future__ import annotations

from edgeconform.report.model import Result, derive_matrix, order_behaviours


def result(verdict: str, run: str = "local", variant: str = "", behaviour: str = "websocket") -> Result:
    return Result(topology="t", behaviour=behaviour, variant=variant, run=run, target=run.split("-")[0],
                  verdict=verdict, nodeid=f"{run}::{variant}")


def test_a_cell_shows_the_worst_verdict_and_its_variants_when_they_differ():
    [cell] = derive_matrix(["t"], ["websocket"], [result("pass", variant="ws"), result("limited", variant="wss")])
    assert cell.verdict == "limited" and cell.text == "ws:pass wss:limited" and not cell.drift
    [cell] = derive_matrix(["t"], ["websocket"], [result("pass", variant="ws"), result("pass", variant="wss")])
    assert cell.text == "pass"


def test_drift_is_a_measured_disagreement_between_runs():
    [cell] = derive_matrix(["t"], ["websocket"], [result("pass"), result("limited", run="eks")])
    assert cell.drift and cell.by_target == {"local": "pass", "eks": "limited"}
    assert cell.text == "local: pass | eks: limited" and cell.verdict == "limited"
    [cell] = derive_matrix(["t"], ["websocket"], [result("pass"), result("skip", run="eks")])
    assert not cell.drift  # EKS measured nothing: no disagreement
    [cell] = derive_matrix(["t"], ["websocket"],
                           [result("pass", variant="ws"), result("pass", run="eks", variant="wss")])
    assert not cell.drift  # different variants are different checks
    [cell] = derive_matrix(["t"], ["websocket"], [result("pass"), result("fail", run="local-2")])
    assert cell.drift and cell.by_target == {"local": "fail"}  # two runs of one target disagree: also drift


def test_behaviours_keep_their_declared_order_and_new_ones_follow():
    assert order_behaviours(["sni", "security", "client_ip"], ["client_ip", "redirect", "sni"]) == \
        ["client_ip", "sni", "security"]
