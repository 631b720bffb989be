"""Likely misconfigurations: where the controller's settings disagree with what the load balancer does.

These are the real failure modes of aws-lb-facts.md §6. A finding does not decide a verdict (observations do);
it explains a failure. Each is a small registered rule, grouped by theme, that declares the cells it explains
(base.rule): those that break every cell of an edge (a PROXY mismatch drops every connection) are named with any
failure, the others with a failure of the cells they name. Notes say at load time what cannot be emulated here.

    proxy       PROXY protocol expected but not sent, or sent but not expected
    forwarding  X-Forwarded-For hops trusted against the L7 hops in front, an ALB's ip:port entries
    redirect    cleartext redirects that loop
    websocket   listeners that break the Upgrade
    tls         outdated TLS policies, mutual TLS headers a cleartext client can write
    health      health checks that fail at the controller
    controller  the controller's own limits (codes from the registered controllers)
    application the load balancer straight to the application (controller none): what only it can read right
    notes       what the local target cannot emulate

A new rule is a function in its theme's module, declared with ``@rule(CODE, explains=(cells...))`` and listed in
that module's RULES; its code needs a fix in catalog/advice.yaml (tests/test_registries.py checks both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import application, controller, forwarding, health, notes, proxy, redirect, tls, websocket
from .base import EVERYWHERE, Finding, Rule, rule

if TYPE_CHECKING:
    from ..topology import Topology

_MODULES = (proxy, forwarding, redirect, websocket, tls, health, controller, application, notes)
RULES = tuple(found for module in _MODULES for found in module.RULES)


def codes() -> tuple[str, ...]:
    """Every finding code: the rules' here, and those of the registered controllers' limits."""
    return tuple(code for found in RULES for code in found.codes)


def note_codes() -> tuple[str, ...]:
    """The codes of the load-time notes (they explain no failure)."""
    return tuple(found.code for found in RULES if isinstance(found, Rule) and found.kind == "note")


def __getattr__(name: str) -> Any:
    # CODES and NOTES are derived from the rules and the registered controllers, so computed when asked for
    if name == "CODES":
        return codes()
    if name == "NOTES":
        return note_codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def findings(t: Topology) -> list[Finding]:
    """Everything the rules find in ``t``: mistakes and notes, in the order of the themes above."""
    return [finding for found in RULES for finding in found(t)]


def for_cell(t: Topology, behaviour: str, variant: str = "") -> list[Finding]:
    """The findings that explain a failure of one cell: those that break everything, and those that name it."""
    return [f for f in findings(t) if f.explains_cell(behaviour, variant)]


__all__ = ["CODES", "EVERYWHERE", "NOTES", "RULES", "Finding", "Rule", "codes", "findings", "for_cell", "note_codes",
           "rule"]
