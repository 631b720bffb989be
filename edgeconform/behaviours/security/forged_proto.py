"""security[forged-proto]: a forged X-Forwarded-Proto: https over cleartext does not bypass the cleartext redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import redirect
from ..base import Cell, Expectation
from .common import get, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import Hop
    from ...topology import Topology

NAME = "forged-proto"
FORGED_PROTO = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Forwarded": "proto=https"}


@dataclass(frozen=True)
class ForgedProtoWant:
    code: int
    at: Literal["lb", "controller"]


@dataclass
class ForgedProtoObservation:
    hop: Hop
    forged: dict[str, str]

    def describe(self) -> str:
        sent = ", ".join(f"{k}: {v}" for k, v in self.forged.items())
        return lines([f"{self.hop.result.describe()} [at {self.hop.at}] (sent {sent})"])


def rule(t: Topology) -> Expectation:
    plain = redirect.rule(t)
    if plain.outcome != "works" or plain.want is None or plain.want.action != "redirect":  # type: ignore[union-attr]
        return not_applicable(t, NAME, "no cleartext redirect on this edge: nothing to bypass")
    code, at = plain.want.code, plain.want.at  # type: ignore[union-attr]
    where = f"the {t.lb_title}" if at == "lb" else "the controller"
    return make(t, NAME, outcome="works", want=ForgedProtoWant(code, at), sources=(*plain.sources, "ENVOY-H", "#9163"),
                summary=f"cleartext with a forged X-Forwarded-Proto: https is still redirected ({code} from {where})")


def probe(edge: Edge) -> ForgedProtoObservation:
    from ...probing import http  # the HTTP stack loads when a probe runs

    result = get(edge, "http", edge.hostnames[0], "/forged-proto?q=1", source=source(edge), extra_headers=FORGED_PROTO)
    return ForgedProtoObservation(http.Hop(result, http.responder(edge, result)), FORGED_PROTO)


def compare(edge: Edge, want: ForgedProtoWant, seen: ForgedProtoObservation) -> list[str]:
    result, at = seen.hop.result, seen.hop.at
    if result.status is None:
        return [f"no response to cleartext: {result.describe()}"]
    if at == "backend":
        return [f"the forged X-Forwarded-Proto: https bypassed the cleartext redirect: the backend served it "
                f"({result.status}, X-Forwarded-Proto it saw: {result.view.xfp if result.view else '?'})"]
    problems = []
    if result.status != want.code:
        problems.append(f"expected {want.code} to https, got {result.status} from the {at}")
    if at != want.at:
        problems.append(f"expected the redirect to come from the {want.at}, it came from the {at}")
    if not (result.location or "").startswith("https://"):
        problems.append(f"Location {result.location!r} is not https")
    return problems


CHECK = Cell(rule, probe, compare)
