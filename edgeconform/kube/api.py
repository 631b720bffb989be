"""Cluster operations with the official kubernetes client: apply, wait, find addresses, collect diagnostics.

Applying is server-side apply (field manager "edgeconform", conflicts forced), so re-running a topology on a
reused cluster converges instead of failing on objects that already exist. Every wait is a bounded loop under
a named timeout (edgeconform.kube.timeouts) and says, when it runs out, what it was waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .timeouts import Timeout

FIELD_MANAGER = "edgeconform"


class ClusterError(Exception):
    """A cluster step failed; the message names the step, the timeout and what was seen last."""


@dataclass(frozen=True)
class NodeInfo:
    name: str
    internal_ip: str
    pod_cidrs: tuple[str, ...]


class Cluster:
    """One cluster reached through a kubeconfig file."""

    def __init__(self, kubeconfig: str, context: str | None = None):
        from kubernetes import client
        from kubernetes.dynamic import DynamicClient

        from .kubeconfig import client as api_client

        self.kubeconfig = kubeconfig
        self.api_client = api_client(kubeconfig, context)  # read as untrusted input first
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.networking = client.NetworkingV1Api(self.api_client)
        self.dynamic = DynamicClient(self.api_client)

    # --- apply ----------------------------------------------------------------------------------------
    def apply(self, objects: list[dict[str, Any]]) -> None:
        """Server-side apply each object, in order."""
        for obj in objects:
            resource = self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            namespace = obj["metadata"].get("namespace") if resource.namespaced else None
            try:
                resource.server_side_apply(body=obj, name=obj["metadata"]["name"], namespace=namespace,
                                           field_manager=FIELD_MANAGER, force_conflicts=True)
            except Exception as exc:  # the API's message says what is wrong with the object
                raise ClusterError(f"applying {obj['kind']} {namespace or ''}/{obj['metadata']['name']} failed: "
                                   f"{_api_message(exc)}") from None

    def delete_labelled(self, api_version: str, kind: str, selector: str, namespace: str | None = None) -> None:
        resource = self.dynamic.resources.get(api_version=api_version, kind=kind)
        resource.delete(namespace=namespace, label_selector=selector)

    # --- waits ----------------------------------------------------------------------------------------
    def wait(self, timeout: Timeout, what: str, check: Callable[[], str | None], interval: float = 2.0) -> float:
        """Poll ``check`` (None = done, else the reason it is not) within ``timeout``; returns seconds taken."""
        return poll(timeout, what, check, interval)

    def pods_ready(self, namespace: str, selector: dict[str, str]) -> Callable[[], str | None]:
        label_selector = ",".join(f"{k}={v}" for k, v in selector.items())

        def check() -> str | None:
            pods = self.core.list_namespaced_pod(namespace, label_selector=label_selector).items
            if not pods:
                return f"no pod matches {label_selector} in {namespace}"
            waiting = [p.metadata.name for p in pods if not _ready(p)]
            return f"not ready: {', '.join(waiting)}" if waiting else None
        return check

    def deployment_available(self, namespace: str, name: str) -> Callable[[], str | None]:
        def check() -> str | None:
            status = self.apps.read_namespaced_deployment(name, namespace).status
            want = status.replicas or 1
            if (status.available_replicas or 0) >= want and (status.updated_replicas or 0) >= want:
                return None
            return f"deployment {namespace}/{name}: {status.available_replicas or 0}/{want} available"
        return check

    def rolled_out(self, namespace: str, name: str) -> Callable[[], str | None]:
        """Done when the Deployment's current template runs everywhere: observed, updated, available, no old pod."""
        def check() -> str | None:
            deployment = self.apps.read_namespaced_deployment(name, namespace)
            status, want = deployment.status, deployment.spec.replicas or 1
            if (status.observed_generation or 0) < (deployment.metadata.generation or 0):
                return f"deployment {namespace}/{name}: its new generation is not observed yet"
            if (status.updated_replicas or 0) < want or (status.available_replicas or 0) < want \
                    or (status.replicas or 0) > want:
                return (f"deployment {namespace}/{name}: {status.updated_replicas or 0} updated, "
                        f"{status.available_replicas or 0} available of {want}, {status.replicas or 0} running")
            return None
        return check

    def accepts(self, obj: dict[str, Any]) -> Callable[[], str | None]:
        """Done when a server-side dry-run create of ``obj`` passes admission (webhooks answer)."""
        def check() -> str | None:
            resource = self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            try:
                resource.create(body=obj, namespace=obj["metadata"].get("namespace"), query_params=[("dryRun", "All")])
            except Exception as exc:
                return _api_message(exc)
            return None
        return check

    def crd_established(self, name: str) -> Callable[[], str | None]:
        from kubernetes import client

        extensions = client.ApiextensionsV1Api(self.api_client)

        def check() -> str | None:
            conditions = extensions.read_custom_resource_definition(name).status.conditions or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                return None
            return f"CRD {name} is not established yet"
        return check

    # --- addresses ------------------------------------------------------------------------------------
    def nodes(self) -> list[NodeInfo]:
        out = []
        for node in self.core.list_node().items:
            ip = next((a.address for a in node.status.addresses or [] if a.type == "InternalIP"), "")
            cidrs = tuple(node.spec.pod_cidrs or ([node.spec.pod_cidr] if node.spec.pod_cidr else []))
            out.append(NodeInfo(node.metadata.name, ip, cidrs))
        return out

    def pod_ips(self, namespace: str, selector: dict[str, str]) -> list[str]:
        label_selector = ",".join(f"{k}={v}" for k, v in selector.items())
        pods = self.core.list_namespaced_pod(namespace, label_selector=label_selector).items
        # a pod on its way out (a rollout replacing it) may still say ready: not a place to send traffic
        return [p.status.pod_ip for p in pods if p.status.pod_ip and _ready(p) and not p.metadata.deletion_timestamp]

    # --- diagnostics ----------------------------------------------------------------------------------
    def describe_pods(self, namespace: str) -> str:
        """A `kubectl describe pods`-like summary: phase, conditions, container states and recent events."""
        lines = []
        try:
            for pod in self.core.list_namespaced_pod(namespace).items:
                lines.append(f"pod {namespace}/{pod.metadata.name}: {pod.status.phase} on {pod.spec.node_name} "
                             f"ip={pod.status.pod_ip}")
                for cond in pod.status.conditions or []:
                    lines.append(f"  condition {cond.type}={cond.status} {cond.reason or ''} {cond.message or ''}")
                for cs in (pod.status.init_container_statuses or []) + (pod.status.container_statuses or []):
                    state = cs.state.waiting or cs.state.terminated or cs.state.running
                    lines.append(f"  container {cs.name}: ready={cs.ready} restarts={cs.restart_count} "
                                 f"{type(state).__name__ if state else ''} {getattr(state, 'reason', '') or ''} "
                                 f"{getattr(state, 'message', '') or ''}")
            for event in self.core.list_namespaced_event(namespace).items[-30:]:
                lines.append(f"event {event.type} {event.reason} {event.involved_object.kind}/"
                             f"{event.involved_object.name}: {event.message}")
        except Exception as exc:
            lines.append(f"(could not describe pods in {namespace}: {_api_message(exc)})")
        return "\n".join(lines) or f"(no pods in {namespace})"

    def logs(self, namespace: str, selector: dict[str, str], tail: int = 80) -> dict[str, str]:
        out = {}
        label_selector = ",".join(f"{k}={v}" for k, v in selector.items())
        try:
            for pod in self.core.list_namespaced_pod(namespace, label_selector=label_selector).items:
                for container in pod.spec.containers:
                    out[f"{namespace}/{pod.metadata.name}/{container.name}"] = self.core.read_namespaced_pod_log(
                        pod.metadata.name, namespace, container=container.name, tail_lines=tail)
        except Exception as exc:
            out[f"{namespace} logs"] = f"(could not read logs: {_api_message(exc)})"
        return out


def poll(timeout: Timeout, what: str, check: Callable[[], str | None], interval: float = 2.0) -> float:
    """The bounded wait behind Cluster.wait, for waits that need no cluster (DNS, a load balancer answering).

    ``check`` returns None when done, else the reason it is not; an exception is one more "not yet", except a
    ClusterError, which says the wait cannot succeed (a load balancer that failed to build) and ends it at once.
    """
    started = time.monotonic()
    last = "not checked yet"
    while True:
        try:
            last = check() or ""
        except ClusterError:
            raise
        except Exception as exc:  # an API hiccup is one more "not yet"
            last = _api_message(exc)
        if last == "":
            return time.monotonic() - started
        if time.monotonic() - started > timeout.seconds:
            raise ClusterError(f"{what} did not happen within the {timeout.describe()}; last seen: {last}")
        time.sleep(interval)


def _ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def _api_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if body:
        try:
            import json
            return json.loads(body).get("message", str(body))
        except (ValueError, AttributeError):
            return str(body)
    return f"{type(exc).__name__}: {exc}"
