"""The run record: what a conformance run measured, as one object every renderer reads.

A report holds the runs it came from (one for ``pytest --report``, several after ``edgeconform report merge``),
the topologies with their fields, and one result per test: a (topology, behaviour, variant) cell on one
target with its expectation, verdict, observation, attempts and time. The matrix (topology x behaviour, the
worst verdict of a cell's variants and targets) is derived from the results, never stored by hand.

These pydantic models are also the JSON format: ``report.schema.json`` is generated from them
(``python -m edgeconform.report.schema``) and a test keeps the committed file current.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .changes import drifts
from .scale import VERDICTS, Verdict, worst

FORMAT = "edgeconform-report"
FORMAT_VERSION = 1

Expected = Literal["works", "limited", "n/a"]


class _Model(BaseModel):
    # Serialization always writes every field, so the schema marks every field required.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Source(_Model):
    """A source key from aws-lb-facts.md and the address it resolves to (edgeconform.sources)."""

    key: str
    url: str | None = Field(None, description="null when the key is unknown to this harness version")


class Component(_Model):
    name: str
    version: str | None = Field(None, description="null when the target cannot tell")


class Run(_Model):
    """One pytest session that produced results."""

    id: str = Field(description="unique within the report; results refer to it")
    target: str = Field(description="where the edges were built: local, kind, eks")
    harness_version: str = Field(description="edgeconform's version")
    controller: Component | None = Field(
        None, description="the ingress controller the edges used (on the local target: the Envoy that stands in "
                          "for it), where known")
    controllers: list[Component] = Field(
        default_factory=list, description="every controller that ran an edge in this session (several when "
                                          "topologies name their own with controller.kind)")
    started_at: str = Field(description="ISO 8601, UTC")
    seconds: float = Field(description="wall time of the session")
    exit_status: int | None = Field(None, description="pytest's exit status")
    python: str
    pytest: str
    args: list[str] = Field(description="the pytest command-line arguments")


class TopologyRecord(_Model):
    """A topology as the run used it: its catalog fields and the facts the harness derived from them."""

    name: str
    description: str = ""
    origin: str = Field("", description="the catalog or --topology-file it came from")
    fields: dict[str, Any] = Field(description="the entry's fields, as in the catalog format (load_balancer, "
                                               "kubernetes, controller, hostnames, requires, sources)")
    derived: dict[str, Any] = Field(description="layer, tls_terminates_at, preserves_client_ip, node_snat")


class ExpectationRecord(_Model):
    """What the topology's fields say the behaviour should look like (edgeconform.behaviours)."""

    outcome: Expected
    text: str = Field(description="the observable when it works, or the documented limitation, with source keys")
    sources: list[Source]


class InputLine(_Model):
    """A line of the user's files that a failure rests on (edgeconform check on manifests): as written there."""

    field: str = Field(description="the topology field the line was read into (edgeconform's own word for it)")
    file: str = Field(description="the file, relative to where the check ran; empty when the files do not set it")
    line: int = Field(description="1-based; 0 when the files do not set it")
    text: str = Field(description="the line as written (stripped, cut), or the default that applied")
    says: str = Field(description="what the line is: 'annotation K of Service ns/name', 'key K of ConfigMap ns/name', "
                                  "'spec.x of KIND ns/name'; empty where the object is not known")


class InputsRecord(_Model):
    """A failure in the words of the files it came from (edgeconform.check.words)."""

    lines: list[InputLine] = Field(description="the lines its likely cause rests on")
    fixes: list[str] = Field(description="what to change, in the same words (with source keys)")


class Result(_Model):
    """One test's verdict on one cell (topology, behaviour, variant) in one run."""

    topology: str
    behaviour: str
    variant: str = Field("", description="e.g. ws / wss for websocket; empty when the behaviour has one check")
    run: str = Field(description="the id of the run (see runs) that produced it")
    target: str
    verdict: Verdict = Field(description="pass; limited (the documented limitation was observed); fail; error "
                                         "(the edge could not be built or the test broke); skip (not measurable "
                                         "on this target); n/a (the topology has nothing to measure)")
    expectation: ExpectationRecord | None = None
    observation: str = Field("", description="what the probes saw (the last observation of the convergence loop)")
    message: str = Field("", description="the verdict's message: for a failure, expected, observed and the "
                                         "likely misconfiguration")
    diagnosis: str = Field("", description="one line for a failure: the first mismatch and the likely cause")
    error: Literal["build", "test"] | None = Field(
        None, description="for an error: build (the edge could not be built, so nothing of it was measured: a missing "
                          "binary, a port in use, a crashed process, a failed cluster step) or test (the test broke)")
    attempts: int | None = Field(None, description="probes made by the convergence loop")
    seconds: float | None = Field(None, description="time spent in the convergence loop")
    duration: float = Field(0.0, description="the test's own wall time")
    nodeid: str
    facts: dict[str, Any] = Field(
        default_factory=dict, description="the observables compared between runs (edgeconform compare, report "
                                          "merge), e.g. client_ip: seen_as, via; redirect: status, location, loop; "
                                          "empty when the cell declares none or measured nothing")
    inputs: InputsRecord | None = Field(
        None, description="for a failure of an edge imported from manifests (edgeconform check): the lines of those "
                          "files its likely cause rests on, and the fix in their words; null otherwise")


