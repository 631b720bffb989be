"""FAKE Kubernetes API: the one fake this project allows, because no API server can run on the test machine.

It stands in for exactly the client surface the eks target uses through edgeconform.kube.api.Cluster: the
dynamic client (resources.get -> get / create / replace / delete / server_side_apply) and the three CoreV1Api
calls Cluster makes (list_namespaced_pod, list_node, read_namespaced_pod_log, list_namespaced_event). Objects
are plain dicts in one store; the typed calls return the kubernetes package's own models.

A few scripted behaviours of the real world, each off unless a test asks for it:
- a Deployment gets one ready Pod (so "pods ready" waits end);
- a LoadBalancer Service / an Ingress / a Gateway gets its DNS name after ``provision_after`` reads of it, or
  ``provision_seconds`` after it was created (simulated provisioning time, for the concurrency benchmark);
- deleting an object with finalizers leaves it for ``finalize_after`` reads, or ``finalize_seconds`` (the AWS
  controller at work);
- a NodePort or LoadBalancer Service gets node ports (unless allocateLoadBalancerNodePorts is false);
- a namespace's deletion takes its objects with it;
- ``webhook_class`` is what a mutating webhook puts into a LoadBalancer Service's spec.loadBalancerClass;
- ``fail_on`` / ``interrupt_on``: an exception or KeyboardInterrupt at a chosen call.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from edgeconform.kube.api import Cluster

CLUSTER_SCOPED = {"Namespace", "Node", "IngressClass", "GatewayClass", "IngressClassParams", "CustomResourceDefinition"}
LB_KINDS = {"Ingress", "Gateway"}  # and Services of type LoadBalancer


def api_error(status: int, message: str) -> ApiException:
    exc = ApiException(status=status, reason=message)
    exc.body = json.dumps({"message": message})
    return exc


class Instance(dict):
    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self))


def _matches(obj: dict[str, Any], selector: str | None) -> bool:
    if not selector:
        return True
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in (part.split("=", 1) for part in selector.split(",")))


@dataclass
class World:
    """The fake cluster's state and scripted behaviours."""

    objects: dict[tuple[str, str | None, str], dict[str, Any]] = field(default_factory=dict)  # (kind, ns, name)
    calls: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)  # (verb, kind, ns, name)
    provision_after: int | None = 1  # reads of a load balancer object before it has a DNS name (None: never)
    provision_seconds: float | dict[str, float] | None = None  # instead: seconds from creation to its DNS name (by name)
    finalize_seconds: float | None = None  # instead of finalize_after: seconds from deletion until it is gone
    clock: Any = time.monotonic
    created: dict[tuple[str, str | None, str], float] = field(default_factory=dict)
    deleted: dict[tuple[str, str | None, str], float] = field(default_factory=dict)
    hostname: str = "k8s-edge-0123456789.elb.eu-west-1.amazonaws.com"  # may contain {name}: the object's name
    finalize_after: int = 1
    webhook_class: str | None = None
    fail_on: dict[tuple[str, str], Exception] = field(default_factory=dict)  # (verb, kind) -> exception
    interrupt_on: tuple[str, str] | None = None  # (verb, kind): raise KeyboardInterrupt there, once
    reads: dict[tuple[str, str | None, str], int] = field(default_factory=dict)
    doomed: dict[tuple[str, str | None, str], int] = field(default_factory=dict)  # deleting: reads left
    log: dict[str, str] = field(default_factory=dict)

    def seed(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.objects[(obj["kind"], meta.get("namespace"), meta["name"])] = copy.deepcopy(obj)

    def find(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return [o for (k, ns, _), o in self.objects.items() if k == kind and (namespace is None or ns == namespace)]

    def _hook(self, verb: str, kind: str, namespace: str | None, name: str | None) -> None:
        self.calls.append((verb, kind, namespace, name))
        if self.interrupt_on == (verb, kind):
            self.interrupt_on = None
            raise KeyboardInterrupt(f"fake Ctrl-C during {verb} {kind}")
        if (verb, kind) in self.fail_on:
            raise self.fail_on[(verb, kind)]

    # --- what controllers in a real cluster would do ---------------------------------------------------
    def _after_write(self, obj: dict[str, Any]) -> None:
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        self.created.setdefault(key, self.clock())
        if obj["kind"] == "Service" and (obj["spec"].get("type") == "NodePort" or (
                obj["spec"].get("type") == "LoadBalancer" and obj["spec"].get("allocateLoadBalancerNodePorts", True))):
            for i, port in enumerate(obj["spec"].get("ports") or []):
                port.setdefault("nodePort", 30000 + (len(self.objects) * 7 + i) % 2700)
        if obj["kind"] == "Deployment":
            template = obj["spec"]["template"]
            ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
            self.seed(pod(f"{name}-0", ns, template["metadata"]["labels"], f"10.1.9.{len(self.objects) % 250}"))

    def _on_read(self, key: tuple[str, str | None, str]) -> None:
        obj = self.objects.get(key)
        if obj is None:
            return
        if key in self.doomed:
            self.doomed[key] -= 1
            timed_out = self.finalize_seconds is None or self.clock() - self.deleted[key] >= self.finalize_seconds
            if self.doomed[key] <= 0 and timed_out:
                del self.doomed[key]
                self._remove(key)
            return
        self.reads[key] = self.reads.get(key, 0) + 1
        carries_lb = obj["kind"] in LB_KINDS or (obj["kind"] == "Service" and obj["spec"].get("type") == "LoadBalancer")
        if self.provision_seconds is not None:
            wanted = self.provision_seconds
            wanted = wanted.get(key[2]) if isinstance(wanted, dict) else wanted
            ready = wanted is not None and self.clock() - self.created.get(key, self.clock()) >= wanted
        else:
            ready = self.provision_after is not None and self.reads[key] > self.provision_after
        if carries_lb and ready:
            hostname = self.hostname.format(name=key[2])  # "{name}" in it: one DNS name per object
            if obj["kind"] == "Gateway":
                obj.setdefault("status", {})["addresses"] = [{"type": "Hostname", "value": hostname}]
            else:
                obj.setdefault("status", {})["loadBalancer"] = {"ingress": [{"hostname": hostname}]}
            obj["metadata"].setdefault("finalizers", ["service.k8s.aws/resources"])

    def _remove(self, key: tuple[str, str | None, str]) -> None:
        del self.objects[key]
        self.created.pop(key, None)
        self.deleted.pop(key, None)

    def _delete(self, key: tuple[str, str | None, str]) -> None:
        obj = self.objects[key]
        if obj["kind"] == "Namespace":
            for other in [k for k in self.objects if k[1] == key[2]]:
                self._remove(other)
        if obj["metadata"].get("finalizers"):
            obj["metadata"]["deletionTimestamp"] = "now"
            self.doomed.setdefault(key, self.finalize_after)
            self.deleted.setdefault(key, self.clock())
        else:
            self._remove(key)


class FakeResource:
    def __init__(self, world: World, api_version: str, kind: str):
        self.world, self.api_version, self.kind = world, api_version, kind
        self.namespaced = kind not in CLUSTER_SCOPED

    def _key(self, name: str, namespace: str | None) -> tuple[str, str | None, str]:
        return (self.kind, namespace if self.namespaced else None, name)

    def get(self, name: str | None = None, namespace: str | None = None, label_selector: str | None = None, **_):
        self.world._hook("get", self.kind, namespace, name)
        if name is None:
            items = [o for o in self.world.find(self.kind, namespace) if _matches(o, label_selector)]
            return Instance({"kind": f"{self.kind}List", "items": copy.deepcopy(items)})
        key = self._key(name, namespace)
        self.world._on_read(key)
        if key not in self.world.objects:
            raise api_error(404, f'{self.kind.lower()}s "{name}" not found')
        return Instance(copy.deepcopy(self.world.objects[key]))

    def server_side_apply(self, body: dict[str, Any], name: str, namespace: str | None = None, **_):
        self.world._hook("apply", self.kind, namespace, name)
        key = self._key(name, namespace)
        obj = copy.deepcopy(body)
        current = self.world.objects.get(key)
        obj["metadata"]["resourceVersion"] = str(int((current or {}).get("metadata", {}).get("resourceVersion", 0)) + 1)
        if current is not None and "status" in current:
            obj["status"] = current["status"]
        if current is not None and obj["kind"] == "Service":  # node ports stay what they were
            ports = {p.get("name"): p.get("nodePort") for p in current["spec"].get("ports") or []}
            for port in obj["spec"].get("ports") or []:
                if ports.get(port.get("name")):
                    port["nodePort"] = ports[port.get("name")]
        self.world.objects[key] = obj
        self.world._after_write(obj)
        return Instance(copy.deepcopy(obj))

    def create(self, body: dict[str, Any], namespace: str | None = None, dry_run: str | None = None, **_):
        name = body["metadata"]["name"]
        self.world._hook("dry-run" if dry_run else "create", self.kind, namespace, name)
        obj = copy.deepcopy(body)
        if self.kind == "Service" and obj["spec"].get("type") == "LoadBalancer" and self.world.webhook_class:
            obj["spec"].setdefault("loadBalancerClass", self.world.webhook_class)
        if dry_run:
            return Instance(obj)
        key = self._key(name, namespace)
        if key in self.world.objects:
            raise api_error(409, f'{self.kind.lower()}s "{name}" already exists')
        obj["metadata"]["resourceVersion"] = "1"
        self.world.objects[key] = obj
        return Instance(copy.deepcopy(obj))

    def replace(self, body: dict[str, Any], name: str, namespace: str | None = None, **_):
        self.world._hook("replace", self.kind, namespace, name)
        key = self._key(name, namespace)
        current = self.world.objects.get(key)
        if current is None:
            raise api_error(404, f'{self.kind.lower()}s "{name}" not found')
        if body["metadata"].get("resourceVersion") != current["metadata"].get("resourceVersion"):
            raise api_error(409, "the object has been modified; please apply your changes to the latest version")
        obj = copy.deepcopy(body)
        obj["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
        self.world.objects[key] = obj
        return Instance(copy.deepcopy(obj))

    def delete(self, name: str | None = None, namespace: str | None = None, label_selector: str | None = None, **_):
        self.world._hook("delete", self.kind, namespace, name)
        if name is None:
            for obj in [o for o in self.world.find(self.kind, namespace) if _matches(o, label_selector)]:
                self.world._delete(self._key(obj["metadata"]["name"], obj["metadata"].get("namespace")))
            return Instance({})
        key = self._key(name, namespace)
        if key not in self.world.objects:
            raise api_error(404, f'{self.kind.lower()}s "{name}" not found')
        self.world._delete(key)
        return Instance({})


class FakeResources:
    def __init__(self, world: World):
        self.world = world

    def get(self, api_version: str, kind: str) -> FakeResource:
        return FakeResource(self.world, api_version, kind)


class FakeDynamic:
    def __init__(self, world: World):
        self.resources = FakeResources(world)


class FakeCore:
    """The CoreV1Api calls Cluster makes, answered with the kubernetes package's own models."""

    def __init__(self, world: World):
        self.world = world
        self._api = k8s.ApiClient()

    def _models(self, items: list[dict[str, Any]], list_type: str):
        return self._api.deserialize(json.dumps({"items": items}), list_type, "application/json")

    def list_namespaced_pod(self, namespace: str, label_selector: str | None = None, **_):
        self.world._hook("list", "Pod", namespace, None)
        return self._models([o for o in self.world.find("Pod", namespace) if _matches(o, label_selector)], "V1PodList")

    def list_node(self, **_):
        return self._models(self.world.find("Node"), "V1NodeList")

    def list_namespaced_event(self, namespace: str, **_):
        return self._models(self.world.find("Event", namespace), "CoreV1EventList")

    def read_namespaced_pod_log(self, name: str, namespace: str, container: str | None = None, **_):
        return self.world.log.get(name, "")


def fake_cluster(world: World) -> Cluster:
    """A Cluster (edgeconform.kube.api) whose clients are the fakes above."""
    cluster = Cluster.__new__(Cluster)
    cluster.kubeconfig = "<fake>"
    cluster.core = FakeCore(world)
    cluster.dynamic = FakeDynamic(world)
    return cluster


# --- seed objects --------------------------------------------------------------------------------------
def pod(name: str, namespace: str, labels: dict[str, str], ip: str, ready: bool = True) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"nodeName": "node-a", "containers": [{"name": "main", "image": "x"}]},
            "status": {"phase": "Running", "podIP": ip,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


# Emissary's pod labels, as its Helm chart sets them; the fake clusters' controller pod
EMISSARY = {"app.kubernetes.io/name": "emissary-ingress", "app.kubernetes.io/instance": "emissary-ingress"}


def emissary_pod() -> dict[str, Any]:
    return pod("emissary-0", "emissary", EMISSARY, "10.1.2.3")


def node(name: str, internal: str, external: str | None = None) -> dict[str, Any]:
    addresses = [{"type": "InternalIP", "address": internal}]
    if external:
        addresses.append({"type": "ExternalIP", "address": external})
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": "10.1.0.0/24"}, "status": {"addresses": addresses}}


def warning(namespace: str, kind: str, name: str, reason: str, message: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": reason, "message": message,
            "metadata": {"name": f"{name}.{reason.lower()}", "namespace": namespace},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
            "lastTimestamp": "2026-11-26T08:00:00Z"}


def crd(name: str, versions: tuple[str, ...] = ("v1",)) -> dict[str, Any]:
    """A CustomResourceDefinition as detection reads it: its name and the versions it serves."""
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name},
            "spec": {"versions": [{"name": v, "served": True} for v in versions]}}


def lbc_deployment(version: str, args: tuple[str, ...] = ()) -> dict[str, Any]:
    """The AWS Load Balancer Controller's Deployment as its Helm chart names it (image tag = version)."""
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "aws-load-balancer-controller", "namespace": "kube-system",
                         "labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
            "spec": {"template": {"metadata": {"labels": {}}, "spec": {"containers": [
                {"name": "aws-load-balancer-controller",
                 "image": f"public.ecr.aws/eks/aws-load-balancer-controller:{version}", "args": list(args)}]}}}}


