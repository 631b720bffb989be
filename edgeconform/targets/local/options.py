"""The local target's spec: no options of its own (the controller is the shared --controller)."""

from ..base import TargetSpec

SPEC = TargetSpec(
    name="local",
    description="real proxies on this machine stand in for the AWS load balancer; no Docker, no Kubernetes",
    load="edgeconform.targets.local:LocalTarget",
    default_controller="envoy",
    commands="edgeconform.targets.local.cli",  # up
)
