"""Which mode a cluster is in, and whether the chosen mode can work there: read through the kubeconfig only,
before anything is created (clusters/eks/modes.yaml `detect`).

Signals, strongest first:
1. a server-side dry run of a class-less Service of type LoadBalancer: the loadBalancerClass a mutating webhook
   gives it (eks.amazonaws.com/nlb: EKS Auto Mode builds it; service.k8s.aws/nlb: the AWS Load Balancer
   Controller does) [EKS-AUTO-NLB][LBC-WEBHOOK]. Nothing is created;
2. the CRDs installed (Auto Mode's eks.amazonaws.com ones, the controller's elbv2.k8s.aws and gateway.k8s.aws
   ones, the Gateway API's, with the versions they serve);
3. the controller's Deployment (its image tag is its version, its args its feature gates) [LBC-HELM];
4. the IngressClasses and their controllers.
A signal that cannot be read (no permission to list CRDs, say) is skipped and said so. Without --eks-mode the
first that names a mode decides; with it, ``problems`` says what is missing for it, and ``refusals`` which
topologies it cannot build on this cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...kube.api import Cluster, _api_message
from .modes import ModeFacts, Refusal, data as modes_data

PROBE = "edgeconform-mode-probe"


@dataclass
class Detection:
    mode: str | None = None  # what the cluster says; None: nothing clear
    why: str = ""
    webhook_class: str | None = None  # the class the dry run got (None: none given)
    dry_run: str = ""  # why the dry run could not tell ("" when it ran)
    crds: dict[str, list[str]] | None = None  # CRD name -> served versions; None: not readable
    lbc_version: str | None = None
    lbc_gates: dict[str, bool] = field(default_factory=dict)
    ingress_classes: dict[str, str] | None = None  # name -> controller; None: not readable
    unread: list[str] = field(default_factory=list)  # signals that could not be read, and why
    facts: ModeFacts = field(default_factory=ModeFacts)

    def has_crd(self, name: str) -> bool | None:
        return None if self.crds is None else name in self.crds

    def describe(self) -> str:
        seen = [f"dry-run LoadBalancer Service got loadBalancerClass {self.webhook_class or '(none)'}"
                if not self.dry_run else f"dry run: {self.dry_run}"]
        if self.lbc_version:
            seen.append(f"AWS Load Balancer Controller {self.lbc_version}")
        if self.crds is not None:
            seen.append(f"{len(self.crds)} CRDs")
        seen += [f"{what} unreadable ({why})" for what, why in self.unread]
        return "; ".join(seen)


def _version(text: str | None) -> tuple[int, ...] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(part) for part in match.groups()) if match else None


def _gates(args: list[str]) -> dict[str, bool]:
    out = {}
    for arg in args:
        if arg.startswith("--feature-gates="):
            for item in arg.split("=", 1)[1].split(","):
                name, _, value = item.partition("=")
                out[name.strip()] = value.strip().lower() == "true"
    return out


def _list(cluster: Cluster, api_version: str, kind: str, **kw: Any) -> list[dict[str, Any]]:
    return cluster.dynamic.resources.get(api_version=api_version, kind=kind).get(**kw).to_dict().get("items", [])


def detect(cluster: Cluster, namespace: str) -> Detection:
    """Read every signal; ``namespace``: where the dry-run Service would go (the controller's, which exists)."""
    d = modes_data()["detect"]
    out = Detection()
    probe = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": PROBE, "namespace": namespace},
             "spec": {"type": "LoadBalancer", "selector": {"edgeconform.dev/probe": "none"},
                      "ports": [{"name": "probe", "port": 80, "targetPort": 80, "protocol": "TCP"}]}}
    try:
        seen = cluster.dynamic.resources.get(api_version="v1", kind="Service").create(
            body=probe, namespace=namespace, dry_run="All").to_dict()
        out.webhook_class = (seen.get("spec") or {}).get("loadBalancerClass")
    except Exception as exc:
        out.dry_run = _api_message(exc)
    try:
        out.crds = {item["metadata"]["name"]: [v["name"] for v in (item.get("spec") or {}).get("versions") or []
                                               if v.get("served")]
                    for item in _list(cluster, "apiextensions.k8s.io/v1", "CustomResourceDefinition")}
    except Exception as exc:
        out.unread.append(("CRDs", _api_message(exc)))
    where = d["lbc_deployment"]
    try:
        deployment = cluster.dynamic.resources.get(api_version="apps/v1", kind="Deployment").get(
            name=where["name"], namespace=where["namespace"]).to_dict()
        containers = deployment["spec"]["template"]["spec"].get("containers") or []
        image = containers[0].get("image", "") if containers else ""
        version = _version(image.rpartition(":")[2]) or _version(
            (deployment["metadata"].get("labels") or {}).get("app.kubernetes.io/version"))
        out.lbc_version = "v" + ".".join(map(str, version)) if version else None
        out.lbc_gates = _gates([arg for c in containers for arg in c.get("args") or []])
    except Exception as exc:
        if getattr(exc, "status", None) != 404:
            out.unread.append((f"Deployment {where['namespace']}/{where['name']}", _api_message(exc)))
    try:
        out.ingress_classes = {item["metadata"]["name"]: (item.get("spec") or {}).get("controller", "")
                               for item in _list(cluster, "networking.k8s.io/v1", "IngressClass")}
    except Exception as exc:
        out.unread.append(("IngressClasses", _api_message(exc)))
    out.mode, out.why = _decide(out, d)
    out.facts = ModeFacts(lbc_gateway_api_version=_lbc_gateway_api_version(out, d))
    return out


