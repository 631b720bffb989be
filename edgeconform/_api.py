"""Small helpers of the public API (edgeconform.__all__)."""

from __future__ import annotations

from .behaviours import get


def variants(behaviour: str) -> tuple[str, ...]:
    """The variants of a behaviour, for a suite's parametrize: ("ws", "wss"), the security checks."""
    return get(behaviour).variants
