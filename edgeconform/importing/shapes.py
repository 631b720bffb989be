"""The shapes import's readers rely on, checked before they read: a value of the wrong type (a list where a mapping
belongs, a mapping for a port) is one error naming the file, line, object and field, never a crash later.

Objects read from a cluster always have these shapes (the API server checks them); hand-written files may not.
``*`` stands for every item of a list. Only what is present is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .documents import Document

_SCALAR = (str, int, float, bool)
_ROUTE = (
    ("spec", dict), ("spec.parentRefs", list), ("spec.parentRefs.*", dict), ("spec.parentRefs.*.name", str),
    ("spec.parentRefs.*.sectionName", str), ("spec.hostnames", list), ("spec.hostnames.*", str), ("spec.rules", list),
    ("spec.rules.*", dict), ("spec.rules.*.backendRefs", list), ("spec.rules.*.backendRefs.*", dict),
    ("spec.rules.*.backendRefs.*.name", str), ("spec.rules.*.backendRefs.*.port", (int, str)), ("spec.rules.*.filters", list),
    ("spec.rules.*.filters.*", dict), ("spec.rules.*.filters.*.requestRedirect", dict), ("spec.rules.*.matches", list),
)
_BACKEND = (("service", dict), ("service.name", str), ("service.port", dict), ("service.port.number", int),
            ("service.port.name", str))
_POD = (("spec.template", dict), ("spec.template.metadata", dict), ("spec.template.metadata.labels", dict),
        ("spec.template.spec", dict), ("spec.template.spec.containers", list), ("spec.template.spec.containers.*", dict),
        ("spec.template.spec.containers.*.image", str), ("spec.template.spec.containers.*.args", list),
        ("spec.template.spec.initContainers", list), ("spec.template.spec.initContainers.*", dict))
SHAPES: dict[str, tuple[tuple[str, Any], ...]] = {
    "Service": (("spec", dict), ("spec.type", str), ("spec.loadBalancerClass", str), ("spec.selector", dict),
                ("spec.externalTrafficPolicy", str), ("spec.ports", list), ("spec.ports.*", dict),
                ("spec.ports.*.port", (int, str)), ("spec.ports.*.targetPort", (int, str)),
                ("spec.ports.*.name", str), ("spec.ports.*.protocol", str)),
    "Ingress": (("spec", dict), ("spec.ingressClassName", str), ("spec.rules", list), ("spec.rules.*", dict),
                ("spec.rules.*.host", str), ("spec.rules.*.http", dict), ("spec.rules.*.http.paths", list),
                ("spec.rules.*.http.paths.*", dict), ("spec.rules.*.http.paths.*.backend", dict),
                *((f"spec.rules.*.http.paths.*.backend.{key}", kind) for key, kind in _BACKEND),
                ("spec.defaultBackend", dict), *((f"spec.defaultBackend.{key}", kind) for key, kind in _BACKEND),
                ("spec.tls", list), ("spec.tls.*", dict), ("spec.tls.*.hosts", list), ("spec.tls.*.hosts.*", str),
                ("spec.tls.*.secretName", str)),
    "IngressClass": (("spec", dict), ("spec.controller", str), ("spec.parameters", dict)),
    "IngressClassParams": (("spec", dict), ("spec.group", dict), ("spec.loadBalancerAttributes", list),
                           ("spec.loadBalancerAttributes.*", dict), ("spec.certificateARNs", list)),
    "GatewayClass": (("spec", dict), ("spec.controllerName", str), ("spec.parametersRef", dict)),
    "Gateway": (("spec", dict), ("spec.gatewayClassName", str), ("spec.listeners", list), ("spec.listeners.*", dict),
                ("spec.listeners.*.name", str), ("spec.listeners.*.port", int), ("spec.listeners.*.protocol", str),
                ("spec.listeners.*.hostname", str), ("spec.listeners.*.tls", dict),
                ("spec.listeners.*.tls.certificateRefs", list), ("spec.listeners.*.tls.certificateRefs.*", dict),
                ("spec.infrastructure", dict), ("spec.infrastructure.parametersRef", dict)),
    "HTTPRoute": _ROUTE, "TCPRoute": _ROUTE, "TLSRoute": _ROUTE, "GRPCRoute": _ROUTE,
    "LoadBalancerConfiguration": (("spec", dict), ("spec.listenerConfigurations", list),
                                  ("spec.listenerConfigurations.*", dict),
                                  ("spec.listenerConfigurations.*.certificates", list),
                                  ("spec.listenerConfigurations.*.listenerAttributes", list),
                                  ("spec.listenerConfigurations.*.listenerAttributes.*", dict),
                                  ("spec.loadBalancerAttributes", list), ("spec.loadBalancerAttributes.*", dict)),
    "TargetGroupConfiguration": (("spec", dict), ("spec.targetReference", dict), ("spec.defaultConfiguration", dict),
                                 ("spec.defaultConfiguration.targetGroupAttributes", list),
                                 ("spec.defaultConfiguration.targetGroupAttributes.*", dict),
                                 ("spec.defaultConfiguration.healthCheckConfig", dict)),
    "ConfigMap": (("data", dict),),
    "Deployment": _POD, "DaemonSet": _POD, "StatefulSet": _POD,
    "MutatingWebhookConfiguration": (("webhooks", list), ("webhooks.*", dict)),
    "EnvoyProxy": (("spec", dict), ("spec.provider", dict), ("spec.provider.kubernetes", dict),
                   ("spec.provider.kubernetes.envoyService", dict),
                   ("spec.provider.kubernetes.envoyService.annotations", dict),
                   ("spec.provider.kubernetes.envoyService.type", str)),
    "NginxProxy": (("spec", dict), ("spec.kubernetes", dict), ("spec.kubernetes.service", dict),
                   ("spec.kubernetes.service.annotations", dict)),
    "ClientTrafficPolicy": (("spec", dict),),
    "Listener": (("spec", dict), ("spec.protocolStack", list), ("spec.hostBinding", dict)),
    "Host": (("spec", dict), ("spec.requestPolicy", dict), ("spec.requestPolicy.insecure", dict),
             ("spec.tlsSecret", dict)),
    "Module": (("spec", dict), ("spec.config", dict)),
    "Middleware": (("spec", dict),),
    "TLSOption": (("spec", dict),),
    "TLSStore": (("spec", dict), ("spec.defaultCertificate", dict), ("spec.certificates", list),
                 ("spec.certificates.*", dict)),
    "IngressRoute": (("spec", dict), ("spec.routes", list), ("spec.routes.*", dict)),
}
_COMMON = (("metadata.annotations", dict), ("metadata.labels", dict), ("metadata.name", _SCALAR),
           ("metadata.namespace", _SCALAR))
_NAMES = {dict: "a mapping", list: "a list", str: "a string", int: "a whole number"}


def check(docs: list[Document]) -> None:
    """ImportFailed for the first value of the wrong type among the objects import reads."""
    for doc in docs:
        shapes = SHAPES.get(doc.kind)
        if shapes is None:
            continue
        for dotted, kind in (*_COMMON, *shapes):
            for path, value in _found(doc.data, dotted.split(".")):
                if value is None and not isinstance(path[-1], int):
                    continue  # an empty key: as if not given (an empty list item is no item)
                if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                    kinds = kind if isinstance(kind, tuple) else (kind,)
                    wanted = " or ".join(_NAMES.get(k, k.__name__) for k in kinds)
                    raise doc.fail(f"expected {wanted}, got {_describe(value)}", *path)
        annotations = doc.annotations
        for key, value in annotations.items():
            if value is not None and not isinstance(value, _SCALAR):
                raise doc.fail(f"an annotation's value is a string, got {_describe(value)}", "metadata", "annotations",
                               key)


def _found(node: Any, parts: list[str], path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not parts:
        yield path, node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _found(item, rest, (*path, i))
    elif isinstance(node, dict) and head in node:
        yield from _found(node[head], rest, (*path, head))


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return _NAMES[type(value)]
    return f"{value!r}"


__all__ = ["SHAPES", "check"]
