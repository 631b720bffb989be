"""The shape of every field import's readers read (edgeconform.untrusted.shapes), checked once for every document
before any reader runs: a manifest whose ``selector`` is ``yes`` or whose ``ports`` is ``80`` gets one error per
wrong field (all of them, each naming its file, line, object and field), never a reader's AttributeError.

``str`` is Kubernetes' string (names, references), ``SCALAR`` a value the readers turn into a string (annotation
and ConfigMap values). A field no reader reads needs no shape; a reader that reads a new field declares its shape
here.
"""

from __future__ import annotations

from typing import Any

from ..untrusted import ANY, SCALAR, Each, IfMapping, Required, shape_problems

NAMED = {"name": str, "namespace": str}
METADATA = {"name": str, "namespace": str, "annotations": Each(SCALAR), "labels": Each(SCALAR)}
PAIRS = [{"key": SCALAR, "value": SCALAR}]  # AWS attributes as the LBC's resources list them
BACKEND = {"service": {"name": str, "port": {"number": int, "name": str}}}
SERVICE_PORT = {"name": str, "port": Required(int), "targetPort": (int, str), "protocol": str}
CONTAINERS = [{"args": [SCALAR], "image": SCALAR}]
POD = {"spec": {"template": {"metadata": {"labels": Each(SCALAR)},
                             "spec": {"containers": CONTAINERS, "initContainers": CONTAINERS}}}}
ROUTE = {"hostnames": [str], "parentRefs": [{"name": str, "namespace": str, "sectionName": str, "port": int}],
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
                                    "ipAddressType": str, "loadBalancerAttributes": PAIRS, "group": {"name": str}}},
    "GatewayClass": {"spec": {"controllerName": str, "parametersRef": {"kind": str, **NAMED}}},
    "Gateway": {"spec": {"gatewayClassName": str,
                         "listeners": [{"name": str, "port": Required(int), "protocol": str, "hostname": str,
                                        "tls": {"certificateRefs": [NAMED]}}],
                         "infrastructure": {"parametersRef": {"kind": str, **NAMED}}}},
    "HTTPRoute": {"spec": ROUTE}, "TCPRoute": {"spec": ROUTE}, "TLSRoute": {"spec": ROUTE}, "GRPCRoute": {"spec": ROUTE},
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
    "Deployment": POD, "DaemonSet": POD, "StatefulSet": POD,
    "MutatingWebhookConfiguration": {"webhooks": [{"name": str}]},
    "NginxProxy": {"spec": {"kubernetes": {"service": {"annotations": Each(SCALAR)}}}},
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


def problems(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, what is wrong) for every field of a document whose shape is not the one its kind declares."""
    if not isinstance(data, dict):
        return []
    kind = data.get("kind")
    if not kind:
        return shape_problems(data, SHAPES[""])
    found = shape_problems(data, SHAPES["*"])
    if not isinstance(kind, str):
        return found
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    own = SHAPES.get(f"{group}/{kind}") or SHAPES.get(kind)
    return list(dict.fromkeys(found + (shape_problems(data, own) if own is not None else [])))  # spec: once

