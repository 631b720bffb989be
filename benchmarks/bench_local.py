"""Benchmark of the local target: each topology's bring-up, the full local matrix, and (optionally) the harness's
own tests, for this checkout and, with --baseline, for another commit in the same run.

    python benchmarks/bench_local.py [--rounds 5] [--matrix-rounds 3] [--topology NAME ...]
                                     [--baseline REF] [--tests] [--json] [--controller NAME]

- bring-up: from LocalTarget.build() until every process answers on its admin/stats/health endpoint, and the
  resident memory of one topology's processes (the first round's, summed);
- --controller NAME: every measure with that controller (a real one: its documented failures do not stop the
  matrix runs);
- the matrix as a user runs it: `pytest suites` in a subprocess (interpreter start included), every catalog
  topology x the four behaviours, then with the security suite too, serially and with pytest-xdist -n 2;
- --tests: `pytest tests` once per tree (minutes);
- --baseline REF: the same measures for REF, from a temporary git worktree run with this venv, the two trees
  taking turns round by round so both see the same machine load. The worktree is removed at the end.

Targets on a 2-core machine: a topology up in under 0.5 s, the full matrix in under 20 s serial.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
FOUR = ["-m", "not security"]  # the four behaviours of the matrix
MODES = {"matrix, 4 behaviours, serial": FOUR,
         "matrix, 4 behaviours, -n 2": [*FOUR, "-n", "2", "--dist", "loadgroup"],
         "matrix with security, serial": [],
         "matrix with security, -n 2": ["-n", "2", "--dist", "loadgroup"]}
# Runs in a subprocess with the tree's own package first on sys.path: bring-up of each topology, in seconds.
BRING_UP = """
import json, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
names, rounds, controller = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
topologies, target, out = catalog.load(), LocalTarget(controller), {}

def rss_mib(pids):
    total = 0
    for pid in pids:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024

for name in names:
    for i in range(rounds):
        started = time.perf_counter()
        edge = target.build(topologies[name].with_controller(controller))
        out.setdefault(name, []).append(time.perf_counter() - started)
        if i == 0:
            out.setdefault("rss " + name, []).append(rss_mib(edge.pids()))
        edge.close()
print(json.dumps(out))
"""


class Tree:
    """A checkout to measure: this one, or a baseline commit in a temporary worktree."""

    def __init__(self, label: str, root: Path, controller: str = "envoy"):
        self.label, self.root, self.controller = label, root, controller

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root), "PYTHONDONTWRITEBYTECODE": "1"}

    def plugins(self) -> list[str]:
        """The tree's own pytest plugins, loaded by name (this venv's entry points are this checkout's)."""
        declared = tomllib.loads((self.root / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
        return [arg for module in declared.values() if module != "edgeconform.plugin" for arg in ("-p", module)]

    def pytest(self, *args: str) -> float:
        started = time.perf_counter()
        chosen = ["--controller", self.controller] if args and args[0] == "suites" else []
        run = subprocess.run([sys.executable, "-m", "pytest", *args, *chosen, "-q", "-p", "no:cacheprovider",
                              *self.plugins()], cwd=self.root, env=self.env(), capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        documented = self.controller != "envoy" and run.returncode == 1  # a real controller's documented failures
        if run.returncode != 0 and not documented:
            raise SystemExit(f"{self.label}: pytest {' '.join(args)} failed:\n{run.stdout[-3000:]}")
        return elapsed

    def bring_up(self, names: list[str], rounds: int) -> dict[str, list[float]]:
        run = subprocess.run([sys.executable, "-c", BRING_UP, json.dumps(names), str(rounds), self.controller],
                             cwd=self.root, env=self.env(), capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{self.label}: bring-up failed:\n{run.stderr[-3000:]}")
        return json.loads(run.stdout.strip().splitlines()[-1])


def worktree(ref: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), ref], cwd=REPO, check=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def measure(trees: list[Tree], names: list[str], args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """measure name -> tree label -> seconds per run; the trees take turns."""
    out: dict[str, dict[str, list[float]]] = {}
    for tree in trees:
        for name, times in tree.bring_up(names, args.rounds).items():
            label = f"RSS MiB {name[4:]}" if name.startswith("rss ") else f"bring-up {name}"
            out.setdefault(label, {})[tree.label] = times
    for mode, extra in MODES.items():
        for _ in range(args.matrix_rounds):
            for tree in trees:
                out.setdefault(mode, {}).setdefault(tree.label, []).append(
                    tree.pytest("suites", "--no-matrix", *extra))
    if args.tests:
        for tree in trees:
            out.setdefault("pytest tests (the harness's own tests)", {})[tree.label] = [tree.pytest("tests")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="bring-ups per topology")
    parser.add_argument("--matrix-rounds", type=int, default=3, help="full matrix runs per mode and tree")
    parser.add_argument("--topology", action="append", help="topologies to bring up (default: all of the catalog)")
    parser.add_argument("--baseline", metavar="REF", help="also measure this commit (a temporary git worktree)")
    parser.add_argument("--tests", action="store_true", help="also time `pytest tests` once per tree")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--controller", default="envoy", help="the local controller to measure (envoy, traefik, ...)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from edgeconform import catalog

    names = args.topology or list(catalog.load())
    trees = [Tree("this checkout", REPO, args.controller)]
    baseline = worktree(args.baseline) if args.baseline else None
    try:
        if baseline is not None:
            trees.append(Tree(f"baseline {args.baseline}", baseline, args.controller))
        results = measure(trees, names, args)
    finally:
        if baseline is not None:
            remove_worktree(baseline)
    if args.json:
        print(json.dumps({"trees": [t.label for t in trees], "seconds": results}, indent=2))
        return
    table = Table(title=f"edgeconform local benchmark, controller {args.controller} (median seconds; bring-up "
                        f"x{args.rounds}, matrix x{args.matrix_rounds}; RSS in MiB)")
    table.add_column("measure")
    for tree in trees:
        table.add_column(tree.label, justify="right")
    for name, by_tree in results.items():
        table.add_row(name, *(f"{statistics.median(by_tree[t.label]):.3f}" if name.startswith(("bring-up", "RSS"))
                              else f"{statistics.median(by_tree[t.label]):.1f}" for t in trees))
    Console().print(table)


if __name__ == "__main__":
    main()
