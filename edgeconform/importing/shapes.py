"""The shape of every field import's readers read, checked once for every document before any reader runs: a
manifest whose ``selector`` is ``yes`` or whose ``ports`` is ``80`` gets one error per wrong field (all of them,
each naming its file, line, object and field), never a reader's AttributeError.

The shapes are written like the manifests they describe: a dict is a mapping with those keys (others are the
readers' business: they list what they do not understand), ``[shape]`` a list of that shape, ``Each(shape)`` a
mapping of any keys to that shape, ``Required(shape)`` a key that must be there, ``IfMapping(shape)`` a value read
only when it is a mapping, a tuple either shape. Leaves:
``str`` (Kubernetes' strings: names, references), ``int`` (a whole number, not true/false), ``SCALAR`` (any single
value the readers turn into a string: annotation and ConfigMap values), ``ANY``. A null stands for a missing key
(as in Kubernetes), except where a whole number is required.

A field no reader reads needs no shape; a reader that reads a new field declares its shape here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ..untrusted import shown


class _Leaf:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


SCALAR = _Leaf("a single value")
ANY = _Leaf("anything")


@dataclass(frozen=True)
class Each:
    shape: Any


@dataclass(frozen=True)
class Required:
    shape: Any


@dataclass(frozen=True)
class IfMapping:
    """A value that is read only when it is a mapping (else the reader passes it by): checked only then."""

    shape: Any


NAMED = {"name": str, "namespace": str}
METADATA = {"name": str, "namespace": str, "annotations": Each(SCALAR), "labels": Each(SCALAR)}
PAIRS = [{"key": SCALAR, "value": SCALAR}]  # AWS attributes as the LBC's resources list them
BACKEND = {"service": {"name": str, "port": {"number": int, "name": str}}}
SERVICE_PORT = {"name": str, "port": Required(int), "targetPort": (int, str), "protocol": str}
CONTAINERS = [{"args": [SCALAR], "image": SCALAR}]
ROUTE = {"hostnames": [str], "parentRefs": [{"name": str, "namespace": str, "sectionName": str}],
         "rules": [{"filters": [{"type": str, "requestRedirect": {"scheme": str}}],
                    "backendRefs": [{"name": str, "namespace": str, "port": int}], "matches": [ANY]}]}
TRAEFIK_ENTRY_POINT = {"port": int, "address": SCALAR, "http": {"middlewares": [SCALAR], "tls": {"options": SCALAR}}}

# kind (or group/kind, for a group's own kinds) -> the shape of the document
SHAPES: dict[str, Any] = {
    # a document without a kind: Traefik's values (or static configuration), when its entry points are mappings
    "": {key: IfMapping(Each(IfMapping(TRAEFIK_ENTRY_POINT))) for key in ("entryPoints", "ports")},
    "*": {"apiVersion": str, "kind": str, "metadata": METADATA, "spec": {}},
    "Service": {"spec": {"type": str, "selector": Each(SCALAR), "ports": [SERVICE_PORT], "loadBalancerClass": str,
                         "externalTrafficPolicy": str}},
    "Ingress": {"spec": {"ingressClassName": str, "defaultBackend": BACKEND,
                         "rules": [{"host": str, "http": {"paths": [{"backend": BACKEND}]}}],
                         "tls": [{"hosts": [SCALAR], "secretName": str}]}},
    "IngressClass": {"spec": {"controller": str, "parameters": {"kind": str, "name": str}}},
    "IngressClassParams": {"spec": {"certificateArn": [SCALAR], "certificateARNs": [SCALAR], "sslPolicy": str,
                                    "ipAddressType": str, "loadBalancerAttributes": PAIRS}},
    "GatewayClass": {"spec": {"controllerName": str, "parametersRef": {"kind": str, **NAMED}}},
    "Gateway": {"spec": {"gatewayClassName": str,
                         "listeners": [{"name": str, "port": Required(int), "protocol": str,
                                        "tls": {"certificateRefs": [NAMED]}}],
                         "infrastructure": {"parametersRef": {"kind": str, **NAMED}}}},
    "HTTPRoute": {"spec": ROUTE}, "TCPRoute": {"spec": ROUTE}, "TLSRoute": {"spec": ROUTE},
    "LoadBalancerConfiguration": {"spec": {
        "listenerConfigurations": [{"protocolPort": SCALAR, "defaultCertificate": SCALAR, "certificates": [SCALAR],
                                    "sslPolicy": str, "listenerAttributes": PAIRS}],
        "loadBalancerAttributes": PAIRS, "ipAddressType": SCALAR}},
    "TargetGroupConfiguration": {"spec": {
        "targetReference": {"name": str},
        "defaultConfiguration": {"targetType": SCALAR, "targetGroupAttributes": PAIRS,
                                 "healthCheckConfig": Each(ANY)}}},
    "EnvoyProxy": {"spec": {"provider": {"kubernetes": {"envoyService": {
        "annotations": Each(SCALAR), "type": SCALAR, "externalTrafficPolicy": SCALAR, "loadBalancerClass": str}}}}},
    "ConfigMap": {"data": Each(SCALAR)},
    "Secret": {"type": SCALAR, "data": Each(SCALAR), "stringData": Each(str)},
    "Deployment": {"spec": {"template": {"spec": {"containers": CONTAINERS}}}},
    "DaemonSet": {"spec": {"template": {"spec": {"containers": CONTAINERS}}}},
    "TLSStore": {"spec": {"defaultCertificate": {"secretName": str}, "certificates": [{"secretName": str}]}},
    "IngressRoute": {"spec": {"routes": [{"match": SCALAR}]}},
    "getambassador.io/Listener": {"spec": {"port": int, "protocol": SCALAR, "protocolStack": [SCALAR], "l7Depth": int,
                                           "securityModel": SCALAR,
                                           "hostBinding": {"selector": {"matchLabels": Each(SCALAR)}}}},
    "getambassador.io/Host": {"spec": {"hostname": SCALAR, "tlsSecret": {"name": str},
                                       "requestPolicy": {"insecure": {"action": SCALAR}}}},
    "getambassador.io/Module": {"spec": {"config": {"xff_num_trusted_hops": int, "use_proxy_proto": SCALAR}}},
    "getambassador.io/TLSContext": {"spec": {"min_tls_version": SCALAR}},
}
_SCALARS = (str, int, float, bool, datetime.date, bytes)


def problems(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, what is wrong) for every field of a document whose shape is not the one its kind declares."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[tuple[Any, ...], str]] = []
    kind = data.get("kind")
    if not kind:
        _check(data, SHAPES[""], (), found)
        return found
    _check(data, SHAPES["*"], (), found)
    if found or not isinstance(kind, str):
        return found
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    own = SHAPES.get(f"{group}/{kind}") or SHAPES.get(kind)
    if own is not None:
        _check(data, own, (), found)
    return found


def _check(value: Any, shape: Any, path: tuple[Any, ...], found: list) -> None:
    if isinstance(shape, Required):
        shape = shape.shape
    if isinstance(shape, IfMapping):
        if not isinstance(value, dict):
            return
        shape = shape.shape
    if value is None and shape is not int:
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            found.append((path, f"must be a mapping (got {shown(value)})"))
            return
        for key, inner in shape.items():
            if key in value:
                _check(value[key], inner, path + (key,), found)
            elif isinstance(inner, Required):
                found.append((path + (key,), "is missing"))
    elif isinstance(shape, list):
        if not isinstance(value, list):
            found.append((path, f"must be a list (got {shown(value)})"))
            return
        for i, item in enumerate(value):
            _check(item, shape[0], path + (i,), found)
    elif isinstance(shape, Each):
        if not isinstance(value, dict):
            found.append((path, f"must be a mapping (got {shown(value)})"))
            return
        for key, item in value.items():
            _check(item, shape.shape, path + (key,), found)
    elif not _leaf(value, shape):
        wanted = " or ".join(_words(s) for s in (shape if isinstance(shape, tuple) else (shape,)))
        found.append((path, f"must be {wanted} (got {shown(value)})" + (": quote it" if str in (
            shape if isinstance(shape, tuple) else (shape,)) and isinstance(value, _SCALARS) else "")))


def _leaf(value: Any, shape: Any) -> bool:
    if isinstance(shape, tuple):
        return any(_leaf(value, s) for s in shape)
    if shape is ANY:
        return True
    if shape is SCALAR:
        return value is None or isinstance(value, _SCALARS)
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, shape)


def _words(shape: Any) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false"}.get(shape, repr(shape))
