"""The migration report ``edgeconform compare`` writes: two runs of the same behaviours, before and after a change
of the edge (its controller, its load balancer, or both), and every cell that changed, regressions first.

The two runs are embedded whole (``before.report``, ``after.report``: each an edgeconform report, the format of
report.json), so the file stands alone. ``matrix`` holds every compared cell with both verdicts (the change model
of edgeconform.report.changes, the one ``report merge`` reads drift from), ``changes`` the cells that are not the
same, each with what the after side's run says went wrong and the settings responsible, in each side's own
vocabulary (edgeconform.compare.advice). ``migration.schema.json`` is generated from these models
(``python -m edgeconform.report.schema``) and a test keeps the committed file current.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..catalog import ImportRecord
from .changes import Change, Kind
from .model import Component, Report, Source

FORMAT = "edgeconform-migration"
FORMAT_VERSION = 1
KIND_ORDER: tuple[str, ...] = ("regression", "change", "improvement", "same")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class SideRecord(_Model):
    """One side of the comparison: what was given, what ran, and its whole report."""

    label: Literal["before", "after"]
    spec: str = Field(description="as given: a topology file, FILE:NAME, or a catalog topology name")
    controller: str = Field(description="the run's --controller (a topology may name its own: controller.kind)")
    controllers: list[Component] = Field(description="the controllers that ran its edges, with their versions")
    topology_files: list[str]
    directory: str = Field(description="its report.json, report.md, report.html and conformance-report.yaml, "
                                       "relative to the migration report")
    exit_status: int = Field(description="its pytest run's exit status (1: some cell failed)")
    imported: ImportRecord | None = Field(None, description="the topology file's imported: block, when an import wrote it")
    report: Report


class SettingDiff(_Model):
    """A setting that differs between the two edges of a pair (edgeconform.compare.advice.settings)."""

    field: str
    before: Any
    after: Any


class Pair(_Model):
    """One matrix row: a topology before and the topology after."""

    name: str
    before: str = Field(description="the topology's name in the before run")
    after: str = Field(description="the topology's name in the after run")
    settings: list[SettingDiff] = Field(description="every setting that differs")


class Hint(_Model):
    """A setting responsible for a change, in the vocabulary of its side."""

    field: str
    before: Any = None
    after: Any = None
    text: str
    sources: list[Source]
    finding: str | None = Field(None, description="the finding code, when the hint comes from a finding")


class CellChange(Change):
    """A cell that is not the same after: both verdicts, the facts that differ, why, and what to change."""

    summary: str = Field(description="one line: before -> after verdicts and the first fact that changed")
    explanations: dict[str, str] = Field(description="side -> its run's words for the cell: the documented "
                                                     "limitation, or what a failure saw and its likely cause")
    hints: list[Hint] = Field(description="the settings responsible, in each side's vocabulary")


class MigrationReport(_Model):
    """edgeconform compare's report: what changes from before to after, cell by cell."""

    format: Literal["edgeconform-migration"] = FORMAT
    format_version: Literal[1] = FORMAT_VERSION
    generated_at: str
    harness_version: str
    shape: Literal["topologies", "controllers", "topologies-and-controllers", "none"] = Field(
        description="what differs: the topologies (a load balancer or controller setting), the controllers "
                    "(--controller A --controller B), both, or nothing")
    regressed: bool = Field(description="some behaviour regressed: compare exits 1")
    summary: dict[str, int] = Field(description="how many cells are a regression, change, improvement, or the same")
    behaviours: list[str]
    pairs: list[Pair]
    changes: list[CellChange] = Field(description="the cells that are not the same, regressions first")
    matrix: list[Change] = Field(description="every compared cell, row-major (pairs x behaviours x variants)")
    before: SideRecord
    after: SideRecord

    def of_kind(self, kind: Kind) -> list[CellChange]:
        return [c for c in self.changes if c.kind == kind]

    def cells(self, pair: str, behaviour: str) -> list[Change]:
        return [c for c in self.matrix if c.row == pair and c.behaviour == behaviour]

    def cell_text(self, pair: Pair, behaviour: str) -> str:
        """One cell of the side-by-side matrix: the before run's text when nothing changed ('pass', '7 pass; 3 n/a'),
        else 'pass -> limited', per variant where a behaviour has several ('ws: pass -> fail; 1 same')."""
        cells = self.cells(pair.name, behaviour)
        if not cells:
            return "-"
        changed = [c for c in cells if c.kind != "same"]
        if not changed:
            shown = self.before.report.cell(pair.before, behaviour)
            return shown.text if shown else next(iter(cells[0].sides.values())).verdict
        if cells == changed and len({c.verdicts() for c in cells}) == 1:
            return changed[0].verdicts()  # every variant made the same move (or there is one)
        same = len(cells) - len(changed)
        return "; ".join(f"{c.variant}: {c.verdicts()}" for c in changed) + (f"; {same} same" if same else "")

