"""Benchmark of `edgeconform compare`: two topologies x every behaviour (the four behaviours and the ten security
checks: 15 cells a side), end to end as a user runs it (interpreter start, both pytest runs, the migration report).

    python benchmarks/bench_compare.py [--rounds 3] [--pair NAME ...] [--json]      (./dev bench compare)

Pairs come from examples/migrations/, in abstract terms (controller.kind removed: the generic controller runs both
sides, so the measure does not depend on which controller plug-ins are installed):
- a clean migration (every cell passes on both sides),
- a one-cell regression (the ALB's client address lost),
- the worst case: every cell of the after side fails, and a failing cell waits out its convergence timeout.

Modes:
- compare: the command as shipped (both sides at once);
- sides one after the other: the same two pytest runs, serially (what running them at once saves);
- with --xdist, also compare -n 2: each side's cells over two pytest-xdist workers (`-- -n 2 --dist load`).

Each figure is wall time, with the CPU time it took (user + sys of every process it waited for): the machine is
shared, a busy one stretches the wall time, the CPU time stays. The load average is printed too.

Target on the 2-core machine: under 30 s per compare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from edgeconform.compare import sides

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "migrations"
PAIRS = {"clean": "clean-clb-proxy-v1-to-nlb-proxy-v2",
         "one-cell regression": "nginx-alb-forwarded-headers-to-traefik",
         "every cell fails after": "nginx-nlb-proxy-v2-to-envoy-gateway"}


def abstract_copy(pair: str, into: Path) -> Path:
    """The pair with controller.kind removed from both topology files (edgeconform.compare.sides.abstract_copy)."""
    return sides.abstract_copy(EXAMPLES / pair, into)


CPU = [0.0]  # CPU seconds of the processes waited for since the last measure


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], ok: tuple[int, ...]) -> float:
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    CPU[0] += _children_cpu() - cpu
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def compare(folder: Path, out: Path, extra: list[str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, "-m", "edgeconform.cli", "compare", str(folder / "before.yaml"), str(folder / "after.yaml"),
            "--report", str(out)]
    return timed(argv + (["--", *extra] if extra else []), ok=(0, 1))


def serial_sides(folder: Path, out: Path) -> float:
    """The two runs compare makes, one after the other (the commands of edgeconform.compare.run)."""
    sys.path.insert(0, str(REPO))
    from edgeconform.compare import run, sides

    plan = sides.plan(str(folder / "before.yaml"), str(folder / "after.yaml"), [])
    total = 0.0
    for side in (plan.before, plan.after):
        where = out / side.label
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        total += timed(run.command(side, where, []), ok=(0, 1))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pair", action="append", choices=list(PAIRS), help="default: all three")
    parser.add_argument("--xdist", action="store_true", help="also measure compare -- -n 2 --dist load")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    modes = {"compare": lambda f, o: compare(f, o, []), "sides one after the other": serial_sides}
    if args.xdist:
        modes["compare -n 2"] = lambda f, o: compare(f, o, ["-n", "2", "--dist", "load"])
    load_before = os.getloadavg()
    seconds: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        work = Path(tmp)
        for label in args.pair or list(PAIRS):
            folder = abstract_copy(PAIRS[label], work)
            for _ in range(args.rounds):  # modes take turns, so each sees the same machine load
                for mode, measure in modes.items():
                    CPU[0] = 0.0
                    seconds.setdefault(label, {}).setdefault(mode, []).append(measure(folder, work / "out"))
                    cpu.setdefault(label, {}).setdefault(mode, []).append(CPU[0])
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "loadavg": [load_before, load_after]}, indent=2))
        return
    table = Table(title=f"edgeconform compare, two topologies x every behaviour: wall time, median of "
                        f"{args.rounds} (max) / CPU time, median")
    table.add_column("pair")
    for mode in modes:
        table.add_column(mode, justify="right")
    for label, by_mode in seconds.items():
        table.add_row(label, *(f"{statistics.median(v):.1f} s ({max(v):.1f}) / {statistics.median(cpu[label][m]):.1f} s"
                               for m, v in by_mode.items()))
    console = Console()
    console.print(table)
    console.print(f"load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; after: "
                  f"{', '.join(f'{x:.1f}' for x in load_after)} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
