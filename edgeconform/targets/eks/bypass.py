"""The node-port bypass check (a real cluster only): the controller's NodePorts must not be reachable from the
client.

Whoever reaches a NodePort of the controller directly skips the load balancer: behind a PROXY-protocol edge
they write their own PROXY header (any client address they like), behind an L7 edge their own
X-Forwarded-For, and TLS policy and source ranges of the load balancer do not apply. With client-IP preservation
(NLB instance targets) the nodes' security group must admit client addresses on the NodePort range, which makes
this easy to get wrong [NLB-TGA][LBC-SA].

The check lists every NodePort of every Service in front of the controller's pods (ours and the controller's
own), and tries a TCP connection from the runner to each node address the runner could reach: the nodes'
external addresses, and their internal ones too when the load balancers are internal (the runner is in the
VPC then). A connection that opens is the finding.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field

CONNECT_TIMEOUT = 3.0

Connector = Callable[[str, int, float], str | None]


def connect(ip: str, port: int, timeout: float) -> str | None:
    """None when a TCP connection opens, else why not."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class NodePort:
    service: str  # namespace/name
    port_name: str
    node_port: int


@dataclass
class BypassReport:
    topology: str
    node_ports: list[NodePort]
    addresses: dict[str, str]  # node address -> node name
    reachable: list[tuple[str, NodePort]] = field(default_factory=list)
    refused: int = 0
    proxy_protocol: bool = False
    trusted_hops: int = 0

    def describe(self) -> str:
        if not self.node_ports:
            return f"{self.topology}: no Service in front of the controller has NodePorts"
        if not self.addresses:
            return (f"{self.topology}: {len(self.node_ports)} NodePort(s), but no node has an address the runner can "
                    "reach (no ExternalIP): the controller cannot be reached around the load balancer")
        if not self.reachable:
            return (f"{self.topology}: none of {len(self.node_ports)} NodePort(s) on {len(self.addresses)} node "
                    f"address(es) accepted a connection from the runner ({self.refused} attempts)")
        lines = [f"{self.topology}: the controller is reachable around the load balancer, through NodePorts:"]
        lines += [f"  - {ip}:{np.node_port} (node {self.addresses[ip]}, Service {np.service} port {np.port_name})"
                  for ip, np in self.reachable]
        if self.proxy_protocol:
            lines.append("  anyone who reaches these can send their own PROXY header and claim any client address")
        elif self.trusted_hops:
            lines.append("  anyone who reaches these can send their own X-Forwarded-For, which the controller trusts")
        lines.append("  fix: keep NodePorts out of the nodes' security group for 0.0.0.0/0 (allow the load balancer's "
                     "security group or the VPC only), or put the nodes in private subnets; ip targets need no "
                     "NodePorts at all (allocateLoadBalancerNodePorts: false)")
        return "\n".join(lines)


def controller_node_ports(services: list[dict], pod_labels: list[dict[str, str]]) -> list[NodePort]:
    """NodePorts of the Services whose selector picks at least one of the controller's pods."""
    out = []
    for svc in services:
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector or not any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels):
            continue
        for port in svc["spec"].get("ports") or []:
            if port.get("nodePort"):
                meta = svc["metadata"]
                out.append(NodePort(f"{meta['namespace']}/{meta['name']}", str(port.get("name") or port["port"]),
                                    int(port["nodePort"])))
    return out


def node_addresses(nodes: list[dict], include_internal: bool) -> dict[str, str]:
    kinds = ("ExternalIP", "InternalIP") if include_internal else ("ExternalIP",)
    out = {}
    for node in nodes:
        for address in (node.get("status") or {}).get("addresses") or []:
            if address.get("type") in kinds:
                out[address["address"]] = node["metadata"]["name"]
    return out


def check(topology: str, node_ports: list[NodePort], addresses: dict[str, str], *, proxy_protocol: bool,
          trusted_hops: int, connector: Connector = connect) -> BypassReport:
    report = BypassReport(topology, node_ports, addresses, proxy_protocol=proxy_protocol, trusted_hops=trusted_hops)
    for ip in addresses:
        for np in node_ports:
            if connector(ip, np.node_port, CONNECT_TIMEOUT) is None:
                report.reachable.append((ip, np))
            else:
                report.refused += 1
    return report
