"""Dual stack: an IPv6 client of a dual-stack load balancer, and what the backend learns about it.

The targets stay IPv4. What AWS documents [NLB-TGA] ("When client IP preservation is enabled" table): an IPv6
client reaching an IPv4 target shows the load balancer's IPv4 address, with preservation on or off; the LBC says
the same ("Preserve client IP has no effect on traffic converted from IPv4 to IPv6 and ... IPv6 to IPv4") [LBC-SA].
A PROXY v2 header still carries the client: as a TCP6 header (UNVERIFIED: no AWS text gives the address family).
An ALB appends the IPv6 address to X-Forwarded-For as is [ALB-XFH].

The probe connects from an IPv6 address of the edge's namespace (2001:db8:100::/64) to the load balancer's IPv6
address; the comparison is client_ip's. Where the place has no IPv6 addresses (the loopback fallback) the cell skips.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..outcomes import Unmeasurable
from . import client_ip
from .base import Behaviour, Cell, Expectation, role_words, straight_to_app
from .client_ip import ClientIpSample, ClientIpWant

if TYPE_CHECKING:
    from ..edge import Edge
    from ..topology import Topology

NAME = "dual_stack"


def rule(t: Topology) -> Expectation:
    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    # a model without dual stack (the Classic ELB) cites what it has: its listeners
    keys = model.cite("dual_stack") if model.has("dualstack") else model.cite("listeners")
    if t.lb.ip_address_type != "dualstack":
        return make(outcome="n/a", want=None, sources=keys, summary="",
                    reason="ip_address_type ipv4: the load balancer has no IPv6 address")
    app = straight_to_app(t)
    backend = "the application" if app else "the backend"
    if t.layer == "l7":
        v4 = client_ip.rule(t)
        if v4.outcome != "works":
            return make(outcome=v4.outcome, want=v4.want, ideal=v4.ideal, sources=keys, summary=v4.summary,
                        reason=v4.reason)
        where = " (the rightmost entry)" if app else ""
        return make(outcome="works", want=v4.want, sources=keys + (() if app else ("ENVOY-H",)),
                    summary=f"an IPv6 client's address reaches {backend}: the {model.title} appends it to "
                            f"X-Forwarded-For as is{where}")
    if t.lb.proxy_protocol:
        return make(outcome="works", want=ClientIpWant("client", f"proxy-{t.lb.proxy_protocol}"),
                    sources=(*keys, *model.cite("proxy")),
                    summary=f"an IPv6 client's address reaches {backend} in the NLB's PROXY v2 header (TCP6; the "
                            "address family is UNVERIFIED), over an IPv4 connection")
    who = "node" if t.node_snat else "lb"
    reason = ("an IPv6 client reaching an IPv4 target shows the load balancer's IPv4 address, whether client-IP "
              "preservation is on or off")
    if who == "node":
        reason += "; externalTrafficPolicy Cluster then SNATs to the node"
    return make(outcome="limited", want=ClientIpWant(who, "peer"), ideal=ClientIpWant("client", "any"),
                sources=keys, summary=f"{backend} sees the {role_words(who)} for an IPv6 client", reason=reason)


def ipv6_endpoint(edge: Edge) -> tuple[str, list[str]]:
    """(the load balancer's IPv6 address, IPv6 client addresses) of the edge, or Unmeasurable."""
    lb6 = next((ip for ip, role in edge.roles.items() if role == "lb" and ":" in ip), None)
    net = next((ipaddress.ip_network(cidr) for cidr, role in edge.role_networks.items()
                if role == "client" and ipaddress.ip_network(cidr).version == 6), None)
    if lb6 is None or net is None:
        raise Unmeasurable(f"the {edge.target} target has no IPv6 address for the load balancer or its clients")
    return lb6, [str(net[0x11 + i]) for i in range(2)]


def probe(edge: Edge) -> list[ClientIpSample]:
    from ..probing import http  # the HTTP stack loads when a probe runs

    lb6, clients = ipv6_endpoint(edge)
    endpoint = edge.endpoint("https") or edge.endpoint("http")
    assert endpoint is not None
    out = []
    before = http.proxy_counters(edge)
    for source in clients:
        result = http.direct_get(edge, lb6, endpoint.port, endpoint.scheme, edge.hostnames[0], f"/ipv6?from={source}",
                                 source=source, inside_tls=edge.topology.tls_terminates_at == "lb")
        after = http.proxy_counters(edge)
        moved = [v for v in ("v1", "v2") if after.get(v, 0) > before.get(v, 0)]
        out.append(ClientIpSample(source, result, moved[0] if len(moved) == 1 else None, edge.controller.application))
        before = after
    return out


BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: an IPv6 client of a dual-stack load balancer (PROXY TCP6, X-Forwarded-For, the LB's address)",
    cells={"": Cell(rule, probe, client_ip.compare)},
)
