"""Work folders of the loopback fallback (configurations, logs, the test CA's keys): mode 0700, removed when the
edge closes, and, when a run was killed before it could remove them, swept by the next run.

(In a network namespace the namespace's holder process owns the folder and removes it even when the harness is
SIGKILLed: edgeconform.targets.local.netns.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "edgeconform-"
OWNER = ".edgeconform-owner"  # "<pid> <process start time>": which run made the folder


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def make(prefix: str) -> Path:
    """A new work folder (mode 0700) that names this process as its owner."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (path / OWNER).write_text(f"{os.getpid()} {_start_time(os.getpid())}")
    return path


def sweep() -> list[Path]:
    """Remove this user's work folders whose owner process is gone (a killed run); returns what was removed."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            if path.stat().st_uid != os.getuid() or not (path / OWNER).is_file():
                continue
            pid, started = (path / OWNER).read_text().split()
        except (OSError, ValueError):
            continue
        if _start_time(int(pid)) != started:  # the pid is gone, or now belongs to another process
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
