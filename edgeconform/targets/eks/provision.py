"""Every load balancer of a run at once: applied first, then waited for in one loop, each to its own timeouts.

A load balancer takes minutes (provisioning, DNS), almost all of it AWS's time, none of it the runner's: nine of
them one after the other spend most of an hour waiting. Here the run applies every topology's load balancer,
then one loop asks each, round after round, for the answer to its current phase:

    lb-provision   its object's status names the load balancer's DNS name   (edgeconform.targets.eks.waits)
    lb-dns         that name resolves

Each phase of each load balancer is bounded by its own timeout of the aws profile, counted from the moment that
phase began for that load balancer; one that runs out, or cannot be built at all (FailedBuildModel, a Gateway
not accepted), fails its topology only, and the loop goes on with the others. The seconds each phase took are
the topology's own (its time to ready), whatever the others did meanwhile.

What follows is per topology, when its tests start (edgeconform.targets.eks.target): the ingress controller's
settings for it (one controller, cluster-wide settings), then lb-targets, the echo answering through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ...kube.api import Cluster, ClusterError, _api_message
from . import waits
from .modes import LoadBalancerRef
from .timeouts import Profile

PROVISION_PHASES = ("lb-provision", "lb-dns")
READY = "ready"


@dataclass
class Readiness:
    """Time to ready of one topology, by phase (seconds), and when it was ready in the run (wall clock)."""

    topology: str
    phases: dict[str, float] = field(default_factory=dict)
    hostname: str = ""
    addresses: list[str] = field(default_factory=list)
    ready_at: float | None = None  # seconds since the run's load balancers were applied

    @property
    def total(self) -> float:
        return sum(self.phases.values())


@dataclass
class Pending:
    """One load balancer in the loop."""

    ref: LoadBalancerRef
    readiness: Readiness
    phase: str = PROVISION_PHASES[0]
    since: float = 0.0  # when its current phase began
    last: str = "not checked yet"
    failure: str | None = None

    @property
    def waiting(self) -> bool:
        return self.phase != READY and self.failure is None


def wait_together(cluster: Cluster, pending: list[Pending], timeouts: Profile, interval: float,
                  resolver: waits.Resolver = waits.resolve, *, clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> None:
    """Until every load balancer is provisioned and resolves, or has failed: one round asks each once."""
    now = clock()
    for item in pending:
        item.since = item.since or now
    while any(item.waiting for item in pending):
        for item in [p for p in pending if p.waiting]:
            _step(cluster, item, resolver, clock)
            if item.waiting and clock() - item.since > timeouts[item.phase].seconds:
                what = (f"the load balancer of {item.ref.describe()} being provisioned" if item.phase == "lb-provision"
                        else f"{item.readiness.hostname} resolving (DNS)")
                item.failure = (f"{what} did not happen within the {timeouts[item.phase].describe()}; last seen: "
                                f"{item.last}")
        if any(item.waiting for item in pending):
            sleep(interval)


def _step(cluster: Cluster, item: Pending, resolver: waits.Resolver, clock: Callable[[], float]) -> None:
    """Ask one load balancer once; move it to its next phase when the answer is there."""
    try:
        if item.phase == "lb-provision":
            hostname, item.last = waits.read_hostname(cluster, item.ref)
            if hostname:
                item.readiness.hostname = hostname
                _next(item, "lb-dns", clock)
        if item.phase == "lb-dns":
            addresses, item.last = waits.read_dns(item.readiness.hostname, resolver)
            if addresses:
                item.readiness.addresses = addresses
                _next(item, READY, clock)
    except ClusterError as exc:  # it will not come: FailedBuildModel, a Gateway not accepted
        item.failure = str(exc)
    except Exception as exc:  # an API hiccup is one more "not yet"
        item.last = _api_message(exc)


def _next(item: Pending, phase: str, clock: Callable[[], float]) -> None:
    now = clock()
    item.readiness.phases[item.phase] = now - item.since
    item.phase, item.since, item.last = phase, now, ""
