"""The "aws" timeout profile: how long a real cloud may take, by name, overridable from the command line.

Load-balancer provisioning, healthy targets and DNS propagation take minutes; the AWS Load Balancer
Controller's own e2e tests wait 10 min for the DNS name and 15 min for healthy targets (shared/peers.md).
Every wait on the eks target uses one of these. A value comes from ``--eks-timeout NAME=SECONDS`` (or the
config file's ``timeouts:``), else from the named environment variable, else the default; a wait that runs out
names its timeout and both ways to raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...edge import Converge
from ...kube.timeouts import Timeout

PROFILE = "aws"


@dataclass(frozen=True)
class CloudTimeout(Timeout):
    """A kube Timeout that a command-line value can override."""

    override: float | None = None

    @property
    def seconds(self) -> float:
        return self.override if self.override is not None else super().seconds

    def describe(self) -> str:
        return (f"{self.name} timeout ({self.seconds:g} s, profile {PROFILE}; raise it with "
                f"--eks-timeout {self.name}=SECONDS or {self.env})")


DEFAULTS = [
    CloudTimeout("echo-ready", 300, "EDGECONFORM_EKS_ECHO_READY_TIMEOUT",
                 "the echo backend's pod becoming ready (image pull, pip install)"),
    CloudTimeout("lb-provision", 600, "EDGECONFORM_EKS_LB_PROVISION_TIMEOUT",
                 "the load balancer's DNS name appearing in the Service/Ingress status"),
    CloudTimeout("lb-dns", 600, "EDGECONFORM_EKS_LB_DNS_TIMEOUT", "the load balancer's DNS name resolving"),
    CloudTimeout("lb-targets", 900, "EDGECONFORM_EKS_LB_TARGETS_TIMEOUT",
                 "the backend answering through the load balancer (healthy targets)"),
    CloudTimeout("lb-delete", 600, "EDGECONFORM_EKS_LB_DELETE_TIMEOUT",
                 "the load balancer's Service/Ingress gone (its controller deletes the AWS load balancer first)"),
    CloudTimeout("namespace-delete", 300, "EDGECONFORM_EKS_NAMESPACE_DELETE_TIMEOUT",
                 "the throwaway namespace gone"),
]
NAMES = [t.name for t in DEFAULTS]

# Probes through a real load balancer: targets flap while they register and DNS answers rotate, so a verdict
# needs 3 matching observations in a row within 2 minutes (--converge-timeout / --converge-consecutive).
AWS_CONVERGE = Converge(PROFILE, timeout=120.0, consecutive=3, interval=5.0)


class Profile:
    """The aws profile with the user's overrides applied."""

    def __init__(self, overrides: dict[str, float] | None = None):
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(NAMES))
        if unknown:
            raise ValueError(f"unknown timeout {', '.join(unknown)} in --eks-timeout / timeouts:; "
                             f"the {PROFILE} profile has {', '.join(NAMES)}")
        for name, value in overrides.items():
            if value <= 0:
                raise ValueError(f"--eks-timeout {name}={value:g}: a timeout must be positive")
        self._by_name = {t.name: CloudTimeout(t.name, t.default, t.env, t.what, overrides.get(t.name))
                         for t in DEFAULTS}

    def __getitem__(self, name: str) -> CloudTimeout:
        return self._by_name[name]

    def table(self) -> list[tuple[str, float, str]]:
        return [(t.name, t.seconds, t.what) for t in self._by_name.values()]
