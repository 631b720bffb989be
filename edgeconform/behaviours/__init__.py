"""The behaviours edgeconform measures, one module each, and the one registry everything else derives from:
pytest markers, the ``requires`` names a topology may use, the matrix and report columns, the security suite's
parametrisation, and ``edgeconform list``.

    REGISTRY["websocket"]                  the Behaviour (its cells: rule, probe, compare per variant)
    expectation(topology, "websocket", "ws")
    for_topology(topology)                 every expectation of one topology, in matrix order

Adding a behaviour: write its module (see docs/extending.md) and list it in ``_MODULES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import client_ip, dual_stack, health_check, host_header, redirect, security, sni, websocket
from .base import Behaviour, Cell, Expectation, Outcome

if TYPE_CHECKING:
    from ..topology import Topology

_MODULES = (client_ip, redirect, websocket, sni, health_check, dual_stack, host_header, security)

REGISTRY: dict[str, Behaviour] = {module.BEHAVIOUR.name: module.BEHAVIOUR for module in _MODULES}
NAMES = tuple(REGISTRY)
REQUIRABLE = tuple(name for name, b in REGISTRY.items() if b.requirable)


def get(name: str) -> Behaviour:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown behaviour {name!r}; known: {', '.join(NAMES)}") from None


def expectation(t: Topology, behaviour: str, variant: str = "") -> Expectation:
    return get(behaviour).expect(t, variant)


def for_topology(t: Topology) -> list[Expectation]:
    """Every expectation of one topology, in matrix order."""
    return [b.expect(t, variant) for b in REGISTRY.values() for variant in b.cells]


def variant_of(behaviour: str, params: dict) -> str:
    """The variant a suite test measures, from its parameters (``scheme``, ``check``)."""
    b = get(behaviour)
    return str(params.get(b.variant_param, "")) if b.variant_param else ""


__all__ = ["Behaviour", "Cell", "Expectation", "NAMES", "Outcome", "REGISTRY", "REQUIRABLE",
           "expectation", "for_topology", "get", "variant_of"]
