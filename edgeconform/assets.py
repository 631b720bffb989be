"""Where the readable assets (catalog/, proxies/, clusters/) live.

In a source checkout (editable install) they are the folders at the repository root, so a user who edits
``proxies/haproxy/l4-load-balancer.cfg.j2`` sees the change at once. A wheel carries copies inside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def root() -> Path:
    checkout = _PACKAGE.parent
    if (checkout / "catalog" / "topologies.yaml").is_file():
        return checkout
    return _PACKAGE / "_assets"


def path(relative: str) -> Path:
    return root() / relative
