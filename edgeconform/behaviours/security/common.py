"""What the security checks share: the values a hostile client forges, the probes' deadline, and small helpers
for the rules (``make``, ``not_applicable``) and the probes (client addresses, the controller's listeners)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...outcomes import Unmeasurable
from ..base import Expectation

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...topology import Topology

BEHAVIOUR = "security"
TIMEOUT = 3.0  # the security probes' own deadline, shorter than the suites'

# Values a hostile client puts in forwarding headers and PROXY headers. Documentation ranges (RFC 5737), outside
# the clients' own 198.51.100.0/24: they are only ever written into headers, never connected to.
FORGED_XFF = ("203.0.113.7", "203.0.113.9")
FORGED_REAL_IP = "203.0.113.8"
FORGED_FORWARDED = "203.0.113.10"
FORGED_PROXY_SOURCE = "192.0.2.77"
# An address block inside a LOCAL header, which the receiver must ignore. Measured with Envoy 1.40: a LOCAL
# header (0x20), with or without an address block, leaves the connection's own peer as the client; the
# addresses of a v2 header are used only with the PROXY command (0x21).
# Not 192.0.2.x: Envoy writes its own host address for a loopback peer, and that is 192.0.2.2 on some machines.
LOCAL_DECOY_SOURCE = "203.0.113.66"
FORGED = (*FORGED_XFF, FORGED_REAL_IP, FORGED_FORWARDED, FORGED_PROXY_SOURCE, LOCAL_DECOY_SOURCE)


# --- rules -----------------------------------------------------------------------------------------------------
def make(t: Topology, check: str, **kw) -> Expectation:
    return Expectation(topology=t.name, behaviour=BEHAVIOUR, variant=check, **kw)


def not_applicable(t: Topology, check: str, reason: str) -> Expectation:
    return make(t, check, outcome="n/a", want=None, sources=t.lb_model.cite("listeners"), summary="", reason=reason)


# --- probes ----------------------------------------------------------------------------------------------------
def get(edge: Edge, scheme: str, host: str, path: str, **kw) -> HttpResult:
    """A GET through the edge within the security probes' deadline."""
    from ...probing import http  # the HTTP stack loads when a probe runs

    return http.http_get(edge, scheme, host, path, timeout=TIMEOUT, **kw)


def lines(items) -> str:
    return "\n".join(f"  {item}" for item in items)


def main_scheme(edge: Edge) -> str:
    return "https" if edge.endpoint("https") else "http"


def source(edge: Edge, i: int = 0) -> str | None:
    """The i-th client address (wrapping: a target may offer only a few, like kind's relays)."""
    addresses = edge.client_addresses
    return addresses[i % len(addresses)] if addresses else None


def controller_listeners(edge: Edge) -> dict[str, tuple[str, int]]:
    if not edge.controller.listeners:
        raise Unmeasurable(f"the {edge.target} target does not expose the controller's listeners to probes")
    return dict(edge.controller.listeners)


def scheme_of(kind: str) -> str:
    return "https" if kind == "https" else "http"


def serving_listener(edge: Edge) -> str:
    """The controller listener whose requests reach the backend (so its conclusion can be read)."""
    listeners = controller_listeners(edge)
    if "https" in listeners:
        return "https"
    if "http" in listeners and edge.topology.controller.cleartext == "serve":
        return "http"
    return next(iter(listeners))


def answered(result: HttpResult) -> bool:
    return result.status is not None
