"""Benchmark of the local target: each topology's bring-up, the full local matrix, and (optionally) the harness's
own tests, for this checkout and, with --baseline, for another commit in the same run.

    python benchmarks/bench_local.py [--rounds 5] [--matrix-rounds 3] [--topology NAME ...]
                                     [--controller NAME] [--mode MODE ...] [--baseline REF] [--tests] [--json]

- bring-up: from LocalTarget.build() until every process answers on its admin/stats/health endpoint, with the
  controller --controller names (default: envoy, the generic one); and the resident memory of the edge's processes
  (their children included: Envoy Gateway's Envoy) once it is up. --pause S keeps each edge up S seconds before the
  next, as its tests would, which a controller started ahead (Envoy Gateway's standby) uses; 0: all from nothing;
- the matrix as a user runs it: `pytest suites` in a subprocess (interpreter start included), every catalog
  topology x the four behaviours, then with the security suite too, serially and with pytest-xdist -n 2;
- --tests: `pytest tests` once per tree (minutes);
- --baseline REF: the same measures for REF, from a temporary git worktree run with this venv, the two trees
  taking turns round by round so both see the same machine load. The worktree is removed at the end.

Targets on a 2-core machine: a topology up in under 0.5 s, the full matrix in under 20 s serial; with a real
controller (issue 11): a topology up in under 2 s (Envoy Gateway), the catalog x four behaviours under 60 s serial.
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
import json, os, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
names, rounds, controller, pause = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])

def family(pids):
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                todo += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except OSError:
            pass
    return found

def rss_mib(pid):
    try:
        return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return 0.0

# pause > 0: each edge stays up that long (as while its tests run), so a controller started ahead for the next edge
# (Controller.standby) has that time; 0: every edge from nothing
topologies, out, memory = catalog.load(), {}, {}
names = [name for name in names if name in topologies]  # a baseline tree knows only its own catalog
try:
    target = LocalTarget(controller, standby=pause > 0)
except TypeError:  # a baseline tree from before controllers and standbys
    target = LocalTarget()
for name in names:
    for i in range(rounds):
        started = time.perf_counter()
        t = topologies[name]
        edge = target.build(t.with_controller(controller) if hasattr(t, "with_controller") else t)
        out.setdefault(name, []).append(time.perf_counter() - started)
        if i == 0:
            pids = edge.lifecycle.pids if hasattr(edge, "lifecycle") else edge.pids  # a baseline tree's Edge has pids()
            memory[name] = [sum(rss_mib(pid) for pid in family(pids()))]
        if pause:
            time.sleep(pause)  # the edge stays up as while its tests run (not a wait for anything)
        edge.close()
standing = [sum(rss_mib(pid) for pid in family(s.supervisor.pids())) for s in getattr(target, "_standby", {}).values()]
if hasattr(target, "close"):  # a baseline tree's target holds nothing between edges
    target.close()
print(json.dumps({"seconds": out, "memory": memory, "standby": standing}))
"""


