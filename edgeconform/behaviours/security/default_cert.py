"""security[default-cert]: an unknown SNI name, and a handshake without SNI, get the documented default
certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..base import Cell, Expectation, behind_lb, terminator_words
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
    unknown_gets: str = ""  # the unknown name's certificate: the default, or a wildcard of the list covering it


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
    from ...load_balancers.certificates import choose
    from ...probing.tls import UNKNOWN_NAME

    default = t.certificates[0]
    unknown = choose(t.certificates, UNKNOWN_NAME)
    keys = t.lb_model.cite("lb_certificate" if at == "lb" else "passthrough")
    who = behind_lb(t).removeprefix("the ") if at == "controller" else t.lb_title
    if unknown == default:
        summary = (f"an unknown SNI name and a handshake without SNI both get the default certificate {default!r} "
                   f"from the {who}")
    else:
        summary = (f"a handshake without SNI gets the default certificate {default!r} from the {who}; an unknown "
                   f"name gets {unknown!r}, a wildcard of the list that covers it")
    return make(t, NAME, outcome="works", want=DefaultCertWant(default, at, unknown), sources=(*keys, "RFC6125"),
                summary=summary)


def probe(edge: Edge) -> DefaultCertObservation:
    from ...probing import tls  # the TLS stack loads when a probe runs

    unknown = tls.tls_handshake(edge, tls.UNKNOWN_NAME, source=source(edge), timeout=TIMEOUT)
    no_sni = tls.tls_handshake(edge, None, source=source(edge), timeout=TIMEOUT)  # type: ignore[arg-type]
    return DefaultCertObservation(unknown, no_sni)


def compare(edge: Edge, want: DefaultCertWant, seen: DefaultCertObservation) -> list[str]:
    problems = []
    for label, shake, wanted in (("an unknown SNI name", seen.unknown, want.unknown_gets or want.default),
                                 ("a handshake without SNI", seen.no_sni, want.default)):
        if shake.error or shake.cert is None:
            problems.append(f"{label} got no certificate: {shake.error}")
            continue
        if shake.cert.name != wanted:
            kind = "the default" if wanted == want.default else "the covering wildcard"
            problems.append(f"{label} got {shake.cert.name!r}, expected {kind} {wanted!r}")
        if shake.cert.served_by and shake.cert.served_by != want.at:
            problems.append(f"{label} was answered by the {terminator_words(edge, shake.cert.served_by)}, expected "
                            f"the {terminator_words(edge, want.at)}")
    return problems


CHECK = Cell(rule, probe, compare)
