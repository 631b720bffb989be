"""Collecting a run's results (works under pytest-xdist too: the plugin hands them over where reports arrive).

The plugin turns each test phase into a verdict (edgeconform.plugin: which pytest outcome of which phase is which
verdict) and hands it to a Collector with the user properties it recorded: topology, behaviour, variant,
expectation, verdict, observation, attempts, seconds, and ``error: build`` where the edge could not be built. The
Collector keeps the worst phase of each test as a result of the run record (edgeconform.report.model). At the end
of the session the record is assembled once; the terminal shows the matrix and one line per failure (``render``),
and ``--report DIR`` writes report.json, report.md and report.html from the same record.
"""

from __future__ import annotations

import io
import json
import platform
import textwrap
import time
from datetime import datetime, timezone

from rich.console import Console
from rich.table import Table

from .. import __version__, behaviours, sources
from ..topology import Topology
from . import model
from .escaping import terminal as escape  # a merged report's names: text, never markup
from .model import Component, ExpectationRecord, Report, Result, Run, Source, TopologyRecord
from .scale import RANK
from .text import cell_name

STYLE = {"pass": "green", "limited": "yellow", "fail": "bold red", "error": "bold red", "skip": "dim", "n/a": "dim"}
MAX_TEXT = 8000  # a traceback in a result is for reading, not archiving


class Collector:
    def __init__(self, topologies: list[str], target: str, *, catalog: dict[str, Topology] | None = None):
        self.topologies, self.target = topologies, target
        self.catalog = catalog or {}
        self.results: dict[str, Result] = {}  # nodeid -> the worst phase's result
        self.controller: Component | None = None
        self.controllers: dict[str, Component] = {}  # every controller that ran an edge (topologies may name theirs)
        self.started_at = datetime.now(timezone.utc)
        self._started = time.monotonic()
        self.report: Report | None = None

    @property
    def empty(self) -> bool:
        return not self.results

    def add(self, nodeid: str, props: dict, verdict: str, *, duration: float = 0.0, text: str = "") -> None:
        """One phase of one test and the verdict it carries. ``text``: what the phase said (a skip's or an xfail's
        reason, a failure's report), the message of a result that has none of its own."""
        if not props.get("topology") or not props.get("behaviour"):
            return
        if props.get("controller"):
            name = str(props["controller"])
            self.controllers.setdefault(name, Component(name=name, version=props.get("controller_version") or None))
            self.controller = self.controller or self.controllers[name]
        current = self.results.get(nodeid)
        if current is not None and RANK[verdict] <= RANK[current.verdict]:
            current.duration = round(current.duration + duration, 3)
            return
        result = _result(nodeid, props, verdict, self.target, duration, text)
        if current is not None:
            result.duration = round(current.duration + duration, 3)
        self.results[nodeid] = result

    def assemble(self, args: list[str] | None = None, exit_status: int | None = None,
                 pytest_version: str = "") -> Report:
        run = Run(id=self.target, target=self.target, harness_version=__version__, controller=self.controller,
                  controllers=list(self.controllers.values()),
                  started_at=model.iso(self.started_at), seconds=round(time.monotonic() - self._started, 3),
                  exit_status=exit_status, python=platform.python_version(), pytest=pytest_version,
                  args=[str(a) for a in args or []])
        results = list(self.results.values())
        columns = model.order_behaviours([r.behaviour for r in results], list(behaviours.NAMES))
        ran = {r.topology for r in results}  # deselected topologies (-m nlb, -k) have no row
        rows = [topology_record(self.catalog[n]) for n in self.topologies if n in ran and n in self.catalog]
        self.report = model.assemble(generated_at=model.iso(), harness_version=__version__,
                                     runs=[run], topologies=rows, behaviours=columns, results=results)
        return self.report


def render(report: Report, width: int = 120, color: bool = False) -> str:
    """The terminal view: the matrix, then one line per failure with its diagnosis."""
    where = dict.fromkeys(f"{run.target} ({' '.join(filter(None, [run.controller.name, run.controller.version]))})"
                          if run.controller else run.target for run in report.runs)
    table = Table(caption=escape(f"target: {', '.join(where)}"), caption_justify="left")
    table.add_column("topology", no_wrap=True, min_width=max((len(t.name) for t in report.topologies), default=8))
    for column in report.behaviours:
        table.add_column(escape(column))
    for t in report.topologies:
        row = [escape(t.name)]
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


def _result(nodeid: str, props: dict, verdict: str, target: str, duration: float, text: str) -> Result:
    expected = props.get("expected")
    expectation = None
    if expected:
        expectation = ExpectationRecord(outcome=expected, text=str(props.get("expectation", "")),
                                        sources=source_records(str(props.get("sources", ""))))
    message = str(props.get("message") or "")
    if not message or verdict in ("error", "skip", "n/a"):
        message = text or message
    error = ("build" if props.get("error") == "build" else "test") if verdict == "error" else None
    diagnosis = ""
    if verdict in ("fail", "error") and props.get("verdict") == "fail":
        diagnosis = summary(message)
    elif verdict in ("fail", "error"):
        # the harness's build message leads with its cause (a log tail follows); a traceback ends with it
        diagnosis = _first_line(message) if error == "build" else _last_line(message)
    attempts = props.get("attempts")
    seconds = props.get("seconds")
    facts = json.loads(props["facts"]) if props.get("facts") else {}
    return Result(topology=str(props["topology"]), behaviour=str(props["behaviour"]),
                  variant=str(props.get("variant") or ""), run=target, target=str(props.get("target") or target),
                  verdict=verdict, expectation=expectation,
                  observation=textwrap.dedent(str(props.get("observation") or ""))[:MAX_TEXT],
                  message=message[:MAX_TEXT], diagnosis=diagnosis, attempts=int(attempts) if attempts else None,
                  seconds=float(seconds) if seconds is not None else None, duration=round(duration, 3),
                  nodeid=nodeid, facts=facts, error=error)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


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
