"""TLS and SNI: which certificate each hostname gets, what an unknown name gets, and where TLS terminated.

One TLS handshake per hostname and one with a name no certificate covers; the certificate's name must be the
one the terminator should pick (its default for the unknown name), the certificate must come from the
expected terminator (load balancer or controller), and the controller's own report of the connection must
agree on where TLS ended. A Classic ELB serves one certificate for every name: a documented limitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .base import Behaviour, Cell, Expectation, Fact, Facts, behind_lb, terminator_words

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.http import HttpResult
    from ..probing.tls import Handshake
    from ..topology import Topology

NAME = "sni"


@dataclass(frozen=True)
class SniWant:
    terminates_at: Literal["lb", "controller"]
    per_name: tuple[tuple[str, str], ...]  # (hostname, certificate name it should get)
    unknown_gets: str  # what a name no exact certificate covers gets: a covering wildcard, or the default


@dataclass
class SniObservation:
    by_name: dict[str, Handshake]
    unknown: Handshake
    terminated_at: str | None  # where TLS terminated, from the controller's own report
    request: HttpResult | None

    def describe(self) -> str:
        lines = [f"  {shake.describe()}" for shake in [*self.by_name.values(), self.unknown]]
        lines.append(f"  TLS terminated at: {self.terminated_at or 'unknown'}"
                     + (f" (controller saw {self.request.view.tls})" if self.request and self.request.view
                        and self.request.view.tls else ""))
        return "\n".join(lines)


def rule(t: Topology) -> Expectation:
    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    at = t.tls_terminates_at
    if at is None:
        return make(outcome="n/a", want=None, sources=model.cite("listeners"), summary="", reason="no TLS listener")
    from ..load_balancers.certificates import choose
    from ..probing.tls import UNKNOWN_NAME

    certs = t.certificates
    default = certs[0]
    want = SniWant(at, tuple((h, choose(certs, h)) for h in t.hostnames), choose(certs, UNKNOWN_NAME))
    where = f"at {behind_lb(t)}" if at == "controller" else f"at the {model.title}"
    if at == "lb" and not model.sni:
        return make(outcome="limited", want=want, sources=model.cite("lb_certificate"),
                    ideal=SniWant(at, tuple((h, h) for h in t.hostnames), default),
                    summary=f"TLS terminates {where}; every name gets the one certificate {default!r}",
                    reason=f"{model.title}s do not support SNI: one certificate for every name")
    keys = model.cite("lb_certificate") if at == "lb" else model.cite("passthrough")
    named = ", ".join(f"{h} -> {c}" for h, c in want.per_name)
    return make(outcome="works", want=want, sources=keys,
                summary=f"TLS terminates {where}; SNI selects the certificate, wildcards included ({named}); an "
                        f"unknown name gets {want.unknown_gets!r}"
                        + ("" if want.unknown_gets != default else " (the default)"))


def probe(edge: Edge) -> SniObservation:
    from ..probing import http, tls  # the HTTP and TLS stacks load when a probe runs

    source = edge.client_addresses[0]
    by_name = {name: tls.tls_handshake(edge, name, source=source) for name in edge.hostnames}
    unknown = tls.tls_handshake(edge, tls.UNKNOWN_NAME, source=source)
    request = http.http_get(edge, "https", edge.hostnames[0], "/sni", source=source)
    view = request.view
    terminated = None if view is None else ("controller" if view.tls else "lb")
    return SniObservation(by_name, unknown, terminated, request)


def compare(edge: Edge, want: SniWant, seen: SniObservation) -> list[str]:
    problems = []
    for hostname, cert_name in want.per_name:
        shake = seen.by_name.get(hostname)
        if shake is None or shake.error or shake.cert is None:
            problems.append(f"SNI {hostname}: no certificate ({shake.error if shake else 'not probed'})")
        elif shake.cert.name != cert_name:
            problems.append(f"SNI {hostname}: got certificate {shake.cert.name!r}, expected {cert_name!r}")
    if seen.unknown.error or seen.unknown.cert is None:
        problems.append(f"unknown name: no certificate ({seen.unknown.error})")
    elif seen.unknown.cert.name != want.unknown_gets:
        problems.append(f"unknown name {seen.unknown.sni}: got {seen.unknown.cert.name!r}, expected "
                        f"{want.unknown_gets!r}")
    served_by = {s.cert.served_by for s in [*seen.by_name.values(), seen.unknown] if s.cert and s.cert.served_by}
    words = lambda at: terminator_words(edge, at)  # noqa: E731
    if served_by and served_by != {want.terminates_at}:
        problems.append(f"certificates were served by the {'/'.join(sorted(map(words, served_by)))}, expected the "
                        f"{words(want.terminates_at)}")
    if seen.terminated_at and seen.terminated_at != want.terminates_at:
        reporter = "the application" if edge.controller.application else "the controller"
        problems.append(f"TLS terminated at the {words(seen.terminated_at)} (as {reporter} reports), expected the "
                        f"{words(want.terminates_at)}")
    return problems


def _cert(shake: Handshake | None) -> str:
    if shake is None or shake.error or shake.cert is None:
        return f"no certificate ({shake.error if shake else 'not probed'})"
    return shake.cert.name


def facts(edge: Edge, seen: SniObservation) -> dict[str, object]:
    """The certificate each hostname got, the one an unknown name got, and where TLS ended."""
    return {"certificates": {name: _cert(shake) for name, shake in seen.by_name.items()},
            "unknown_name_gets": _cert(seen.unknown), "terminated_at": seen.terminated_at}


FACTS = Facts(facts, (Fact("certificates", "the certificate each hostname gets", keep=True),
                      Fact("unknown_name_gets", "the certificate an unknown name gets", keep=True),
                      Fact("terminated_at", "where TLS ends")))

BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: which certificate each hostname gets, where TLS terminates",
    cells={"": Cell(rule, probe, compare, facts=FACTS)},
    profile="EDGE-TLS-SNI",
)
