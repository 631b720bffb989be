"""From observation to verdict: pass, limited (strict xfail) or fail with a diagnosis.

- The probe runs inside a bounded convergence loop: it must match the expectation N times in a row within the
  target's named timeout; otherwise the last observation is judged. No bare sleeps, no unbounded retries.
- A *limited* expectation passes as pytest xfail only when the documented limitation is what was observed;
  seeing the ideal outcome instead is an unexpected success and fails (strict).
- A failure says what was expected (with its source keys), what was observed, and the likely
  misconfiguration (edgeconform.findings).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import findings, sources
from .behaviours import Expectation, get
from .edge import Edge
from .supervisor import ProcessFailed


@dataclass
class Measurement:
    observation: Any
    mismatches: list[str]
    attempts: int
    seconds: float
    converged: bool


@dataclass
class Judgement:
    """A cell's verdict on one edge (pass, limited or fail: the measured part of the report's scale) with its message,
    the measurement it rests on and the cell's comparable facts."""

    verdict: Literal["pass", "limited", "fail"]
    message: str
    measurement: Measurement | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # the cell's comparable observables (Cell.facts)


def measure(edge: Edge, expectation: Expectation, probe: Callable[[Edge], Any] | None = None) -> Measurement:
    """Probe until the observation matches the expectation ``consecutive`` times in a row, or time runs out.
    ``probe`` defaults to the cell's own (edgeconform.behaviours)."""
    cell = get(expectation.behaviour).cell(expectation.variant)
    probe = probe or cell.probe
    profile = edge.converge
    started = time.monotonic()
    attempts = streak = 0
    while True:
        attempts += 1
        edge.lifecycle.check_alive()  # a process that already died fails at once, not after every probe's timeout
        observation = probe(edge)
        mismatches = cell.compare(edge, expectation.want, observation)
        streak = 0 if mismatches else streak + 1
        elapsed = time.monotonic() - started
        if streak >= profile.consecutive:
            return Measurement(observation, [], attempts, elapsed, converged=True)
        if elapsed >= profile.timeout:
            if mismatches:
                edge.lifecycle.check_alive()  # a crashed proxy is the failure, with its log: not a slow mismatch
            return Measurement(observation, mismatches, attempts, elapsed, converged=False)
        time.sleep(profile.interval)  # pacing inside the bounded loop


def judge(edge: Edge, expectation: Expectation, measurement: Measurement) -> Judgement:
    t = edge.topology
    compare = get(expectation.behaviour).cell(expectation.variant).compare
    required = expectation.behaviour in t.requires
    header = f"{t.name} · {expectation.cell}"
    observed = describe(measurement.observation)
    tried = (f"{measurement.attempts} attempt(s) in {measurement.seconds:.2f} s, convergence profile "
             f"'{edge.converge.name}': {edge.converge.consecutive} in a row within {edge.converge.timeout:g} s")
    if not measurement.mismatches:
        if expectation.outcome == "works":
            return Judgement("pass", f"{header}: {expectation.summary}", measurement)
        if required:
            return Judgement("fail", _failure(header, expectation, [f"the topology requires {expectation.behaviour}, "
                                            f"but this edge has a documented limitation: {expectation.reason}"],
                                            observed, tried, t, _controller_lines(edge, expectation)),
                           measurement)
        return Judgement("limited", f"{header}: {expectation.reason} {sources.cite(expectation.sources)}", measurement)
    if expectation.outcome == "limited" and expectation.ideal is not None \
            and not compare(edge, expectation.ideal, measurement.observation):
        who = "".join(f"{line}\n" for line in _controller_lines(edge, expectation))
        return Judgement("fail", f"{header}: unexpected success (strict): the documented limitation did not show.\n"
                               f"{who}expected: {expectation.describe()}\nobserved:\n{observed}\n"
                               "The stand-in or the edge does not behave as the topology documents.", measurement)
    return Judgement("fail", _failure(header, expectation, measurement.mismatches, observed, tried, t,
                                    _controller_lines(edge, expectation)), measurement)


def _controller_lines(edge: Edge, expectation: Expectation) -> list[str]:
    """A real controller with settings of its own: its name, version and the settings the cell rests on."""
    controller = edge.controller
    settings = controller.deciding(expectation.behaviour, expectation.variant)
    if not settings:
        return []
    return [f"controller: {controller.title} {controller.version or '(version unknown)'}, with the settings "
            "this cell rests on:", *(f"  - {line}" for line in settings)]


def _failure(header: str, expectation: Expectation, mismatches: list[str], observed: str, tried: str, t,
             controller: list[str] = ()) -> str:
    lines = [f"{header}: FAIL", f"expected: {expectation.describe()}", "observed:"]
    lines += [f"  - {m}" for m in mismatches]
    lines += list(controller)
    lines += ["probes:", observed, f"({tried})"]
    found = findings.for_cell(t, expectation.behaviour, expectation.variant)
    if found:
        lines.append("likely misconfiguration:")
        lines += [f"  - {finding}" for finding in found]
    elif controller:
        lines.append("likely misconfiguration: none of the known ones matches this topology's settings: the "
                     "controller does not do what the settings above document (a conformance failure of the controller, "
                     "or of edgeconform's reading of its documentation)")
    else:
        lines.append("likely misconfiguration: none of the known ones matches this topology's settings; compare the "
                     "probes above with the expectation")
    return "\n".join(lines)


def describe(observation: Any) -> str:
    """A readable rendering of any probe observation (a list: one item per line)."""
    if isinstance(observation, list):
        return "\n".join(describe(item) for item in observation)
    describe_method = getattr(observation, "describe", None)
    text = describe_method() if describe_method else repr(observation)
    return text if text.startswith("  ") else f"  {text}"


def check_or_raise(edge: Edge, expectation: Expectation, probe: Callable[[Edge], Any] | None = None) -> Judgement:
    """Measure and judge; a crashed process becomes a failure carrying its log."""
    try:
        measurement = measure(edge, expectation, probe)
    except ProcessFailed as exc:
        return Judgement("fail", f"{edge.name} · {expectation.cell}: a process of the edge died during the probe: {exc}")
    judgement = judge(edge, expectation, measurement)
    reader = get(expectation.behaviour).cell(expectation.variant).facts
    if reader is not None and probe is None:  # a suite's own probe observes something else
        judgement.facts = reader.read(edge, measurement.observation)
    return judgement
