"""Client IP: does the backend learn the real client address, and how did it arrive?

Probes come from three distinct client addresses. The backend's view (the address the controller settled on,
and whether it came from the TCP peer, a PROXY header or X-Forwarded-For) must match what the topology documents:
the client carried by PROXY v2, say, or the documented limitation (the NLB's own address when client-IP
preservation is off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Behaviour, Cell, Expectation, role_words

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.http import BackendView, HttpResult
    from ..topology import Role, Topology

NAME = "client_ip"


@dataclass(frozen=True)
class ClientIpWant:
    seen_as: Role  # whose address the controller concludes is the client
    via: str  # "peer", "proxy-v1", "proxy-v2", "xff", or "any"


@dataclass
class ClientIpSample:
    """One request from one client address, and what the backend learned about it."""

    source: str | None
    result: HttpResult
    proxy_version: str | None  # "v1"/"v2" when the controller counted a PROXY header for this request

    @property
    def view(self) -> BackendView | None:
        return self.result.view

    def describe(self) -> str:
        line = f"  {self.result.describe()}"
        view = self.view
        if view is not None:
            line += (f"\n      backend saw client={view.client} via {via(self)}; controller peer={view.peer}; "
                     f"X-Forwarded-For={list(view.xff)}")
        return line


# --- rule ----------------------------------------------------------------------------------------------------
def rewriter(t: Topology) -> Role:
    """Whose address the controller sees when the client's is not carried: the last hop that re-originates."""
    return "node" if t.node_snat else "lb"


def rule(t: Topology) -> Expectation:
    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    ideal = ClientIpWant("client", "any")
    if t.layer == "l7":
        keys = model.cite("xff")
        if t.xff_mode == "append":
            return make(outcome="works", want=ClientIpWant("client", "xff"), sources=keys + ("ENVOY-H",),
                        summary=f"the backend sees the client's address, taken from the X-Forwarded-For entry the "
                                f"{model.title} appended (the rightmost one)")
        return make(outcome="limited", want=ClientIpWant(rewriter(t), "peer"), ideal=ideal, sources=keys,
                    summary=f"the backend sees the {role_words(rewriter(t))}",
                    reason=f"X-Forwarded-For {t.xff_mode} mode: the {model.title} does not add the client's address")
    if t.lb.proxy_protocol:
        version = t.lb.proxy_protocol
        return make(outcome="works", want=ClientIpWant("client", f"proxy-{version}"), sources=model.cite("proxy"),
                    summary=f"the backend sees the client's address, carried by PROXY {version}")
    if t.preserves_client_ip:
        if t.node_snat:
            return make(outcome="limited", want=ClientIpWant("node", "peer"), ideal=ideal,
                        sources=("NLB-TGA", "K8S-ETP"), summary="the backend sees the node's address",
                        reason="externalTrafficPolicy Cluster: kube-proxy SNATs the preserved client address to the node's")
        return make(outcome="works", want=ClientIpWant("client", "peer"), sources=("NLB-TGA", "K8S-ETP"),
                    summary="the backend sees the client's address as the TCP peer (client-IP preservation, "
                            "externalTrafficPolicy Local)")
    who = rewriter(t)
    keys = model.cite("l4_client_ip")
    if model.preserves_client_ip_attribute:
        reason = "client-IP preservation is off (the default for ip targets with TCP)"
    else:
        reason = f"{model.title} TCP/SSL listeners open their own connection to the target"
    if who == "node":
        reason += "; externalTrafficPolicy Cluster then SNATs to the node"
        keys += ("K8S-ETP",)
    return make(outcome="limited", want=ClientIpWant(who, "peer"), ideal=ideal, sources=keys,
                summary=f"the backend sees the {role_words(who)}", reason=reason)


# --- probe ---------------------------------------------------------------------------------------------------
def samples(edge: Edge, count: int = 3, *, path: str = "/client-ip", extra_headers: dict[str, str] | None = None,
            timeout: float | None = None) -> list[ClientIpSample]:
    """Requests from ``count`` distinct client addresses; what the backend learned about each."""
    from ..probing import http  # the HTTP stack loads when a probe runs

    endpoint = edge.endpoint("https") or edge.endpoint("http")
    scheme = endpoint.scheme if endpoint else "https"
    host = edge.hostnames[0]
    out = []
    addresses = edge.client_addresses[:count] if edge.client_addresses else [None]
    before = http.proxy_counters(edge)
    for source in addresses:
        result = http.http_get(edge, scheme, host, f"{path}?from={source}", source=source, extra_headers=extra_headers,
                               timeout=timeout or http.TIMEOUT)
        after = http.proxy_counters(edge)
        moved = [v for v in ("v1", "v2") if after.get(v, 0) > before.get(v, 0)]
        out.append(ClientIpSample(source, result, moved[0] if len(moved) == 1 else None))
        before = after
    return out


def probe(edge: Edge) -> list[ClientIpSample]:
    return samples(edge, 3)


def via(sample: ClientIpSample) -> str:
    """How the controller got the address it settled on: peer, proxy-v1/v2 (or proxy), or xff."""
    view = sample.view
    if view is None or not view.client:
        return "unknown"
    if view.connection and view.peer and view.connection != view.peer and view.client == view.connection:
        return f"proxy-{sample.proxy_version}" if sample.proxy_version else "proxy"
    if view.client == view.peer:
        return "peer"
    if view.client in view.xff[:-1]:
        return "xff"
    return "unknown"


# --- compare -------------------------------------------------------------------------------------------------
def compare(edge: Edge, want: ClientIpWant, observed: list[ClientIpSample]) -> list[str]:
    problems = []
    for sample in observed:
        view = sample.view
        if view is None:
            problems.append(f"no answer from the backend: {sample.result.describe()}")
            continue
        seen = view.client
        if seen == sample.source or (sample.source is None and edge.role_of(seen) == "client"):
            role = "client"
        elif edge.role_of(seen) == "client":
            role = f"another client ({seen})"
        else:
            role = edge.role_of(seen)
        how = via(sample)
        if role != want.seen_as:
            problems.append(f"probe from {sample.source}: the backend saw {seen} ({role}), expected the "
                            f"{want.seen_as}'s address")
        elif want.via != "any" and not _same_via(how, want.via):
            problems.append(f"probe from {sample.source}: the backend saw {seen} via {how}, expected via {want.via}")
    return problems


def _same_via(seen: str, wanted: str) -> bool:
    return seen == wanted or (seen == "proxy" and wanted.startswith("proxy-"))


BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: the backend learns the real client address",
    cells={"": Cell(rule, probe, compare, explained_by=("XFF_TRUSTED_BEHIND_L4", "XFF_TOO_MANY_HOPS",
                                                                  "EG_SERVICE_ETP_LOCAL"))},
)
