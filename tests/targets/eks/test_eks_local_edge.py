"""The eks target end to end, with the two things this machine cannot have replaced by stand-ins:

- the Kubernetes API: the FAKE of fake_kube.py, next to this file (its LoadBalancer Service gets a DNS name);
- the AWS load balancer: a real local edge (edgeconform's HAProxy/Envoy stand-ins, Envoy controller, echo),
  which the fake DNS name resolves to, on loopback.

So the eks target's own path runs for real: plan, apply (to the fake), the lb-provision / lb-dns / lb-targets
waits, the Edge with no client addresses to bind (source=None), the CA bundle, the client-IP ground truth
(explicit, and learned from an L7 edge's X-Forwarded-For), real probes and verdicts, and the cleanup. The
topologies are catalog ones with their listeners moved to 8080/8443, where the local stand-ins serve them.

One artefact of loopback: the probes cannot bind here (as on EKS), so they come from 127.0.0.1, and for a peer of
exactly 127.0.0.1 Envoy appends its own host address to X-Forwarded-For instead (Envoy's loopback rule for
use_remote_address). The local stand-ins and controller are Envoy, so that address is what the tests see where
X-Forwarded-For is involved; on EKS the runner's public address is no loopback address.
"""

from __future__ import annotations

import dataclasses

import pytest

from edgeconform import behaviours, catalog
from edgeconform.behaviours import client_ip
from edgeconform.probing.http import http_get
from edgeconform.targets.eks import settings as eks_settings
from edgeconform.targets.eks.target import EksTarget
from edgeconform.targets.local import LocalTarget, transparent_source_available
from edgeconform.verdicts import check_or_raise

from fake_kube import ALB_CLASS, World, emissary_pod, fake_cluster, node

pytestmark = pytest.mark.integration  # real local edges play the AWS load balancers

TOPOLOGIES = catalog.load()
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-00000000000{}"
FAST = ["echo-ready=2", "lb-provision=5", "lb-dns=5", "lb-targets=10", "lb-delete=5", "namespace-delete=5"]


def high_ports(name: str):
    t = TOPOLOGIES[name]
    listeners = [item.model_copy(update={"port": item.port + 8000}) for item in t.lb.listeners]
    return t.model_copy(update={"load_balancer": t.lb.model_copy(update={"listeners": listeners})})


@pytest.fixture
def world():
    w = World(hostname="k8s-emissary-edgecon-0123456789.elb.eu-west-1.amazonaws.com")
    w.seed(emissary_pod())
    w.seed(node("node-a", "10.0.1.10"))
    w.seed(ALB_CLASS)
    return w


def eks_target(world: World, local_edge, **options) -> EksTarget:
    lb_ip = (local_edge.endpoint("https") or local_edge.endpoint("http")).ip

    def resolver(hostname: str) -> list[str]:
        if hostname != world.hostname:
            raise OSError(f"fake DNS: no such name {hostname}")
        return [lb_ip]
    s = eks_settings.load(None, kubeconfig="/fake/kubeconfig", timeout=FAST, **options)
    # the loopback edge converges at once; the aws profile (3 in a row within 120 s) would only slow a failure
    return EksTarget(s, connect=lambda _: fake_cluster(world), resolver=resolver,
                     connector=lambda ip, port, timeout: "refused", interval=0.05, say=lambda message: None)


def quick(edge):
    edge.converge = dataclasses.replace(edge.converge, timeout=3.0, interval=0.1)
    return edge


@pytest.fixture
def local():
    built = []

    def build(t):
        edge = LocalTarget(isolation="loopback").build(t)  # reached from this machine, as the eks path is
        built.append(edge)
        return edge
    yield build
    for edge in built:
        edge.close()


def test_an_nlb_with_proxy_v2_measured_through_the_eks_path(world, local):
    t = high_ports("nlb-proxy-v2")
    stand_in = local(t)
    target = eks_target(world, stand_in, client_ip="127.0.0.1")
    edge = quick(target.build(t))
    try:
        assert edge.client_addresses == [None] and edge.endpoint("https").port == 8443
        assert set(target.ready["nlb-proxy-v2"].phases) == {"apply", "lb-provision", "lb-dns", "controller", "lb-targets"}
        assert target.ready["nlb-proxy-v2"].hostname == world.hostname
        # the cells' own probes, from edge.client_addresses[0] (None here)
        for behaviour, variant in [("sni", ""), ("websocket", "wss")]:
            verdict = check_or_raise(edge, behaviours.expectation(edge.topology, behaviour, variant))
            assert verdict.verdict == "pass", verdict.message
        # client IP: the controller took the runner's address from the PROXY v2 header, and the eks edge names it
        # the client by the --client-ip ground truth (the "via" classification reads X-Forwarded-For: see above)
        sample = client_ip.samples(edge, 3)[0]
        assert sample.source is None and sample.view.client == "127.0.0.1" and sample.view.peer != "127.0.0.1"
        assert edge.role_of(sample.view.client) == "client"
        report = target.node_port_bypass(edge)
        assert report.node_ports == [] and not report.reachable  # the fake Service has no node ports assigned
    finally:
        edge.close()
        target.close()
    assert sorted(k for k in world.objects if k[0] not in ("Node", "Pod", "IngressClass")) == []


def test_an_alb_teaches_the_runner_address_and_redirects_at_the_load_balancer(world, local):
    t = high_ports("alb")
    stand_in = local(t)
    target = eks_target(world, stand_in, scheme="internal",
                        acm_cert=[f"{name}={ARN.format(i)}" for i, name in enumerate(t.lb.certificates)])
    edge = quick(target.build(t))
    try:
        leftmost = http_get(edge, "https", edge.hostnames[0], "/").view.xff[0]
        assert target.truth.address == leftmost and "learned through alb" in target.truth.how
        # the suites' own probes (the cells'), source=edge.client_addresses[0] (None here) included
        for behaviour in ("client_ip", "redirect"):
            verdict = check_or_raise(edge, behaviours.expectation(edge.topology, behaviour))
            assert verdict.verdict == "pass", verdict.message
        annotations = world.objects[("Ingress", "emissary", "edgeconform-alb")]["metadata"]["annotations"]
        assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP":8080},{"HTTPS":8443}]'
    finally:
        edge.close()
        target.close()
    assert sorted(k for k in world.objects if k[0] not in ("Node", "Pod", "IngressClass")) == []


@pytest.mark.skipif(not transparent_source_available(), reason="the local NLB stand-in needs root for preservation")
def test_without_ground_truth_the_client_ip_check_cannot_pass(world, local):
    """nlb-instance-local with no --client-ip and no L7 edge: the runner's address is unknown, so the target says
    so, and the bare check does not mistake the observed address for the client's."""
    t = high_ports("nlb-instance-local")
    stand_in = local(t)
    target = eks_target(world, stand_in)
    edge = quick(target.build(t))
    try:
        assert "client-IP ground truth unknown" in target.client_ip_problem(edge)
        verdict = check_or_raise(edge, client_ip.rule(edge.topology), client_ip.probe)
        assert verdict.verdict == "fail" and "(unknown)" in verdict.message
    finally:
        edge.close()
        target.close()
