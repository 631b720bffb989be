"""The edgeconform command: list, and up (JSON line, serving, teardown on SIGINT/SIGTERM)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import httpx
import pytest

from edgeconform.certs import client_context

from .test_catalog import REQUIRED
from .test_supervisor import alive, wait_gone

CLI = [sys.executable, "-m", "edgeconform.cli"]
pytestmark = pytest.mark.integration  # every test runs the command in a subprocess (up: real proxies too)


def test_list_shows_every_topology_with_its_expectations():
    run = subprocess.run([*CLI, "list"], capture_output=True, text=True, timeout=60, env={"COLUMNS": "160"})
    assert run.returncode == 0, run.stderr
    for name in REQUIRED:
        assert f"\n{name}  " in "\n" + run.stdout
    assert "limited" in run.stdout and "[NLB-TGA]" in run.stdout
    # the edge in two lines: the controller's settings on a line of their own, no escaped line break
    assert "\n  controller: PROXY" in run.stdout and "\\n" not in run.stdout, run.stdout[:600]


def test_list_json_carries_expectations_and_sources():
    run = subprocess.run([*CLI, "list", "--json"], capture_output=True, text=True, timeout=60)
    data = {entry["name"]: entry for entry in json.loads(run.stdout)}
    assert set(REQUIRED) <= set(data)
    clb = {(e["behaviour"], e["variant"]): e for e in data["clb-http"]["expectations"]}
    assert clb[("websocket", "wss")]["outcome"] == "limited" and "EMS-AWS" in clb[("websocket", "wss")]["sources"]
    assert data["nlb-tls"]["derived"]["tls_terminates_at"] == "lb"


def test_list_reports_a_broken_topology_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("topologies:\n  x:\n    hostnames: [a.test]\n    load_balancer: {model: elb, listeners: []}\n")
    run = subprocess.run([*CLI, "list", "--topology-file", str(bad)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith(f"edgeconform: {bad}: topology 'x': field 'load_balancer.model': ")


def test_up_rejects_an_unknown_topology():
    run = subprocess.run([*CLI, "up", "nope"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "unknown topology 'nope'; known: nlb-instance-local" in run.stderr


# A client run where the edge is reachable: `enter` (nsenter into the edge's namespace) or this machine (loopback).
UP_CLIENT = r"""
import json, sys, httpx
from edgeconform.certs import client_context
line, source = json.loads(sys.argv[1]), sys.argv[2]
transport = httpx.HTTPTransport(local_address=source, verify=client_context(line["ca"]))
with httpx.Client(transport=transport, trust_env=False, timeout=5) as client:
    r = client.get(line["https"] + "up-check", headers={"Host": "app.edgeconform.test"},
                   extensions={"sni_hostname": "app.edgeconform.test"})
print(json.dumps([r.status_code, r.json()["client"]]))
"""


@pytest.mark.parametrize("name, stop, loopback", [("nlb-proxy-v2", signal.SIGINT, False),
                                                  ("alb", signal.SIGTERM, False),
                                                  ("clb-tcp-proxy-v1", signal.SIGTERM, True)])
def test_up_serves_until_a_stop_signal_then_tears_down(name, stop, loopback):
    if not loopback and not shutil.which("nsenter"):
        pytest.skip("nsenter (util-linux) is not installed: nothing here can enter the edge's namespace")
    up = subprocess.Popen([*CLI, "up", name, *(["--loopback"] if loopback else [])], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(up.stdout.readline())
        for key in ("http", "https", "ca", "hostnames", "client_cidr"):
            assert line[key], key
        assert line["hostnames"] == ["app.edgeconform.test", "api.edgeconform.test"]
        assert bool(line["enter"]) != loopback  # a namespace of its own unless asked for loopback
        source = line["client_cidr"].replace("0/24", "99")
        client = subprocess.run([*line["enter"], sys.executable, "-c", UP_CLIENT, json.dumps(line), source],
                                capture_output=True, text=True, timeout=30)
        assert client.returncode == 0, client.stderr
        assert json.loads(client.stdout) == [200, source]
        pids = [int(p) for p in subprocess.run(["pgrep", "-P", str(up.pid)], capture_output=True,
                                               text=True).stdout.split()]
        assert len(pids) >= 3 and all(alive(pid) for pid in pids)
    finally:
        up.send_signal(stop)
        code = up.wait(timeout=15)
    assert code == 0
    assert f"{signal.Signals(stop).name} received, tearing down {name}" in up.stderr.read()
    assert wait_gone(pids, timeout=5) == []
