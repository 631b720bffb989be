"""Benchmark of the local target: one topology's bring-up, and the full local matrix.

    python benchmarks/bench_local.py [--rounds 5] [--matrix-rounds 3] [--topology NAME ...] [--json]

Bring-up is timed from LocalTarget.build() until every process answers on its admin/stats/health endpoint
(the edge is ready), per topology. The matrix is timed as a user runs it: `pytest suites` in a subprocess,
every catalog topology x the four behaviours, then with the security suite too, serially and with
pytest-xdist -n 2. Targets on a 2-core machine: a
topology up in under 0.5 s, the full matrix in under 20 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from edgeconform import catalog
from edgeconform.targets.local import LocalTarget

REPO = Path(__file__).resolve().parent.parent


def bring_up(names: list[str], rounds: int) -> dict[str, list[float]]:
    topologies = catalog.load()
    times: dict[str, list[float]] = {}
    target = LocalTarget()
    for name in names:
        for _ in range(rounds):
            started = time.perf_counter()
            edge = target.build(topologies[name])
            times.setdefault(name, []).append(time.perf_counter() - started)
            edge.close()
    return times


def matrix(rounds: int, extra: list[str]) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider",
                              "--no-matrix", *extra], cwd=REPO, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if run.returncode != 0:
            raise SystemExit(f"the matrix run failed:\n{run.stdout[-3000:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="bring-ups per topology")
    parser.add_argument("--matrix-rounds", type=int, default=3, help="full matrix runs per mode")
    parser.add_argument("--topology", action="append", help="topologies to bring up (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    names = args.topology or list(catalog.load())
    ups = bring_up(names, args.rounds)
    four = ["-m", "not security"]  # the four behaviours of the matrix target
    modes = {"4 behaviours, serial": four, "4 behaviours, -n 2": [*four, "-n", "2", "--dist", "loadgroup"],
             "with security, serial": [], "with security, -n 2": ["-n", "2", "--dist", "loadgroup"]}
    runs = {mode: matrix(args.matrix_rounds, extra) for mode, extra in modes.items()}
    result = {
        "bring_up_seconds": {n: {"median": statistics.median(t), "min": min(t), "max": max(t)} for n, t in ups.items()},
        "matrix_seconds": {mode: {"median": statistics.median(t), "runs": t} for mode, t in runs.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    console = Console()
    table = Table(title=f"bring-up to ready ({args.rounds} rounds each)")
    for column in ("topology", "median s", "min s", "max s"):
        table.add_column(column, justify="right" if column != "topology" else "left")
    for name, stats in result["bring_up_seconds"].items():
        table.add_row(name, *(f"{stats[k]:.3f}" for k in ("median", "min", "max")))
    console.print(table)
    for mode, stats in result["matrix_seconds"].items():
        runs = ", ".join(f"{t:.1f}" for t in stats["runs"])
        console.print(f"full local matrix ({mode}): median {stats['median']:.1f} s (runs: {runs})")


if __name__ == "__main__":
    main()