class Tree:
    """A checkout to measure: this one, or a baseline commit in a temporary worktree."""

    def __init__(self, label: str, root: Path, failures_expected: bool = False):
        self.label, self.root = label, root
        self.failures_expected = failures_expected  # a controller whose documented verdicts include failures

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.root), "PYTHONDONTWRITEBYTECODE": "1"}

    def plugins(self) -> list[str]:
        """The tree's own pytest plugins, loaded by name (this venv's entry points are this checkout's)."""
        declared = tomllib.loads((self.root / "pyproject.toml").read_text())["project"]["entry-points"]["pytest11"]
        return [arg for module in declared.values() if module != "edgeconform.plugin" for arg in ("-p", module)]

    def pytest(self, *args: str) -> float:
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", *self.plugins()],
                             cwd=self.root, env=self.env(), capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if run.returncode != 0 and not (self.failures_expected and run.returncode == 1):
            raise SystemExit(f"{self.label}: pytest {' '.join(args)} failed:\n{run.stdout[-3000:]}")
        return elapsed

    def bring_up(self, names: list[str], rounds: int, controller: str, pause: float) -> dict:
        run = subprocess.run([sys.executable, "-c", BRING_UP, json.dumps(names), str(rounds), controller, str(pause)],
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
        measured = tree.bring_up(names, args.rounds, args.controller, args.pause)
        for name, times in measured["seconds"].items():
            out.setdefault(f"bring-up {name}", {})[tree.label] = times
        out.setdefault("bring-up, all topologies", {})[tree.label] = [
            x for times in measured["seconds"].values() for x in times]
        for name, mib in measured["memory"].items():
            out.setdefault(f"memory {name} (MiB)", {})[tree.label] = mib
        if measured["standby"]:
            out.setdefault("memory of the controller started ahead (MiB)", {})[tree.label] = measured["standby"]
    # the default controller is not named (a baseline from before --controller had local choices cannot parse it)
    chosen = ["--controller", args.controller] if args.controller != "envoy" else []
    for mode in args.mode or list(MODES):
        for _ in range(args.matrix_rounds):
            for tree in trees:
                out.setdefault(mode, {}).setdefault(tree.label, []).append(
                    tree.pytest("suites", "--no-matrix", *chosen, *MODES[mode]))
    if args.tests:
        for tree in trees:
            out.setdefault("pytest tests (the harness's own tests)", {})[tree.label] = [tree.pytest("tests")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="bring-ups per topology")
    parser.add_argument("--matrix-rounds", type=int, default=3, help="full matrix runs per mode and tree")
    parser.add_argument("--topology", action="append", help="topologies to bring up (default: all of the catalog)")
    parser.add_argument("--controller", default="envoy", help="the controller of the local target (default: envoy)")
    parser.add_argument("--mode", action="append", choices=list(MODES), help="matrix modes to run (default: all)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each edge stays up before the next is built, as while its tests run: a controller "
                             "started ahead for the next edge (Envoy Gateway) gets that time; 0 (default): every "
                             "edge from nothing")
    parser.add_argument("--failures-expected", action="store_true",
                        help="time matrix runs that fail as documented (Envoy Gateway's websocket[ws]) instead of "
                             "stopping at them")
    parser.add_argument("--baseline", metavar="REF", help="also measure this commit (a temporary git worktree)")
    parser.add_argument("--tests", action="store_true", help="also time `pytest tests` once per tree")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from edgeconform import catalog

    names = args.topology or list(catalog.load())
    # a real controller's documented failures (Traefik's, Envoy Gateway's) do not stop the matrix runs
    args.failures_expected = args.failures_expected or args.controller != "envoy"
    trees = [Tree("this checkout", REPO, args.failures_expected)]
    baseline = worktree(args.baseline) if args.baseline else None
    try:
        if baseline is not None:
            trees.append(Tree(f"baseline {args.baseline}", baseline, args.failures_expected))
        results = measure(trees, names, args)
    finally:
        if baseline is not None:
            remove_worktree(baseline)
    if args.json:
        print(json.dumps({"trees": [t.label for t in trees], "seconds": results}, indent=2))
        return
    table = Table(title=f"edgeconform local benchmark, controller {args.controller} (median seconds; bring-up "
                        f"x{args.rounds}, matrix x{args.matrix_rounds}; memory: MiB)")
    table.add_column("measure")
    for tree in trees:
        table.add_column(tree.label, justify="right")
    digits = lambda name: 3 if name.startswith("bring-up") else 1  # noqa: E731
    for name, by_tree in results.items():  # "-": a measure a tree has no part for (a topology the baseline lacks)
        table.add_row(name, *(f"{statistics.median(by_tree[t.label]):.{digits(name)}f}" if by_tree.get(t.label)
                              else "-" for t in trees))
    Console().print(table)
    for name, by_tree in results.items():  # the spread, for a shared machine's noise
        if name.startswith("bring-up"):
            spread = {t.label: f"{min(by_tree[t.label]):.2f}-{max(by_tree[t.label]):.2f}" for t in trees
                      if by_tree.get(t.label)}
            Console().print(f"{name}: min-max {spread}")


if __name__ == "__main__":
    main()
