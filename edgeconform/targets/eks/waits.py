"""The waits between "applied" and "ready" on a real cloud, each bounded by a timeout of the aws profile.

1. lb-provision: the Service's or Ingress's status.loadBalancer, or the Gateway's status.addresses (type
   Hostname), names the load balancer's DNS name. Meanwhile the last Warning event on the object (or a Gateway's
   Programmed condition) is what the user sees if it runs out (a wrong certificate ARN, no subnets...); a
   FailedBuildModel event (the controller cannot even model the load balancer from its objects) or a Gateway
   whose Accepted condition is False ends the wait at once, since no amount of waiting fixes the objects.
2. lb-dns: that name resolves (a new load balancer's name takes minutes to appear in DNS).
3. lb-targets: the echo backend answers through the load balancer (targets registered and healthy, the
   controller configured).
``read_hostname`` and ``read_dns`` look once (edgeconform.targets.eks.provision asks every load balancer of a run
in one loop); ``lb_hostname`` and ``dns`` wait for one. The seconds each took go into the time-to-ready report.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from ...edge import Edge
from ...kube.api import Cluster, ClusterError, poll
from ...probing.http import http_get
from .modes import LoadBalancerRef
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


def _names(obj: dict[str, Any]) -> list[str]:
    status = obj.get("status") or {}
    if obj.get("kind") == "Gateway":  # the controller writes the DNS name as an address of type Hostname [LBC-GW]
        return [a["value"] for a in status.get("addresses") or [] if a.get("value")]
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    return [item.get("hostname") or item.get("ip") for item in ingress if item.get("hostname") or item.get("ip")]


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def read_hostname(cluster: Cluster, ref: LoadBalancerRef) -> tuple[str | None, str]:
    """(the load balancer's DNS name, or None and what is seen instead); ClusterError when it will not come."""
    obj = cluster.dynamic.resources.get(api_version=ref.api_version, kind=ref.kind).get(
        name=ref.name, namespace=ref.namespace).to_dict()
    names = _names(obj)
    if names:
        return names[0], ""
    warnings = _warnings(cluster, ref)
    if warnings and warnings[-1].get("reason") in FATAL_REASONS:
        last = warnings[-1]
        raise ClusterError(f"the load balancer for {ref.describe()} cannot be built: {last.get('reason')}: "
                           f"{last.get('message')}")
    accepted = _condition(obj, "Accepted") if ref.kind == "Gateway" else None
    if accepted and accepted.get("status") == "False":
        raise ClusterError(f"the load balancer for {ref.describe()} cannot be built: the Gateway is not accepted: "
                           f"{accepted.get('reason')}: {accepted.get('message')}")
    if warnings:
        return None, f"no load balancer yet; last warning {warnings[-1].get('reason')}: {warnings[-1].get('message')}"
    programmed = _condition(obj, "Programmed") if ref.kind == "Gateway" else None
    if programmed and programmed.get("status") != "True":
        return None, f"the Gateway is not programmed yet: {programmed.get('reason')}: {programmed.get('message')}"
    return None, f"no load balancer in {ref.describe()}'s status yet"


def lb_hostname(cluster: Cluster, ref: LoadBalancerRef, timeout: CloudTimeout, interval: float) -> tuple[str, float]:
    """Wait until ``ref``'s status names its load balancer; returns (DNS name, seconds)."""
    found: dict[str, str] = {}

    def check() -> str | None:
        name, last = read_hostname(cluster, ref)
        if name:
            found["name"] = name
            return None
        return last

    seconds = cluster.wait(timeout, f"the load balancer of {ref.describe()} being provisioned", check, interval)
    return found["name"], seconds


def read_dns(hostname: str, resolver: Resolver = resolve) -> tuple[list[str] | None, str]:
    """(the addresses ``hostname`` resolves to, or None and why not)."""
    try:
        addresses = resolver(hostname)
    except OSError as exc:
        return None, f"{hostname} does not resolve yet ({exc})"
    if not addresses:
        return None, f"{hostname} resolves to no address yet"
    return addresses, ""


def dns(hostname: str, timeout: CloudTimeout, interval: float, resolver: Resolver = resolve) -> tuple[list[str], float]:
    found: dict[str, list[str]] = {}

    def check() -> str | None:
        addresses, last = read_dns(hostname, resolver)
        if addresses:
            found["addresses"] = addresses
            return None
        return last

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
