"""The topology x behaviour matrix of a run, collected from test reports (works under pytest-xdist too).

Registered by the plugin as a pytest plugin object. It turns every test report that arrives (on the xdist
controller too) into a result of the run record (edgeconform.report.model), from the user properties the
plugin recorded: topology, behaviour, variant, expectation, verdict, observation, attempts, seconds. At the end
of the session the record is assembled once; the terminal shows the matrix and one line per failure, and
``--report DIR`` writes report.json, report.md and report.html from the same record.
"""

from __future__ import annotations

import io
import platform
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, sources
from .expectations import Behaviour
from .report import model
from .report.model import RANK, Component, ExpectationRecord, Report, Result, Run, Source, TopologyRecord
from .report.text import cell_name
from .topology import Topology

STYLE = {"pass": "green", "limited": "yellow", "fail": "bold red", "error": "bold red", "skip": "dim", "n/a": "dim"}
MAX_TEXT = 8000  # a traceback in a result is for reading, not archiving


class Matrix:
    def __init__(self, topologies: list[str], target: str, show: bool = True, *,
                 catalog: dict[str, Topology] | None = None, report_dir: Path | None = None):
        self.topologies, self.target, self.show = topologies, target, show
        self.catalog = catalog or {}
        self.report_dir = report_dir
        self.results: dict[str, Result] = {}  # nodeid -> the worst phase's result
        self.controller: Component | None = None
        self.started_at = datetime.now(timezone.utc)
        self._started = time.monotonic()
        self.report: Report | None = None
        self.written: list[Path] = []

    @property
    def empty(self) -> bool:
        return not self.results

    # pytest hook: runs wherever reports arrive (the xdist controller included)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        topology, behaviour = props.get("topology"), props.get("behaviour")
        if not topology or not behaviour:
            return
        verdict = verdict_of(report, props)
        if verdict is None:
            return
        if props.get("controller") and self.controller is None:
            self.controller = Component(name=str(props["controller"]), version=props.get("controller_version") or None)
        current = self.results.get(report.nodeid)
        if current is not None and RANK[verdict] <= RANK[current.verdict]:
            current.duration = round(current.duration + report.duration, 3)
            return
        result = _result(report, props, verdict, self.target)
        if current is not None:
            result.duration = round(current.duration + report.duration, 3)
        self.results[report.nodeid] = result

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(session.config, "workerinput") or self.empty:
            return  # an xdist worker: the controller assembles the record
        self.report = self.assemble(session.config, int(exitstatus))
        if self.report_dir is not None:
            from .report import write
            self.written = write(self.report, self.report_dir)

    def assemble(self, config: pytest.Config | None = None, exit_status: int | None = None) -> Report:
        run = Run(id=self.target, target=self.target, harness_version=__version__, controller=self.controller,
                  started_at=model.iso(self.started_at), seconds=round(time.monotonic() - self._started, 3),
                  exit_status=exit_status, python=platform.python_version(), pytest=pytest.__version__,
                  args=[str(a) for a in config.invocation_params.args] if config else [])
        results = list(self.results.values())
        behaviours = model.order_behaviours([r.behaviour for r in results], [b.value for b in Behaviour])
        ran = {r.topology for r in results}  # deselected topologies (-m nlb, -k) have no row
        rows = [topology_record(self.catalog[n]) for n in self.topologies if n in ran and n in self.catalog]
        return model.assemble(generated_at=model.iso(), harness_version=__version__,
                              runs=[run], topologies=rows, behaviours=behaviours, results=results)

    def render(self, width: int = 120, color: bool = False) -> str:
        return render(self.report or self.assemble(), width, color)

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int, config: pytest.Config) -> None:
        if self.empty:
            return
        if self.show:
            terminalreporter.write_sep("=", "edgeconform matrix")
            terminalreporter.write(self.render(terminalreporter._tw.fullwidth, terminalreporter.hasmarkup))
        if self.written:
            terminalreporter.write_line(f"edgeconform report: {', '.join(str(p) for p in self.written)}")


