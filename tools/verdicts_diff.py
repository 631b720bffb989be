#!/usr/bin/env python3
"""Compare the verdicts of two report.json files cell by cell: (run, topology, behaviour, variant) -> verdict.

    tools/verdicts_diff.py BEFORE/report.json AFTER/report.json [more pairs...]

Prints every cell whose verdict differs or that only one side has, then a count per pair; exits 1 when any
differs. Messages, timings and observations are not compared: a refactoring may change those, not verdicts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def verdicts(path: Path) -> dict[tuple[str, str, str, str], str]:
    report = json.loads(path.read_text())
    return {(r.get("run", ""), r["topology"], r["behaviour"], r.get("variant", "")): r["verdict"]
            for r in report["results"]}


def compare(before: Path, after: Path) -> list[str]:
    old, new = verdicts(before), verdicts(after)
    out = []
    for cell in sorted(old.keys() | new.keys()):
        a, b = old.get(cell, "(absent)"), new.get(cell, "(absent)")
        if a != b:
            run, topology, behaviour, variant = cell
            name = f"{behaviour}[{variant}]" if variant else behaviour
            out.append(f"{topology} {name} ({run}): {a} -> {b}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    differs = False
    for before, after in zip(argv[::2], argv[1::2]):
        found = compare(Path(before), Path(after))
        cells = len(verdicts(Path(before)))
        print(f"{before} -> {after}: {cells} cells, {len(found)} differ")
        for line in found:
            print(f"  {line}")
        differs = differs or bool(found)
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
