"""Ingress controllers on a real cluster: installing them, and translating a topology's controller settings.

Each controller module turns the catalog's controller fields (PROXY expected, trusted hops, cleartext policy,
redirect code, certificates) plus the load balancer's addresses into that controller's own resources, and says
what it cannot express (a behaviour it then cannot be measured on). Install steps are exact command lines
(helm) or a pinned manifest, so the golden tests show what a run would do.
"""

from __future__ import annotations

from .base import Controller, ControllerPlan, EdgeFacts

NAMES = ["emissary", "ingress-nginx"]
DEFAULT = "emissary"


def get(name: str) -> Controller:
    if name == "emissary":
        from .emissary import Emissary
        return Emissary()
    if name == "ingress-nginx":
        from .ingress_nginx import IngressNginx
        return IngressNginx()
    raise ValueError(f"unknown controller {name!r}; known: {', '.join(NAMES)}")


__all__ = ["NAMES", "DEFAULT", "get", "Controller", "ControllerPlan", "EdgeFacts"]
