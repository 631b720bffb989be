"""The conformance suites run with --target eks, through the real pytest plugin, against the FAKE Kubernetes API
and real local edges in the role of AWS's load balancers (eks_fake_world.py, next to this file): the run's order,
the client-IP rule at test time, the time-to-ready report, and that nothing is left after a normal end, a
failure, or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.integration  # pytest runs in subprocesses, real local edges as the load balancers
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-00000000000{}"


def high_port_topologies(tmp_path: Path, names: list[str]) -> Path:
    """Catalog topologies with their listeners on 8080/8443, where the local stand-ins serve them as they are."""
    out = {}
    for name in names:
        t = catalog.load()[name]
        data = t.model_dump(exclude={"origin", "name"}, exclude_none=True)
        for listener in data["load_balancer"]["listeners"]:
            listener["port"] += 8000
        out[name] = data
    path = tmp_path / "high-ports.yaml"
    path.write_text(yaml.safe_dump({"topologies": out}))
    return path


def command(tmp_path: Path, names: list[str], *extra: str) -> list[str]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("# the fake world does not read it\n")
    arns = [f"--acm-cert={n}={ARN.format(i)}" for i, n in enumerate(["default.edgeconform.test",
                                                                        "app.edgeconform.test",
                                                                        "api.edgeconform.test"])]
    return [sys.executable, "-m", "pytest", "suites", "-p", "tests.targets.eks.eks_fake_world", "-p", "no:cacheprovider",
            "-rfEs", "--target", "eks", "--kubeconfig", str(kubeconfig),
            "--topology-file", str(high_port_topologies(tmp_path, names)),
            # one matching observation makes a verdict: the aws profile's pacing (5 s between observations, made
            # for real load balancers) would be most of the run here; convergence has its own tests
            "--eks-scheme", "internal", "--converge-timeout", "3", "--converge-consecutive", "1", *arns,
            "--eks-timeout", "lb-targets=20", "--eks-timeout", "lb-delete=5",
            # the lifecycle is under test here; the generic security checks have their own tests (the node-port
            # bypass check, marked target_only("eks"), stays)
            "-m", "not security or target_only", *extra]


def run(tmp_path: Path, names: list[str], *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    dump = tmp_path / "left.json"
    env = {**os.environ, "EKS_FAKE_DUMP": str(dump)}
    done = subprocess.run(command(tmp_path, names, *extra), cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=env)
    return done, json.loads(dump.read_text())


def test_an_alb_run_passes_reports_time_to_ready_and_leaves_nothing(tmp_path):
    done, world = run(tmp_path, ["alb"])
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert "5 passed, 1 xfailed" not in out  # alb has no limited cell
    # 6 behaviour cells + the node-port bypass check; target health and IPv6 clients are not measured on eks
    assert "7 passed, 2 skipped" in out, out[-3000:]
    assert "edgeconform eks run" in out and "time to ready per topology" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("alb "))
    assert "lb-provision" in line and "lb-dns" in line and "lb-targets" in line and "edgeconform-alb.elb.fake" in line
    assert "client-IP ground truth:" in out and "learned through alb" in out
    assert world["left"] == []


def test_without_ground_truth_the_client_ip_cell_fails_saying_how_to_fix_it(tmp_path):
    done, world = run(tmp_path, ["nlb-instance-local"])
    out = done.stdout
    assert done.returncode == 1, out[-4000:]
    assert "1 failed" in out
    assert "FAILED suites/test_client_ip.py::test_backend_sees_client_address[nlb-instance-local]" in out
    assert "client-IP ground truth unknown" in out and "Pass --client-ip ADDR" in out
    assert world["left"] == []


def test_l7_topologies_run_first_when_the_client_ip_must_be_learned(tmp_path):
    # the order comes from the session's EksTarget (runs_first), which needs a cluster; collecting connects to none
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("# never read: collecting connects to nothing\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "--target", "eks", "--kubeconfig", str(kubeconfig)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    first_l4 = next(i for i, test in enumerate(ids) if "[nlb" in test)
    l7 = [test for test in ids if "[alb" in test or "[clb-http" in test or "[cloudfront-alb" in test]
    assert l7 and ids[:first_l4] == l7, ids[:first_l4 + 2]  # every L7 test, and only those, before the first L4
    explicit = subprocess.run([sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-p",
                               "no:cacheprovider", "--target", "eks", "--kubeconfig", str(kubeconfig),
                               "--client-ip", "203.0.113.7"],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "[nlb-instance-local" in [line for line in explicit.stdout.splitlines() if "::" in line][0]


def test_sigterm_during_the_load_balancer_wait_removes_everything(tmp_path):
    dump, signal_file = tmp_path / "left.json", tmp_path / "applied"
    env = {**os.environ, "EKS_FAKE_DUMP": str(dump), "EKS_FAKE_HANG": "1", "EKS_FAKE_SIGNAL": str(signal_file)}
    proc = subprocess.Popen(command(tmp_path, ["nlb-ip"], "--eks-timeout", "lb-provision=60"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the run never applied its load balancer"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert json.loads(dump.read_text())["left"] == [], out[-3000:] + err[-3000:]


@pytest.mark.parametrize("mode, option", [("lbc-gateway", ["--eks-mode", "lbc-gateway"]), ("auto-mode", [])])
def test_a_run_in_each_mode_provisions_together_learns_the_client_ip_and_checks_node_ports(tmp_path, mode, option):
    """lbc-gateway chosen on the command line, auto-mode told by the (fake) cluster: both load balancers applied
    and waited for together, the runner's address learned through the ALB (its client-IP cell judged with it), the
    node-port bypass check on each edge, every other cell of both edges, nothing left.

    The NLB's client-IP cell is left out: on loopback the ALB stand-in (Envoy) appends its own host address for a
    peer of 127.0.0.1, so the address it teaches is not the one the NLB's backend sees, and the backend's "via"
    reads X-Forwarded-For (test_eks_local_edge.py measures that cell's samples directly)."""
    dump = tmp_path / "left.json"
    env = {**os.environ, "EKS_FAKE_DUMP": str(dump), "EKS_FAKE_MODE": mode}
    done = subprocess.run(command(tmp_path, ["alb", "nlb-proxy-v2"], *option, "--deselect",
                                  "suites/test_client_ip.py::test_backend_sees_client_address[nlb-proxy-v2]"),
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert f"(mode {mode})" in out and "2 load balancer(s) provisioned together" in out
    assert "client-IP ground truth:" in out and "learned through alb" in out
    summary = out.strip().splitlines()[-1]
    # alb: 6 cells (host_header included) + its node-port check; nlb-proxy-v2: sni and wss + its node-port check.
    # Skipped: the two redirect cells (Emissary's fixed 301 against the topology's 308), dual_stack and health_check
    # on both (no IPv6 here; the real load balancer's target health is AWS's), host_header at L4 (n/a)
    assert " 10 passed, 7 skipped" in summary and "failed" not in summary, summary
    assert json.loads(dump.read_text())["left"] == []
