"""Targets build Edges: ``local`` (real proxies on this machine, no Docker, no Kubernetes), ``kind`` (a real
controller in a kind cluster behind the same stand-ins) and ``eks`` (a real cluster and real AWS load balancers
through a kubeconfig). More come from other packages through the ``pytest_edgeconform_add_targets`` hook.

    registry.add(spec)      register a TargetSpec (its options become command-line options)
    registry.get("kind")    the spec; spec.target_class() loads the implementation
"""

from __future__ import annotations

from collections.abc import Callable

from .base import BuildFailed, Option, Target, TargetSpec, TargetUnavailable, TargetUsageError


class TargetRegistry:
    """The targets of a session, in the order they were added; ``on_add`` sees each (the plugin adds options)."""

    def __init__(self, on_add: Callable[[TargetSpec], None] | None = None):
        self._specs: dict[str, TargetSpec] = {}
        self._on_add = on_add

    def add(self, spec: TargetSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"a target named {spec.name!r} is registered twice")
        self._specs[spec.name] = spec
        if self._on_add:
            self._on_add(spec)

    def get(self, name: str) -> TargetSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise TargetUsageError(f"unknown target {name!r}; known: {', '.join(self._specs)}") from None

    def names(self) -> list[str]:
        return list(self._specs)


def builtin() -> list[TargetSpec]:
    """The targets that come with edgeconform (each package's spec is light: its class loads on use)."""
    from .eks.options import SPEC as EKS
    from .kind.options import SPEC as KIND
    from .local.options import SPEC as LOCAL

    return [LOCAL, KIND, EKS]


__all__ = ["BuildFailed", "Option", "Target", "TargetRegistry", "TargetSpec", "TargetUnavailable",
           "TargetUsageError", "builtin"]