def render(report: Report, width: int = 120, color: bool = False) -> str:
    """The terminal view: the matrix, then one line per failure with its diagnosis."""
    table = Table(caption=f"target: {', '.join(report.targets)}", caption_justify="left")
    table.add_column("topology", no_wrap=True, min_width=max((len(t.name) for t in report.topologies), default=8))
    for column in report.behaviours:
        table.add_column(column)
    for t in report.topologies:
        row = [t.name]
        for column in report.behaviours:
            cell = report.cell(t.name, column)
            if cell is None:
                row.append("-")
                continue
            text = escape(cell.text) + (" [bold magenta]≠ drift[/]" if cell.drift else "")
            row.append(f"[{STYLE[cell.verdict]}]{text}[/]")
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=width, color_system="standard" if color else None,
                      force_terminal=color)
    console.print(table)
    for cell in report.drift():
        console.print(f"[bold magenta]DRIFT[/] {escape(cell.topology)} · {escape(cell.behaviour)}: "
                      + escape(", ".join(f"{target} says {verdict}" for target, verdict in cell.by_target.items())),
                      highlight=False, soft_wrap=True)
    for r in report.results:
        if r.verdict in ("fail", "error"):
            on = f" on {r.target}" if len(report.targets) > 1 else ""
            console.print(f"[bold red]{r.verdict.upper()}[/] {escape(r.topology)} · {escape(cell_name(r))}{escape(on)}: "
                          f"{escape(r.diagnosis)}", highlight=False, soft_wrap=True)
    return console.file.getvalue()


def topology_record(t: Topology) -> TopologyRecord:
    return TopologyRecord(name=t.name, description=t.description, origin=t.origin,
                          fields=t.model_dump(mode="json", exclude={"name", "description", "origin"}),
                          derived={"layer": t.layer, "tls_terminates_at": t.tls_terminates_at,
                                   "preserves_client_ip": t.preserves_client_ip, "node_snat": t.node_snat})


def source_records(keys: str) -> list[Source]:
    return [Source(key=k, url=sources.ALL_KEYS.get(k)) for k in keys.split()]


def verdict_of(report: pytest.TestReport, props: dict) -> str | None:
    """The verdict a phase's report carries (None: this phase says nothing)."""
    if report.when == "setup":
        if report.failed:
            return "error"
        if report.skipped:
            return "n/a" if props.get("expected") == "n/a" else "skip"
        return None
    if report.when == "call":
        if report.skipped:
            if hasattr(report, "wasxfail"):
                return "limited"
            return "n/a" if props.get("expected") == "n/a" else "skip"
        if report.failed:
            # A failure without a verdict is the test breaking before it judged anything.
            return "fail" if props.get("verdict") == "fail" else "error"
        return "pass"
    return "error" if report.failed else None


def _result(report: pytest.TestReport, props: dict, verdict: str, target: str) -> Result:
    expected = props.get("expected")
    expectation = None
    if expected:
        expectation = ExpectationRecord(outcome=expected, text=str(props.get("expectation", "")),
                                        sources=source_records(str(props.get("sources", ""))))
    message = str(props.get("message") or "")
    if not message or verdict in ("error", "skip", "n/a"):
        message = _reason(report) or message
    diagnosis = ""
    if verdict in ("fail", "error"):
        diagnosis = summary(message) if props.get("verdict") == "fail" else _last_line(message)
    attempts = props.get("attempts")
    seconds = props.get("seconds")
    return Result(topology=str(props["topology"]), behaviour=str(props["behaviour"]),
                  variant=str(props.get("variant") or ""), run=target, target=str(props.get("target") or target),
                  verdict=verdict, expectation=expectation,
                  observation=textwrap.dedent(str(props.get("observation") or ""))[:MAX_TEXT],
                  message=message[:MAX_TEXT], diagnosis=diagnosis, attempts=int(attempts) if attempts else None,
                  seconds=float(seconds) if seconds is not None else None, duration=round(report.duration, 3),
                  nodeid=report.nodeid)


def _reason(report: pytest.TestReport) -> str:
    """A skip's reason, an xfail's reason, or a failure's text."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skips: (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    if getattr(report, "wasxfail", ""):
        return str(report.wasxfail)
    return report.longreprtext or ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def summary(detail: str) -> str:
    """One line: the first observed mismatch and the first likely misconfiguration."""
    lines = [line.strip() for line in detail.splitlines()]
    observed = next((lines[i + 1].lstrip("- ") for i, line in enumerate(lines[:-1]) if line == "observed:"),
                    lines[0] if lines else "")
    likely = next((lines[i + 1].lstrip("- ") for i, line in enumerate(lines[:-1])
                   if line == "likely misconfiguration:"), "")
    if not likely:  # the verdict names no known misconfiguration inline
        likely = next((line.removeprefix("likely misconfiguration:").strip() for line in lines
                       if line.startswith("likely misconfiguration:") and line != "likely misconfiguration:"), "")
    return observed + (f" — likely: {likely}" if likely else "")
