"""The kind target up to the machine's boundary: what is missing is a skip that names the fix, nothing breaks.

These run the real tools where the machine has them (the docker CLI without an engine, here) and a stand-in
`kind` script only to get past the first check.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.edge import Edge, Endpoint, Transport
from edgeconform.targets import TargetUnavailable
from edgeconform.targets.kind import tools

REPO = Path(__file__).resolve().parents[3]


def run_suites(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "-rs",
                           "--no-matrix", *args], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.integration
def test_without_kind_every_test_skips_with_the_install_hint(tmp_path):
    run = run_suites("--target", "kind", "--topology", "nlb-ip", env={"PATH": str(Path(sys.executable).parent)
                                                                      + os.pathsep + "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b\d+ skipped", run.stdout) and " passed" not in run.stdout and " failed" not in run.stdout
    assert "needs the kind CLI (v0.33.0), which is not on PATH: install it" in run.stdout


@pytest.mark.integration
def test_without_a_container_engine_the_skip_says_so(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "kind").write_text("#!/bin/sh\nexit 0\n")
    (fake / "helm").write_text("#!/bin/sh\nexit 0\n")
    # a Docker client without an engine, as on CI workers and this machine (whether or not a real client is here)
    (fake / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon at "
                                 "unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n")
    for name in ("kind", "helm", "docker"):
        (fake / name).chmod(0o755)
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "EDGECONFORM_CONTAINER_ENGINE": "docker"}
    run = run_suites("--target", "kind", "--controller", "ingress-nginx", "--topology", "alb", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "needs a running container engine" in run.stdout and "`docker info` failed" in run.stdout
    assert "Start the Docker engine (or install Podman" in run.stdout


def test_emissary_without_helm_says_install_helm(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "kind").write_text("#!/bin/sh\nexit 0\n")
    (fake / "kind").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(TargetUnavailable, match="Emissary-ingress installs with Helm"):
        tools.detect(need_helm=True)


@pytest.mark.integration
def test_unknown_controller_is_a_usage_error():
    run = run_suites("--target", "kind", "--controller", "no-such-controller")
    assert run.returncode == 4 and "invalid choice: 'no-such-controller'" in run.stderr


@pytest.mark.integration
def test_local_target_is_unaffected_by_the_kind_options():
    # the kind target's own options (--controller is shared by every target: see the next test)
    run = run_suites("--topology", "nlb-proxy-v2", "-m", "client_ip", "--keep-cluster", "--cluster-name", "other")
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


@pytest.mark.integration
def test_a_cluster_controller_on_the_local_target_is_a_usage_error():
    run = run_suites("--topology", "nlb-proxy-v2", "-m", "client_ip", "--controller", "emissary")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "the emissary controller does not run on the local target" in run.stderr and "envoy" in run.stderr


def test_relays_route_each_client_through_its_own_port():
    t = catalog.load()["alb"]
    edge = Edge(topology=t, target="kind", endpoints={"http": Endpoint("http", 80, "127.0.0.1", 40001),
                                                      "https": Endpoint("https", 443, "127.0.0.1", 40002)},
                ca=Path("/nonexistent"), roles={"172.18.0.7": "client"}, client_cidr=None,
                client_addresses=["172.18.0.7", "172.18.0.8"],
                transport=Transport(relays={"172.18.0.7": {80: ("127.0.0.1", 40001), 443: ("127.0.0.1", 40002)},
                                            "172.18.0.8": {80: ("127.0.0.1", 40011), 443: ("127.0.0.1", 40012)}}))
    assert edge.resolve("https", None, "172.18.0.8") == ("127.0.0.1", 40012)
    assert edge.resolve("https", 443, "172.18.0.8") == ("127.0.0.1", 40012)
    assert edge.resolve("http", None, "172.18.0.7") == ("127.0.0.1", 40001)
    assert edge.transport.relayed("172.18.0.8")  # the relay supplies the address; nothing to bind locally
    assert not edge.transport.relayed("172.18.0.9")
    assert edge.resolve("https", None) == ("127.0.0.1", 40002)  # no source: the endpoint
    with pytest.raises(LookupError, match="no relay from 172.18.0.8 to listener port 8443"):
        edge.resolve("https", 8443, "172.18.0.8")


@pytest.mark.integration
def test_manifests_command_prints_what_a_cluster_gets():
    import yaml
    cli = Path(sys.executable).parent / "edgeconform"
    run = subprocess.run([str(cli), "manifests", "nlb-tls", "--controller", "ingress-nginx", "--lb-address",
                          "172.18.0.42"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    objects = [o for o in yaml.safe_load_all(run.stdout) if o]
    config = next(o for o in objects if o["metadata"]["name"] == "ingress-nginx-controller")
    assert config["data"]["proxy-real-ip-cidr"] == "172.18.0.42/32"
    assert "listen 2443 proxy_protocol;" in config["data"]["http-snippet"]
    assert {o["kind"] for o in objects} >= {"Namespace", "Deployment", "Service", "Ingress", "ConfigMap"}
    emissary_run = subprocess.run([str(cli), "manifests", "nlb-tls"], capture_output=True, text=True, timeout=60)
    assert "# cannot be measured on emissary: redirect: Emissary answers its cleartext redirect with 301" \
        in emissary_run.stdout
    unknown = subprocess.run([str(cli), "manifests", "no-such-edge"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown topology 'no-such-edge'" in unknown.stderr


def test_the_summary_gives_the_sessions_set_up_step_by_step():
    from types import SimpleNamespace

    from edgeconform.targets.kind.target import KindTarget

    target = object.__new__(KindTarget)  # no tools needed: the summary reads what the session recorded
    target.timings = {}
    assert target.summary() == []
    target.cluster = SimpleNamespace(name="edgeconform", created=True, reused=False)
    target.tools = SimpleNamespace(images="local")
    target.timings = {"engine": 0.3, "cluster": 28.0, "echo backend": 2.4, "envoy-gateway installed": 45.5}
    assert target.summary() == ["edgeconform kind 'edgeconform' (local images): engine 0.3 s, cluster created 28.0 s, "
                                "echo backend 2.4 s, envoy-gateway installed 45.5 s"]
