"""A signal that stops a run the way Ctrl-C does: KeyboardInterrupt where the main thread is, so every edge's
teardown runs on the way out."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def interrupting(sig: int) -> Iterator[None]:
    """While the block runs, ``sig`` raises KeyboardInterrupt (a cancelled CI job's SIGTERM; SIGINT where asyncio
    would otherwise take it over). Main thread only, as ``signal.signal`` is."""
    previous = signal.signal(sig, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(sig, previous)


def raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
