"""The kind target's spec and options."""

from ..base import Option, TargetSpec

SPEC = TargetSpec(
    name="kind",
    description="a real ingress controller in a kind cluster behind the same stand-ins (needs Docker or Podman, "
                "kind, and helm for Emissary; or, with no registry, the images ./dev kind-images builds)",
    load="edgeconform.targets.kind.target:KindTarget",
    options=(
        Option("--keep-cluster", "kind target: leave the cluster for the next run (it is reused when its config "
                                 "matches)", default=False, action="store_true"),
        Option("--cluster-name", "kind target: the cluster's name (default: edgeconform)", metavar="NAME"),
        Option("--kind-images", "kind target: where its images come from: registry (pulled, Docker or Podman of this "
                                "machine), local (built by ./dev kind-images; podman in namespaces of its own, no "
                                "registry), auto (local once built; EDGECONFORM_KIND_IMAGES)", metavar="SOURCE",
               choices=("auto", "registry", "local")),
    ),
    default_controller="emissary",
    commands="edgeconform.targets.kind.cli",  # kind status|down|enter
    place="cluster",
)
