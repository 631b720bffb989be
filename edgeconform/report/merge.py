"""Merging reports: the nightly matrix's shards, or local against EKS, into one matrix.

Results are kept as they are, each still naming its run and target; the merged matrix takes the worst verdict
of a cell, and marks *drift* where measured verdicts of one cell disagree between runs (local says pass, EKS
says limited): the change model of edgeconform.report.changes, which ``edgeconform compare`` reads with a
direction (before -> after) and the cells' facts. A topology defined differently in two runs is kept once and named in the warnings: its cells
are not comparable.
"""

from __future__ import annotations

from .. import __version__
from .. import behaviours as registry
from . import model
from .model import Report


def merge(reports: list[Report]) -> Report:
    if not reports:
        raise ValueError("nothing to merge: give at least one report")
    runs, results, warnings = [], [], []
    topologies: dict[str, model.TopologyRecord] = {}
    defined_in: dict[str, str] = {}
    seen_runs: dict[tuple, str] = {}
    behaviours: list[str] = []
    for report in reports:
        warnings += [w for w in report.warnings if w not in warnings]
        renamed = {}
        for run in report.runs:
            new_id = _unique(run.id, {r.id for r in runs})
            renamed[run.id] = new_id
            same = (run.target, run.started_at, tuple(run.args))
            if same in seen_runs:
                warnings.append(f"run {new_id} repeats run {seen_runs[same]} (same target, start and arguments): "
                                "was one report given twice?")
            seen_runs.setdefault(same, new_id)
            runs.append(run.model_copy(update={"id": new_id}))
        label = ", ".join(renamed.values())
        for t in report.topologies:
            if t.name not in topologies:
                topologies[t.name], defined_in[t.name] = t, label
            elif (t.fields, t.derived) != (topologies[t.name].fields, topologies[t.name].derived):
                warnings.append(f"topology {t.name} differs between run(s) {defined_in[t.name]} and {label}: "
                                f"its cells compare different edges (the first definition is shown)")
        results += [r.model_copy(update={"run": renamed.get(r.run, r.run)}) for r in report.results]
        behaviours += report.behaviours
    versions = sorted({run.harness_version for run in runs})
    if len(versions) > 1:
        warnings.append(f"the runs come from different edgeconform versions ({', '.join(versions)}): expectations "
                        "may have changed between them")
    return model.assemble(generated_at=model.iso(),
                          harness_version=__version__, runs=runs, topologies=list(topologies.values()),
                          behaviours=model.order_behaviours(behaviours, list(registry.NAMES)),
                          results=results, warnings=warnings)


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"
