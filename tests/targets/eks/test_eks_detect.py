"""Which mode a cluster is in, and what a mode needs from it, read before anything is created (against the FAKE
Kubernetes API of fake_kube.py, with each mode's signals seeded as a real cluster shows them)."""

from __future__ import annotations

import pytest

from edgeconform import catalog
from edgeconform.targets import BuildFailed
from edgeconform.targets.eks import detect, settings as eks_settings
from edgeconform.targets.eks.target import EksTarget

from fake_kube import GATEWAY_CRDS, LBC_GATEWAY_CRDS, World, api_error, crd, emissary_pod, fake_cluster, \
    lbc_deployment, node, seed_mode

TOPOLOGIES = catalog.load()
FAST = ["echo-ready=1", "lb-provision=1", "lb-dns=1", "lb-targets=0.3", "lb-delete=1", "namespace-delete=1"]


OPEN: list[EksTarget] = []


@pytest.fixture(autouse=True)
def _closed():
    """A test that fails half-way still closes its targets (their work folders hold the test CA's keys)."""
    yield
    while OPEN:
        OPEN.pop().close()


@pytest.fixture
def world() -> World:
    w = World()
    w.seed(emissary_pod())
    w.seed(node("node-a", "10.0.1.10", "54.1.2.3"))
    return w


def target(world: World, **extra) -> EksTarget:
    said: list[str] = []
    s = eks_settings.load(None, kubeconfig="/fake/kubeconfig", client_ip="198.51.100.7", timeout=FAST, **extra)
    t = EksTarget(s, connect=lambda _: fake_cluster(world), resolver=lambda host: ["127.0.0.1"],
                  connector=lambda ip, port, timeout: "refused", interval=0.01, say=said.append)
    t.said = said  # type: ignore[attr-defined]
    OPEN.append(t)
    return t


def created(world: World) -> list[tuple]:
    return [c for c in world.calls if c[0] in ("apply", "create", "replace", "delete")]


def provision(t: EksTarget, *names: str) -> None:
    t.will_build([TOPOLOGIES[name] for name in names])
    t.provision([TOPOLOGIES[name] for name in names])


@pytest.mark.parametrize("mode", ["lbc-annotations", "lbc-gateway", "auto-mode"])
def test_each_modes_cluster_is_read_as_that_mode(world, mode):
    seed_mode(world, mode)
    found = detect.detect(fake_cluster(world), "emissary")
    # lbc-gateway clusters run the AWS Load Balancer Controller too: they read as lbc-annotations, with the
    # Gateway API available (--eks-mode lbc-gateway chooses it)
    assert found.mode == ("lbc-annotations" if mode == "lbc-gateway" else mode)
    assert detect.gateway_available(found) == (mode == "lbc-gateway")
    assert ("dry-run", "Service", "emissary", detect.PROBE) in world.calls
    assert not created(world)  # a dry run creates nothing


def test_an_auto_mode_cluster_builds_auto_modes_load_balancer(world):
    seed_mode(world, "auto-mode")
    t = target(world)
    provision(t, "nlb-proxy-v2")
    assert t.mode == "auto-mode" and "eks.amazonaws.com/nlb" in t.detection.why
    svc = world.objects[("Service", "emissary", "edgeconform-nlb-proxy-v2")]
    assert svc["spec"]["loadBalancerClass"] == "eks.amazonaws.com/nlb"
    attributes = svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"]
    assert "proxy_protocol_v2.enabled=true" in attributes
    assert "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol" not in svc["metadata"]["annotations"]
    assert "nlb-proxy-v2" in t.prepared
    t.close()
    assert [k for k in world.objects if k[0] not in ("Node", "Pod", "CustomResourceDefinition")] == []


def test_annotations_forced_on_an_auto_mode_cluster_are_refused_before_anything_is_created(world):
    """The silent failure the issue names: Auto Mode would take the Service and ignore what it does not support."""
    seed_mode(world, "auto-mode")
    t = target(world, mode="lbc-annotations")
    with pytest.raises(BuildFailed) as failed:
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    message = str(failed.value)
    assert "would get loadBalancerClass eks.amazonaws.com/nlb from EKS Auto Mode's webhook" in message
    assert ("it does not support service.beta.kubernetes.io/aws-load-balancer-proxy-protocol, "
            "service.beta.kubernetes.io/aws-load-balancer-type [EKS-AUTO-NLB]") in message
    assert "--eks-mode auto-mode" in message and "nothing was created" in message
    assert not created(world)
    t.close()


