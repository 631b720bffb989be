"""Health checks: the load balancer's health checks reach the controller as AWS sends them, and the targets are
healthy.

What AWS sends: an NLB checks TCP (a connection without data) or HTTP; with PROXY v2 on, every health-check
connection carries the header "without client information" [NLB-TG23], the LOCAL form
(edgeconform.load_balancers.nlb.proxy). An ALB sends HTTP GETs without X-Forwarded-Proto, a Classic ELB TCP connects or HTTP GETs [CLB-HC].
The stand-ins run these checks themselves, from the load balancer's own address, against the real targets
(HAProxy health checks, through the NLB's PROXY v2 writer where PROXY is on; Envoy active health checks), and this
behaviour reads the result the way DescribeTargetHealth would.

A controller that rejects what the health checks send makes every target unhealthy on AWS (contour#4833,
istio#25875, #10982); the LBC warns against PROXY v2 with instance targets and externalTrafficPolicy Local, whose
checks land on kube-proxy's health port, which speaks no PROXY [LBC-NLB]. An unhealthy target fails the cell; the
findings say why. (AWS then fails open and routes to every target, so traffic alone would not show it.)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..outcomes import Unmeasurable
from .base import Behaviour, Cell, Expectation

if TYPE_CHECKING:
    from ..edge import Edge
    from ..topology import Topology

NAME = "health_check"


@dataclass(frozen=True)
class HealthWant:
    listeners: tuple[int, ...]  # every listener's target group must be healthy


@dataclass
class TargetHealth:
    listener: int
    state: str  # "healthy", "unhealthy", "initial" (no check has completed yet)
    detail: str

    def describe(self) -> str:
        return f"  listener {self.listener}: target {self.state} ({self.detail})"


@dataclass
class HealthObservation:
    targets: list[TargetHealth]

    def describe(self) -> str:
        return "\n".join(target.describe() for target in self.targets)


def describe_check(t: Topology) -> str:
    check, model = t.health_check, t.lb_model
    where = "the traffic port" if check.port == "traffic-port" else "kube-proxy's healthCheckNodePort"
    what = (f"HTTP GET {check.path} on {where}, healthy on {check.success_codes}" if check.protocol == "HTTP"
            else f"TCP connections without data to {where}")
    if t.lb.proxy_protocol == "v2":
        what += (", each after the NLB's PROXY v2 LOCAL header (no client information)" if check.protocol == "HTTP"
                 else ", so no PROXY header either")
    return f"the {model.title}'s health checks ({what})"


def rule(t: Topology) -> Expectation:
    check = t.health_check
    keys: tuple[str, ...] = t.lb_model.cite("health_check")
    if t.lb.proxy_protocol == "v2":
        keys += ("NLB-TG23",)
    if check.port == "health-check-node-port":
        keys += ("K8S-HCNP", "LBC-NLB")
    return Expectation(topology=t.name, behaviour=NAME, outcome="works",
                       want=HealthWant(tuple(item.port for item in t.lb.listeners)), sources=keys,
                       summary=f"{describe_check(t)} pass: every target group's targets are healthy")


def probe(edge: Edge) -> HealthObservation:
    from ..supervisor import admin_get

    if not edge.lb_admin:
        raise Unmeasurable(f"the {edge.target} target does not run the load balancer's health checks itself "
                           "(the real load balancer's target health is read from AWS, not here)")
    t = edge.topology
    if t.layer == "l4":  # HAProxy: the stats page's hc_listener_<port> backends
        _, text = admin_get(edge.transport.admin_connect, f"{edge.lb_admin}/stats;csv", timeout=2)
        rows = {row["# pxname"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("svname") == "target"}
        return HealthObservation([_haproxy(item.port, rows.get(f"hc_listener_{item.port}")) for item in t.lb.listeners])
    _, text = admin_get(edge.transport.admin_connect, f"{edge.lb_admin}/clusters?format=json", timeout=2)
    clusters = {c["name"]: c for c in json.loads(text).get("cluster_statuses", [])}
    return HealthObservation([_envoy(item.port, clusters.get(f"hc_listener_{item.port}")) for item in t.lb.listeners])


def _haproxy(listener: int, row: dict | None) -> TargetHealth:
    if row is None:
        return TargetHealth(listener, "initial", "no health check configured at the stand-in")
    status, check, code, desc = row.get("status", ""), row.get("check_status", ""), row.get("check_code", ""), \
        row.get("last_chk", "")
    detail = " ".join(filter(None, [check, f"HTTP {code}" if code else "", desc]))
    if check in ("", "INI", "* INI"):
        return TargetHealth(listener, "initial", detail or "no check completed yet")
    return TargetHealth(listener, "healthy" if status.startswith("UP") else "unhealthy", detail)


def _envoy(listener: int, cluster: dict | None) -> TargetHealth:
    if cluster is None or not cluster.get("host_statuses"):
        return TargetHealth(listener, "initial", "no health check configured at the stand-in")
    health = cluster["host_statuses"][0].get("health_status", {})
    if health.get("pending_active_hc"):
        return TargetHealth(listener, "initial", "no check completed yet")
    if health.get("failed_active_health_check"):
        return TargetHealth(listener, "unhealthy", "the active health check failed")
    return TargetHealth(listener, "healthy", "the active health check passed")


def compare(edge: Edge, want: HealthWant, seen: HealthObservation) -> list[str]:
    problems = []
    by_listener = {target.listener: target for target in seen.targets}
    for listener in want.listeners:
        target = by_listener.get(listener)
        if target is None or target.state != "healthy":
            state = target.state if target else "not reported"
            problems.append(f"listener {listener}: the target is {state}"
                            + (f" ({target.detail})" if target and target.detail else "")
                            + ": on AWS every target of this target group would be unhealthy")
    return problems


BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: the load balancer's health checks pass at the controller (target health)",
    cells={"": Cell(rule, probe, compare)},
)
