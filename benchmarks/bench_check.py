"""Benchmarks of the platform team's two commands, end to end as a user runs them (interpreter start included):

    python benchmarks/bench_check.py check [--rounds 3]       (./dev bench check)
    python benchmarks/bench_check.py revisions [--rounds 5]   (./dev bench revisions)

- check: ``edgeconform check`` of one NLB edge, warm (one run first, not counted, so the wheels' binaries and the
  page cache are warm): an NLB Service straight to the application (what import finds without a controller: the
  ``none`` controller), and ingress-nginx behind an NLB with PROXY v2 (examples/migrations/clean-clb-proxy-v1-to-
  nlb-proxy-v2/after/manifests). Target: under 15 s.
- revisions: ``edgeconform compare A:deploy/edge B:deploy/edge`` in a scratch git repository whose two commits
  differ in the manifests' comments and order only: both revisions read with git, imported, found equal, nothing
  run. Target: under 2 s.

Each figure is wall time (the median and the slowest of the rounds), with the load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INGRESS_NGINX = REPO / "examples" / "migrations" / "clean-clb-proxy-v1-to-nlb-proxy-v2" / "after" / "manifests"
APPLICATION = """\
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: shop
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
spec:
  type: LoadBalancer
  selector: {app: shop}
  ports:
    - {name: http, port: 80, targetPort: 8080}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: shop}
spec:
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
        - {name: shop, image: registry.example.test/shop:1.4, ports: [{containerPort: 8080}]}
"""
CLI = [sys.executable, "-m", "edgeconform.cli"]


def timed(args: list[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> float:
    start = time.monotonic()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return seconds


def say(name: str, figures: list[float], target: float) -> None:
    load = os.getloadavg()[0]
    print(f"{name}: median {statistics.median(figures):.2f} s, slowest {max(figures):.2f} s over {len(figures)} "
          f"rounds (target < {target:g} s; load average {load:.2f})")


def bench_check(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="edgeconform-bench-") as scratch:
        work = Path(scratch)
        (work / "application").mkdir()
        (work / "application" / "edge.yaml").write_text(APPLICATION)
        shutil.copytree(INGRESS_NGINX, work / "ingress-nginx")
        for name in ("application", "ingress-nginx"):
            timed([*CLI, "check", name], work)  # warm-up
            say(f"check {name} (one NLB edge, warm)", [timed([*CLI, "check", name], work) for _ in range(rounds)],
                15)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.test", *args], cwd=repo,
                   check=True, capture_output=True)


def bench_revisions(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="edgeconform-bench-") as scratch:
        repo = Path(scratch)
        git(repo, "init", "-q", "-b", "main")
        edge = repo / "deploy" / "edge"
        shutil.copytree(INGRESS_NGINX, edge)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "edge")
        for path in sorted(edge.iterdir()):  # a change that touches nothing at the edge: comments, blank lines
            path.write_text(f"# reviewed\n\n{path.read_text()}\n# end\n")
        git(repo, "commit", "-qam", "comments only")
        args = [*CLI, "compare", "HEAD~1:deploy/edge", "HEAD:deploy/edge"]
        timed(args, repo, ok=(0,))  # warm-up
        say("compare of an unchanged edge between two revisions", [timed(args, repo, ok=(0,)) for _ in range(rounds)],
            2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["check", "revisions"])
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    if args.mode == "check":
        bench_check(args.rounds or 3)
    else:
        bench_revisions(args.rounds or 5)


if __name__ == "__main__":
    main()
