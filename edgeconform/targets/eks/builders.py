"""The eks modes by name (edgeconform.targets.eks.modes says what a mode is)."""

from __future__ import annotations

from .annotations import AnnotationsMode
from .auto_mode import AutoMode
from .lbc_gateway import GatewayMode
from .modes import NAMES, Mode

BUILDERS: dict[str, type[Mode]] = {"lbc-annotations": AnnotationsMode, "lbc-gateway": GatewayMode,
                                   "auto-mode": AutoMode}
assert tuple(BUILDERS) == NAMES


def get(name: str) -> Mode:
    try:
        return BUILDERS[name]()
    except KeyError:
        raise ValueError(f"unknown eks mode {name!r}; known: {', '.join(NAMES)}") from None


__all__ = ["BUILDERS", "get"]
