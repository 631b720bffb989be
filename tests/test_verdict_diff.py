"""tools/verdict_diff.py, the check that a refactoring kept every verdict: two reports, or two folders of them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("verdict_diff", REPO / "tools" / "verdict_diff.py")
verdict_diff = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verdict_diff)


def report(folder: Path, *cells: tuple[str, str, str, str]) -> Path:
    """A report.json holding only what the diff reads: (run, topology, behaviour[variant], verdict) per cell."""
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for run, topology, name, verdict in cells:
        behaviour, _, variant = name.partition("[")
        results.append({"run": run, "topology": topology, "behaviour": behaviour, "variant": variant.rstrip("]"),
                        "verdict": verdict})
    (folder / "report.json").write_text(json.dumps({"results": results}))
    return folder / "report.json"


def test_the_same_verdicts_are_no_difference_even_with_other_messages(tmp_path, capsys):
    report(tmp_path / "before", ("local", "alb", "client_ip", "pass"), ("local", "alb", "websocket[ws]", "limited"))
    report(tmp_path / "after", ("local", "alb", "websocket[ws]", "limited"), ("local", "alb", "client_ip", "pass"))
    assert verdict_diff.main([str(tmp_path / "before"), str(tmp_path / "after")]) == 0
    assert "1 report(s), 2 cell(s): every verdict the same" in capsys.readouterr().out


def test_folders_are_compared_report_by_report_and_each_difference_is_named(tmp_path, capsys):
    before, after = tmp_path / "before", tmp_path / "after"
    report(before / "envoy", ("local", "alb", "client_ip", "pass"), ("local", "nlb-ip", "sni", "pass"))
    report(after / "envoy", ("local", "alb", "client_ip", "fail"))
    report(before / "traefik", ("local", "alb", "websocket[wss]", "pass"))
    report(after / "traefik", ("eks", "alb", "websocket[wss]", "pass"))  # another run: another cell
    report(after / "misconfigured", ("local", "x", "redirect", "fail"))
    assert verdict_diff.main([str(before), str(after)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == ["misconfigured: no report on the before side",
                        "envoy: alb · client_ip (local): pass -> fail",
                        "envoy: nlb-ip · sni (local): pass -> absent",
                        "traefik: alb · websocket[wss] (eks): absent -> pass",
                        "traefik: alb · websocket[wss] (local): pass -> absent"]
    assert out[-1] == "3 report(s), 3 cell(s): 5 difference(s)"


def test_across_targets_a_cell_is_named_without_its_run(tmp_path, capsys):
    """local and kind runs of the same topologies: the same cell on both sides, whatever target ran it."""
    report(tmp_path / "local", ("local", "alb", "client_ip", "pass"), ("local", "nlb-ip", "sni", "pass"))
    report(tmp_path / "kind", ("kind", "alb", "client_ip", "pass"), ("kind", "nlb-ip", "sni", "fail"))
    assert verdict_diff.main([str(tmp_path / "local"), str(tmp_path / "kind")]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 5  # four cells differ by their run, and the count
    assert verdict_diff.main(["--across-targets", str(tmp_path / "local"), str(tmp_path / "kind")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [".: nlb-ip · sni: pass -> fail", "1 report(s), 2 cell(s): 1 difference(s)"]


@pytest.mark.parametrize("content, words", [("{", "not a report.json of edgeconform (JSONDecodeError"),
                                             ('{"results": [{"topology": "x"}]}', "(KeyError: 'behaviour')")])
def test_a_side_that_is_not_a_report_is_one_line_and_exit_2(tmp_path, capsys, content, words):
    good = report(tmp_path / "good", ("local", "alb", "sni", "pass"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text(content)
    assert verdict_diff.main([str(good), str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"verdict_diff: {tmp_path / 'bad' / 'report.json'}: ") and words in err
    assert verdict_diff.main([str(good), str(tmp_path / "empty-does-not-exist")]) == 2
    (tmp_path / "empty").mkdir()
    assert verdict_diff.main([str(good), str(tmp_path / "empty")]) == 2
    assert "no report.json in this folder" in capsys.readouterr().err
