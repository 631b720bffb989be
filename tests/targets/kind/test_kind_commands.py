"""Golden tests: the exact kind / helm / docker command lines and container specs the kind target runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeconform import assets
from edgeconform.controllers.emissary import cluster as emissary
from edgeconform.targets.kind import cluster, containers
from edgeconform.kube import timeouts

NODE_IMAGE = "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0"
CONFIG = str(assets.path("clusters/kind/cluster.yaml"))


def test_kind_commands():
    assert cluster.get_clusters_command() == ["kind", "get", "clusters"]
    assert cluster.create_command("edgeconform", "/w/kubeconfig") == [
        "kind", "create", "cluster", "--name", "edgeconform", "--config", CONFIG, "--image", NODE_IMAGE,
        "--kubeconfig", "/w/kubeconfig", "--wait", "300s"]
    assert cluster.kubeconfig_command("x") == ["kind", "get", "kubeconfig", "--name", "x"]
    assert cluster.delete_command("x") == ["kind", "delete", "cluster", "--name", "x"]
    assert cluster.export_logs_command("x", "/w/logs") == ["kind", "export", "logs", "/w/logs", "--name", "x"]
    assert cluster.node_container("x") == "x-control-plane"


def test_create_timeout_is_overridable(monkeypatch):
    monkeypatch.setenv("EDGECONFORM_KIND_CREATE_TIMEOUT", "900")
    assert cluster.create_command("e", "/k")[-1] == "900s"
    monkeypatch.setenv("EDGECONFORM_KIND_CREATE_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="EDGECONFORM_KIND_CREATE_TIMEOUT='soon' is not a number"):
        timeouts.CLUSTER_CREATE.seconds


def test_every_timeout_has_its_own_variable():
    assert len({t.env for t in timeouts.ALL}) == len(timeouts.ALL)
    assert all(t.env.startswith("EDGECONFORM_") and t.default > 0 for t in timeouts.ALL)


def test_emissary_helm_commands():
    values = str(assets.path("clusters/manifests/emissary/values.yaml"))
    assert emissary.install_commands("/w/kubeconfig", 420) == [
        ["helm", "upgrade", "--install", "emissary-crds", "oci://ghcr.io/emissary-ingress/emissary-crds-chart",
         "--version", "4.1.0", "--kubeconfig", "/w/kubeconfig", "--wait", "--timeout", "420s"],
        ["helm", "upgrade", "--install", "emissary-ingress", "oci://ghcr.io/emissary-ingress/emissary-ingress",
         "--version", "4.1.0", "--namespace", "emissary", "--create-namespace", "--values", values,
         "--kubeconfig", "/w/kubeconfig", "--wait", "--timeout", "420s"],
    ]


def test_envoy_gateway_helm_command():
    from edgeconform.controllers.envoy_gateway import cluster as envoy_gateway

    assert envoy_gateway.install_commands("/w/kubeconfig", 420) == [
        ["helm", "upgrade", "--install", "eg", "oci://docker.io/envoyproxy/gateway-helm", "--version", "v1.9.1",
         "--namespace", "envoy-gateway-system", "--create-namespace", "--kubeconfig", "/w/kubeconfig", "--wait",
         "--timeout", "420s"]]


def test_load_balancer_containers():
    lb = containers.load_balancer("edgeconform-nlb-instance-local", "haproxy", "haproxy:2.8.25", Path("/w"), "lb-haproxy.cfg",
                                  transparent=True, listener_ports=[80, 443])
    assert (lb.name, lb.image, lb.entrypoint, lb.command) == (
        "edgeconform-nlb-instance-local-lb", "haproxy:2.8.25", ["haproxy"], ["-db", "-f", "/w/lb-haproxy.cfg"])
    assert lb.volumes == (("/w", "/w", "ro"),) and lb.network == "kind" and lb.user == "0"
    assert lb.published == (9901, 80, 443) and lb.cap_add == ("NET_ADMIN",)
    assert lb.sysctls == {"net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.default.rp_filter": "0"}
    l7 = containers.load_balancer("edgeconform-alb", "envoy", "envoyproxy/envoy:v1.40.0", Path("/w"), "lb-envoy.yaml",
                                  transparent=False, listener_ports=[80, 443])
    assert l7.entrypoint == ["envoy"] and l7.command == [
        "-c", "/w/lb-envoy.yaml", "--disable-hot-restart", "--concurrency", "1", "--log-level", "warn"]
    assert l7.cap_add == () and l7.sysctls == {} and l7.ready_path == "/ready"


def test_client_relay_container():
    relay = containers.client_relay("edgeconform-nlb-ip", 2, "haproxy:2.8.25", Path("/w"), "client-relay-2.cfg", [80, 443])
    assert relay.name == "edgeconform-nlb-ip-client-2" and relay.network == "kind"
    assert relay.command == ["-db", "-f", "/w/client-relay-2.cfg"] and relay.published == (9901, 80, 443)


def test_transparent_routing_commands():
    script = containers.transparent_setup_script([("10.244.0.0/24", "172.18.0.2")], transparent=True)
    assert script.splitlines() == [
        "set -e",
        "iptables -t mangle -N EDGECONFORM_DIVERT",
        "iptables -t mangle -A PREROUTING -p tcp -m socket -j EDGECONFORM_DIVERT",
        "iptables -t mangle -A EDGECONFORM_DIVERT -j MARK --set-mark 1",
        "iptables -t mangle -A EDGECONFORM_DIVERT -j ACCEPT",
        "ip rule add fwmark 1 lookup 100",
        "ip route add local 0.0.0.0/0 dev lo table 100",
        "ip route replace 10.244.0.0/24 via 172.18.0.2",
    ]
    assert containers.transparent_setup_script([], transparent=False) == "set -e"
    helper = containers.netns_helper("edgeconform-x-lb", NODE_IMAGE, script)
    assert helper.network == "container:edgeconform-x-lb" and helper.entrypoint == ["sh", "-c"]
    assert containers.node_route_commands("docker", "edgeconform-control-plane", ["172.18.0.7"], "172.18.0.5", True) \
        == [["docker", "exec", "edgeconform-control-plane", "ip", "route", "replace", "172.18.0.7/32", "via",
             "172.18.0.5"]]
    assert containers.node_route_commands("podman", "n", ["a"], "b", False)[0][:6] == \
        ["podman", "exec", "n", "ip", "route", "del"]


def test_cluster_config_has_no_port_mappings():
    """extraPortMappings would hide the client address behind the docker bridge gateway (peers.md)."""
    import yaml
    config = yaml.safe_load(Path(CONFIG).read_text())
    assert config["kind"] == "Cluster" and all("extraPortMappings" not in node for node in config["nodes"])
    assert "ingress-ready=true" in config["nodes"][0]["kubeadmConfigPatches"][0]
    assert len(cluster.config_sha256()) == 64


def test_the_helm_and_kind_found_are_the_ones_run():
    from edgeconform.targets.kind.tools import Toolbox
    tools = Toolbox("docker", "/opt/kind/bin/kind", "/opt/helm/bin/helm")
    assert tools.command(["helm", "upgrade", "--install", "x"]) == ["/opt/helm/bin/helm", "upgrade", "--install", "x"]
    assert tools.command(["kind", "get", "clusters"])[0] == "/opt/kind/bin/kind"
    assert tools.command(["docker", "ps"]) == ["docker", "ps"]
