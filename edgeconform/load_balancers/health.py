"""The target groups' health checks as a stand-in runs them (the local target asks for them), for every model.

TCP checks go straight to the target: a connection without data, which gets no PROXY header from an NLB either
(UNVERIFIED, strongly indicated by #6996). HTTP checks go to the target, or through a helper of the model where it
has one in front of the targets (the NLB's PROXY v2 writer turns the stand-in's own LOCAL header into the NLB's
[NLB-TG23]). ALB and Classic ELB checks carry no PROXY header (a Classic ELB with PROXY v1 and HTTP checks:
UNVERIFIED, sent without).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..topology import Topology
    from .standins import AddressBook

# What AWS health checks call themselves (UNVERIFIED: seen in target logs, no AWS page states it).
HEALTH_CHECKER = "ELB-HealthChecker/2.0"


def checks(t: Topology, book: AddressBook, via: Mapping[int | str, tuple[str, int]] | None = None
           ) -> list[dict[str, Any]]:
    """Each listener's target-group health check (none unless the target asks for them). ``via``: where a helper of
    the model takes HTTP checks instead of the target (per listener port, "healthz" for kube-proxy's health port)."""
    if not book.health_checks:
        return []
    check = t.health_check
    relayed = via is not None and check.protocol == "HTTP"
    out = []
    for item in t.lb.listeners:
        ip, port = book.targets[item.target] if check.port == "traffic-port" else book.health_node  # type: ignore[misc]
        host = f"{ip}:{port}"  # UNVERIFIED: what Host an AWS health check sends
        if relayed:
            ip, port = via[item.port if check.port == "traffic-port" else "healthz"]  # type: ignore[index]
        codes = check.success_codes or ""
        out.append({"name": f"hc_listener_{item.port}", "listener_port": item.port, "protocol": check.protocol,
                    "path": check.path, "codes": codes, "ranges": _ranges(codes), "host": host, "ip": ip,
                    "port": port, "send_proxy": relayed})
    return out


def _ranges(codes: str) -> list[tuple[int, int]]:
    """"200-399,404" -> [(200, 400), (404, 405)]: Envoy's expected_statuses (end exclusive)."""
    out = []
    for part in filter(None, codes.split(",")):
        low, _, high = part.partition("-")
        out.append((int(low), int(high or low) + 1))
    return out
