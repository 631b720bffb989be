"""Which catalog topologies a test of one controller can take: a topology whose block names its controller
(controller.kind: none, the load balancer straight to the application) runs with that controller only; the others
are written in abstract terms every controller honours."""

from __future__ import annotations

from edgeconform.topology import Topology


def generic(topologies: dict[str, Topology]) -> list[str]:
    """The names of the topologies every controller can run (their block names no controller), sorted."""
    return sorted(name for name, t in topologies.items() if t.controller.kind is None)


def runs(t: Topology, controller: str) -> bool:
    """Whether ``controller`` runs ``t``: its block names no controller, or names this one."""
    return t.controller.kind in (None, controller)
