"""The controller's limits: what a topology asks that the controller running it cannot express (Controller.limits,
in each controller package's limits.py). Each limit explains the cells it names, or any cell where it names none;
its code is CONTROLLER_LIMIT or one of the controller's own (Controller.finding_codes)."""

from __future__ import annotations

from ..controllers import finding_codes, limits_of
from ..topology import Topology
from .base import Finding


class ControllerLimits:
    """The rule whose codes are those of the registered controllers."""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(finding_codes())

    def __call__(self, t: Topology) -> list[Finding]:
        return [Finding(limit.code, f"{t.controller.kind}: {limit.message}", limit.sources,
                        everywhere=limit.everywhere or not limit.cells, cells=limit.cells)
                for limit in limits_of(t)]


RULES = (ControllerLimits(),)
