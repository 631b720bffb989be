"""The kind target's spec and options."""

from ..base import Option, TargetSpec

SPEC = TargetSpec(
    name="kind",
    description="a real ingress controller in a kind cluster behind the same stand-ins (needs Docker or Podman, "
                "kind, and helm for Emissary)",
    load="edgeconform.targets.kind.target:KindTarget",
    options=(
        Option("--keep-cluster", "kind target: leave the cluster for the next run (it is reused when its config "
                                 "matches)", default=False, action="store_true"),
        Option("--cluster-name", "kind target: the cluster's name (default: edgeconform)", metavar="NAME"),
    ),
    default_controller="emissary",
    place="cluster",
)
