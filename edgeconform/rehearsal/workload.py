"""The pods and EndpointSlices behind each Service, created as a cluster's kubelet and EndpointSlice controller
would: the rehearsal has neither, and the LBC registers targets from them (ip targets: a ready endpoint's pod
address, found on the node's network interface in moto; instance targets: the node of the Service).

For every Service with a selector: one pod per Service selector (shared when selectors are equal) on the rehearsal's
node, its containers exposing every target port the Services name (a named port resolves against them), status
Running and Ready with an address from the node ENI's secondary IPs; then one EndpointSlice per Service (label
``kubernetes.io/service-name``) listing that pod as ready, with the Service's port names and target ports.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .controlplane import ControlPlane

WORKLOAD_LABEL = "edgeconform.dev/rehearsal-workload"


class Workload:
    """Pods and EndpointSlices for the Services of one control plane (addresses handed out once each)."""

    def __init__(self, cp: ControlPlane):
        self.cp = cp
        self.free = list(cp.seed.pod_ips)
        self.pods: dict[tuple[str, tuple], str] = {}  # (namespace, selector items) -> pod address

    def ensure_namespace(self, name: str) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        try:
            client.CoreV1Api(self.cp.kube).create_namespace({"metadata": {"name": name}})
        except ApiException as exc:
            if exc.status != 409:
                raise

    def for_services(self, services: list[dict[str, Any]]) -> None:
        """Pods for every selector, then an EndpointSlice per Service."""
        from kubernetes import client

        core, discovery = client.CoreV1Api(self.cp.kube), client.DiscoveryV1Api(self.cp.kube)
        by_selector: dict[tuple[str, tuple], list[dict[str, Any]]] = {}
        for svc in services:
            selector = (svc.get("spec") or {}).get("selector")
            if selector:
                key = (svc["metadata"].get("namespace", "default"), tuple(sorted(selector.items())))
                by_selector.setdefault(key, []).append(svc)
        for key, group in by_selector.items():
            if key not in self.pods:
                self.pods[key] = self._pod(core, key, group)
        for svc in services:
            selector = (svc.get("spec") or {}).get("selector")
            if selector:
                key = (svc["metadata"].get("namespace", "default"), tuple(sorted(selector.items())))
                self._slice(discovery, svc, self.pods[key])

    def _pod(self, core, key: tuple[str, tuple], services: list[dict[str, Any]]) -> str:
        namespace, selector = key
        if not self.free:
            raise RuntimeError("the rehearsal node has no pod address left (seed.POD_IPS)")
        address = self.free.pop(0)
        ports = {}
        for svc in services:
            for port in svc["spec"].get("ports", []):
                target = port.get("targetPort", port["port"])
                if isinstance(target, int):
                    ports[target] = {"containerPort": target, "protocol": port.get("protocol", "TCP")}
        name = f"rehearsal-{address.replace('.', '-')}"
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": namespace, "labels": {**dict(selector), WORKLOAD_LABEL: "true"}},
               "spec": {"nodeName": self.cp.seed.node_name, "automountServiceAccountToken": False,
                        "containers": [{"name": "app", "image": "rehearsal.invalid/none",
                                        "ports": list(ports.values())}]}}
        core.create_namespaced_pod(namespace, pod)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conditions = [{"type": kind, "status": "True", "lastTransitionTime": now}
                      for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]
        core.patch_namespaced_pod_status(name, namespace, {"status": {
            "phase": "Running", "podIP": address, "podIPs": [{"ip": address}], "hostIP": "10.0.1.10",
            "conditions": conditions, "startTime": now,
            "containerStatuses": [{"name": "app", "ready": True, "started": True, "restartCount": 0,
                                   "image": "rehearsal.invalid/none", "imageID": "",
                                   "state": {"running": {"startedAt": now}}}]}})
        return address

    def _slice(self, discovery, svc: dict[str, Any], address: str) -> None:
        meta = svc["metadata"]
        namespace = meta.get("namespace", "default")
        pod = f"rehearsal-{address.replace('.', '-')}"
        ports = [{"name": port.get("name", ""), "port": port.get("targetPort", port["port"])
                  if isinstance(port.get("targetPort", port["port"]), int) else port["port"],
                  "protocol": port.get("protocol", "TCP")} for port in svc["spec"].get("ports", [])]
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": f"{meta['name']}-rehearsal"[:63], "namespace": namespace,
                             "labels": {"kubernetes.io/service-name": meta["name"],
                                        "endpointslice.kubernetes.io/managed-by": "rehearsal.edgeconform.dev",
                                        WORKLOAD_LABEL: "true"}},
                "endpoints": [{"addresses": [address], "nodeName": self.cp.seed.node_name,
                               "zone": self.cp.seed.zone,
                               "conditions": {"ready": True, "serving": True, "terminating": False},
                               "targetRef": {"kind": "Pod", "namespace": namespace, "name": pod}}],
                "ports": ports}
        from kubernetes.client.exceptions import ApiException

        try:
            discovery.create_namespaced_endpoint_slice(namespace, body)
        except ApiException as exc:  # a Service of that name before (no garbage collector here removes its slice)
            if exc.status != 409:
                raise
            discovery.replace_namespaced_endpoint_slice(body["metadata"]["name"], namespace, body)
