"""A controller plug-in that runs in a cluster (as Envoy Gateway's and Traefik's will) plugs into the eks target
without changes to it: installed the way another package would install it (tests/conftest.py installed_controller),
it is accepted as --controller, planned in every mode (its own resources from its ``translate``, the load balancer
in its namespace in front of its pods and ports), swept by its kinds, and checked for node ports in its namespace.
Its resources may be Gateway API objects of its own (Envoy Gateway's are): they sit beside lbc-gateway's, and a
name both would use is refused with both named."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.cli import main
from edgeconform.targets.eks import plan as eks_plan, settings as eks_settings
from edgeconform.targets.eks.deploy import sweep_scope
from edgeconform.targets.eks.target import EksTarget

from fake_kube import World, fake_cluster, node, pod, seed_mode

TOPOLOGIES = catalog.load()
PLUGIN = """
from edgeconform.controllers.base import Controller, ControllerPlan
from edgeconform.kube import manifests


class GatewayStyle(Controller):
    '''A controller configured through Gateway API objects of its own class, in its own namespace.'''

    name = "gateway-style"
    title = "a Gateway API controller (test plug-in)"
    runs_on = ("cluster",)
    resource_kinds = (("gateway.networking.k8s.io/v1", "Gateway"), ("gateway.networking.k8s.io/v1", "HTTPRoute"))
    namespace = "gw-system"
    pod_selector = {"app": "gw-proxy"}
    container_ports = {"http": 10080, "https": 10443, "redirect": 10081}

    def translate(self, t, facts):
        used = t.controller_kinds
        name = CLASH if CLASH else "gateway-style-edge"
        gateway = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": KIND,
                   "metadata": {"name": name, "namespace": self.namespace, "labels": manifests.labels(t.name)},
                   "spec": {"gatewayClassName": "gateway-style",
                            "listeners": [{"name": k, "protocol": "HTTP", "port": self.container_ports[k]}
                                          for k in used]}}
        return ControllerPlan(self.name, [gateway], {k: self.container_ports[k] for k in used}, {"listeners": used})


CLASH = None
KIND = "Gateway"
"""


@pytest.fixture
def plugin(installed_controller):
    installed_controller("gateway_style_controller", PLUGIN, "gateway-style", "GatewayStyle")
    import gateway_style_controller
    yield gateway_style_controller
    gateway_style_controller.CLASH, gateway_style_controller.KIND = None, "Gateway"


def settings(**extra) -> eks_settings.EksSettings:
    return eks_settings.load(None, controller="gateway-style", client_ip="203.0.113.7", **extra)


@pytest.mark.parametrize("mode", ["lbc-annotations", "lbc-gateway", "auto-mode"])
def test_a_new_cluster_controller_is_planned_in_every_mode(plugin, mode):
    with tempfile.TemporaryDirectory() as workdir:
        p = eks_plan.build(TOPOLOGIES["nlb-proxy-v2"], settings(), "x", Path(workdir), mode)
    assert [(o["kind"], o["metadata"]["name"]) for o in p.controller_objects] == [("Gateway", "gateway-style-edge")]
    svc = next(o for o in p.lb_objects if o["kind"] == "Service")
    assert svc["metadata"]["namespace"] == "gw-system" and svc["spec"]["selector"] == {"app": "gw-proxy"}
    assert {port["targetPort"] for port in svc["spec"]["ports"]} == {10080, 10443}
    assert {o["metadata"].get("namespace") for o in p.lb_objects} <= {"gw-system", None}


def test_the_cli_takes_it_and_the_sweep_covers_it(plugin, capsys):
    assert main(["plan", "--target", "eks", "--controller", "gateway-style", "--topology", "nlb-ip", "--eks-mode",
                 "lbc-gateway", "--run-id", "x"]) == 0
    assert "controller gateway-style" in capsys.readouterr().out.splitlines()[0]
    namespaces, kinds = sweep_scope()
    assert "gw-system" in namespaces and ("gateway.networking.k8s.io/v1", "Gateway") in kinds


def test_a_name_both_it_and_the_load_balancer_would_use_is_refused(plugin):
    plugin.CLASH, plugin.KIND = "edgeconform-nlb-ip", "Service"
    with tempfile.TemporaryDirectory() as workdir, pytest.raises(
            ValueError, match=r"the gateway-style controller's resources for nlb-ip and the lbc-gateway load balancer "
                              r"both name Service gw-system/edgeconform-nlb-ip: rename one of them"):
        eks_plan.build(TOPOLOGIES["nlb-ip"], settings(), "x", Path(workdir), "lbc-gateway")


def test_the_target_provisions_in_front_of_it_and_checks_its_node_ports(plugin):
    world = World()
    world.seed(pod("gw-proxy-0", "gw-system", {"app": "gw-proxy"}, "10.1.2.5"))
    world.seed(node("node-a", "10.0.1.10", "54.1.2.3"))
    seed_mode(world, "lbc-gateway")
    s = eks_settings.load(None, kubeconfig="/fake/kubeconfig", controller="gateway-style", client_ip="198.51.100.7",
                          mode="lbc-gateway", timeout=["lb-provision=2", "lb-dns=2", "echo-ready=1", "lb-delete=2"])
    t = EksTarget(s, connect=lambda _: fake_cluster(world), resolver=lambda host: ["127.0.0.1"],
                  connector=lambda ip, port, timeout: None, interval=0.01, say=lambda message: None)
    try:
        t.will_build([TOPOLOGIES["nlb-instance-local"]])
        t.provision([TOPOLOGIES["nlb-instance-local"]])
        assert "nlb-instance-local" in t.prepared
        assert ("Gateway", "gw-system", "edgeconform-nlb-instance-local") in world.objects

        class Edge:
            topology = TOPOLOGIES["nlb-instance-local"]
        report = t.node_port_bypass(Edge())
        assert {np.service for np in report.node_ports} == {"gw-system/edgeconform-nlb-instance-local"}
    finally:
        t.close()
    assert not [k for k in world.objects if k[1] == "gw-system" and k[0] != "Pod"]
