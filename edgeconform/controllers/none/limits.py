"""What a topology asks that an application straight behind the load balancer cannot do: load-time findings."""

from __future__ import annotations

from ...topology import Topology
from ..base import Limit


def limits(t: Topology) -> list[Limit]:
    found = []
    redirecting = [item.port for item in t.lb.listeners if item.target == "redirect"]
    if redirecting:
        found.append(Limit("load_balancer.listeners", (
            f"listener(s) {redirecting} land on a port that only redirects, which is a controller's (ingress-nginx's "
            "NLB-TLS port split): straight to the application, that port is one more plain port of the application, "
            "so nothing redirects cleartext there"), ("NGX-AWS", "LBC-SA"),
            cells=("redirect", "websocket[ws]", "security[forged-proto]", "security[redirect-loop]")))
    return found
