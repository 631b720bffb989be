"""What differs between runs of the same cells: the one model behind ``report merge``'s drift and ``compare``.

A cell (a topology row, a behaviour, a variant) seen by several *sides* (the runs of a merge; before and after
in a comparison) has, per side, a verdict (the worst of its results there) and facts: the observables its
behaviour declares comparable (edgeconform.behaviours.base.Fact: the address the backend took for the client's,
a redirect's code and Location, the certificate each name got). Two readings of the same model:

- **drift** (``report merge``): the measured verdicts of a cell disagree between runs. No direction: local and
  EKS are two views of one edge.
- **change** (``compare``): from before to after, a *regression* (the verdict got worse: pass -> limited -> fail;
  or, the verdict not better, a fact left its ideal value or a fact that must stay the same changed), an
  *improvement* (the verdict got better: the facts that moved with it are changes, never a regression), a *change*
  (facts or unmeasured verdicts differ, neither better nor worse), or *same*.

It reads results through what they have in common (``Observed``: a cell, a run, a verdict and facts), so it knows
nothing of the run record (edgeconform.report.model), which reads it; the verdict scale is
edgeconform.report.scale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .scale import MEASURED, QUALITY, RANK, Verdict

Kind = Literal["regression", "improvement", "change", "same"]
Effect = Literal["regression", "improvement", "change", "info"]


class Observed(Protocol):
    """What the change model reads of a result (edgeconform.report.model.Result is one)."""

    topology: str
    behaviour: str
    variant: str
    run: str
    verdict: str
    facts: dict[str, Any]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class FactChange(_Record):
    """One comparable observable of a cell that differs between the sides."""

    name: str
    words: str = Field(description="what the fact is, e.g. 'whose address the backend took for the client's'")
    before: Any
    after: Any
    effect: Effect = Field(description="regression, improvement, change, or info (shown, never counted)")

    def sentence(self) -> str:
        return f"{self.words}: {_shown(self.before)} -> {_shown(self.after)}"


class SideCell(_Record):
    """One side's view of a cell: its verdict (the worst of its results there) and its facts."""

    verdict: Verdict
    facts: dict[str, Any] = Field(default_factory=dict)


class Change(_Record):
    """One cell (row, behaviour, variant) across the sides, and what differs."""

    row: str = Field(description="the matrix row: a topology, or a compared pair")
    behaviour: str
    variant: str = ""
    kind: Kind = Field(description="from the first side to the last: regression, improvement, change or same")
    drift: bool = Field(description="the measured verdicts disagree between the sides (report merge's drift)")
    sides: dict[str, SideCell] = Field(description="side (run id; before/after) -> its view of the cell")
    facts: list[FactChange] = Field(default_factory=list, description="the facts that differ")

    @property
    def cell(self) -> str:
        return f"{self.behaviour}[{self.variant}]" if self.variant else self.behaviour

    def verdicts(self) -> str:
        """'pass -> limited' (two sides) or 'local says pass, eks says limited'."""
        if len(self.sides) == 2:
            return " -> ".join(side.verdict for side in self.sides.values())
        return ", ".join(f"{name} says {side.verdict}" for name, side in self.sides.items())


def changes(results: Iterable[Observed], side_of: Callable[[Observed], str] = lambda r: r.run,
            order: list[str] | None = None) -> list[Change]:
    """Every cell of ``results`` across its sides (``side_of``: the run by default), in the order the results come.
    ``order`` fixes the sides' order (before, after); otherwise the order they are first seen in."""
    by_cell: dict[tuple[str, str, str], dict[str, list[Observed]]] = defaultdict(lambda: defaultdict(list))
    seen_sides: list[str] = list(order or [])
    for r in results:
        side = side_of(r)
        if side not in seen_sides:
            seen_sides.append(side)
        by_cell[(r.topology, r.behaviour, r.variant)][side].append(r)
    out = []
    for (row, behaviour, variant), per_side in by_cell.items():
        sides = {name: _side(per_side[name]) for name in seen_sides if name in per_side}
        out.append(_change(row, behaviour, variant, sides))
    return out


def drifts(results: Iterable[Observed]) -> bool:
    """Whether the measured verdicts of any variant disagree between runs (a merged matrix cell's drift)."""
    return any(change.drift for change in changes(results))


def _side(results: list[Observed]) -> SideCell:
    shown = max(results, key=lambda r: RANK.get(r.verdict, 0))
    facts = shown.facts or next((r.facts for r in results if r.facts), {})
    return SideCell(verdict=shown.verdict, facts=facts)


def _change(row: str, behaviour: str, variant: str, sides: dict[str, SideCell]) -> Change:
    measured = {side.verdict for side in sides.values() if side.verdict in MEASURED}
    drift = len(measured) > 1
    if len(sides) != 2:
        return Change(row=row, behaviour=behaviour, variant=variant, kind="change" if drift else "same", drift=drift,
                      sides=sides)
    before, after = sides.values()
    both_measured = before.verdict in MEASURED and after.verdict in MEASURED
    improved = both_measured and QUALITY[after.verdict] > QUALITY[before.verdict]
    facts = fact_changes(behaviour, variant, before.facts, after.facts, improved=improved)
    effects = {fact.effect for fact in facts}
    if both_measured and QUALITY[after.verdict] < QUALITY[before.verdict]:
        effects.add("regression")
    elif improved:
        effects.add("improvement")
    elif before.verdict != after.verdict:
        effects.add("change")
    kind: Kind = next((k for k in ("regression", "improvement", "change") if k in effects), "same")  # type: ignore[assignment]
    return Change(row=row, behaviour=behaviour, variant=variant, kind=kind, drift=drift, sides=sides, facts=facts)


def fact_changes(behaviour: str, variant: str, before: dict[str, Any], after: dict[str, Any], *,
                 improved: bool = False) -> list[FactChange]:
    """The facts present on both sides that differ, each judged by its behaviour's declaration. ``improved``: the
    cell's verdict got better, so a fact that moved with it is a change, never a regression (a redirect that now
    works has a new Location: that is the improvement, not a loss)."""
    from .. import behaviours  # the registry declares how each fact is judged

    spec = None
    if behaviour in behaviours.REGISTRY and variant in behaviours.REGISTRY[behaviour].cells:
        spec = behaviours.REGISTRY[behaviour].cells[variant].facts
    out = []
    for name in [n for n in before if n in after]:
        old, new = before[name], after[name]
        if old == new:
            continue
        kind = spec.kind(name) if spec else None
        if kind is None:
            effect, words = "info", name
        elif kind.keep:
            effect, words = "regression", kind.words
        elif kind.ideal is not None and old == kind.ideal:
            effect, words = "regression", kind.words
        elif kind.ideal is not None and new == kind.ideal:
            effect, words = "improvement", kind.words
        elif kind.ideal is not None:
            effect, words = "change", kind.words
        else:
            effect, words = "info", kind.words
        if improved and effect == "regression":
            effect = "change"
        out.append(FactChange(name=name, words=words, before=old, after=new, effect=effect))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)
