"""Benchmark of the eks target's concurrent provisioning: N topologies ready in about the time of the slowest one,
not the sum, against the FAKE Kubernetes API (tests/targets/eks/fake_kube.py) with simulated AWS times.

    python benchmarks/bench_eks_provision.py [--provision 1.5] [--dns 0.5] [--delete 1.0] [--rounds 3]
                                             [--mode lbc-annotations|lbc-gateway|auto-mode] [--topology NAME ...]
                                             [--no-serial] [--json]

Simulated: the cloud. Each load balancer's DNS name appears in its object's status --provision seconds after
the object was created, resolves --dns seconds later, and its object is gone --delete seconds after it was
deleted (the AWS controller's finalizer). Real: the eks target itself (plans, the ledger, the one wait loop, the
controller's settings per topology, the lb-targets wait with real HTTP requests through real local edges, which
play the load balancers as in the harness's tests: HAProxy/Envoy stand-ins, the Envoy controller, the echo). The
local edges are built once, before anything is timed.

Measured, per round:
- concurrent (the eks target as a run uses it): will_build(all), then build and close each topology in turn (no
  probes), then the session's close. "ready" is when the last topology was handed out ready, "deleted" the
  session's close (waiting for the load balancers still deleting);
- serial (--no-serial skips it): one topology at a time, as before this change: build, close, wait for its
  deletion, next. The same code, given one topology per session.
Target: 9 x (1.5 + 0.5) s simulated -> all ready in < 4 s (serial: ~27 s with deletion).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "targets" / "eks"))

ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-00000000000{}"
CERTS = ["default.edgeconform.test", "app.edgeconform.test", "api.edgeconform.test", "*.edgeconform.test"]
EMISSARY = {"app.kubernetes.io/name": "emissary-ingress", "app.kubernetes.io/instance": "emissary-ingress"}
INTERVAL = 0.05  # the target's poll interval here (a real run polls every 10 s)


def high_ports(t):
    """The topology with its listeners on 8080/8443, where the local stand-ins serve them."""
    listeners = [item.model_copy(update={"port": item.port + 8000}) for item in t.lb.listeners]
    return t.model_copy(update={"load_balancer": t.lb.model_copy(update={"listeners": listeners})})


class Cloud:
    """The simulated AWS side of one session: a fake cluster whose load balancers take simulated time, and DNS."""

    def __init__(self, mode: str, local_edges: dict, args: argparse.Namespace):
        from fake_kube import ALB_CLASS, World, node, pod, seed_mode

        self.world = World(hostname="{name}.elb.fake", provision_seconds=args.provision,
                           finalize_seconds=args.delete, finalize_after=0)
        self.world.seed(pod("emissary-0", "emissary", EMISSARY, "10.1.2.3"))
        self.world.seed(node("node-a", "10.0.1.10"))
        if mode == "lbc-annotations":
            self.world.seed(ALB_CLASS)  # no webhook: the legacy provider builds the Classic ELBs
        else:
            seed_mode(self.world, mode)
        self.local_edges, self.dns_seconds = local_edges, args.dns
        self.appeared: dict[str, float] = {}

    def resolve(self, hostname: str) -> list[str]:
        """A name resolves --dns seconds after the first lookup (the load balancer just appeared in its status)."""
        first = self.appeared.setdefault(hostname, time.monotonic())
        if time.monotonic() - first < self.dns_seconds:
            raise OSError(f"{hostname}: NXDOMAIN (simulated)")
        edge = self.local_edges[hostname.split(".")[0].removeprefix("edgeconform-")]
        return [(edge.endpoint("https") or edge.endpoint("http")).ip]


def make_target(cloud: Cloud, mode: str):
    from edgeconform.targets.eks import settings as eks_settings
    from edgeconform.targets.eks.target import EksTarget
    from fake_kube import fake_cluster

    timeouts = ["echo-ready=5", "lb-provision=60", "lb-dns=60", "lb-targets=30", "lb-delete=60", "namespace-delete=10"]
    settings = eks_settings.load(None, kubeconfig="/fake/kubeconfig", client_ip="127.0.0.1", timeout=timeouts,
                                 mode=None if mode == "lbc-annotations" else mode,
                                 acm_cert=[f"{n}={ARN.format(i)}" for i, n in enumerate(CERTS)])
    return EksTarget(settings, connect=lambda _: fake_cluster(cloud.world), resolver=cloud.resolve,
                     connector=lambda ip, port, timeout: "refused", interval=INTERVAL, say=lambda message: None)


def concurrent(topologies: list, mode: str, local_edges: dict, args: argparse.Namespace) -> dict:
    cloud = Cloud(mode, local_edges, args)
    target = make_target(cloud, mode)
    started = time.monotonic()
    try:
        target.will_build(topologies)
        for t in topologies:
            edge = target.build(t)
            edge.close()
        ready = time.monotonic() - started
    finally:
        closing = time.monotonic()
        target.close()
    deleted = time.monotonic() - closing
    left = [k for k in cloud.world.objects if k[1] in ("emissary", "edgeconform") and k[0] != "Pod"]
    assert not left, f"left behind: {left}"
    per = {name: {**r.phases, "ready_at": r.ready_at} for name, r in target.ready.items()}
    return {"ready": ready, "deleted": deleted, "total": ready + deleted, "topologies": per,
            "provisioned_in": target.provisioned_in[0][1] if target.provisioned_in else None}


def serial(topologies: list, mode: str, local_edges: dict, args: argparse.Namespace) -> dict:
    started = time.monotonic()
    for t in topologies:
        cloud = Cloud(mode, local_edges, args)
        target = make_target(cloud, mode)
        try:
            target.will_build([t])
            target.build(t).close()
        finally:
            target.close()
    return {"total": time.monotonic() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provision", type=float, default=1.5, help="simulated provisioning seconds per load balancer")
    parser.add_argument("--dns", type=float, default=0.5, help="simulated seconds until its name resolves")
    parser.add_argument("--delete", type=float, default=1.0, help="simulated deletion seconds per load balancer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", default="lbc-annotations", choices=["lbc-annotations", "lbc-gateway", "auto-mode"])
    parser.add_argument("--topology", action="append", help="default: every catalog topology the mode can build")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-at-a-time baseline")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from edgeconform import catalog
    from edgeconform.targets.eks import builders
    from edgeconform.targets.eks.settings import EksSettings
    from edgeconform.targets.local import LocalTarget

    catalog_topologies = catalog.load()
    names = args.topology or [n for n, t in catalog_topologies.items()
                              if not builders.get(args.mode).refusals(t, EksSettings(certificates={}))]
    topologies = [high_ports(catalog_topologies[name]) for name in names]
    local_edges: dict = {}
    results: dict = {"concurrent": [], "serial": []}
    try:
        for t in topologies:  # the load balancers' stand-ins, once, before anything is timed
            local_edges[t.name] = LocalTarget(isolation="loopback").build(t)
        for _ in range(args.rounds):
            results["concurrent"].append(concurrent(topologies, args.mode, local_edges, args))
            if not args.no_serial:
                results["serial"].append(serial(topologies, args.mode, local_edges, args))
    finally:
        for edge in local_edges.values():
            edge.close()
    simulated = args.provision + args.dns
    summary = {
        "mode": args.mode, "topologies": names, "simulated_seconds_per_lb": simulated, "delete_seconds": args.delete,
        "poll_interval": INTERVAL,
        "concurrent_ready_median": statistics.median(r["ready"] for r in results["concurrent"]),
        "concurrent_deleted_median": statistics.median(r["deleted"] for r in results["concurrent"]),
        "concurrent_total_median": statistics.median(r["total"] for r in results["concurrent"]),
        "serial_total_median": statistics.median(r["total"] for r in results["serial"]) if results["serial"] else None,
    }
    if args.json:
        print(json.dumps({"summary": summary, "rounds": results}, indent=2))
        return
    n = len(names)
    print(f"eks concurrent provisioning, mode {args.mode}, {n} topologies, fake Kubernetes API; simulated per load "
          f"balancer: provisioning {args.provision:g} s + DNS {args.dns:g} s = {simulated:g} s, deletion "
          f"{args.delete:g} s; poll interval {INTERVAL:g} s; {args.rounds} rounds (median)")
    print(f"  all {n} ready (provisioned together, then handed out one by one): "
          f"{summary['concurrent_ready_median']:.2f} s   (the sum would be {n} x {simulated:g} = {n * simulated:g} s)")
    print(f"  their deletion, overlapped:                                    {summary['concurrent_deleted_median']:.2f} s"
          f"   (the sum would be {n * args.delete:g} s)")
    print(f"  concurrent total:                                              {summary['concurrent_total_median']:.2f} s")
    if summary["serial_total_median"] is not None:
        print(f"  one topology per session (the pattern before), each provisioned and deleted in turn: "
              f"{summary['serial_total_median']:.2f} s")
    last = results["concurrent"][-1]["topologies"]
    print("  last round, per topology (s): " + "; ".join(
        f"{name} provision {p.get('lb-provision', 0):.2f} dns {p.get('lb-dns', 0):.2f} targets "
        f"{p.get('lb-targets', 0):.2f} ready at {p['ready_at']:.2f}" for name, p in last.items()))


if __name__ == "__main__":
    main()
