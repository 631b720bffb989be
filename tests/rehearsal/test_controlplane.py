"""The rehearsal control plane for real: etcd, kube-apiserver, moto and the AWS Load Balancer Controller in a
namespace with no route off the machine; the LBC's webhooks; the catalog and the known-bad examples through the real
LBC; clean shutdown on close, on a crashed component and on SIGTERM. Skipped, naming the fix, where the components
are not built (./dev tools, apt-get install etcd-server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.rehearsal import components
from edgeconform.rehearsal.components import RehearsalError

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "misconfigured" / "rehearsal"
# example -> the field whose difference (or the annotation whose error) names the mistake
MISTAKES = {
    "proxy-protocol-key-misspelt": ("load_balancer.proxy_protocol", "aws-load-balancer-proxy-protocoll"),
    "healthcheck-interval-unparsable": (None, "aws-load-balancer-healthcheck-interval: 10s"),
    "in-tree-idle-timeout-on-lbc-nlb": ("load_balancer.idle_timeout", "aws-load-balancer-connection-idle-timeout"),
    "proxy-protocol-as-lb-attribute": (None, "Key proxy_protocol_v2.enabled not valid"),
    "gateway-listener-not-configured": (None, "TLS:443"),
}


def _components():
    try:
        return components.find()
    except RehearsalError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def plane():
    from edgeconform.rehearsal.controlplane import ControlPlane

    cp = ControlPlane(components=_components())
    cp.start()
    yield cp
    cp.close()


def _netns(pid: int) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def test_every_component_runs_inside_a_namespace_with_no_way_off_the_machine(plane):
    assert plane.ns.uplinks() == []
    routes = plane.ns.routes()
    assert not [r for r in routes if r["dst"] == "default" or r.get("gateway")], routes
    inside = _netns(plane.ns.holder.pid)
    assert inside != _netns(os.getpid())
    names = {proc.name for proc in plane.supervisor.processes}
    assert names == {"etcd", "moto", "kube-apiserver", "aws-load-balancer-controller"}
    for proc in plane.supervisor.processes:
        assert proc.alive() and _netns(proc.popen.pid) == inside, proc.name


def test_the_lbc_service_webhook_gives_a_service_its_class(plane):
    from kubernetes import client

    core = client.CoreV1Api(plane.kube)
    core.create_namespace({"metadata": {"name": "webhook-check"}})
    svc = core.create_namespaced_service("webhook-check", {
        "metadata": {"name": "plain"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], "selector": {"app": "none"}}})
    assert svc.spec.load_balancer_class == "service.k8s.aws/nlb"
    assert "setting service loadBalancerClass" in plane.lbc_log()
    core.delete_namespaced_service("plain", "webhook-check")


def test_the_lbc_builds_a_topology_and_deletes_it(plane):
    from edgeconform.rehearsal.rehearse import Rehearser

    t = catalog.load([])["nlb-proxy-v2"]
    (result,) = Rehearser(plane).rehearse([t], "lbc-annotations")
    assert result.ok, result.lines()
    lb = result.load_balancer
    assert lb.type == "network" and lb.ip_address_type == "dualstack"
    assert all(group.attributes["proxy_protocol_v2.enabled"] == "true" for group in lb.target_groups)
    assert all(group.targets for group in lb.target_groups)
    assert "creating loadBalancer" in plane.lbc_log() or "created loadBalancer" in plane.lbc_log()
    assert plane.aws("elbv2").describe_load_balancers()["LoadBalancers"] == []  # deleted with its Service


@pytest.mark.parametrize("example", sorted(MISTAKES))
def test_each_known_bad_example_is_caught_naming_its_mistake(plane, example):
    from edgeconform.rehearsal.manifests import Manifests
    from edgeconform.rehearsal.rehearse import Rehearser

    meant = catalog.load([str(EXAMPLES / "intended.yaml")])[example]
    result = Rehearser(plane, timeout=30).rehearse_manifests(Manifests([str(EXAMPLES / f"{example}.yaml")]), meant)
    field, named = MISTAKES[example]
    assert not result.ok
    if field is None:
        assert result.error and named in result.error, result.lines()
    else:
        found = [d for d in result.differences if d.field == field]
        assert found and named in found[0].responsible, result.lines()


def test_a_crashed_component_is_named_and_close_leaves_nothing():
    from edgeconform.rehearsal.controlplane import ControlPlane

    cp = ControlPlane(components=_components())
    cp.start()
    workdir, pids = Path(cp.workdir), [proc.popen.pid for proc in cp.supervisor.processes]
    os.kill(cp.lbc.popen.pid, signal.SIGKILL)
    cp.lbc.popen.wait(timeout=10)
    with pytest.raises(RehearsalError, match="aws-load-balancer-controller crashed"):
        cp.check()
    cp.close()
    assert not workdir.exists()
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_sigterm_stops_a_rehearsal_and_leaves_nothing():
    _components()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "edgeconform.cli", "rehearse", "--all"], cwd=REPO, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()
        assert "control plane up" in line, line
        pid = int(line.split(" pid ")[1].split(")")[0])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), "the LBC outlived its rehearsal"


def test_the_catalog_rehearses_in_both_modes_with_the_real_lbc(tmp_path):
    _components()
    done = subprocess.run([sys.executable, "-m", "edgeconform.cli", "rehearse", "--all", "--eks-mode",
                           "lbc-annotations", "--eks-mode", "lbc-gateway", "--report", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name, t in catalog.load([]).items():
        for mode in ("lbc-annotations", "lbc-gateway"):
            mine = [line for line in lines if line.startswith(f"[{mode}] {name}: ")]
            want = "skipped" if t.lb.model == "clb" else "agrees with the topology"
            assert mine and want in mine[0], (mode, name, mine)
    import json

    model = json.loads((tmp_path / "aws-model.json").read_text())
    built = [name for name, t in catalog.load([]).items() if t.lb.model != "clb"]  # both modes refuse a Classic ELB
    assert len(model["load_balancers"]) == 2 * len(built), built  # every NLB and ALB topology in both modes
    from jsonschema import Draft202012Validator

    Draft202012Validator(json.loads((tmp_path / "aws-model.schema.json").read_text())).validate(
        {k: v for k, v in model.items() if k != "$schema"})


def test_your_own_manifests_are_compared_with_what_they_mean(plane, tmp_path, capsys):
    """edgeconform rehearse on manifests without --expect: the topology `edgeconform import` reads from them."""
    from edgeconform.cli import main
    from edgeconform.rehearsal.manifests import Manifests
    from edgeconform.rehearsal.rehearse import Rehearser

    arns = [f"--acm-cert={name}.edgeconform.test=arn:aws:acm:eu-west-1:123456789012:certificate/{i}1111111-1111-1111-"
            "1111-111111111111" for i, name in enumerate(("default", "app", "api"), 1)]
    assert main(["plan", "--target", "eks", "--topology", "nlb-tls", *arns]) == 0
    manifests = tmp_path / "nlb-tls.yaml"
    manifests.write_text(capsys.readouterr().out)
    given = Manifests([str(manifests)])
    assert "Deployment edgeconform-echo" in given.left_out  # nothing runs pods here: not applied
    meant = given.imported().topology
    assert meant.name == "edgeconform-nlb-tls" and meant.lb.proxy_protocol == "v2"
    result = Rehearser(plane).rehearse_manifests(given, meant)
    assert result.ok, result.lines()
    assert result.load_balancer.listeners[1].default_certificate == "cert-1.rehearsal.test"


def test_an_imported_topology_file_rehearses(plane, tmp_path, capsys):
    """`edgeconform import` of a plan's manifests gives a topology file; rehearsing it builds what it says."""
    from edgeconform.cli import main
    from edgeconform.rehearsal.rehearse import Rehearser

    arns = [f"--acm-cert={name}.edgeconform.test=arn:aws:acm:eu-west-1:123456789012:certificate/{i}1111111-1111-1111-"
            "1111-111111111111" for i, name in enumerate(("default", "app", "api"), 1)]
    assert main(["plan", "--target", "eks", "--topology", "nlb-tls", *arns]) == 0
    manifests, imported = tmp_path / "nlb-tls.yaml", tmp_path / "imported.yaml"
    manifests.write_text(capsys.readouterr().out)
    assert main(["import", str(manifests), "-o", str(imported), "--hostname", "app.edgeconform.test"]) == 0
    (t,) = catalog.load_file(imported).values()
    (result,) = Rehearser(plane).rehearse([t], "lbc-annotations")
    assert result.ok, result.lines()