class MatrixCell(_Model):
    """Derived: one topology x behaviour cell, the worst verdict of its variants and targets."""

    topology: str
    behaviour: str
    verdict: Verdict
    text: str = Field(description="as printed in the matrix, e.g. 'pass', 'ws:pass wss:limited', or per target "
                                  "when targets disagree: 'local: pass | eks: limited'")
    by_target: dict[str, Verdict]
    drift: bool = Field(description="measured verdicts of this cell disagree across runs: worth a look "
                                    "(edgeconform.report.changes)")


class Report(_Model):
    """An edgeconform conformance report: the topology x behaviour matrix of one or more runs."""

    format: Literal["edgeconform-report"] = FORMAT
    format_version: Literal[1] = FORMAT_VERSION
    generated_at: str = Field(description="ISO 8601, UTC")
    harness_version: str = Field(description="edgeconform's version that wrote this file")
    runs: list[Run] = Field(min_length=1)
    topologies: list[TopologyRecord] = Field(description="in matrix row order")
    behaviours: list[str] = Field(description="matrix columns, in order")
    results: list[Result]
    matrix: list[MatrixCell] = Field(description="derived from results (row-major)")
    summary: dict[str, int] = Field(description="how many results have each verdict")
    warnings: list[str] = Field(default_factory=list, description="e.g. a topology defined differently in two "
                                                                  "merged runs")

    # --- derived views --------------------------------------------------------------------------------
    @property
    def targets(self) -> list[str]:
        return list(dict.fromkeys(run.target for run in self.runs))

    def results_of(self, topology: str, behaviour: str) -> list[Result]:
        return [r for r in self.results if r.topology == topology and r.behaviour == behaviour]

    def cell(self, topology: str, behaviour: str) -> MatrixCell | None:
        return next((c for c in self.matrix if c.topology == topology and c.behaviour == behaviour), None)

    def drift(self) -> list[MatrixCell]:
        return [c for c in self.matrix if c.drift]

    def attention(self) -> list[Result]:
        """Results a reader should look at: limited, failed, errored, in matrix order."""
        return [r for r in self.results if r.verdict in ("limited", "fail", "error")]


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC, to the second: the timestamps of the report."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _variants_text(results: list[Result]) -> str:
    """'pass' when every variant agrees, else 'ws:pass wss:limited' (worst verdict per variant)."""
    per_variant: dict[str, list[str]] = defaultdict(list)
    for r in results:
        per_variant[r.variant].append(r.verdict)
    verdicts = {variant: worst(v) for variant, v in per_variant.items()}
    if len(set(verdicts.values())) == 1:
        return next(iter(verdicts.values()))
    if len(verdicts) <= 2:
        return " ".join(f"{variant}:{verdict}" for variant, verdict in sorted(verdicts.items()))
    # Many variants (the security checks): counts, naming the variants that did not pass when they are few (the
    # failure lines below the matrix name each one).
    passed = sum(v == "pass" for v in verdicts.values())
    parts = [f"{passed} pass"] if passed else []
    for kind in ("error", "fail", "limited"):
        names = sorted(variant for variant, verdict in verdicts.items() if verdict == kind)
        if 0 < len(names) <= 3:
            parts.append(f"{kind}: {', '.join(names)}")
        elif names:
            parts.append(f"{len(names)} {kind}")
    unmeasured = sum(v in ("skip", "n/a") for v in verdicts.values())
    return "; ".join(parts) + (f"; {unmeasured} n/a" if unmeasured else "")


def derive_matrix(topologies: list[str], behaviours: list[str], results: list[Result]) -> list[MatrixCell]:
    by_cell: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        by_cell[(r.topology, r.behaviour)].append(r)
    cells = []
    for topology in topologies:
        for behaviour in behaviours:
            found = by_cell.get((topology, behaviour))
            if not found:
                continue
            targets = list(dict.fromkeys(r.target for r in found))
            by_target = {t: worst([r.verdict for r in found if r.target == t]) for t in targets}
            texts = {t: _variants_text([r for r in found if r.target == t]) for t in targets}
            # one text when the targets agree; per target when they do not
            agreed = len(set(texts.values())) == 1
            text = texts[targets[0]] if agreed else " | ".join(f"{t}: {x}" for t, x in texts.items())
            cells.append(MatrixCell(topology=topology, behaviour=behaviour, verdict=worst(list(by_target.values())),
                                    text=text, by_target=by_target, drift=drifts(found)))
    return cells


def order_behaviours(seen: list[str], known: list[str]) -> list[str]:
    """Known behaviours in their declared order, then any others (a newer suite's) in the order first seen."""
    present = set(seen)
    return [b for b in known if b in present] + [b for b in dict.fromkeys(seen) if b not in known]


def assemble(*, generated_at: str, harness_version: str, runs: list[Run], topologies: list[TopologyRecord],
             behaviours: list[str], results: list[Result], warnings: list[str] | None = None) -> Report:
    """A report whose derived parts (result order, matrix, summary) follow from its results."""
    rows = {t.name: i for i, t in enumerate(topologies)}
    columns = {b: i for i, b in enumerate(behaviours)}
    run_order = {run.id: i for i, run in enumerate(runs)}
    ordered = sorted(results, key=lambda r: (rows.get(r.topology, len(rows)), columns.get(r.behaviour, len(columns)),
                                             r.variant, run_order.get(r.run, 0), r.nodeid))
    counts = {v: sum(1 for r in ordered if r.verdict == v) for v in VERDICTS}
    summary = {v: n for v, n in counts.items() if n}
    return Report(generated_at=generated_at, harness_version=harness_version, runs=runs, topologies=topologies,
                  behaviours=behaviours, results=ordered,
                  matrix=derive_matrix([t.name for t in topologies], behaviours, ordered),
                  summary=summary, warnings=warnings or [])
