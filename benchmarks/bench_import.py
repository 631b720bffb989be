"""Benchmark of `edgeconform import` on a whole cluster's objects: a `kubectl get -A -o yaml`-shaped folder of
N objects (default 5,000), end to end as a user runs it (interpreter start, reading, the topology file written).

    python benchmarks/bench_import.py [--objects 5000] [--rounds 3] [--keep DIR] [--json]

The cluster is made up but shaped as such dumps are: one `kind: List` file per namespace, and in it what
applications have (Deployments with pod templates, ReplicaSets, Pods, ClusterIP Services, ConfigMaps, Secrets,
ServiceAccounts, Roles, RoleBindings, Ingresses of the nginx class, HorizontalPodAutoscalers), plus the edge: the
ingress-nginx controller's Deployment, ConfigMap and its NLB Service (LBC annotations, PROXY v2), and a second
load-balancer Service (an application's own NLB), so the run names the edge with --edge as a user would.

Measured: wall time and CPU time (user + sys of the import process) per round; the median is the figure.
Target: under 5 s for 5,000 objects on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

EDGE = "Service ingress-nginx/ingress-nginx-controller"


def application(ns: str, i: int) -> list[dict[str, Any]]:
    """One application's objects (13)."""
    name = f"app-{i}"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
    meta = {"name": name, "namespace": ns, "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "3", "meta.helm.sh/release-name": name}}
    container = {"name": name, "image": f"registry.example.test/team/{name}:1.{i}.0",
                 "ports": [{"containerPort": 8080, "name": "http"}],
                 "env": [{"name": f"VAR_{k}", "value": f"value-{k}"} for k in range(6)],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}}
    pod_spec = {"containers": [container], "serviceAccountName": name}
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
         "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod_spec}},
         "status": {"replicas": 2, "readyReplicas": 2}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {**meta, "name": f"{name}-7d9f8"},
         "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod_spec}}},
        *({"apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "name": f"{name}-7d9f8-{k}"}, "spec": pod_spec,
           "status": {"phase": "Running", "podIP": f"10.0.{i % 250}.{k + 1}"}} for k in range(2)),
        {"apiVersion": "v1", "kind": "Service", "metadata": meta,
         "spec": {"type": "ClusterIP", "selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta, "name": f"{name}-config"},
         "data": {f"key{k}": f"value {k}" for k in range(8)}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {**meta, "name": f"{name}-secret"}, "type": "Opaque",
         "data": {"password": "c2VjcmV0"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
         "spec": {"ingressClassName": "nginx",
                  "rules": [{"host": f"{name}.{ns}.example.test", "http": {"paths": [
                      {"path": "/", "pathType": "Prefix",
                       "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
         "spec": {"minReplicas": 2, "maxReplicas": 5,
                  "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
         "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}},
    ]


def edge_objects() -> list[dict[str, Any]]:
    """The ingress-nginx edge (its Deployment, ConfigMap and NLB Service) and an application's own NLB."""
    ns, labels = "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    p = "service.beta.kubernetes.io/aws-load-balancer-"
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ingress-nginx-controller", "namespace": ns},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
             "containers": [{"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.15.1",
                             "args": ["/nginx-ingress-controller",
                                      "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller"],
                             "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}]}]}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller", "namespace": ns},
         "data": {"use-proxy-protocol": "true", "allow-snippet-annotations": "false"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "ingress-nginx-controller", "namespace": ns,
            "annotations": {p + "type": "external", p + "nlb-target-type": "ip", p + "scheme": "internet-facing",
                            p + "proxy-protocol": "*"}},
         "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": labels,
                  "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                            {"name": "https", "port": 443, "targetPort": "https"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "mqtt", "namespace": "ns-0",
            "annotations": {p + "type": "external", p + "nlb-target-type": "ip"}},
         "spec": {"type": "LoadBalancer", "selector": {"app.kubernetes.io/name": "app-0"},
                  "ports": [{"name": "mqtt", "port": 8883, "targetPort": 8883}]}},
    ]


def write_cluster(folder: Path, objects: int) -> int:
    """A cluster dump of about ``objects`` objects, one List file per namespace; returns the count written."""
    folder.mkdir(parents=True, exist_ok=True)
    edge = edge_objects()
    per_app, per_ns = len(application("x", 0)), 20
    apps = max(1, (objects - len(edge)) // per_app)
    written = 0
    for n in range(0, apps, per_ns):
        ns = f"ns-{n // per_ns}"
        items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}]
        for i in range(n, min(n + per_ns, apps)):
            items += application(ns, i)
        (folder / f"{ns}.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items},
                                                          sort_keys=False))
        written += len(items)
    (folder / "ingress-nginx.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": edge},
                                                              sort_keys=False))
    return written + len(edge)


def run_once(folder: Path, output: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("edgeconform")), "import", str(folder), "-o", str(output),
                           "--edge", EDGE], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"edgeconform import failed ({done.returncode}): {done.stderr.strip()}")
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="write the cluster here (and keep it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgeconform-bench-import-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "cluster"
        count = write_cluster(folder, args.objects)
        files = len(list(folder.glob("*.yaml")))
        size = sum(p.stat().st_size for p in folder.glob("*.yaml"))
        rounds = [run_once(folder, Path(tmp) / "edge.yaml") for _ in range(args.rounds)]
    result = {"objects": count, "files": files, "bytes": size, "rounds": rounds,
              "median_wall": statistics.median(r["wall"] for r in rounds),
              "median_cpu": statistics.median(r["cpu"] for r in rounds), "load": os.getloadavg()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"edgeconform import of {count} objects ({files} files, {size / 1e6:.1f} MB), --edge '{EDGE}':")
    for i, r in enumerate(rounds, 1):
        print(f"  round {i}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU")
    print(f"  median: {result['median_wall']:.2f} s wall, {result['median_cpu']:.2f} s CPU "
          f"(load average {result['load'][0]:.2f}); target < 5 s")


if __name__ == "__main__":
    main()
