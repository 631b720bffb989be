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


# --- under xdist, a costly shared fixture is built once ------------------------------------------------------------
# A fixture of module or session scope (a whole suite run, a controller started once, an edge) is built by every
# xdist worker that runs one of its tests. Under `-n N` (xdist's default, `--dist load`, becomes `--dist loadgroup`)
# the tests that share one run on one worker, in an xdist_group named after it; every other test goes to whichever
# worker is free, as before.
CHEAP_SHARED = {"topologies"}  # shared fixtures that cost nothing: grouping by them would serialise the run


def _group_shared_fixtures(config: pytest.Config) -> None:
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"  # the controller: it schedules by group
    if getattr(config, "workerinput", {}).get("edgeconform_loadgroup"):
        config.option.loadgroup = True  # a worker: it names each test's group (xdist reads this at collection)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist, on the controller: tell each worker whether the run goes by group (a worker does not parse --dist)."""
    node.workerinput["edgeconform_loadgroup"] = node.config.getvalue("dist") == "loadgroup"


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shared: dict[str, list[pytest.Item]] = {}
    for item in items:
        for name, where in _shared_fixtures(item).items():
            shared.setdefault(where, []).append(item)
    for item in items:
        if item.get_closest_marker("xdist_group") is None and (mine := _shared_fixtures(item)):
            # the one most tests share decides (a test using several goes with the most used; ties: by name)
            group = min(mine.values(), key=lambda where: (-len(shared[where]), where))
            item.add_marker(pytest.mark.xdist_group(group))


def _shared_fixtures(item: pytest.Item) -> dict[str, str]:
    """The module- and session-scoped fixtures of the harness's tests that ``item`` uses (directly or through
    another fixture): name -> where its one instance lives (the module for module scope)."""
    info = getattr(item, "_fixtureinfo", None)
    out = {}
    for name in getattr(info, "names_closure", ()):
        definitions = info.name2fixturedefs.get(name)
        if not definitions or name in CHEAP_SHARED:
            continue
        definition = definitions[-1]
        if definition.scope not in ("module", "package", "session") or not definition.baseid:
            continue  # function scope, or a plugin's fixture (tmp_path_factory, ...)
        home = item.nodeid.split("::")[0] if definition.scope == "module" else definition.baseid
        out[name] = f"{home}::{name}"
    return out


# --- nothing left behind -----------------------------------------------------------------------------------------
# Each run of the harness's tests (and every process it starts) works under a temporary folder of its own, so that
# "nothing was left behind" is about this run alone, even while other runs share the machine.
_RUN_TMP = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    _group_shared_fixtures(config)
    if hasattr(config, "workerinput"):
        return  # xdist workers inherit the controller's TMPDIR
    import tempfile

    run_tmp = Path(tempfile.mkdtemp(prefix="harness-tests-"))
    run_tmp.chmod(0o711)  # others may pass through (an unprivileged account's run), not list; what is inside is 0700
    os.environ["TMPDIR"] = str(run_tmp)
    tempfile.tempdir = str(run_tmp)
    config.stash[_RUN_TMP] = run_tmp


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run of the harness's tests leaves no work folder (they hold the test CA's keys): the run fails if one of
    edgeconform's folders is still there when it ends."""
    run_tmp = session.config.stash.get(_RUN_TMP, None)
    if run_tmp is None:
        return  # an xdist worker: the controller checks, after every worker has finished
    left = sorted(p for p in run_tmp.rglob("edgeconform-*") if p.is_dir() and "pytest-of-" not in str(p))
    if left:
        session.config.get_terminal_writer().line(
            "edgeconform tests: work folders were left behind (some exit path does not clean up):\n  "
            + "\n  ".join(map(str, left)), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    run_tmp = config.stash.get(_RUN_TMP, None)
    if run_tmp is not None:
        shutil.rmtree(run_tmp, ignore_errors=True)


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
