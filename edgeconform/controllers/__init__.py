"""The ingress controller plug-ins, and the one list every CLI choice, option, finding code, tool, importer and
compare vocabulary is derived from.

Each built-in controller is one package, edgeconform/controllers/<name>/: ``__init__`` (the Controller class: its
facts and wiring), ``settings`` (its vocabulary, both ways to the abstract trust model), ``limits`` (what it cannot
express, with its finding codes), ``local`` (how it runs as processes next to the stand-ins), ``cluster`` (how it
is installed and configured in Kubernetes), ``importer`` (how ``edgeconform import`` recognises and reads it) and
``advice.yaml`` (how compare says its settings); a controller has the pieces of the places it runs on
(tests/test_registries.py checks them). Built in:
- ``envoy``: a hand-configured Envoy acting as a generic controller; local processes, pip-only, the local default.
- ``emissary``: Emissary-ingress v4 (Helm OCI charts); in a cluster (kind, eks), the default there.
- ``ingress-nginx``: its kind provider manifest and ConfigMap in a cluster; its edge semantics on nginx locally.
- ``traefik``: Traefik v3 in its own vocabulary (entry points, middlewares, TLS options); the real binary with the
  file provider locally (built by ``./dev tools``), its Helm chart in a cluster.
- ``envoy-gateway``: the real Envoy Gateway (standalone: file provider, Host infrastructure) as local processes,
  and its Helm chart in a cluster; configured in its own terms (ClientTrafficPolicy, HTTPRoute redirects).
- ``istio``, ``contour``, ``nginx-gateway-fabric``, ``haproxy``, ``kgateway``, ``cilium``: recognised by
  ``edgeconform import`` (their images, labels, class controller names, API groups), not run: import names them.
- ``none``: no controller; the load balancer's targets are the application (the echo backend plays it and reports
  what arrived). Local processes and clusters alike, nothing to install; import finds it when no controller claims
  the edge.

A target says where its controllers run (TargetSpec.place); a controller says where it can (Controller.runs_on).

Another package adds one through the ``edgeconform.controllers`` entry-point group (name = "module:Class", the
class a subclass of edgeconform.controllers.base.Controller). Modules load only when a controller is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from .base import (CONTROLLER_LIMIT, GENERIC, Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace,
                   Semantics, SettingsError, Unsupported)

if TYPE_CHECKING:
    from ..binaries import Program
    from ..importing.common import Importer
    from ..topology import Topology

ENTRY_POINT_GROUP = "edgeconform.controllers"
BUILTIN = {
    "envoy": "edgeconform.controllers.envoy:EnvoyController",
    "emissary": "edgeconform.controllers.emissary:Emissary",
    "ingress-nginx": "edgeconform.controllers.ingress_nginx:IngressNginx",
    "traefik": "edgeconform.controllers.traefik:Traefik",
    "envoy-gateway": "edgeconform.controllers.envoy_gateway:EnvoyGateway",
    # recognised by import, not run: import names them in its refusal (edgeconform.importing.recognised)
    "istio": "edgeconform.controllers.istio:IstioGateway",
    "contour": "edgeconform.controllers.contour:Contour",
    "nginx-gateway-fabric": "edgeconform.controllers.nginx_gateway_fabric:NginxGatewayFabric",
    "haproxy": "edgeconform.controllers.haproxy:HAProxyIngress",
    "kgateway": "edgeconform.controllers.kgateway:Kgateway",
    "cilium": "edgeconform.controllers.cilium:CiliumIngress",
    # the application straight behind the load balancer: what import finds when no controller claims the edge
    "none": "edgeconform.controllers.none:NoneController",
}


@cache
def available() -> dict[str, str]:
    """Controller name -> "module:Class": the built-ins, then those other packages register."""
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def names() -> list[str]:
    return list(available())


@cache
def controller_class(name: str) -> type[Controller]:
    try:
        module, _, attr = available()[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown controller {name!r}; known: {', '.join(available())}") from None
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Controller)) or getattr(cls, "name", None) != name:
        raise ValueError(f"controller {name!r} ({available()[name]}) is not a Controller subclass named {name!r}")
    return cls


def get(name: str) -> Controller:
    return controller_class(name)()


PLACES = ("local", "cluster")
DEFAULT = "envoy"  # the controller of a topology whose block names none, outside a run (edgeconform list)


def semantics_of(t: Topology) -> Semantics:
    """The documented semantics of the controller that runs ``t`` (its block's kind; the generic one otherwise)."""
    return controller_class(t.controller.kind or DEFAULT).semantics_for(t)


def straight_to_app(t: Topology) -> bool:
    """Whether ``t`` names a controller that is no controller: the application itself behind the load balancer
    (none), which reports what arrived rather than what a controller concluded."""
    return bool(t.controller.kind) and semantics_of(t).straight_to_app


def bind(t: Topology, name: str) -> Topology:
    """``t`` as the controller ``name`` runs it when its block names none (Topology.with_controller), with the trust
    fields that controller fixes (``none``: nothing trusts, redirects or expects anything)."""
    return t.with_controller(name, controller_class(name).fixed_trust)


def limits_of(t: Topology) -> list[Limit]:
    """What ``t`` asks that the controller running it cannot express (its block's kind; none for the generic one)."""
    if not t.controller.kind:
        return []
    return controller_class(t.controller.kind)().limits(t)


def for_place(place: str, target: str | None = None) -> list[str]:
    """The controllers that run at ``place``: "local" (processes on this machine) or "cluster" (in Kubernetes);
    with ``target``, those built for that target of the place."""
    return [name for name in available() if place in controller_class(name).runs_on
            and target not in controller_class(name).not_on]


def tools() -> dict[str, Program]:
    """The programs ./dev tools builds for the registered controllers (Controller.program), by name."""
    return {cls.program.name: cls.program for cls in map(controller_class, available()) if cls.program is not None}


def importers() -> dict[str, Importer]:
    """How ``edgeconform import`` recognises each registered controller that it can (Controller.importer()), in
    registry order: the order in which a Service's selector is matched."""
    found = {}
    for name in available():
        importer = controller_class(name).importer()
        if importer is not None:
            found[name] = importer
    return found


def finding_codes() -> dict[str, Mapping[str, Any]]:
    """The finding codes of the registered controllers' limits (CONTROLLER_LIMIT and each one's own), each with
    the settings that resolve it in compare's advice."""
    codes: dict[str, Mapping[str, Any]] = {CONTROLLER_LIMIT: {}}
    for name in available():
        for code, fixes in controller_class(name).finding_codes.items():
            if code in codes:
                raise ValueError(f"controller {name!r} declares the finding code {code!r}, which another has")
            codes[code] = fixes
    return codes


__all__ = ["BUILTIN", "CONTROLLER_LIMIT", "DEFAULT", "GENERIC", "Controller", "ControllerPlan", "ENTRY_POINT_GROUP",
           "EdgeFacts", "Limit", "LocalController", "LocalPlace", "Semantics", "SettingsError", "Unsupported", "available",
           "bind",
           "controller_class", "finding_codes", "for_place", "get", "importers", "limits_of", "names", "semantics_of",
           "tools"]
