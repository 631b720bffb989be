"""What a cluster's kubelet and controller manager would do for the objects the eks target applies, done by the
harness on the rehearsal control plane (it has neither): a loop, every 0.2 s,

- a Service with a selector gets its pod and EndpointSlice (edgeconform.rehearsal.workload), once per Service;
- a Deployment gets one Ready pod of its template and an available status (the eks target waits for the echo
  backend's and the ingress controller's);
- a namespace being deleted loses the pods and EndpointSlices made here, then is finalized (the namespace
  controller's part), so the eks target's cleanup can finish.

Nothing here runs a container: the pods only carry addresses, as the LBC needs them.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .controlplane import ControlPlane

INTERVAL = 0.2


class ClusterStandIn:
    def __init__(self, cp: ControlPlane):
        from .workload import Workload

        self.cp = cp
        if cp.workload is None:
            cp.workload = Workload(cp)
        self.workload = cp.workload
        self.done: set[str] = set()  # uids handled
        self.errors: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rehearsal-cluster", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        from kubernetes import client

        core, apps = client.CoreV1Api(self.cp.kube), client.AppsV1Api(self.cp.kube)
        while not self._stop.wait(INTERVAL):
            try:
                self._round(core, apps)
            except Exception as exc:  # the API server stopping under us at the end; kept for the diagnostics
                if not self._stop.is_set():
                    self.errors = [*self.errors, f"{type(exc).__name__}: {exc}"][-20:]

    def _round(self, core, apps) -> None:
        from kubernetes.client import ApiClient

        plain = ApiClient().sanitize_for_serialization
        for svc in core.list_service_for_all_namespaces().items:
            if svc.metadata.uid in self.done or not svc.spec.selector or svc.metadata.deletion_timestamp:
                continue
            self.done.add(svc.metadata.uid)
            self.workload.for_services([plain(svc)])
        for deployment in apps.list_deployment_for_all_namespaces().items:
            if deployment.metadata.uid in self.done or deployment.metadata.deletion_timestamp:
                continue
            self.done.add(deployment.metadata.uid)
            self._deployment(core, apps, deployment)
        for namespace in core.list_namespace().items:
            if namespace.metadata.deletion_timestamp and namespace.metadata.uid not in self.done:
                self._finalize(core, namespace.metadata.name)

    def _deployment(self, core, apps, deployment) -> None:
        meta = deployment.metadata
        labels = dict(deployment.spec.template.metadata.labels or {})
        ports = [{"port": p.container_port, "targetPort": p.container_port, "protocol": p.protocol or "TCP"}
                 for c in deployment.spec.template.spec.containers for p in (c.ports or [])]
        key = (meta.namespace, tuple(sorted(labels.items())))
        if key not in self.workload.pods:
            self.workload.pods[key] = self.workload._pod(core, key, [{"spec": {"ports": ports}}])
        replicas = deployment.spec.replicas or 1
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        apps.patch_namespaced_deployment_status(meta.name, meta.namespace, {"status": {
            "observedGeneration": meta.generation, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                            "lastUpdateTime": now, "lastTransitionTime": now}]}})

    def _finalize(self, core, name: str) -> None:
        from kubernetes import client

        discovery = client.DiscoveryV1Api(self.cp.kube)
        for pod in core.list_namespaced_pod(name).items:
            core.delete_namespaced_pod(pod.metadata.name, name, grace_period_seconds=0)
        for item in discovery.list_namespaced_endpoint_slice(name).items:
            discovery.delete_namespaced_endpoint_slice(item.metadata.name, name)
        for key in [key for key in self.workload.pods if key[0] == name]:
            self.workload.free.append(self.workload.pods.pop(key))
        core.replace_namespace_finalize(name, {"metadata": {"name": name}, "spec": {"finalizers": []}})
