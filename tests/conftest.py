"""Shared helpers for the harness's own tests, and the guard that keeps the integration marker honest.

Tests that start real processes (HAProxy, Envoy, the echo backend, pytest or the CLI in a subprocess) are marked
``integration``; ``pytest tests -m "not integration"`` runs the rest in seconds. Any other test that starts a
process fails, naming the process: while a test that is not marked integration is set up and runs,
edgeconform.supervisor.Supervisor.start and subprocess.Popen refuse to start anything. (A hook around setup and
call rather than an autouse fixture: an autouse fixture is set up after the module- and session-scoped
fixtures of a test, which could then start processes unguarded.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog, supervisor

from . import netguard  # noqa: F401  (installs itself: no connection from this namespace leaves loopback)

REPO = Path(__file__).resolve().parent.parent
# Every pytest a test starts (suite runs, report runs, the eks fake world) carries the same guard.
os.environ["PYTEST_ADDOPTS"] = " ".join(filter(None, [os.environ.get("PYTEST_ADDOPTS", ""), "-p tests.netguard"]))


class RealProcessStarted(BaseException):
    """A test that is not marked integration started a real process. A BaseException, so that no
    ``except Exception`` on the way (a target turning errors into BuildFailed) hides it."""


@contextlib.contextmanager
def _no_real_processes(item: pytest.Item):
    if item.get_closest_marker("integration"):
        yield
        return

    def refuse(what: str):
        raise RealProcessStarted(f"this test starts a real process: mark it integration "
                                 f"(@pytest.mark.integration or pytestmark). It started {what}")

    def supervised(self, name, argv, *args, **kwargs):
        refuse(f"{name!r} through Supervisor.start: {' '.join(map(str, argv))}")

    def spawned(self, args, *rest, **kwargs):
        refuse(f"a subprocess: {args if isinstance(args, (str, bytes)) else ' '.join(map(str, args))}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(supervisor.Supervisor, "start", supervised)
        patch.setattr(subprocess.Popen, "_execute_child", spawned)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with _no_real_processes(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    with _no_real_processes(item):
        return (yield)


# --- nothing left behind -----------------------------------------------------------------------------------------
_BEFORE = pytest.StashKey[set]()


def _work_folders() -> set[Path]:
    import tempfile

    return {p for p in Path(tempfile.gettempdir()).glob("edgeconform-*") if p.is_dir() and p.stat().st_uid == os.getuid()}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _work_folders()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run of the harness's tests leaves no work folder (they hold the test CA's keys): the run fails if one
    appeared during it and is still there."""
    if hasattr(session.config, "workerinput"):
        return  # the controller checks, after every worker has finished
    left = sorted(_work_folders() - session.config.stash.get(_BEFORE, set()))
    if left:
        session.config.get_terminal_writer().line(
            "edgeconform tests: work folders were left behind (some exit path does not clean up):\n  "
            + "\n  ".join(map(str, left)), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def installed_controller(tmp_path, monkeypatch):
    """Install a controller plug-in the way another package would: a module plus a distribution whose
    ``edgeconform.controllers`` entry point names it. Call with (module name, source, entry name, class name);
    everything is uninstalled when the test ends."""
    from edgeconform import controllers

    def install(module: str, source: str, name: str, cls: str) -> None:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        dist = tmp_path / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[edgeconform.controllers]\n{name} = {module}:{cls}\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        controllers.available.cache_clear()
        controllers.controller_class.cache_clear()

    yield install
    monkeypatch.undo()
    controllers.available.cache_clear()
    controllers.controller_class.cache_clear()


@pytest.fixture(scope="session")
def topologies():
    return catalog.load()


@pytest.fixture
def write_topologies(tmp_path):
    """Write a catalog-format file from YAML text; returns its path."""
    def write(text: str, name: str = "edges.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write


@pytest.fixture
def synthetic():
    """A topology from the YAML text of one catalog entry (hostnames default to [a.example.test])."""
    def parse(text: str):
        data = yaml.safe_load(textwrap.dedent(text).strip())
        data.setdefault("hostnames", ["a.example.test"])
        data.setdefault("name", "synthetic")
        return catalog.parse(data)
    return parse
