"""What a suites run is doing, told to the process that started it: a run of several minutes must never look hung.

The child (``pytest suites ... -p edgeconform.compare.progress``, with EDGECONFORM_PROGRESS naming a file) writes one
JSON line per event: ``collected`` (how many tests, which topologies), ``start`` (a test begins: the first test of a
topology is where its edge comes up), ``done`` (a test's outcome). The parent reads the lines as they come
(``Reader.poll``) while it waits for the run, and says each new one; between events it says how long the current
test has been going, so a long convergence wait is visibly a wait.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

ENVIRONMENT = "EDGECONFORM_PROGRESS"
PLUGIN = "edgeconform.compare.progress"


# --- the child: a pytest plugin ---------------------------------------------------------------------------------
def _write(event: dict) -> None:
    path = os.environ.get(ENVIRONMENT)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:  # one line per event, flushed when closed
        f.write(json.dumps(event) + "\n")


def _topology(item) -> str:
    callspec = getattr(item, "callspec", None)
    return str(callspec.params.get("topology", "")) if callspec else ""


def pytest_collection_finish(session) -> None:
    topologies = list(dict.fromkeys(t for item in session.items if (t := _topology(item))))
    _write({"event": "collected", "tests": len(session.items), "topologies": topologies})


def pytest_runtest_logstart(nodeid, location) -> None:  # noqa: ARG001
    _write({"event": "start", "test": nodeid})


def pytest_runtest_setup(item) -> None:
    _write({"event": "setup", "test": item.nodeid, "topology": _topology(item)})


def pytest_runtest_logreport(report) -> None:
    finished = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
    if finished:
        outcome = "xfailed" if hasattr(report, "wasxfail") and report.outcome == "skipped" else report.outcome
        _write({"event": "done", "test": report.nodeid, "outcome": outcome})


# --- the parent: reading the events ------------------------------------------------------------------------------
@dataclass
class Reader:
    """Reads a run's progress file as it grows; ``poll`` returns the lines to show (at most one "still" line every
    ``quiet`` seconds without an event)."""

    path: Path
    label: str = ""
    quiet: float = 15.0
    total: int = 0
    done: int = 0
    failed: int = 0
    topologies: list[str] = field(default_factory=list)
    built: set[str] = field(default_factory=set)
    current: str = ""
    _offset: int = 0
    _since: float = field(default_factory=time.monotonic)
    _said: float = field(default_factory=time.monotonic)

    def poll(self) -> list[str]:
        out: list[str] = []
        for event in self._events():
            self._since = self._said = time.monotonic()
            out += self._say(event)
        now = time.monotonic()
        if now - self._said >= self.quiet:
            self._said = now
            doing = f" ({_short(self.current)})" if self.current else ""
            out.append(f"{self._prefix()}still running{doing}: {now - self._since:.0f} s since the last test "
                       f"finished, {self.done}/{self.total or '?'} done")
        return out

    def _events(self) -> list[dict]:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        complete = data[:data.rfind(b"\n") + 1]  # a line the child is still writing waits for the next poll
        self._offset += len(complete)
        events = []
        for line in complete.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def _say(self, event: dict) -> list[str]:
        kind = event.get("event")
        if kind == "collected":
            self.total = int(event.get("tests", 0))
            self.topologies = list(event.get("topologies", []))
            return [f"{self._prefix()}{self.total} tests on {len(self.topologies)} edge(s): "
                    f"{', '.join(self.topologies)}"]
        if kind == "setup":
            self.current = str(event.get("test", ""))
            topology = str(event.get("topology", ""))
            if topology and topology not in self.built:
                self.built.add(topology)
                return [f"{self._prefix()}bringing up the edge {topology} "
                        f"({len(self.built)}/{len(self.topologies) or '?'})"]
        if kind == "done":
            self.done += 1
            if event.get("outcome") == "failed":
                self.failed += 1
            if self.done == self.total or self.done % 10 == 0:
                failed = f", {self.failed} failed" if self.failed else ""
                return [f"{self._prefix()}{self.done}/{self.total} tests done{failed}"]
        return []

    def _prefix(self) -> str:
        return f"{self.label}: " if self.label else ""


def _short(nodeid: str) -> str:
    return nodeid.rpartition("/")[2]
