"""Running one side of a comparison: the conformance suites in a pytest subprocess, with ``--report``.

Why a subprocess, not the plugin in this process: each side is exactly the run a user makes (``pytest suites
--topology-file ... --report DIR``): the same collection, strict xfails, teardown on Ctrl-C/SIGTERM, pytest-xdist
and any pytest argument the user adds; its report.json is the interface, the same file ``report merge`` reads.
pytest cannot run two sessions in one process cleanly (modules, plugins and the stash are process-wide), and a side
that crashes or hangs cannot take the comparison with it. Both sides run at once: each edge lives in a network
namespace of its own, so they never collide, and most of a run is waiting (convergence loops, a failing cell
waits out its timeout), not computing, which the second core covers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from collections.abc import Callable

from .. import assets, report
from ..report.model import Report
from ..report.scale import MEASURED
from . import progress as progress_file
from .sides import CompareError, Side

RUN_TIMEOUT = float(os.environ.get("EDGECONFORM_COMPARE_TIMEOUT", "900"))  # bounds a hung run; not a wait
STOP_GRACE = 30.0  # seconds a side gets to tear its edges down after SIGTERM
LOG = "pytest.log"
PROGRESS = "progress.jsonl"
POLL = 0.5  # seconds between two looks at the runs' progress while waiting for them


@dataclass
class SideRun:
    """One side's run: where it wrote, pytest's exit status, and its report."""

    side: Side
    directory: Path
    exit_status: int
    report: Report


def suites() -> Path:
    """The conformance suites: the checkout's suites/, or the copy a wheel carries."""
    return assets.path("suites")


def command(side: Side, directory: Path, pytest_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", str(suites()), "-p", "no:cacheprovider", "-p", progress_file.PLUGIN,
            "-q", "--color=no", "--report", str(directory), *side.pytest_args(), *pytest_args]


def run(sides: list[Side], directory: Path, pytest_args: list[str], *,
        progress: Callable[[str], None] | None = None, nested: bool = True) -> list[SideRun]:
    """Run every side at once into directory/<label>/ (``nested`` False: one side, into directory itself); each
    side's report read back, checked. ``progress`` is told, line by line, what the runs are doing while they run
    (edges coming up, tests done, and a line every 15 s of a long wait)."""
    started: list[tuple[Side, Path, subprocess.Popen]] = []
    readers: list[progress_file.Reader] = []
    directory = Path(directory).resolve()  # the runs start in the suites' folder
    if not nested and len(sides) != 1:
        raise ValueError("nested=False runs one side")
    try:
        for side in sides:
            where = directory / side.label if nested else directory
            where.mkdir(parents=True, exist_ok=True)
            events = where / PROGRESS
            events.unlink(missing_ok=True)
            readers.append(progress_file.Reader(events, label=side.label if len(sides) > 1 else ""))
            log = (where / LOG).open("w", encoding="utf-8")
            with log:  # the child holds its own descriptor
                proc = subprocess.Popen(command(side, where, pytest_args), cwd=suites().parent, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env(events))
            started.append((side, where, proc))
        deadline = time.monotonic() + RUN_TIMEOUT
        for side, where, proc in started:
            while True:  # bounded by the deadline; each turn waits on the process itself, at most POLL seconds
                if progress is not None:
                    for reader in readers:
                        for line in reader.poll():
                            progress(line)
                try:
                    proc.wait(timeout=min(POLL, max(0.0, deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        raise CompareError(f"the {side.label} run took longer than {RUN_TIMEOUT:g} s "
                                           f"(EDGECONFORM_COMPARE_TIMEOUT); its output: {where / LOG}") from None
        if progress is not None:
            for reader in readers:
                for line in reader.poll():
                    progress(line)
    finally:
        _stop([proc for _, _, proc in started])
    return [_outcome(side, where, proc.returncode) for side, where, proc in started]


def _env(events: Path) -> dict[str, str]:
    # wide output for the log; the children tear down on SIGTERM (edgeconform.plugin), as a cancelled CI job's do
    return {**os.environ, "COLUMNS": "160", progress_file.ENVIRONMENT: str(events)}


def _stop(procs: list[subprocess.Popen]) -> None:
    """End what still runs (an interrupt, a timeout): SIGTERM lets each side tear its edges down."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()  # its processes die with it (PR_SET_PDEATHSIG) and the namespace holder cleans up
            proc.wait()


def _outcome(side: Side, where: Path, status: int) -> SideRun:
    log = where / LOG
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:])
    if status not in (0, 1):  # 2 interrupted, 3 internal error, 4 usage error, 5 nothing collected
        raise CompareError(f"the {side.label} run ({side.spec.text}) stopped before measuring (pytest exit status "
                           f"{status}); the end of its output ({log}):\n{tail}")
    try:
        result = report.load(where)
    except report.ReportError as exc:
        raise CompareError(f"the {side.label} run ({side.spec.text}) wrote no usable report: {exc}; its output: "
                           f"{log}") from None
    broken = next((r for r in result.results if r.error == "build"), None)
    if broken is not None:  # a missing binary, a port in use, a crashed process: not a finding about the edge
        raise CompareError(f"the {side.label} side could not be built, so nothing of it can be compared: "
                           f"{broken.diagnosis}")
    if not any(r.verdict in MEASURED for r in result.results):
        reasons = sorted({r.message.splitlines()[0] for r in result.results if r.message})[:3]
        raise CompareError(f"the {side.label} run measured nothing (every cell was skipped): {'; '.join(reasons)}")
    return SideRun(side, where, status, result)
