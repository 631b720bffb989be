"""The load-balancer stand-ins, for any target: what they are given and what they render, and the dispatch to the
model that renders them.

Each model renders its own stand-in (``edgeconform.load_balancers.<model>.standin``: the NLB its HAProxy and the
relay that writes AWS's PROXY v2 header, the ALB its Envoy with mutual TLS and its Host handling, the Classic ELB
either, by layer) from the templates under proxies/ it names (``LoadBalancerModel.standins``), over the mechanics
its layer shares with the others (edgeconform.load_balancers.l4, .l7, .health). This module only dispatches.

What differs between targets is only where things are: the local target listens on a loopback slot (127.n.1.1:8080
for AWS port 80) or on the real ports in a namespace of its own, and connects from that address; the kind target
runs the same templates in a container on the `kind` docker network, listening on the real ports and connecting from
the container's own address. An AddressBook carries exactly that difference, so every target renders the same files.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .. import certs
    from ..topology import Topology


@dataclass(frozen=True)
class AddressBook:
    """Where a load-balancer stand-in listens, what it connects from, and where its targets are."""

    lb_bind: str  # the address its listeners and admin bind ("0.0.0.0" in a container)
    lb_source: str | None  # the address it connects to targets from; None: the container's own (kernel's choice)
    lb_admin_port: int
    listener_ports: dict[int, int]  # AWS listener port -> the port it is served on
    targets: dict[str, tuple[str, int]]  # controller port kind (http/https/redirect) -> target (ip, port)
    https_port: int | None  # the port in an LB-generated https redirect; None: the scheme's default (443)
    # Ports a model's helper processes may listen on, next to the stand-in on the load balancer's address (the NLB's
    # PROXY v2 writer: per AWS listener port, and "healthz" in front of kube-proxy's health port); None: the target
    # runs no helpers (kind), and the stand-in does without them.
    relay_ports: dict[int | str, int] | None = None
    # Health checks (the local target): whether the stand-in runs the target groups' health checks, and where
    # kube-proxy answers the healthCheckNodePort (instance targets with externalTrafficPolicy Local).
    health_checks: bool = False
    health_node: tuple[str, int] | None = None
    # A dual-stack load balancer's IPv6 address, where its listeners also bind; None: IPv4 only.
    lb_bind6: str | None = None
    # The ALB's mutual-TLS trust store (a CA file), where a topology asks for mutual TLS.
    client_ca: str | None = None


@dataclass(frozen=True)
class StandIn:
    """One rendered process of a stand-in: which program runs it and the file it reads."""

    name: str  # the process's name in logs: "nlb stand-in (haproxy)"
    program: str  # "haproxy", "envoy", or "python" (a module of this package: ``module``)
    config_name: str
    config: str
    module: str | None = None  # program "python": the module run with ``python -m MODULE CONFIG``
    listens: tuple[tuple[str, int], ...] = ()  # where a helper listens (its readiness)


def _module(t: Topology):
    from . import PACKAGES

    return importlib.import_module(f"{PACKAGES[t.lb.model]}.standin")


def render(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
           transparent: bool) -> list[StandIn]:
    """The processes that stand in for ``t``'s load balancer, the stand-in first, then its helpers (the NLB's PROXY
    v2 writer). ``transparent``: connect to targets from the client's own address (client-IP preservation)."""
    return _module(t).render(t, book, workdir, lb_certs, transparent)


def listening(t: Topology, book: AddressBook) -> list[tuple[str, tuple[str, int]]]:
    """(description, (address, port)) of what the model's helpers will listen on, for a target's pre-flight check."""
    return _module(t).listening(t, book)