def test_the_lbc_webhooks_class_is_the_lbc_annotations_mode(world):
    seed_mode(world, "lbc-annotations")
    t = target(world)
    provision(t, "nlb-ip", "clb-tcp")
    assert t.mode == "lbc-annotations" and "nlb-ip" in t.prepared
    # the same webhook makes a Classic ELB an NLB: that topology is refused, nothing of it created
    assert "would get loadBalancerClass service.k8s.aws/nlb" in str(t.failures["clb-tcp"])
    assert ("Service", "emissary", "edgeconform-clb-tcp") not in world.objects
    assert any("also serves the Gateway API" in line for line in t.said) is False  # no Gateway API CRDs here
    t.close()


def test_gateway_mode_without_its_crds_is_refused_with_the_fix(world):
    world.seed(lbc_deployment("v3.5.0"))
    t = target(world, mode="lbc-gateway")
    with pytest.raises(BuildFailed, match=r"--eks-mode lbc-gateway cannot work on this cluster \(nothing was created\):"
                                          r" CRDs gatewayclasses.gateway.networking.k8s.io, .* are not installed: "
                                          r"install the Gateway API standard CRDs"):
        t.build(TOPOLOGIES["nlb-ip"])
    assert not created(world)
    t.close()


@pytest.mark.parametrize("version, args, ok", [
    ("v3.1.0", (), False),  # the Gateway API controllers are off by default before v3.2.0
    ("v3.1.0", ("--feature-gates=NLBGatewayAPI=true,ALBGatewayAPI=true",), True),
    ("v3.5.0", (), True),
    ("v3.5.0", ("--feature-gates=NLBGatewayAPI=false",), False),
])
def test_gateway_mode_needs_the_controllers_gateway_feature_gates(world, version, args, ok):
    for obj in [*GATEWAY_CRDS, *LBC_GATEWAY_CRDS]:
        world.seed(obj)
    world.seed(lbc_deployment(version, args))
    found = detect.detect(fake_cluster(world), "emissary")
    problems = detect.problems(found, "lbc-gateway", {"nlb"})
    assert (problems == []) == ok, problems
    if not ok:
        assert "NLBGatewayAPI" in problems[0] and "controllerConfig.featureGates NLBGatewayAPI=true" in problems[0]


def test_gateway_mode_needs_tcproute_at_v1(world):
    for obj in [*GATEWAY_CRDS, *LBC_GATEWAY_CRDS]:
        world.seed(obj)
    world.seed(crd("tcproutes.gateway.networking.k8s.io", ("v1alpha2",)))  # Gateway API before v1.6
    problems = detect.problems(detect.detect(fake_cluster(world), "emissary"), "lbc-gateway", {"nlb", "alb"})
    assert problems and "tcproutes.gateway.networking.k8s.io do not serve v1" in problems[0]
    assert detect.problems(detect.detect(fake_cluster(world), "emissary"), "lbc-gateway", {"alb"}) == []


def test_a_controller_before_v3_5_gets_gateway_k8s_aws_v1beta1(world):
    seed_mode(world, "lbc-gateway")
    for plural in ("loadbalancerconfigurations", "targetgroupconfigurations"):
        world.seed(crd(f"{plural}.gateway.k8s.aws", ("v1beta1",)))
    t = target(world, mode="lbc-gateway")
    provision(t, "nlb-ip")
    assert world.objects[("LoadBalancerConfiguration", "emissary", "edgeconform-nlb-ip")]["apiVersion"] == \
        "gateway.k8s.aws/v1beta1"
    assert world.objects[("Gateway", "emissary", "edgeconform-nlb-ip")]["status"]["addresses"][0]["type"] == "Hostname"
    t.close()
    assert not [k for k in world.objects if k[0] in ("Gateway", "GatewayClass", "TCPRoute", "Service")]


def test_auto_mode_forced_on_a_cluster_without_it_is_refused(world):
    seed_mode(world, "lbc-annotations")
    t = target(world, mode="auto-mode")
    with pytest.raises(BuildFailed, match=r"--eks-mode auto-mode cannot work on this cluster \(nothing was created\): "
                                          r"this cluster shows no sign of EKS Auto Mode's load balancing \(dry-run "
                                          r"LoadBalancer Service got loadBalancerClass service.k8s.aws/nlb"):
        t.build(TOPOLOGIES["nlb-ip"])
    assert not created(world)
    t.close()


def test_a_cluster_that_tells_nothing_gets_the_default_and_says_so(world):
    t = target(world)
    provision(t, "nlb-ip")
    assert t.mode == "lbc-annotations"
    assert any("does not tell how it builds load balancers" in line for line in t.said)
    t.close()


def test_unreadable_signals_are_skipped_and_named(world):
    seed_mode(world, "auto-mode")
    world.fail_on[("get", "CustomResourceDefinition")] = api_error(403, "customresourcedefinitions is forbidden")
    found = detect.detect(fake_cluster(world), "emissary")
    assert found.mode == "auto-mode"  # the dry run alone tells
    assert found.crds is None and ("CRDs", "customresourcedefinitions is forbidden") in found.unread
