"""Running a real renderer on the user's files (``helm template``, ``kustomize build``) and reading what it wrote as
any input is read (edgeconform.untrusted): it runs with a time limit and the reading layer's file size limit
(RLIMIT_FSIZE, so it cannot fill the disk), its output goes to a file that is read back as a file is (size, UTF-8,
no NUL), and each way it can fail is one ImportFailed naming the input it was given."""

from __future__ import annotations

import resource
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ... import untrusted
from ..documents import ImportFailed


def run(argv: list[str], *, program: str, source: Path, cwd: Path, timeout: float, what: str,
        env: Mapping[str, str] | None = None, hide: tuple[str, str] = ("", "")) -> str:
    """What ``argv`` writes to its standard output. ``program``: its name in messages ("helm template", "kustomize
    v5.8.1"); ``source``: the input it renders (named by every refusal); ``what``: what it cannot do, for its own
    error ("cannot render this chart"); ``hide``: (text, replacement) in its error line (a scratch copy's path)."""
    limit = untrusted.file_size_limit()

    def bounded() -> None:  # in the child, before it runs
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with tempfile.TemporaryDirectory(prefix="edgeconform-render-") as scratch:
        out, err = Path(scratch) / "stdout", Path(scratch) / "stderr"
        try:
            with out.open("wb") as stdout, err.open("wb") as stderr:
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, timeout=timeout,
                                      cwd=cwd, env=dict(env) if env is not None else None, preexec_fn=bounded)
        except subprocess.TimeoutExpired:
            raise ImportFailed(f"{program} did not finish within {timeout:g} s", file=str(source)) from None
        except OSError as exc:
            raise ImportFailed(f"{argv[0]} cannot run ({exc.strerror})", file=str(source)) from None
        if out.stat().st_size < limit and done.returncode != 0:
            said = _last_line(err).replace(*hide) if hide[0] else _last_line(err)
            raise ImportFailed(f"{program} {what}: {said}", file=str(source))
        try:
            return untrusted.read_output(out, source=source, what=f"what {program} wrote")
        except untrusted.Refused as exc:
            raise ImportFailed(exc.reason, file=exc.file, line=exc.line) from None


def _last_line(path: Path) -> str:
    """The last line of what a program said on its standard error (its own error message), at most 4 kB read."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        tail = f.read().decode("utf-8", errors="replace")
    return (tail.strip().splitlines() or ["(no message)"])[-1]
