"""security[default-cert]: an unknown SNI name, and a handshake without SNI, get the documented default
certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..base import Cell, Expectation
from .common import TIMEOUT, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.tls import Handshake
    from ...topology import Topology

NAME = "default-cert"


@dataclass(frozen=True)
class DefaultCertWant:
    default: str
    at: Literal["lb", "controller"]


@dataclass
class DefaultCertObservation:
    unknown: Handshake
    no_sni: Handshake

    def describe(self) -> str:
        return lines([self.unknown.describe(), "no SNI: " + self.no_sni.describe().split(": ", 1)[1]])


def rule(t: Topology) -> Expectation:
    at = t.tls_terminates_at
    if at is None:
        return not_applicable(t, NAME, "no TLS listener")
    default = t.certificates[0]
    keys = t.lb_model.cite("lb_certificate" if at == "lb" else "passthrough")
    return make(t, NAME, outcome="works", want=DefaultCertWant(default, at), sources=keys,
                summary=f"an unknown SNI name and a handshake without SNI both get the default certificate "
                        f"{default!r} from the {'controller' if at == 'controller' else t.lb_title}")


def probe(edge: Edge) -> DefaultCertObservation:
    from ...probing import tls  # the TLS stack loads when a probe runs

    unknown = tls.tls_handshake(edge, tls.UNKNOWN_NAME, source=source(edge), timeout=TIMEOUT)
    no_sni = tls.tls_handshake(edge, None, source=source(edge), timeout=TIMEOUT)  # type: ignore[arg-type]
    return DefaultCertObservation(unknown, no_sni)


def compare(edge: Edge, want: DefaultCertWant, seen: DefaultCertObservation) -> list[str]:
    problems = []
    for label, shake in (("an unknown SNI name", seen.unknown), ("a handshake without SNI", seen.no_sni)):
        if shake.error or shake.cert is None:
            problems.append(f"{label} got no certificate: {shake.error}")
            continue
        if shake.cert.name != want.default:
            problems.append(f"{label} got {shake.cert.name!r}, expected the default {want.default!r}")
        if shake.cert.served_by and shake.cert.served_by != want.at:
            problems.append(f"{label} was answered by the {shake.cert.served_by}, expected the {want.at}")
    return problems


CHECK = Cell(rule, probe, compare)
