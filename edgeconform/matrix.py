"""The topology x behaviour matrix of a run, collected from test reports (works under pytest-xdist too).

Registered by the plugin as a pytest plugin object: it sees every report on the controlling process and prints
the matrix and one line per failure at the end of the run.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from rich.console import Console
from rich.markup import escape
from rich.table import Table

COLUMNS = ["client_ip", "redirect", "websocket", "sni", "security"]
STYLE = {"pass": "green", "limited": "yellow", "fail": "bold red", "error": "bold red", "skip": "dim"}
RANK = {"error": 5, "fail": 4, "limited": 3, "pass": 2, "skip": 1}


@dataclass
class Cell:
    outcome: str
    detail: str
    nodeid: str


class Matrix:
    def __init__(self, topologies: list[str], target: str, show: bool = True):
        self.topologies, self.target, self.show = topologies, target, show
        self.cells: dict[tuple[str, str], dict[str, Cell]] = defaultdict(dict)

    @property
    def empty(self) -> bool:
        return not self.cells

    # pytest hook: runs wherever reports arrive (the xdist controller included)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        topology, behaviour = props.get("topology"), props.get("behaviour")
        if not topology or not behaviour:
            return
        outcome = _outcome(report)
        if outcome is None:
            return
        detail = str(props.get("message") or getattr(report, "wasxfail", "") or _first_line(report))
        key = (str(topology), str(behaviour))
        variant = str(props.get("variant") or "")
        current = self.cells[key].get(variant)
        if current is None or RANK[outcome] > RANK[current.outcome]:
            self.cells[key][variant] = Cell(outcome, detail, report.nodeid)

    def outcome(self, topology: str, behaviour: str) -> str | None:
        variants = self.cells.get((topology, behaviour))
        if not variants:
            return None
        outcomes = {v: c.outcome for v, c in variants.items()}
        if len(set(outcomes.values())) == 1:
            return next(iter(outcomes.values()))
        if len(outcomes) <= 2:
            return " ".join(f"{v}:{o}" for v, o in sorted(outcomes.items()))
        # Many variants (the security checks): counts, naming every variant that did not pass.
        parts = [f"{sum(o == 'pass' for o in outcomes.values())} pass"]
        for kind in ("error", "fail", "limited"):
            names = sorted(v for v, o in outcomes.items() if o == kind)
            if names:
                parts.append(f"{kind}: {', '.join(names)}")
        skipped = sum(o == "skip" for o in outcomes.values())
        return "; ".join(parts) + (f"; {skipped} n/a" if skipped else "")

    def failures(self) -> list[tuple[str, str, Cell]]:
        return [(t, b, cell) for (t, b), variants in self.cells.items() for cell in variants.values()
                if cell.outcome in ("fail", "error")]

    def render(self, width: int = 120, color: bool = False) -> str:
        columns = [c for c in COLUMNS if any(b == c for (_, b) in self.cells)]
        table = Table(caption=f"target: {self.target}", caption_justify="left")
        table.add_column("topology")
        for column in columns:
            table.add_column(column)
        for topology in self.topologies:
            row = [topology]
            for column in columns:
                value = self.outcome(topology, column) or "-"
                worst = max(re.split(r"[^a-z]+", value), key=lambda word: RANK.get(word, 0))
                row.append(f"[{STYLE.get(worst, '')}]{value}[/]" if worst in STYLE else value)
            table.add_row(*row)
        console = Console(file=io.StringIO(), width=width, color_system="standard" if color else None,
                          force_terminal=color)
        console.print(table)
        for (topology, behaviour), variants in self.cells.items():
            for variant, cell in variants.items():
                if cell.outcome not in ("fail", "error"):
                    continue
                name = f"{behaviour}[{variant}]" if variant else behaviour
                # escaped: source keys like [#1815] are not rich markup
                console.print(f"[bold red]{cell.outcome.upper()}[/] {escape(f'{topology} · {name}: {_summary(cell.detail)}')}",
                              highlight=False, markup=True, soft_wrap=True)
        return console.file.getvalue()

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        if not self.show or self.empty:
            return
        color = terminalreporter.hasmarkup
        terminalreporter.write_sep("=", "edgeconform matrix")
        terminalreporter.write(self.render(terminalreporter._tw.fullwidth, color))


def _outcome(report: pytest.TestReport) -> str | None:
    if report.when == "setup":
        return "error" if report.failed else ("skip" if report.skipped else None)
    if report.when == "call":
        if report.skipped:
            return "limited" if hasattr(report, "wasxfail") else "skip"
        return "fail" if report.failed else "pass"
    return "error" if report.failed else None


def _first_line(report: pytest.TestReport) -> str:
    text = report.longreprtext or ""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _summary(detail: str) -> str:
    """One line: the first observed mismatch and the first likely misconfiguration."""
    lines = [line.strip() for line in detail.splitlines()]
    observed = next((lines[i + 1].lstrip("- ") for i, line in enumerate(lines[:-1]) if line == "observed:"), lines[0] if lines else "")
    likely = next((lines[i + 1].lstrip("- ") for i, line in enumerate(lines[:-1])
                   if line == "likely misconfiguration:"), "")
    return observed + (f" — likely: {likely}" if likely else "")
