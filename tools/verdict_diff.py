#!/usr/bin/env python3
"""Compare the verdicts of two runs cell by cell: (run, topology, behaviour, variant) -> verdict.

    tools/verdict_diff.py [--across-targets] BEFORE AFTER

BEFORE and AFTER are report.json files, --report directories, or folders of them (compared by their path under
the folder: the per-controller baselines, the misconfigured examples). Messages, timings and observations may
change in a refactoring; verdicts may not. Exit status 0 when every cell has the same verdict on both sides, 1
otherwise (each difference listed), 2 on bad input. How to use it: docs/extending.md ("Before and after a change").
--across-targets compares runs of two targets (local and kind: docs/kind.md): a cell is named without its run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def verdicts(report: Path, across_targets: bool = False) -> dict[tuple[str, str, str, str], str]:
    """Cell -> verdict; a cell is named by its run too (a merged report holds several: local, eks, ...), unless the
    two sides are runs of different targets."""
    data = json.loads(report.read_text())
    return {("" if across_targets else r.get("run", ""), r["topology"], r["behaviour"], r.get("variant", "")):
            r["verdict"] for r in data["results"]}


def reports(root: Path) -> dict[str, Path]:
    """Relative folder -> report.json under ``root`` (``root`` itself may be one)."""
    if root.is_file():
        return {".": root}
    return {str(p.parent.relative_to(root)): p for p in sorted(root.rglob("report.json"))}


def diff(before: Path, after: Path, across_targets: bool = False) -> list[str]:
    old, new = reports(before), reports(after)
    problems = [f"{where}: no report on the {side} side" for where, side in
                [*((w, "after") for w in old if w not in new), *((w, "before") for w in new if w not in old)]]
    for where in sorted(set(old) & set(new)):
        a, b = verdicts(old[where], across_targets), verdicts(new[where], across_targets)
        for cell in sorted(set(a) | set(b)):
            if a.get(cell) != b.get(cell):
                run, topology, behaviour, variant = cell
                name = f"{topology} · {behaviour}" + (f"[{variant}]" if variant else "") + (f" ({run})" if run else "")
                problems.append(f"{where}: {name}: {a.get(cell, 'absent')} -> {b.get(cell, 'absent')}")
    return problems


class Unreadable(Exception):
    """A side that is not a report: which file, and why."""


def main(argv: list[str]) -> int:
    across = "--across-targets" in argv
    argv = [a for a in argv if a != "--across-targets"]
    if len(argv) != 2 or not all(Path(a).exists() for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    before, after = map(Path, argv)
    try:
        for side in (before, after):
            if not reports(side):
                raise Unreadable(f"{side}: no report.json in this folder (pytest suites --report DIR writes one)")
            for path in reports(side).values():
                try:
                    verdicts(path)
                except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                    why = f"{type(exc).__name__}: {exc}"
                    raise Unreadable(f"{path}: not a report.json of edgeconform ({why})") from None
    except Unreadable as exc:
        print(f"verdict_diff: {exc}", file=sys.stderr)
        return 2
    problems = diff(before, after, across)
    cells = sum(len(verdicts(p)) for p in reports(after).values())
    for line in problems:
        print(line)
    print(f"{len(reports(after))} report(s), {cells} cell(s): "
          + (f"{len(problems)} difference(s)" if problems else "every verdict the same"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
