"""Targets build Edges: ``local`` (loopback stand-ins), ``kind`` and ``eks`` (real clusters)."""

from __future__ import annotations

from typing import Protocol

import pytest

from ..edge import Edge
from ..topology import Topology

NAMES = ["local", "kind", "eks"]


class TargetUnavailable(Exception):
    """The target cannot run on this machine; the message says what to install or configure."""


class BuildFailed(Exception):
    """Building one edge failed on a real cluster; the message carries the diagnostics (logs, pod states)."""


class Target(Protocol):
    name: str

    def build(self, topology: Topology) -> Edge: ...


def get(name: str, config: pytest.Config | None = None) -> Target:
    if name == "local":
        from .local import LocalTarget
        return LocalTarget()
    if name == "kind":
        from .kind import KindTarget
        return KindTarget(config)
    if name == "eks":
        from .eks import EksTarget
        if config is None:
            raise TargetUnavailable("the eks target is configured from pytest options (--kubeconfig, --eks-config)")
        return EksTarget.from_config(config)
    raise TargetUnavailable(f"the {name} target is not available in this version of edgeconform")
