"""security[redirect-loop]: an HTTPS request is served, not redirected; redirects from cleartext end (hop limit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import redirect
from ..base import Cell, Expectation, straight_to_app
from .common import make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import RedirectTrail
    from ...topology import Topology

NAME = "redirect-loop"


@dataclass(frozen=True)
class RedirectLoopWant:
    cleartext: bool  # whether a cleartext start is followed too (there is an http listener)


@dataclass
class RedirectLoopObservation:
    https: RedirectTrail
    cleartext: RedirectTrail | None

    def describe(self) -> str:
        text = f"  from https:\n{self.https.describe()}"
        if self.cleartext:
            text += f"\n  from http:\n{self.cleartext.describe()}"
        return text


def rule(t: Topology) -> Expectation:
    if t.https_listener is None:
        return not_applicable(t, NAME, "no TLS listener: nothing for cleartext to be redirected to")
    plain = redirect.rule(t)  # a cleartext start is followed only where cleartext is meant to be redirected
    cleartext = (plain.outcome == "works" and t.http_listener is not None
                 and plain.want.action == "redirect")  # type: ignore[union-attr]
    if t.layer == "l7" and straight_to_app(t):
        keys: tuple[str, ...] = t.lb_model.cite("redirect") if t.lb.ssl_redirect else t.lb_model.cite("xff")
        how = ("the ALB redirects cleartext only, and nothing behind it redirects" if t.lb.ssl_redirect else
               "nothing redirects")
    elif t.layer == "l7":
        keys = ("#1957", "ENVOY-H", *t.lb_model.cite("xff"))
        how = "the controller trusts the load balancer's X-Forwarded-Proto: https"
    elif t.tls_terminates_at == "lb" and straight_to_app(t):
        keys, how = t.lb_model.cite("listeners"), "the TLS listener lands on the application, which does not redirect"
    elif t.tls_terminates_at == "lb":
        keys, how = ("#2724", "#12877", "NGX-AWS"), "the TLS listener lands on a controller port that serves"
    elif straight_to_app(t):
        keys, how = t.lb_model.cite("listeners"), "nothing in front of the application redirects"
    else:
        keys, how = ("NGX-CM",), "the controller sees the TLS connection itself"
    return make(t, NAME, outcome="works", want=RedirectLoopWant(cleartext), sources=keys,
                summary=f"an https:// request is served by the backend, not redirected ({how})"
                        + ("; a cleartext start ends over TLS within the hop limit" if cleartext else ""))


def probe(edge: Edge) -> RedirectLoopObservation:
    from ...probing import http  # the HTTP stack loads when a probe runs

    host, client = edge.hostnames[0], source(edge)
    https = http.follow_redirects(edge, host, "/redirect-loop?q=1", source=client, scheme="https")
    cleartext = (http.follow_redirects(edge, host, "/redirect-loop?q=1", source=client)
                 if edge.endpoint("http") else None)
    return RedirectLoopObservation(https, cleartext)


def compare(edge: Edge, want: RedirectLoopWant, seen: RedirectLoopObservation) -> list[str]:
    problems = []
    first = seen.https.first
    if first.result.status is None:
        problems.append(f"no response over https: {first.result.describe()}")
    elif first.at != "backend" or first.result.status != 200:
        where = first.result.location or "?"
        loop = ", and following it looped" if seen.https.loop else ""
        problems.append(f"an https:// request was answered with {first.result.status} from the {first.at} "
                        f"(-> {where}) instead of being served{loop}")
    if want.cleartext and seen.cleartext is not None:
        if seen.cleartext.loop:
            problems.append(f"cleartext redirects loop: still redirecting after {seen.cleartext.limit} hops")
        elif not (seen.cleartext.last.at == "backend" and seen.cleartext.last.result.url.startswith("https://")):
            problems.append(f"following the cleartext redirect did not end at the backend over https: "
                            f"{seen.cleartext.last.result.describe()}")
    return problems


CHECK = Cell(rule, probe, compare)
