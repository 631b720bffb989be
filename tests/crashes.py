"""Waiting for an edge to notice that one of its processes died (the supervision tests of the controllers)."""

from __future__ import annotations

import time

from edgeconform.supervisor import ProcessFailed


def crash_of(edge, seconds: float = 10) -> str | None:
    """What the edge says about its crashed process, polled until it says it or ``seconds`` pass (a multi-threaded
    process is reapable only once every thread has exited); None: it never did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            edge.lifecycle.check_alive()
        except ProcessFailed as exc:
            return str(exc)
        time.sleep(0.01)  # one poll interval of the bounded wait above
    return None