def _decide(out: Detection, d: dict[str, Any]) -> tuple[str | None, str]:
    known = d["webhook_classes"].get(out.webhook_class or "")
    if known:
        return known["mode"], f"{' '.join(known['why'].split())} {''.join(f'[{k}]' for k in known['sources'])}"
    if out.crds is not None and any(name in out.crds for name in d["auto_mode_crds"]):
        return "auto-mode", "EKS Auto Mode's load-balancing CRDs are installed [EKS-AUTO-POLICY]"
    for name, controller in (out.ingress_classes or {}).items():
        if d["ingress_class_controllers"].get(controller) == "auto-mode":
            return "auto-mode", f"IngressClass {name} has EKS Auto Mode's controller {controller} [EKS-AUTO-ALB]"
    if out.lbc_version or (out.crds is not None and any(name in out.crds for name in d["lbc_crds"])):
        return "lbc-annotations", (f"the AWS Load Balancer Controller ({out.lbc_version or 'its CRDs'}) is installed "
                                   "[LBC-HELM]")
    return None, ""


def _lbc_gateway_api_version(out: Detection, d: dict[str, Any]) -> str:
    """gateway.k8s.aws/v1 when served (controller >= v3.5.0), else v1beta1 (the same schema) when that is."""
    served = (out.crds or {}).get(d["lbc_gateway_crds"][0]) or []
    return "gateway.k8s.aws/v1beta1" if served and "v1" not in served and "v1beta1" in served else "gateway.k8s.aws/v1"


def gateway_available(out: Detection) -> bool:
    """The cluster has what lbc-gateway needs (as far as it can be read)."""
    return not problems(out, "lbc-gateway", gateway_models())


def gateway_models() -> set[str]:
    """The models the AWS Load Balancer Controller's Gateway API builds (each behind a feature gate)."""
    return set(modes_data()["detect"]["lbc_gateway_gates"])


def problems(out: Detection, mode: str, models: set[str]) -> list[str]:
    """What keeps ``mode`` from working on this cluster at all (each with its fix); [] when nothing seen does."""
    d = modes_data()["detect"]
    found: list[str] = []
    if mode == "lbc-gateway":
        wanted = [*d["gateway_api_crds"], *(d["gateway_route_crds"][m] for m in sorted(models) if m in d["gateway_route_crds"]),
                  *d["lbc_gateway_crds"]]
        if out.crds is not None:
            missing = [name for name in wanted if name not in out.crds]
            if missing:
                found.append(f"CRDs {', '.join(missing)} are not installed: install the Gateway API standard CRDs "
                             "(v1.6 or later) and the AWS Load Balancer Controller's gateway CRDs (its Helm chart's "
                             "crds/gateway-crds.yaml) [LBC-GW]")
            routes = [d["gateway_route_crds"][m] for m in sorted(models) if m in d["gateway_route_crds"]]
            old = [name for name in routes if name in out.crds and "v1" not in out.crds[name]]
            if old:
                found.append(f"{', '.join(old)} do not serve v1: TCPRoute and UDPRoute need the Gateway API CRDs "
                             "v1.6 or later (the controller turns its NLB Gateway controller off otherwise) [LBC-GW-L4]")
        gates = d["lbc_gateway_gates"]
        off = [gates[m] for m in sorted(models) if m in gates and out.lbc_gates.get(gates[m]) is False]
        version = _version(out.lbc_version)
        if version and version < _version(d["lbc_gateway_default_on"]):
            off += [gates[m] for m in sorted(models) if m in gates and not out.lbc_gates.get(gates[m])
                    and gates[m] not in off]
        if off:
            found.append(f"the AWS Load Balancer Controller{' ' + out.lbc_version if out.lbc_version else ''} has "
                         f"{', '.join(off)} off (the default before v{d['lbc_gateway_default_on']}, or turned off): "
                         f"set controllerConfig.featureGates {', '.join(g + '=true' for g in off)} or upgrade [LBC-GW]")
    if mode == "auto-mode" and out.mode != "auto-mode":
        seen = out.describe()
        found.append(f"this cluster shows no sign of EKS Auto Mode's load balancing ({seen}); Auto Mode sets "
                     "loadBalancerClass eks.amazonaws.com/nlb on new LoadBalancer Services [EKS-AUTO-NLB]: choose "
                     "--eks-mode lbc-annotations or lbc-gateway, or enable Auto Mode's load balancing")
    return found


def refusals(out: Detection, mode: str, asked_by: str, alb_ingress_class: str) -> list[Refusal]:
    """What this cluster lacks for one topology's model in ``mode`` (nothing created yet); ``asked_by``: the object
    that asks for its load balancer (edgeconform.targets.eks.annotations.model_data): an Ingress needs its class."""
    if mode == "lbc-annotations" and asked_by == "Ingress" and out.ingress_classes is not None \
            and alb_ingress_class not in out.ingress_classes:
        return [Refusal(f"IngressClass {alb_ingress_class} does not exist (classes here: "
                        f"{', '.join(f'{k} ({v})' for k, v in out.ingress_classes.items()) or 'none'}); the AWS Load "
                        "Balancer Controller's chart creates it (alb_ingress_class: names another)", "ingressClassName",
                        ("LBC-IA",))]
    return []


__all__ = ["Detection", "detect", "gateway_available", "problems", "refusals"]
