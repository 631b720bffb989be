"""Everything one topology creates on a real cluster, as data: what `edgeconform plan --target eks` prints and
what the eks target applies, in order.

- session objects, once per run: the throwaway namespace and the echo backend in it (edgeconform.kube.manifests);
- shared objects, once per run: cluster-wide objects several topologies use (mode lbc-gateway's GatewayClasses);
- the load balancer, in the run's mode (edgeconform.targets.eks.modes): an annotated Service or Ingress
  (lbc-annotations), a Gateway with its routes and configurations (lbc-gateway), a Service of Auto Mode's class or
  an Ingress of its IngressClass (auto-mode); in the controller's namespace (a Service selects pods of its own
  namespace only). Every topology's load balancer is applied at the start of a run and waited for together;
- the controller's resources for the topology (edgeconform.controllers, ``translate``: Emissary
  Listeners/Hosts/Mapping/Module, ingress-nginx's ConfigMaps and Ingress, or any controller plug-in that runs in a
  cluster), without the kind target's fixed-NodePort Service. The controller is one installation with
  cluster-wide settings, so these are applied when the topology's tests start and removed when they end.

Every object carries the run label, so a run can be found and removed by label; objects that exist before the
run (the controller's ConfigMap, Emissary's Module) are restored afterwards instead (edgeconform.targets.eks.deploy).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


from ... import certs, controllers, headers
from ...controllers.base import EdgeFacts, versions
from ...kube import manifests
from ...topology import Topology
from . import builders
from .modes import CannotBuild, LoadBalancerPart, LoadBalancerRef, ModeFacts
from .settings import EksSettings

DEFAULT_MODE = "lbc-annotations"  # without a cluster to ask (edgeconform plan) and without --eks-mode

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


@dataclass
class Plan:
    topology: Topology
    settings: EksSettings
    run_id: str
    mode: str
    controller: controllers.ControllerPlan
    lb: LoadBalancerPart
    session: list[dict[str, Any]]
    shared: list[dict[str, Any]]  # cluster-wide, shared by the run's topologies (applied once, removed at the end)
    lb_objects: list[dict[str, Any]]  # the load balancer: applied for every topology at the start of a run
    controller_objects: list[dict[str, Any]]  # the controller's settings: applied when the topology's tests start
    notes: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return manifests.NAMESPACE

    @property
    def load_balancer(self) -> LoadBalancerRef:
        return self.lb.ref

    @property
    def missing_arns(self) -> tuple[str, ...]:
        return self.lb.missing_arns

    @property
    def edge(self) -> list[dict[str, Any]]:
        """This topology's own objects (the controller's settings and the load balancer)."""
        return [*self.controller_objects, *self.lb_objects]

    def objects(self) -> list[dict[str, Any]]:
        return [*self.session, *self.shared, *self.lb_objects, *self.controller_objects]

    def outside_namespace(self) -> list[dict[str, Any]]:
        return [obj for obj in self.objects() if obj["metadata"].get("namespace") not in (None, self.namespace)
                or obj["metadata"].get("namespace") is None and not (obj["kind"] == "Namespace"
                                                                     and obj["metadata"]["name"] == self.namespace)]

    def dump(self) -> str:
        """The YAML a user reviews: a header saying what happens, then every object (Secrets' data elided)."""
        t, s = self.topology, self.settings
        controller = self.controller.controller  # the run's installed one, or the topology's (none)
        lines = [f"# edgeconform plan: topology {t.name} on eks, mode {self.mode}, controller {controller}, "
                 f"scheme {s.scheme}",
                 f"# load balancer: {t.lb.model.upper()} from {_a(self.load_balancer.kind)} {self.load_balancer.kind}, "
                 f"reconciled by {self.lb.reconciler}",
                 f"# every object is labelled {RUN_LABEL}={self.run_id} and removed after the run (--keep keeps it);",
                 f"# created in the throwaway namespace {self.namespace}: "
                 f"{len(self.objects()) - len(self.outside_namespace())} objects; elsewhere (restored if they existed):"]
        lines += [f"#   {obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
                  for obj in self.outside_namespace()]
        lines += ["# what encodes what (topology field <- value [sources]):"]
        lines += [f"#   {', '.join(item.encodes) or '-'} <- {item.where} {item.key}: {item.value} "
                  f"{''.join(f'[{k}]' for k in item.sources)}" for item in self.lb.settings]
        lines += [f"# note: {note}" for note in self.notes]
        sections = [("the session: once per run", self.session),
                    ("shared by the run's topologies: applied once, removed at the end", self.shared),
                    ("the load balancer: applied with every other topology's at the start of the run, waited for "
                     "together", self.lb_objects),
                    (f"{_own_part(controller)}: applied when this topology's tests start, removed when they end",
                     self.controller_objects)]
        body = "".join(f"# --- {title}\n" + manifests.dump([_elide_echo(obj) for obj in objs]) + "---\n"
                       for title, objs in sections if objs)
        return "\n".join(lines) + "\n---\n" + body.removesuffix("---\n")

    def load_balancer_yaml(self) -> str:
        """Just the objects that ask AWS for the load balancer (for failure messages)."""
        return manifests.dump(self.lb_objects)


def _own_part(controller: str) -> str:
    """What the topology's own objects are: the installed controller's settings, or (none) the application itself."""
    if controllers.controller_class(controller).installs:
        return f"the controller's settings ({controller})"
    return f"the application behind the load balancer (controller {controller}: nothing installed)"


def _a(word: str) -> str:
    return "an" if word[0] in "AEIOU" else "a"


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
    return [_labelled(obj, run_id) for obj in _echo(client_header)]


@cache
def _echo(client_header: str) -> tuple[dict[str, Any], ...]:
    """Rendered once per process and header (the same for every plan of a run; _labelled copies before labelling)."""
    return tuple(manifests.echo(versions()["images"]["python"], client_header=client_header))


def controller_certificates(t: Topology, workdir: Path) -> dict[str, certs.IssuedCert]:
    """The controller's own certificates (TLS passed through to it), from the harness's test CA."""
    return certs.issue(workdir / "certs", "controller", t.controller.certificates)


def build(topology: Topology, settings: EksSettings, run_id: str, workdir: Path, mode: str | None = None,
          facts: ModeFacts | None = None) -> Plan:
    """The plan for one topology (already localized) in ``mode`` (default: the settings', else lbc-annotations).
    Raises modes.CannotBuild, naming what the mode cannot build and the source that says so."""
    t = topology
    mismatch = controller_mismatch(t, settings)
    if mismatch:
        raise ValueError(mismatch)
    mode = mode or settings.mode or DEFAULT_MODE
    builder = builders.get(mode)
    builder.check(t, settings)  # before anything else: a refused topology costs nothing
    controller = controllers.get(controller_for(t, settings))
    facts_ = EdgeFacts(tuple(settings.vpc_cidrs), controller_certificates(t, workdir))
    translated = controller.translate(t, facts_)
    controller_objects = [obj for obj in translated.manifests
                          if not (obj["kind"] == "Service" and obj["metadata"]["name"] == KIND_EDGE_SERVICE)]
    part = builder.build(t, settings, controller.namespace, controller.pod_selector, translated.container_ports,
                         facts or ModeFacts())
    clash = _clashes(controller_objects, [*part.objects, *part.shared])
    if clash:
        raise ValueError(f"the {settings.controller} controller's resources for {t.name} and the {mode} load balancer "
                         f"both name {clash}: rename one of them")
    notes = [f"no ARN for certificate {name}: pass --acm-cert {name}=ARN (or certificates: in --eks-config)"
             for name in part.missing_arns] + part.notes + list(translated.notes)
    if controller.name != settings.controller:
        notes.append(f"{t.name} names controller {controller.name} ({controller.title}): nothing to install, so this "
                     f"run builds it beside the installed {settings.controller}")
    return Plan(t, settings, run_id, mode, translated, part, session_objects(run_id, controller.client_header),
                [_labelled(obj, run_id) for obj in part.shared], [_labelled(obj, run_id) for obj in part.objects],
                [_labelled(obj, run_id) for obj in controller_objects], notes)


def controller_for(t: Topology, settings: EksSettings) -> str:
    """The controller that runs ``t``: the run's installed one (--controller), or the one its block names where that
    one installs nothing (``none``: the load balancer straight to the application, which comes with the topology)."""
    kind = t.controller.kind
    if kind and kind != settings.controller and not controllers.controller_class(kind).installs:
        return kind
    return settings.controller


def controller_mismatch(t: Topology, settings: EksSettings) -> str | None:
    """A topology written in another controller's terms than the installed one the run configures."""
    kind = t.controller.kind
    if kind in (None, settings.controller) or controller_for(t, settings) == kind:
        return None
    return (f"topology {t.name!r} is written for the {kind} controller (controller.kind), but this run configures the "
            f"installed {settings.controller} (--controller): run it with --controller {kind} on a cluster where {kind} "
            "is installed")


def _clashes(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str | None:
    key = lambda o: (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])  # noqa: E731
    both = {key(o) for o in a} & {key(o) for o in b}
    return ", ".join(f"{k} {ns or ''}/{n}" for k, ns, n in sorted(both, key=str)) if both else None


__all__ = ["CannotBuild", "DEFAULT_MODE", "LoadBalancerRef", "Plan", "RUN_LABEL", "build", "controller_for", "localize",
           "new_run_id", "session_objects"]
