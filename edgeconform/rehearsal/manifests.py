"""Rehearsing the user's own manifests: what the real LBC builds from *their* annotations and Gateway API objects.

- The objects the LBC reads are applied as written (Namespaces, Services, Ingresses, IngressClasses and their
  IngressClassParams, Gateway API objects, the LBC's own configurations); others (Deployments, a controller's CRDs)
  are left out and listed. Certificate ARNs of the user's account are replaced by ACM certificates seeded in moto
  (one per ARN), and mapped back in the model.
- What it is compared with: the topology their manifests mean by the documented rules (``edgeconform import``),
  or, with ``--expect``, the topology the user meant (a catalog name or a topology file): a misspelt key or an
  annotation the LBC does not read then shows as a difference.
- The responsible field of a difference: the manifest lines (file:line) whose annotation or field is about it, or
  "none of the manifests sets it".
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import importing
from ..targets.eks.modes import LoadBalancerRef, Setting
from . import seed as seeding

APPLIED_KINDS = {"Namespace", "Service", "Ingress", "IngressClass", "IngressClassParams", "GatewayClass", "Gateway",
                 "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute", "ReferenceGrant", "ListenerSet",
                 "LoadBalancerConfiguration", "TargetGroupConfiguration", "ListenerRuleConfiguration"}
ARN = re.compile(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+")
# topology field -> words of the annotations / fields that are about it (to name the responsible lines)
ABOUT = {
    "load_balancer.model": ["load-balancer-type", "ingress.class", "ingressClassName", "gatewayClassName",
                            "loadBalancerClass"],
    "load_balancer.listeners": ["ssl-ports", "listen-ports", "backend-protocol", "protocolPort", "listeners"],
    "load_balancer.certificates": ["ssl-cert", "certificate"],
    "load_balancer.tls_policy": ["ssl-policy", "negotiation-policy", "sslPolicy"],
    "load_balancer.target_type": ["target-type", "targetType"],
    "load_balancer.proxy_protocol": ["proxy-protocol", "proxy_protocol"],
    "load_balancer.client_ip_preservation": ["preserve_client_ip"],
    "load_balancer.idle_timeout": ["idle-timeout", "idle_timeout"],
    "load_balancer.xff": ["xff_header"],
    "load_balancer.xff_client_port": ["xff_client_port"],
    "load_balancer.preserve_host_header": ["preserve_host_header"],
    "load_balancer.ssl_redirect": ["ssl-redirect", "RequestRedirect", "requestRedirect"],
    "load_balancer.mutual_tls": ["mutual"],
    "load_balancer.ip_address_type": ["ip-address-type", "ipAddressType"],
    "load_balancer.health_check": ["healthcheck", "health-check", "healthCheck", "success-codes"],
    "scheme": ["scheme"],
}


class Manifests:
    """The user's manifests, ready for the control plane."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        self.docs = importing.load(paths)  # ImportFailed: unusable input (the caller exits 2)
        self.objects = [doc.data for doc in self.docs if isinstance(doc.data, dict) and doc.kind in APPLIED_KINDS]
        self.left_out = sorted({f"{doc.kind} {doc.name}" for doc in self.docs
                                if isinstance(doc.data, dict) and doc.kind and doc.kind not in APPLIED_KINDS})
        self.arns = sorted({arn for obj in self.objects for arn in ARN.findall(str(obj))})
        self.names = {arn: f"cert-{index}.rehearsal.test" for index, arn in enumerate(self.arns, 1)}

    def imported(self):
        """The topology the manifests mean (documented rules), certificates named as the rehearsal names them."""
        edges = self.edges()
        name = edges[0].name if len(edges) == 1 else None  # the topology is named after its load balancer's object
        return importing.from_documents(self.docs, self.paths, acm_certs={n: a for a, n in self.names.items()},
                                        name=name)

    def for_control_plane(self, cp) -> list[dict[str, Any]]:
        """The objects to apply, their certificate ARNs replaced by the seeded ones (in moto)."""
        seeded = seeding.certificate_arns(cp, list(self.names.values()))
        out = []
        for obj in self.objects:
            text = repr(obj)
            if any(arn in text for arn in self.arns):
                obj = _replace(copy.deepcopy(obj), {arn: seeded[name] for arn, name in self.names.items()})
            if obj["kind"] == "Service" and (obj.get("metadata") or {}).get("namespace") is None:
                obj = {**obj, "metadata": {**obj["metadata"], "namespace": "default"}}
            out.append(obj)
        return [_namespaced(obj) for obj in out]

    def edges(self) -> list[LoadBalancerRef]:
        """The objects whose status names a load balancer: LoadBalancer Services, Ingresses, Gateways."""
        refs = []
        for obj in self.objects:
            meta = obj.get("metadata") or {}
            namespace = meta.get("namespace", "default")
            if obj["kind"] == "Service" and (obj.get("spec") or {}).get("type") == "LoadBalancer":
                refs.append(LoadBalancerRef("v1", "Service", namespace, meta["name"]))
            elif obj["kind"] == "Ingress":
                refs.append(LoadBalancerRef("networking.k8s.io/v1", "Ingress", namespace, meta["name"]))
            elif obj["kind"] == "Gateway":
                refs.append(LoadBalancerRef(obj["apiVersion"], "Gateway", namespace, meta["name"]))
        return refs

    def settings(self) -> list[Setting]:
        """Every annotation and LBC field of the manifests, as the plan's settings, each ``encodes`` the topology
        fields it is about (ABOUT): so a difference names the lines responsible."""
        out = []
        for doc in self.docs:
            if not isinstance(doc.data, dict) or doc.kind not in APPLIED_KINDS:
                continue
            where = f"{doc.file}:{doc.start} {doc.kind} {doc.name}"
            for key, value in ((doc.metadata.get("annotations") or {}).items()):
                out.append(Setting(f"{where} annotation", key, str(value), _about(key), ()))
            if doc.kind in ("LoadBalancerConfiguration", "TargetGroupConfiguration", "Gateway"):
                for key, value in _leaves(doc.data.get("spec") or {}, "spec"):
                    out.append(Setting(where, key, str(value), _about(key + " " + str(value)), ()))
        return out


def _about(text: str) -> tuple[str, ...]:
    return tuple(field for field, words in ABOUT.items() if any(word in text for word in words))


def _leaves(value: Any, path: str):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _replace(value: Any, arns: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, arns) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, arns) for v in value]
    if isinstance(value, str):
        for old, new in arns.items():
            value = value.replace(old, new)
    return value


def _namespaced(obj: dict[str, Any]) -> dict[str, Any]:
    cluster_scoped = {"Namespace", "IngressClass", "IngressClassParams", "GatewayClass"}
    if obj["kind"] in cluster_scoped or (obj.get("metadata") or {}).get("namespace"):
        return obj
    return {**obj, "metadata": {**obj["metadata"], "namespace": "default"}}


def responsible_default(path: str) -> str:
    return f"none of the manifests ({path}) sets it"

