"""What a user gives the eks target: settings, the timeout profile, the client-IP rule, the node-port check's
reading of the cluster, and what pytest does with all of it when no cluster is reachable (here: never)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.edge import Edge, Endpoint
from edgeconform.probing.http import HttpResult
from edgeconform.targets.eks import bypass, settings as eks_settings
from edgeconform.targets.eks.client import ClientTruth
from edgeconform.targets.eks.timeouts import Profile

REPO = Path(__file__).resolve().parents[3]
TOPOLOGIES = catalog.load()
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"


# --- settings --------------------------------------------------------------------------------------------
def test_the_config_file_and_the_command_line_combine_the_command_line_wins(tmp_path):
    (tmp_path / "kube").write_text("")
    config = tmp_path / "eks.yaml"
    config.write_text(f"kubeconfig: kube\ncontroller: ingress-nginx\nclient_ip: 198.51.100.1\n"
                      f"certificates: {{default.edgeconform.test: {ARN}}}\ntimeouts: {{lb-dns: 60}}\n"
                      "edges: {nlb-ip: 'https://a.elb.amazonaws.com'}\n")
    s = eks_settings.load(config, client_ip="198.51.100.2", timeout=["lb-dns=120"],
                          acm_cert=[f"app.edgeconform.test={ARN}"])
    assert s.kubeconfig == tmp_path / "kube"  # relative to the config file
    assert s.controller == "ingress-nginx" and s.client_ip == "198.51.100.2"
    assert s.timeouts == {"lb-dns": 120.0}
    assert set(s.certificates) == {"default.edgeconform.test", "app.edgeconform.test"}
    assert s.edge_urls[0].host == "a.elb.amazonaws.com"
    assert s.source_ranges == ["198.51.100.2/32"]


@pytest.mark.parametrize("options, words", [
    ({"client_ip": "not-an-ip"}, "client_ip: 'not-an-ip' does not appear to be an IPv4 or IPv6 address"),
    ({"acm_cert": ["x=arn:aws:iam::123:role/nope"]}, "certificates: x: 'arn:aws:iam::123:role/nope' is not an ACM"),
    ({"edge_url": ["nlb-ip=ftp://x"]}, "edges: nlb-ip: 'ftp://x' is not an http(s) URL"),
    ({"edge_url": ["nlb-ip=https://x/path"]}, "has a path or query"),
    ({"scheme": "public"}, "scheme: 'public' is not one of 'internet-facing' or 'internal'"),
    ({"domain": "Example.COM"}, "is not a DNS domain"),
    ({"timeout": ["lb-dns=soon"]}, "--eks-timeout lb-dns=soon: 'soon' is not a number of seconds"),
    ({"ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle: /nonexistent/ca.pem: no such file"),
])
def test_bad_settings_name_the_setting_and_the_problem(options, words):
    with pytest.raises(eks_settings.SettingsError, match=None) as failed:
        eks_settings.load(None, **options)
    assert words in str(failed.value)


def test_unknown_settings_in_the_file_are_named(tmp_path):
    config = tmp_path / "eks.yaml"
    config.write_text("kubeconfg: x\n")
    with pytest.raises(eks_settings.SettingsError, match=r"kubeconfg: unknown setting \(known: kubeconfig"):
        eks_settings.load(config)


def test_the_domain_maps_hostnames_and_certificate_names():
    s = eks_settings.load(None, domain="edge.example.com", acm_cert=[f"*.edge.example.com={ARN}"])
    assert s.rename("app.edgeconform.test") == "app.edge.example.com"
    assert s.rename("*.edgeconform.test") == "*.edge.example.com"
    assert s.rename("other.test") == "other.test"
    assert s.arn_for("*.edgeconform.test") == ARN  # by its name on the cluster


# --- timeouts --------------------------------------------------------------------------------------------
def test_the_aws_profile_is_cloud_sized_and_overridable(monkeypatch):
    p = Profile()
    assert p["lb-provision"].seconds == 600 and p["lb-targets"].seconds == 900 and p["lb-dns"].seconds == 600
    monkeypatch.setenv("EDGECONFORM_EKS_LB_DNS_TIMEOUT", "30")
    assert Profile()["lb-dns"].seconds == 30
    assert Profile({"lb-dns": 45})["lb-dns"].seconds == 45  # the command line over the environment
    assert "--eks-timeout lb-dns=SECONDS or EDGECONFORM_EKS_LB_DNS_TIMEOUT" in p["lb-dns"].describe()
    with pytest.raises(ValueError, match="unknown timeout lb-dsn .* the aws profile has echo-ready, lb-provision"):
        Profile({"lb-dsn": 1})
    with pytest.raises(ValueError, match="must be positive"):
        Profile({"lb-dns": 0})


# --- client-IP ground truth ------------------------------------------------------------------------------
def edge_for(name: str) -> Edge:
    t = TOPOLOGIES[name]
    return Edge(topology=t, target="eks", endpoints={"https": Endpoint("https", 443, "192.0.2.1", 443)},
                ca=Path("/dev/null"), roles={"10.0.1.10": "node"}, client_cidr=None, client_addresses=[])


def answer(xff: list[str]) -> HttpResult:
    report = {"backend": "edgeconform-echo", "headers": [], "forwarded": {"for": xff}, "peer": {"ip": "10.1.9.9"}}
    return HttpResult(url="https://x/", source=None, host="x", sni="x", status=200, report=report)


def test_an_explicit_client_ip_is_the_ground_truth():
    truth = ClientTruth("203.0.113.7", "internet-facing")
    edge = edge_for("nlb-proxy-v2")
    truth.apply(edge)
    assert truth.problem() is None and edge.role_of("203.0.113.7") == "client"


def test_the_runner_address_is_learned_from_the_leftmost_xff_entry_an_l7_load_balancer_appended():
    truth = ClientTruth(None, "internet-facing")
    truth.learn(edge_for("nlb-proxy-v2"), answer(["52.94.76.5"]))  # L4: teaches nothing
    assert truth.address is None
    truth.learn(edge_for("alb"), answer(["52.94.76.5", "10.0.7.7"]))
    assert truth.address == "52.94.76.5" and "learned through alb" in truth.how and "[ALB-XFH]" in truth.how
    later = edge_for("nlb-proxy-v2")
    assert truth.problem() is None
    truth.apply(later)
    assert later.role_of("52.94.76.5") == "client"


def test_a_private_or_cluster_leftmost_entry_teaches_nothing_and_the_problem_says_why():
    truth = ClientTruth(None, "internet-facing")
    truth.learn(edge_for("alb"), answer(["10.0.7.7"]))
    truth.learn(edge_for("clb-http"), answer(["10.0.1.10"]))
    assert truth.address is None
    problem = truth.problem()
    assert problem.startswith("client-IP ground truth unknown") and "--client-ip ADDR" in problem
    assert "alb: the leftmost X-Forwarded-For entry 10.0.7.7 is not a public address" in problem
    assert "clb-http: the leftmost X-Forwarded-For entry 10.0.1.10 is the cluster's own node address" in problem
    internal = ClientTruth(None, "internal")  # inside the VPC private runner addresses are expected
    internal.learn(edge_for("alb"), answer(["10.0.7.7"]))
    assert internal.address == "10.0.7.7"


def test_an_explicit_address_that_the_l7_edge_contradicts_is_reported():
    truth = ClientTruth("203.0.113.7", "internet-facing")
    truth.learn(edge_for("alb"), answer(["52.94.76.5"]))
    assert truth.address == "203.0.113.7"
    assert "alb saw 52.94.76.5" in truth.disagreement()


# --- node-port bypass ------------------------------------------------------------------------------------
SERVICES = [
    {"metadata": {"namespace": "emissary", "name": "edgeconform-nlb-ip"},
     "spec": {"selector": {"app": "emissary"}, "ports": [{"name": "port-80", "port": 80, "nodePort": 31080}]}},
    {"metadata": {"namespace": "emissary", "name": "emissary-admin"},
     "spec": {"selector": {"app": "emissary"}, "ports": [{"port": 8877}]}},  # ClusterIP: no node port
    {"metadata": {"namespace": "emissary", "name": "other-app"},
     "spec": {"selector": {"app": "other"}, "ports": [{"port": 80, "nodePort": 32000}]}},
]
NODES = [{"metadata": {"name": "a"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.1.10"},
                                                              {"type": "ExternalIP", "address": "54.1.2.3"}]}},
         {"metadata": {"name": "b"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.1.11"}]}}]


def test_only_the_controllers_node_ports_on_reachable_node_addresses_are_tried():
    ports = bypass.controller_node_ports(SERVICES, [{"app": "emissary", "pod-template-hash": "x"}])
    assert ports == [bypass.NodePort("emissary/edgeconform-nlb-ip", "port-80", 31080)]
    assert bypass.node_addresses(NODES, include_internal=False) == {"54.1.2.3": "a"}
    assert set(bypass.node_addresses(NODES, include_internal=True)) == {"54.1.2.3", "10.0.1.10", "10.0.1.11"}


def test_a_reachable_node_port_is_the_finding_with_its_consequence_and_fix():
    ports = [bypass.NodePort("emissary/edgeconform-nlb-proxy-v2", "port-80", 31080)]
    tried = []

    def connector(ip, port, timeout):
        tried.append((ip, port))
        return None  # the connection opened
    report = bypass.check("nlb-proxy-v2", ports, {"54.1.2.3": "a"}, proxy_protocol=True, trusted_hops=0,
                          connector=connector)
    assert tried == [("54.1.2.3", 31080)]
    text = report.describe()
    assert "54.1.2.3:31080 (node a, Service emissary/edgeconform-nlb-proxy-v2 port port-80)" in text
    assert "their own PROXY header" in text and "allocateLoadBalancerNodePorts: false" in text
    closed = bypass.check("nlb-proxy-v2", ports, {"54.1.2.3": "a"}, proxy_protocol=True, trusted_hops=0,
                          connector=lambda ip, port, timeout: "timed out")
    assert not closed.reachable and "accepted a connection" in closed.describe()
    assert "no node has an address" in bypass.check("x", ports, {}, proxy_protocol=False, trusted_hops=1).describe()


def test_the_real_connector_sees_an_open_and_a_closed_loopback_port():
    import socket
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert bypass.connect("127.0.0.1", port, 2) is None
    assert "refused" in bypass.connect("127.0.0.1", port, 2).lower()


# --- pytest without a cluster ----------------------------------------------------------------------------
def run_suites(*args: str, env: dict | None = None, path: str = "suites") -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run([sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", "-rs",
                           "--no-matrix", *args], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**environment, **(env or {})})


@pytest.mark.integration
def test_without_a_kubeconfig_every_eks_test_skips_with_the_reason():
    run = run_suites("--target", "eks", "-m", "nlb")
    assert run.returncode == 0, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert " skipped" in summary and "passed" not in summary and "failed" not in summary and "error" not in summary
    assert "the eks target needs a cluster: pass --kubeconfig FILE [--context NAME]" in run.stdout
    assert "nothing was deployed and no load balancer was probed" in run.stdout
    assert "$KUBECONFIG" not in run.stdout


@pytest.mark.integration
def test_a_kubeconfig_in_the_environment_is_not_used_and_the_skip_says_so():
    run = run_suites("--target", "eks", "--topology", "nlb-ip", env={"KUBECONFIG": "/root/.kube/config"})
    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0 and " skipped" in summary and "passed" not in summary and "failed" not in summary
    assert "$KUBECONFIG is set to /root/.kube/config, but the eks target uses only an explicit --kubeconfig" in run.stdout


@pytest.mark.integration
@pytest.mark.parametrize("args, words", [
    (["--kubeconfig", "/nonexistent/kubeconfig"], "--kubeconfig /nonexistent/kubeconfig: no such file"),
    (["--eks-timeout", "lb-dsn=5"], "unknown timeout lb-dsn"),
    (["--client-ip", "x"], "client_ip: 'x' does not appear to be an IPv4 or IPv6 address"),
    (["-n", "2"], "the eks target builds one topology at a time"),
])
def test_bad_eks_options_are_usage_errors(args, words):
    run = run_suites("--target", "eks", *args)
    assert run.returncode == 4 and words in run.stderr, run.stderr


@pytest.mark.integration
def test_the_node_port_check_is_deselected_on_other_targets():
    run = run_suites("--target", "local", "--topology", "nlb-ip", path="suites/test_node_port_bypass.py")
    assert run.returncode == 5 and "1 deselected" in run.stdout, run.stdout


@pytest.mark.integration
@pytest.mark.parametrize("args, words", [
    ([], "cleanup needs --kubeconfig FILE"),
    (["--kubeconfig", "/nonexistent/kubeconfig"], "cannot use kubeconfig /nonexistent/kubeconfig (context current)"),
])
def test_cleanup_without_a_usable_kubeconfig_says_so(args, words):
    run = subprocess.run([sys.executable, "-m", "edgeconform.cli", "cleanup", "--target", "eks", *args],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and words in run.stderr, run.stderr
