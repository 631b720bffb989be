"""security[forged-client]: forged X-Forwarded-For, X-Real-IP and Forwarded never become the client address.

At L7 only the entry the load balancer appended (the rightmost, ALB/CLB append mode) counts; at L4 the
controller must trust no header at all. Two clients send the forged headers; each must be seen as itself (or as
the address the client_ip limitation documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import client_ip
from ..base import Cell, Expectation, straight_to_app
from ..client_ip import ClientIpSample, ClientIpWant
from .common import FORGED, FORGED_FORWARDED, FORGED_REAL_IP, FORGED_XFF, TIMEOUT, make

if TYPE_CHECKING:
    from ...edge import Edge
    from ...topology import Role, Topology

NAME = "forged-client"


@dataclass(frozen=True)
class ForgedClientWant:
    seen_as: Role  # whose address the controller must conclude (the client_ip expectation's)
    forged: tuple[str, ...]
    # Straight to the application: where the client_ip expectation says the client's address arrives ("peer",
    # "xff" at ``forwarded_at`` from the right, "proxy-v2"): no forged address may be found there
    via: str = "any"
    forwarded_at: int = 2


def rule(t: Topology) -> Expectation:
    want = client_ip.rule(t).want
    seen_as = want.seen_as  # type: ignore[union-attr]
    who = "the client's own address" if seen_as == "client" else f"the {seen_as}'s address (the client_ip limitation)"
    if straight_to_app(t):
        return application_rule(t, want)  # type: ignore[arg-type]
    if t.layer == "l7":
        how = (f"only the entry the {t.lb_title} appended (the rightmost) is trusted; client-sent entries to its "
               "left are not")
        keys: tuple[str, ...] = (*t.lb_model.cite("xff"), "ENVOY-H")
        if t.lb.cloudfront:
            how = ("only the entries CloudFront and the ALB appended (the two rightmost) are trusted; client-sent "
                   "entries to their left are not")
            keys = ("CF-ORIGIN", *keys)
    else:
        how = "an L4 load balancer adds no headers, so the controller trusts none"
        keys = ("ENVOY-H", "#1815", "#9163")
    return make(t, NAME, outcome="works", want=ForgedClientWant(seen_as, FORGED), sources=keys,
                summary=f"forged X-Forwarded-For, X-Real-IP and Forwarded are ignored: the backend sees {who}; {how}")


def application_rule(t: Topology, want: ClientIpWant) -> Expectation:
    """Straight to the application the forged headers arrive as sent (an L4 load balancer passes them, an L7 one
    keeps them left of its own entry): what must hold is that the place the client's address arrives at carries
    no forged address."""
    where = {"peer": "its TCP peer", "xff": "the X-Forwarded-For entry the load balancer appended"}.get(
        want.via, f"the {want.via.replace('proxy-', 'PROXY ')} header's source")
    who = "the client's own address" if want.seen_as == "client" else f"the {want.seen_as}'s address (the client_ip limitation)"
    if t.layer == "l7":
        how = (f"the forged X-Forwarded-For entries arrive to the left of the one the {t.lb_title} appended, which is "
               "the client's")
        keys: tuple[str, ...] = t.lb_model.cite("xff")
        if t.xff_mode != "append":
            how = f"in {t.xff_mode} mode every X-Forwarded-For entry that arrives is the client's own writing"
    else:
        how = ("an L4 load balancer passes the forged headers as they were sent: every X-Forwarded-For, X-Real-IP and "
               "Forwarded value that arrives is the client's own writing")
        keys = (*t.lb_model.cite("listeners"), "#1815")
    return make(t, NAME, outcome="works", want=ForgedClientWant(want.seen_as, FORGED, want.via, want.forwarded_at),
                sources=keys, summary=f"forged X-Forwarded-For, X-Real-IP and Forwarded headers never reach the place "
                                      f"the client's address arrives at: the application finds {who} as {where}; "
                                      f"{how}")


def probe(edge: Edge) -> list[ClientIpSample]:
    forged = {"X-Forwarded-For": ", ".join(FORGED_XFF), "X-Real-IP": FORGED_REAL_IP,
              "Forwarded": f"for={FORGED_FORWARDED};proto=https"}
    # two clients, each must be seen as itself
    return client_ip.samples(edge, 2, path="/forged-client", extra_headers=forged, timeout=TIMEOUT)


def compare(edge: Edge, want: ForgedClientWant, samples: list[ClientIpSample]) -> list[str]:
    problems = []
    for sample in samples:
        view = sample.view
        if view is not None and edge.controller.application:
            address, _ = client_ip.arrived(edge, sample, want.via, want.forwarded_at)
            if address in want.forged:
                problems.append(f"probe from {sample.source}: the forged {address} arrived where the client's address "
                                f"belongs ({want.via}): a client-sent header reached that place")
        elif view is not None and view.client in want.forged:
            problems.append(f"probe from {sample.source}: the controller took the forged {view.client} for the client "
                            "(a client-sent header was trusted)")
    if problems:
        return problems
    if edge.controller.application:
        return client_ip.compare(edge, ClientIpWant(want.seen_as, want.via, forwarded_at=want.forwarded_at), samples)
    return client_ip.compare(edge, ClientIpWant(want.seen_as, "any"), samples)


CHECK = Cell(rule, probe, compare, depends_on=("client_ip",))
