"""PROXY protocol: the load balancer and the controller disagree on whether a PROXY header comes first. Either way
every connection is affected, so these explain a failure of any cell."""

from __future__ import annotations

from ..controllers import semantics_of
from ..topology import Topology
from .base import EVERYWHERE, Said, rule


def _controller(t: Topology) -> bool:
    """Whether a controller is there to expect PROXY (straight to the application: APP_READS_PROXY says it)."""
    return not semantics_of(t).straight_to_app


@rule("PROXY_NOT_EXPECTED", explains=EVERYWHERE)
def not_expected(t: Topology) -> Said | None:
    if t.lb.proxy_protocol and not t.controller.proxy_protocol and _controller(t):
        return (f"the load balancer sends PROXY {t.lb.proxy_protocol} but the controller does not expect PROXY: it "
                "reads the header as the start of the request and every connection fails",
                ("#13320", "#57250", "NLB-TG23"))
    return None


@rule("PROXY_NOT_SENT", explains=EVERYWHERE)
def not_sent(t: Topology) -> Said | None:
    if not (t.controller.proxy_protocol and not t.lb.proxy_protocol and _controller(t)):
        return None
    semantics = semantics_of(t)
    outage = ("every connection is dropped as a broken header" if semantics.proxy_protocol == "required" else
              f"{t.controller.kind} serves connections without one too (its PROXY header is optional), so nothing "
              "breaks visibly")
    return (f"the controller expects a PROXY header but the load balancer does not send one: {outage}, and a client "
            "that sends its own PROXY header chooses the address the controller believes",
            ("#6996", "#57250", "ENVOY-PP", *semantics.sources.get("proxy_protocol", ())))


RULES = (not_expected, not_sent)