ALB_CLASS = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "alb"},
             "spec": {"controller": "ingress.k8s.aws/alb"}}
GATEWAY_CRDS = [crd(f"{plural}.gateway.networking.k8s.io", ("v1", "v1beta1") if plural != "tcproutes" else ("v1",))
                for plural in ("gatewayclasses", "gateways", "httproutes", "tcproutes", "tlsroutes", "udproutes")]
LBC_GATEWAY_CRDS = [crd(f"{plural}.gateway.k8s.aws", ("v1", "v1beta1"))
                    for plural in ("loadbalancerconfigurations", "targetgroupconfigurations", "listenerruleconfigurations")]


def seed_mode(world: World, mode: str) -> None:
    """What a cluster of each mode shows: the AWS Load Balancer Controller v3.5.0 with its CRDs and IngressClass
    (lbc-annotations, lbc-gateway: the Gateway API CRDs too), or EKS Auto Mode's webhook and CRDs."""
    if mode in ("lbc-annotations", "lbc-gateway"):
        world.webhook_class = "service.k8s.aws/nlb"
        world.seed(lbc_deployment("v3.5.0"))
        world.seed(ALB_CLASS)
        for name in ("targetgroupbindings.elbv2.k8s.aws", "ingressclassparams.elbv2.k8s.aws"):
            world.seed(crd(name, ("v1beta1",)))
    if mode == "lbc-gateway":
        for obj in [*GATEWAY_CRDS, *LBC_GATEWAY_CRDS]:
            world.seed(obj)
    if mode == "auto-mode":
        world.webhook_class = "eks.amazonaws.com/nlb"
        for name in ("ingressclassparams.eks.amazonaws.com", "targetgroupbindings.eks.amazonaws.com"):
            world.seed(crd(name))
