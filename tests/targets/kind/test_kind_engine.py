"""The kind target's container engine (podman in namespaces of its own, edgeconform/targets/kind/engine.py): it has
no way off the machine, nothing of it outlives any end (a stop, a failed build, a killed harness), and a missing
piece is one error naming its fix. Real namespaces and a real podman: integration tests, skipped (with the reason)
where the engine cannot run (not root, no podman, images not built)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.targets.base import BuildFailed, TargetUnavailable
from edgeconform.targets.kind import engine as engine_module
from edgeconform.targets.kind.engine import Engine, named_cgroups, remove_dead

REPO = Path(__file__).resolve().parents[3]


def _engine_or_skip() -> None:
    try:
        engine_module.requirements()
    except TargetUnavailable as exc:
        pytest.skip(str(exc))


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _net_inode(pid: int) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def _processes_in(net_inode: int) -> list[int]:
    """Every process of this machine whose network namespace is that one."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.stat(entry / "ns" / "net").st_ino == net_inode:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def assert_nothing_left(name: str, net_inode: int, holder: int) -> None:
    """No process in the engine's network namespace (so no container, no podman, no namespace kept alive), no holder,
    no cgroup, no folder, no mount of its folder."""
    deadline = time.monotonic() + 10
    while _processes_in(net_inode) and time.monotonic() < deadline:  # the kernel reaps a PID namespace's processes
        time.sleep(0.1)
    assert _processes_in(net_inode) == []
    assert not Path(f"/proc/{holder}").exists() or "Z" in Path(f"/proc/{holder}/stat").read_text().split(") ")[-1][:1]
    assert named_cgroups(name) == []
    assert not Engine.folder_of(name).exists()
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(Engine.folder_of(name)) not in mounts


@pytest.mark.integration
def test_the_engine_has_no_way_off_the_machine_and_a_pull_fails_at_once():
    _engine_or_skip()
    engine = Engine.start(_name(), image_store=engine_module.image_store())
    net, holder = _net_inode(engine.pid1), engine.holder
    try:
        assert net != _net_inode(os.getpid())
        assert engine.uplinks() == []  # no default route, no gateway, no route lookup of an outside address succeeds
        with pytest.raises(OSError):  # an outside address from the engine's network stack: no route
            engine.connect(None, "192.0.2.1", 443, timeout=2).close()
        started = time.monotonic()
        pulled = engine.run(["podman", "pull", "docker.io/library/busybox:latest"], timeout=60, check=False)
        assert pulled.returncode != 0 and time.monotonic() - started < 30, pulled
        run = engine.run(["podman", "run", "--rm", "docker.io/library/busybox:latest", "true"], timeout=60, check=False)
        assert run.returncode != 0  # pull policy never: an image that is not in the store is not fetched
    finally:
        engine.stop()
    assert_nothing_left(engine.name, net, holder)


@pytest.mark.integration
def test_a_build_that_fails_after_the_engine_is_up_leaves_nothing(monkeypatch):
    """kind create fails (a node image the store does not have) once the engine runs: the topology fails with the
    reason, and closing the target leaves no container, network, namespace, mount, cgroup, holder or folder."""
    _engine_or_skip()
    from edgeconform.targets.kind import images
    from edgeconform.targets.kind.target import KindTarget

    name = _name()
    try:
        target = KindTarget("envoy-gateway", cluster_name=name, images="local")
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    real = images.built()
    monkeypatch.setattr(images, "built", lambda: {**real, "node": {**real["node"],
                                                                   "tags": ["localhost/edgeconform/kind-node:absent"]}})
    with pytest.raises(BuildFailed, match="kind-node:absent"):
        target.build(catalog.load()["nlb-ip"])
    engine = target.engine
    assert engine is not None and engine.alive()
    net, holder = _net_inode(engine.pid1), engine.holder
    target.close()
    assert_nothing_left(name, net, holder)
    assert not target.workdir.exists()


KILLED = """
import json, sys, time
from edgeconform.targets.kind.engine import Engine, image_store
engine = Engine.start(sys.argv[1], image_store=image_store())
engine.run(["podman", "network", "create", "edgeconform-test"])
print(json.dumps({"pid1": engine.pid1, "holder": engine.holder}), flush=True)
time.sleep(600)
"""


@pytest.mark.integration
def test_a_killed_harness_takes_its_engine_along_and_the_next_run_removes_the_rest():
    """SIGKILL leaves the harness no time to clean up: the holder ends the engine's PID namespace (every process of
    it), and what is on disk (its folder, its cgroups) is found by name and removed by the next run."""
    _engine_or_skip()
    name = _name()
    harness = subprocess.Popen([sys.executable, "-c", KILLED, name], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        started = json.loads(harness.stdout.readline())
        net = _net_inode(started["pid1"])
    finally:
        harness.send_signal(signal.SIGKILL)
        harness.wait()
    deadline = time.monotonic() + 10
    while _processes_in(net) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in(net) == []  # the engine died with its harness
    assert Engine.find(name) is None
    assert Engine.folder_of(name).exists() and named_cgroups(name)  # left on disk, for the next run to remove
    remove_dead(name)
    assert_nothing_left(name, net, started["holder"])


def test_a_missing_piece_is_one_error_naming_its_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(TargetUnavailable, match="needs root: run as root"):
        engine_module.requirements()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(engine_module.shutil, "which", lambda tool: None if tool == "podman" else f"/usr/bin/{tool}")
    monkeypatch.setattr(engine_module.os.path, "exists", lambda path: False)
    with pytest.raises(TargetUnavailable, match=r"needs podman: apt-get install podman netavark"):
        engine_module.requirements()
    monkeypatch.setattr(engine_module.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setenv("EDGECONFORM_CACHE", str(tmp_path))
    with pytest.raises(TargetUnavailable, match=r"the kind images are not built .*: run ./dev kind-images"):
        engine_module.requirements()
