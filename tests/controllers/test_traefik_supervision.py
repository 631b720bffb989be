"""Traefik supervised like the stand-ins: nothing outlives a kill -9 of the harness, a crashed Traefik is a failure
with its log, a configuration Traefik refuses is one error naming it, and without the binary its tests skip
naming ./dev tools and EDGECONFORM_TRAEFIK."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeconform import binaries, catalog, verdicts
from edgeconform.behaviours import client_ip
from edgeconform.controllers.traefik import PROGRAM
from edgeconform.controllers.traefik import local as traefik_local
from edgeconform.supervisor import Process, ProcessFailed, Supervisor
from edgeconform.targets.base import TargetUnavailable
from edgeconform.targets.local import LocalTarget

from tests.crashes import crash_of
from tests.test_supervisor import alive, processes_mentioning, wait_gone

REPO = Path(__file__).resolve().parents[2]
BUILD_AND_WAIT = """
import json, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
edge = LocalTarget("traefik").build(catalog.load()[sys.argv[1]].with_controller("traefik"))
print(json.dumps({"pids": edge.lifecycle.pids(), "workdir": str(edge.workdir)}), flush=True)
time.sleep(600)
"""


def traefik_available():
    try:
        binaries.version(PROGRAM)
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))


def traefiks_of(pids: list[int]) -> list[int]:
    return [pid for pid in pids if "traefik" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]


@pytest.mark.integration
@pytest.mark.parametrize("name", ["nlb-proxy-v2", "alb"])
def test_killing_the_harness_leaves_no_traefik(name, tmp_path):
    traefik_available()
    harness = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, name], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        started = json.loads(harness.stdout.readline())
        assert traefiks_of(started["pids"]) and all(alive(pid) for pid in started["pids"])
    finally:
        harness.kill()  # SIGKILL: no atexit, no finally blocks in the harness
        harness.wait(timeout=10)
    assert wait_gone(started["pids"]) == [], processes_mentioning(started["workdir"])


@pytest.mark.integration
def test_a_crashed_traefik_is_a_failure_with_its_log():
    traefik_available()
    edge = LocalTarget("traefik").build(catalog.load()["nlb-proxy-v2"].with_controller("traefik"))
    try:
        (pid,) = traefiks_of(edge.lifecycle.pids())
        os.kill(pid, signal.SIGKILL)
        crash = crash_of(edge)
        assert crash and "controller (traefik) crashed (exit code -9)" in crash and "traefik-static.yaml" in crash
        verdict = verdicts.check_or_raise(edge, client_ip.rule(edge.topology), lambda e: client_ip.samples(e, 1))
        assert verdict.verdict == "fail" and "died during the probe" in verdict.message
        assert "last lines of" in verdict.message and "entryPointName=" in verdict.message  # Traefik's own log
    finally:
        edge.close()
    assert wait_gone(edge.lifecycle.pids()) == []


@pytest.mark.integration
def test_a_static_configuration_traefik_refuses_is_one_error_with_its_log(tmp_path):
    traefik_available()
    supervisor = Supervisor(tmp_path)
    bad = "entryPoints:\n  web:\n    address: 127.0.0.1:0\n    proxyProtocl: {insecure: true}\n"
    supervisor.run(Process("controller (traefik)", [binaries.find(PROGRAM), f"--configFile={tmp_path / 'bad.yaml'}"],
                           lambda *_: False, {"bad.yaml": bad}))
    started = time.monotonic()
    with pytest.raises(ProcessFailed) as caught:
        supervisor.wait_ready(timeout=20)
    assert time.monotonic() - started < 10  # reported when it exits, not after the timeout
    assert "exited during start-up" in str(caught.value) and "proxyProtocl" in str(caught.value)
    supervisor.stop()


@pytest.mark.integration
def test_routers_traefik_refuses_are_one_error_naming_them(tmp_path):
    traefik_available()
    supervisor = Supervisor(tmp_path)
    static = ("global: {checkNewVersion: false, sendAnonymousUsage: false}\n"
              "api: {insecure: true, dashboard: false}\n"
              "entryPoints:\n  traefik: {address: '127.0.0.1:0'}\n  web: {address: '127.0.0.1:0'}\n"
              f"providers: {{file: {{filename: '{tmp_path / 'dynamic.yaml'}'}}}}\n")
    # the API's port is not known before it binds: ask the kernel for one first
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        admin = s.getsockname()[1]
    static = static.replace("traefik: {address: '127.0.0.1:0'}", f"traefik: {{address: '127.0.0.1:{admin}'}}")
    dynamic = ("http:\n  routers:\n    web-app: {rule: 'Host(`a.test`)', entryPoints: [web], service: echo, "
               "middlewares: [missing]}\n  services:\n    echo: {loadBalancer: {servers: [{url: 'http://127.0.0.1:9'}]}}\n")
    ready = traefik_local.routers_enabled(f"http://127.0.0.1:{admin}/api/http/routers", ["web-app"])
    supervisor.run(Process("controller (traefik)", [binaries.find(PROGRAM), f"--configFile={tmp_path / 's.yaml'}"],
                           ready, {"s.yaml": static, "dynamic.yaml": dynamic}))
    try:
        with pytest.raises(ProcessFailed, match=r"controller \(traefik\) refused routers of its configuration: "
                                                r"\{'web-app': \['middleware \"missing@file\" does not exist'\]\}"):
            supervisor.wait_ready(timeout=20)
    finally:
        supervisor.stop()
    assert not supervisor.processes[0].alive()


def test_without_the_binary_the_traefik_target_is_unavailable_naming_dev_tools(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGECONFORM_TOOLS_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("EDGECONFORM_TRAEFIK", raising=False)
    for cached in (binaries.find, binaries.version):
        cached.cache_clear()
    try:
        monkeypatch.setattr(binaries, "version", _only_tools(binaries.version))
        with pytest.raises(TargetUnavailable, match=r"the traefik controller cannot run here: traefik not found: "
                                                    r"build it with `./dev tools`.*EDGECONFORM_TRAEFIK"):
            LocalTarget.from_options({}, "traefik")
    finally:
        for cached in (binaries.find,):
            cached.cache_clear()


def _only_tools(version):
    """binaries.version for the controllers only (envoy and haproxy: assumed present, as on this machine)."""
    def wrapped(name):
        return "1.0" if name in ("envoy", "haproxy") else version.__wrapped__(name)
    return wrapped


@pytest.mark.integration
def test_a_suite_run_without_traefik_skips_its_tests_naming_the_fix(tmp_path):
    env = {**os.environ, "EDGECONFORM_TOOLS_BIN": str(tmp_path), "EDGECONFORM_TRAEFIK": "",
           "PATH": os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "traefik").exists())}
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "--controller",
                          "traefik", "--topology", "alb", "-m", "redirect", "-rs"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "1 skipped" in run.stdout and "./dev tools" in run.stdout and "EDGECONFORM_TRAEFIK" in run.stdout
