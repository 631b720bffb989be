"""Everything one topology creates on a real cluster, as data: what `edgeconform plan --target eks` prints and
what the eks target applies, in order.

- session objects, once per run: the throwaway namespace and the echo backend in it (edgeconform.kube.manifests);
- the controller's resources for the topology (edgeconform.controllers: Emissary Listeners/Hosts/Mapping/Module,
  or ingress-nginx's ConfigMaps and Ingress), without the kind target's fixed-NodePort Service;
- the object that asks AWS for the load balancer: a Service of type LoadBalancer (NLB, Classic ELB) or an
  Ingress with its Service (ALB), annotated from clusters/eks/annotations.yaml, in the controller's namespace
  (a Service selects pods of its own namespace only).

Every object carries the run label, so a run can be found and removed by label; objects that exist before the
run (the controller's ConfigMap, Emissary's Module) are restored afterwards instead (edgeconform.targets.eks.deploy).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ... import certs, controllers, headers
from ...controllers.base import EdgeFacts, versions
from ...kube import manifests
from ...topology import Topology
from . import annotations
from .settings import EksSettings

RUN_LABEL = "edgeconform.dev/run"
KIND_EDGE_SERVICE = "edgeconform-edge"  # the kind target's fixed-NodePort Service: not wanted on a real cluster


def new_run_id() -> str:
    return secrets.token_hex(4)


def localize(t: Topology, settings: EksSettings) -> Topology:
    """The topology with the cluster's names: every hostname and certificate name through the domain mapping."""
    if not settings.domain:
        return t
    rename = settings.rename
    return t.model_copy(update={
        "hostnames": [rename(h) for h in t.hostnames],
        "load_balancer": t.lb.model_copy(update={"certificates": [rename(c) for c in t.lb.certificates]}),
        "controller": t.controller.model_copy(update={"certificates": [rename(c) for c in t.controller.certificates]}),
    })


