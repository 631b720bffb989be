"""The waits between "applied" and "ready" on a real cloud, each bounded by a timeout of the aws profile.

1. lb-provision: the Service's or Ingress's status names the load balancer's DNS name. Meanwhile the last
   Warning event on the object is what the user sees if it runs out (a wrong certificate ARN, no subnets...);
   a FailedBuildModel event (the controller cannot even model the load balancer from the annotations) ends
   the wait at once, since no amount of waiting fixes the annotations.
2. lb-dns: that name resolves (a new load balancer's name takes minutes to appear in DNS).
3. lb-targets: the echo backend answers through the load balancer (targets registered and healthy, the
   controller configured).
Each returns what it found; the seconds each took go into the time-to-ready report.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from ...edge import Edge
from ...kube.api import Cluster, ClusterError, poll
from ...probing.http import http_get
from .plan import LoadBalancerRef
from .timeouts import CloudTimeout

# Warning reasons that mean the load balancer will not come, however long one waits.
FATAL_REASONS = {"FailedBuildModel"}

Resolver = Callable[[str], list[str]]


def resolve(hostname: str) -> list[str]:
    """The IPv4 addresses a DNS name has now (IPv6 last), as the system resolver answers."""
    infos = socket.getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    return sorted(addresses, key=lambda ip: ":" in ip)


def _warnings(cluster: Cluster, ref: LoadBalancerRef) -> list[dict[str, Any]]:
    events = cluster.dynamic.resources.get(api_version="v1", kind="Event").get(
        namespace=ref.namespace, field_selector=f"involvedObject.name={ref.name}")
    items = events.to_dict().get("items", [])
    mine = [e for e in items if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("name") == ref.name
            and (e.get("involvedObject") or {}).get("kind") == ref.kind]
    return sorted(mine, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")


def lb_hostname(cluster: Cluster, ref: LoadBalancerRef, timeout: CloudTimeout, interval: float) -> tuple[str, float]:
    """Wait until ``ref``'s status names its load balancer; returns (DNS name, seconds)."""
    found: dict[str, str] = {}
    resource = cluster.dynamic.resources.get(api_version=ref.api_version, kind=ref.kind)

    def check() -> str | None:
        obj = resource.get(name=ref.name, namespace=ref.namespace).to_dict()
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        names = [item.get("hostname") or item.get("ip") for item in ingress if item.get("hostname") or item.get("ip")]
        if names:
            found["name"] = names[0]
            return None
        warnings = _warnings(cluster, ref)
        if warnings and warnings[-1].get("reason") in FATAL_REASONS:
            last = warnings[-1]
            raise ClusterError(f"the load balancer for {ref.describe()} cannot be built: {last.get('reason')}: "
                               f"{last.get('message')}")
        if warnings:
            return f"no load balancer yet; last warning {warnings[-1].get('reason')}: {warnings[-1].get('message')}"
        return f"no load balancer in {ref.describe()}'s status yet"

    seconds = cluster.wait(timeout, f"the load balancer of {ref.describe()} being provisioned", check, interval)
    return found["name"], seconds


def dns(hostname: str, timeout: CloudTimeout, interval: float, resolver: Resolver = resolve) -> tuple[list[str], float]:
    found: dict[str, list[str]] = {}

    def check() -> str | None:
        try:
            addresses = resolver(hostname)
        except OSError as exc:
            return f"{hostname} does not resolve yet ({exc})"
        if not addresses:
            return f"{hostname} resolves to no address yet"
        found["addresses"] = addresses
        return None

    seconds = poll(timeout, f"{hostname} resolving (DNS)", check, interval)
    return found["addresses"], seconds


def answering(edge: Edge, timeout: CloudTimeout, interval: float) -> float:
    """Wait until a request through the load balancer reaches the echo backend (or a redirect answers it)."""
    scheme = "https" if edge.endpoint("https") else "http"
    host = edge.hostnames[0]

    def check() -> str | None:
        result = http_get(edge, scheme, host, "/edgeconform/ready", timeout=10.0)
        if result.report is not None or (result.status in (301, 302, 307, 308) and not edge.endpoint("https")):
            return None
        return result.describe()

    return poll(timeout, f"{edge.name}: the echo backend answering through the load balancer (healthy targets)",
                check, interval)
