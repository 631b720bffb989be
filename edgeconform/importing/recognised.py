"""Ingress controllers import recognises but edgeconform does not run (Istio's gateway, Contour, NGINX Gateway
Fabric, HAProxy, kgateway, Cilium): each is a controller package whose importer is a ``Recognised`` with its
``Marks`` (the images, labels, class controller names, API groups and annotations its documentation gives it).

Import then writes no topology: a topology naming a controller no target runs could not be run, and one naming
another controller would measure the wrong edge. It refuses in one line that names the controller (and the mark it
was known by: file, line, object, field) and the load balancer it found in front of it (build.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from .common import ControllerRead, EdgeInputs, Importer
from .documents import Document
from .reading import Reading

WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job")
REFUSAL = ("edgeconform recognises it but does not run it, so it cannot build or measure this edge; import the "
           "load balancer with a controller edgeconform runs (envoy, ingress-nginx, traefik, envoy-gateway, emissary), "
           "or with the application straight behind it")


@dataclass(frozen=True)
class Marks:
    """What makes objects this controller's, each as its documentation gives it."""

    images: tuple[str, ...] = ()  # parts of its container images
    labels: tuple[tuple[str, str], ...] = ()  # (key, value) its pods carry: a Service selecting them is its own
    gateway_controllers: tuple[str, ...] = ()  # GatewayClass spec.controllerName
    ingress_controllers: tuple[str, ...] = ()  # IngressClass spec.controller (a prefix: HAProxy appends a class)
    groups: tuple[str, ...] = ()  # API groups of its custom resources
    annotations: tuple[str, ...] = ()  # prefixes of its annotations on a Service or an Ingress
    sources: tuple[str, ...] = ()  # where these marks are documented


def _strength(path: tuple[Any, ...]) -> int:
    last = path[-1] if path else ""
    return {"controllerName": 0, "controller": 0, "image": 1, "apiVersion": 2}.get(str(last), 3)


def pod_spec(doc: Document) -> tuple[Any, ...] | None:
    """Where a workload's pod template spec is (a Pod's own spec); None: not a workload."""
    if doc.kind == "Pod":
        return ("spec",)
    if doc.kind in WORKLOADS:
        return ("spec", "template", "spec")
    if doc.kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return None


def containers(doc: Document) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(path, container) of a workload's pod template (or a Pod's own)."""
    base = pod_spec(doc)
    if base is None:
        return
    for key in ("initContainers", "containers"):
        for i, item in enumerate(doc.get(*base, key, default=None) or []):
            if isinstance(item, dict):
                yield (*base, key, i), item


def pod_labels(doc: Document) -> dict[str, Any]:
    path = ("metadata", "labels") if doc.kind == "Pod" else ("spec", "template", "metadata", "labels")
    found = doc.get(*path, default=None)
    return found if isinstance(found, dict) else {}


def selected(docs: list[Document], service: Document) -> list[Document]:
    """The workloads (and Pods) among ``docs`` whose pods a Service's selector picks, in its namespace."""
    selector = service.spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return []
    return [doc for doc in docs if doc.kind in (*WORKLOADS, "Pod") and doc.namespace == service.namespace
            and all(pod_labels(doc).get(key) == value for key, value in selector.items())]


class Recognised(Importer):
    """An importer that knows a controller by its marks and refuses to import it (``refusal``)."""

    marks: ClassVar[Marks]
    refusal: ClassVar[str | None] = REFUSAL

    def evidence(self, docs: list[Document]) -> list[Document]:
        """Its objects, the most telling first: a class naming its controller, then its image, its API group, its
        pods' labels and its annotations."""
        marked = [(doc, self.mark(doc)) for doc in docs]
        return [doc for doc, path in sorted(((d, p) for d, p in marked if p is not None),
                                            key=lambda item: _strength(item[1]))]

    def where(self, doc: Document) -> tuple[Any, ...]:
        return self.mark(doc) or ()

    def mark(self, doc: Document) -> tuple[Any, ...] | None:
        """The path of the first mark of this controller in ``doc`` (None: none)."""
        m = self.marks
        kind = doc.kind
        if kind == "GatewayClass" and doc.spec.get("controllerName") in m.gateway_controllers:
            return ("spec", "controllerName")
        if kind == "IngressClass" and str(doc.spec.get("controller", "")).startswith(m.ingress_controllers or ("\0",)):
            return ("spec", "controller")
        if m.groups and doc.api_version.rpartition("/")[0] in m.groups:
            return ("apiVersion",)
        if m.images:
            for path, container in containers(doc):
                image = str(container.get("image", ""))
                if any(part in image for part in m.images):
                    return (*path, "image")
        if m.labels and kind in ("Service", *WORKLOADS, "Pod"):
            labels = doc.spec.get("selector") if kind == "Service" else pod_labels(doc)
            if isinstance(labels, dict) and kind in WORKLOADS and "matchLabels" in labels:
                labels = pod_labels(doc)
            if isinstance(labels, dict) and any(labels.get(key) == value for key, value in m.labels):
                return ("spec", "selector") if kind == "Service" else ("spec", "template", "metadata", "labels")
        if m.annotations and kind in ("Service", "Ingress"):
            for key in doc.annotations:
                if str(key).startswith(m.annotations):
                    return ("metadata", "annotations", key)
        return None

    def selects(self, selector: dict[str, Any]) -> bool:
        return any(selector.get(key) == value for key, value in self.marks.labels)

    def runs(self, image: str) -> bool:
        return any(part in image for part in self.marks.images)

    def keeps(self, doc: Document, docs: list[Document]) -> bool:
        return self.mark(doc) is not None

    def load_balancer(self, docs: list[Document]) -> Document | None:
        """The Service the controller makes for its load balancer from its own objects (NGINX Gateway Fabric's
        NginxProxy, the Istio gateway chart's values), as a Document citing their lines; None: none."""
        return None

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        raise NotImplementedError(f"{self.kind} is recognised, not imported (build.py refuses it first)")


def service_from(values: Document, root: tuple[Any, ...], name: str, namespace: str, *,
                 defaults: dict[str, Any], built_by: str) -> Document:
    """A Service a controller (or its chart) makes, from the mapping at ``root`` of ``values`` (its type, annotations,
    ports, externalTrafficPolicy, loadBalancerClass; ``defaults`` where the mapping has none), its lines cited."""
    given = values.get(*root, default={}) or {}
    keys = ("type", "ports", "externalTrafficPolicy", "loadBalancerClass")
    spec = {key: given.get(key, defaults.get(key)) for key in keys if given.get(key, defaults.get(key))}
    data = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace,
                         "annotations": dict(given.get("annotations") or {})},
            "spec": spec}
    lines = {}
    for key, line in values.lines.items():
        if key[:len(root)] == root and len(key) > len(root):
            rest = key[len(root):]
            lines[("metadata",) + rest if rest[0] == "annotations" else ("spec",) + rest] = line
    return Document(values.file, data, lines, values.line(*root) if root else values.start, built_by=built_by)


__all__ = ["Marks", "REFUSAL", "Recognised", "containers", "pod_labels", "service_from"]