@dataclass(frozen=True)
class LoadBalancerRef:
    """The object whose status carries the load balancer's DNS name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class Plan:
    topology: Topology
    settings: EksSettings
    run_id: str
    controller: controllers.ControllerPlan
    annotations: annotations.AnnotationSet
    session: list[dict[str, Any]]
    edge: list[dict[str, Any]]
    load_balancer: LoadBalancerRef
    notes: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return manifests.NAMESPACE

    def objects(self) -> list[dict[str, Any]]:
        return [*self.session, *self.edge]

    def outside_namespace(self) -> list[dict[str, Any]]:
        return [obj for obj in self.objects() if obj["metadata"].get("namespace") not in (None, self.namespace)
                or obj["kind"] == "Namespace" and obj["metadata"]["name"] != self.namespace]

    def dump(self) -> str:
        """The YAML a user reviews: a header saying what happens, then every object (Secrets' data elided)."""
        t, s = self.topology, self.settings
        lines = [f"# edgeconform plan: topology {t.name} on eks, controller {s.controller}, scheme {s.scheme}",
                 f"# load balancer: {t.lb.model.upper()} from {'an' if self.annotations.object[0] in 'AEIOU' else 'a'} "
                 f"{self.annotations.object}, reconciled by "
                 f"{self.annotations.reconciler}",
                 f"# every object is labelled {RUN_LABEL}={self.run_id} and removed after the run (--keep keeps it);",
                 f"# created in the throwaway namespace {self.namespace}: "
                 f"{len(self.objects()) - len(self.outside_namespace())} objects; elsewhere (restored if they existed):"]
        lines += [f"#   {obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
                  for obj in self.outside_namespace()]
        lines += [f"# note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n---\n" + manifests.dump([_elide_echo(obj) for obj in self.objects()])

    def load_balancer_yaml(self) -> str:
        """Just the object that asks AWS for the load balancer (for failure messages)."""
        ref = self.load_balancer
        return manifests.dump([obj for obj in self.edge if obj["metadata"]["name"] == ref.name
                               and obj["metadata"].get("namespace") == ref.namespace])


def _elide_echo(obj: dict[str, Any]) -> dict[str, Any]:
    """The echo's source is edgeconform/echo.py itself: shown by its size and hash, not printed in full."""
    if obj["kind"] != "ConfigMap" or obj["metadata"]["name"] != manifests.ECHO_SERVICE:
        return obj
    data = {key: f"<edgeconform/echo.py: {len(text.splitlines())} lines, sha256 "
                 f"{hashlib.sha256(text.encode()).hexdigest()}>" for key, text in obj.get("data", {}).items()}
    return {**obj, "data": data}


def _labelled(obj: dict[str, Any], run_id: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"].setdefault("labels", {})[RUN_LABEL] = run_id
    return out


def session_objects(run_id: str, client_header: str = headers.CLIENT) -> list[dict[str, Any]]:
    """The throwaway namespace and the echo backend in it (reading the client from where the controller states it)."""
    return [_labelled(obj, run_id) for obj in manifests.echo(versions()["images"]["python"],
                                                             client_header=client_header)]


def controller_certificates(t: Topology, workdir: Path) -> dict[str, certs.IssuedCert]:
    """The controller's own certificates (TLS passed through to it), from the harness's test CA."""
    return certs.issue(workdir / "certs", "controller", t.controller.certificates)


def build(topology: Topology, settings: EksSettings, run_id: str, workdir: Path) -> Plan:
    """The plan for one topology (already localized). Raises annotations.CannotExpress."""
    t = topology
    lb_set = annotations.for_topology(t, settings)
    controller = controllers.get(settings.controller)
    facts = EdgeFacts(tuple(settings.vpc_cidrs), controller_certificates(t, workdir))
    translated = controller.translate(t, facts)
    objects = [obj for obj in translated.manifests
               if not (obj["kind"] == "Service" and obj["metadata"]["name"] == KIND_EDGE_SERVICE)]
    lb_objects, ref = load_balancer_objects(t, settings, controller, translated.container_ports, lb_set)
    notes = [f"no ARN for certificate {name}: pass --acm-cert {name}=ARN (or certificates: in --eks-config)"
             for name in lb_set.missing_arns] + list(translated.notes)
    if t.lb.model == "clb":
        notes.append("a Classic ELB comes from the legacy provider: with the AWS Load Balancer Controller's Service "
                     "webhook on, the Service would get an NLB instead (the build checks this with a dry run)")
    return Plan(t, settings, run_id, translated, lb_set, session_objects(run_id, controller.client_header),
                [_labelled(obj, run_id) for obj in [*objects, *lb_objects]], ref, notes)


def load_balancer_objects(t: Topology, settings: EksSettings, controller: controllers.Controller,
                          container_ports: dict[str, int], lb_set: annotations.AnnotationSet):
    name = f"edgeconform-{t.name}"[:63].rstrip("-")
    if lb_set.object == "Service":
        ports = [{"name": f"port-{item.port}", "port": item.port, "target_port": container_ports[item.target]}
                 for item in t.lb.listeners]
    else:  # ALB: one Service port per controller port the listeners use
        ports = [{"name": kind, "port": container_ports[kind], "target_port": container_ports[kind]}
                 for kind in t.controller_kinds]
    objects = manifests.render(
        "eks/load-balancer.yaml.j2", object=lb_set.object, name=name, namespace=controller.namespace,
        labels=manifests.labels(t.name), annotations=lb_set.as_dict(), selector=controller.pod_selector,
        external_traffic_policy=t.kubernetes.external_traffic_policy, ports=ports,
        node_ports=t.lb.target_type == "instance", source_ranges=settings.source_ranges if lb_set.object == "Service" else [],
        ingress_class=settings.alb_ingress_class, hostnames=t.hostnames)
    api_version = "v1" if lb_set.object == "Service" else "networking.k8s.io/v1"
    return objects, LoadBalancerRef(api_version, lb_set.object, controller.namespace, name)


