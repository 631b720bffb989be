"""The verdict scale: the words a cell's result can be, and how they order. A leaf: every other module of the
report (the run record, the change model, the renderers) reads it, and it reads none of them.

- ``Verdict``: pass, limited (the documented limitation was observed), fail, error (the edge could not be built or
  the test broke), skip (not measurable on this target), n/a (the topology has nothing to measure).
- ``RANK``: worst first wins when a cell has several results (variants, targets, test phases).
- ``MEASURED``: the verdicts that measured something; only these can disagree across runs.
- ``QUALITY``: how good a measured verdict is, for the direction of a change (a limitation is worse than working).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Verdict = Literal["pass", "limited", "fail", "error", "skip", "n/a"]
VERDICTS: tuple[str, ...] = Verdict.__args__  # type: ignore[attr-defined]
RANK: dict[str, int] = {"error": 6, "fail": 5, "limited": 4, "pass": 3, "skip": 2, "n/a": 1}
MEASURED = frozenset({"pass", "limited", "fail", "error"})
QUALITY: dict[str, int] = {"pass": 2, "limited": 1, "fail": 0, "error": 0}


def worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=lambda v: RANK.get(v, 0))
