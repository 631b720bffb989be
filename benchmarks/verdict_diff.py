"""Compare the verdicts of two runs cell by cell: (topology, behaviour, variant) -> verdict.

    python benchmarks/verdict_diff.py BEFORE AFTER

BEFORE and AFTER are report.json files, --report directories, or folders of them (compared by their path under
the folder: the per-controller baselines, the misconfigured examples). Messages may change; verdicts may not. Exit
status 0 when every cell has the same verdict on both sides, 1 otherwise (each difference listed), 2 on bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def verdicts(report: Path) -> dict[tuple[str, str, str], str]:
    data = json.loads(report.read_text())
    return {(r["topology"], r["behaviour"], r["variant"]): r["verdict"] for r in data["results"]}


def reports(root: Path) -> dict[str, Path]:
    """Relative folder -> report.json under ``root`` (``root`` itself may be one)."""
    if root.is_file():
        return {".": root}
    return {str(p.parent.relative_to(root)): p for p in sorted(root.rglob("report.json"))}


def diff(before: Path, after: Path) -> list[str]:
    old, new = reports(before), reports(after)
    problems = [f"{where}: no report on the {side} side" for where, side in
                [*((w, "after") for w in old if w not in new), *((w, "before") for w in new if w not in old)]]
    for where in sorted(set(old) & set(new)):
        a, b = verdicts(old[where]), verdicts(new[where])
        for cell in sorted(set(a) | set(b)):
            if a.get(cell) != b.get(cell):
                name = f"{cell[0]} · {cell[1]}" + (f"[{cell[2]}]" if cell[2] else "")
                problems.append(f"{where}: {name}: {a.get(cell, 'absent')} -> {b.get(cell, 'absent')}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not all(Path(a).exists() for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    before, after = map(Path, argv)
    problems = diff(before, after)
    cells = sum(len(verdicts(p)) for p in reports(after).values())
    for line in problems:
        print(line)
    print(f"{len(reports(after))} report(s), {cells} cell(s): "
          + (f"{len(problems)} difference(s)" if problems else "every verdict the same"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
