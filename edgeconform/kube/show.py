"""`edgeconform manifests NAME`: what a real cluster gets for one topology, without a cluster."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .. import certs, controllers
from ..controllers.base import versions
from . import manifests


def cmd_manifests(topologies: dict, name: str, controller: str, lb_address: str) -> int:
    if name not in topologies:
        print(f"edgeconform: unknown topology {name!r}; known: {', '.join(topologies)}", file=sys.stderr)
        return 2
    t = topologies[name]
    kind = t.controller.kind
    if kind and kind != controller and not controllers.controller_class(kind).installs:
        controller = kind  # none: the application comes with the topology, whatever runs beside it
    t = controllers.bind(t, controller)
    with tempfile.TemporaryDirectory(prefix="edgeconform-manifests-") as tmp:
        issued = certs.issue(Path(tmp), "controller", t.controller.certificates)
        plan = controllers.get(controller).translate(t, controllers.EdgeFacts((lb_address,), issued))
    client_header = controllers.controller_class(controller).client_header
    objects = [*manifests.echo(versions()["images"]["python"], client_header=client_header), *plan.manifests]
    print(f"# {name} on {controller}; the load balancer connects from {lb_address}")
    for key, reason in plan.unsupported.items():
        print(f"# cannot be measured on {controller}: {key}: {reason}")
    for note in plan.notes:
        print(f"# note: {note}")
    print(manifests.dump(objects), end="")
    return 0
