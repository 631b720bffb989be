"""Every load balancer of a run at once, against the FAKE Kubernetes API (fake_kube.py) with simulated
provisioning, DNS and deletion times.

The shared wait loop runs on a simulated clock here (no real waiting, so nothing depends on this machine's speed):
nine load balancers that each take 2 s to provision and 1 s to appear in DNS are all ready at 3 s of simulated
time, each with its own phase times. Through the target: everything is applied before anything is waited for,
a topology that fails does not stop the others, Ctrl-C removes every load balancer, deletions overlap, the
node-port bypass check looks at the topology's own Service in every mode. The wall-clock figure is the
benchmark's (benchmarks/bench_eks_provision.py), not a test's.
"""

from __future__ import annotations

import pytest

from edgeconform import catalog
from edgeconform.targets import BuildFailed
from edgeconform.targets.eks import settings as eks_settings
from edgeconform.targets.eks.modes import LoadBalancerRef
from edgeconform.targets.eks.provision import Pending, Readiness, wait_together
from edgeconform.targets.eks.target import EksTarget
from edgeconform.targets.eks.timeouts import Profile

from fake_kube import EMISSARY, World, emissary_pod, fake_cluster, node, seed_mode, warning

TOPOLOGIES = catalog.load()
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-00000000000{}"
CERTS = ["default.edgeconform.test", "app.edgeconform.test", "api.edgeconform.test"]
FAST = ["echo-ready=1", "lb-provision=2", "lb-dns=2", "lb-targets=0.3", "lb-delete=2", "namespace-delete=1"]
BUILDABLE = {"lbc-annotations": ["nlb-instance-local", "nlb-ip", "nlb-proxy-v2", "alb"],
             "lbc-gateway": ["nlb-instance-local", "nlb-ip", "nlb-proxy-v2", "alb"],
             "auto-mode": ["nlb-instance-local", "nlb-ip", "nlb-proxy-v2", "alb"]}


class SimulatedClock:
    """Time that passes only when the loop sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


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
    s = eks_settings.load(None, kubeconfig="/fake/kubeconfig", client_ip="198.51.100.7", timeout=FAST,
                          acm_cert=[f"{n}={ARN.format(i)}" for i, n in enumerate(CERTS)], **extra)
    t = EksTarget(s, connect=lambda _: fake_cluster(world), resolver=lambda host: ["127.0.0.1"],
                  connector=lambda ip, port, timeout: None, interval=0.01, say=lambda message: None)
    OPEN.append(t)
    return t


def lb_service(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "emissary"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}


# --- the loop, on simulated time --------------------------------------------------------------------------------
def test_nine_load_balancers_are_ready_in_the_time_of_one(world):
    clock = SimulatedClock()
    world.clock, world.provision_seconds = clock, 2.0
    names = [f"edgeconform-lb{i}" for i in range(9)]
    for name in names:
        world.seed(lb_service(name))
        world.created[("Service", "emissary", name)] = 0.0

    def resolver(hostname: str) -> list[str]:  # a new name appears in DNS 1 s after the load balancer
        name = hostname.split(".")[0]
        if clock.now < 2.0 + 1.0:
            raise OSError(f"{name}: NXDOMAIN")
        return ["192.0.2.10"]
    world.hostname = "{name}.elb.fake"
    pending = [Pending(LoadBalancerRef("v1", "Service", "emissary", name), Readiness(name)) for name in names]
    wait_together(fake_cluster(world), pending, Profile({"lb-provision": 60, "lb-dns": 60}), 0.1, resolver,
                  clock=clock, sleep=clock.sleep)
    assert all(p.phase == "ready" and p.failure is None for p in pending)
    assert clock.now == pytest.approx(3.0, abs=0.25)  # the slowest one, not 9 x 3 s
    for p in pending:  # each keeps its own time to ready, by phase
        assert p.readiness.phases["lb-provision"] == pytest.approx(2.0, abs=0.25)
        assert p.readiness.phases["lb-dns"] == pytest.approx(1.0, abs=0.25)
        assert p.readiness.hostname == f"{p.ref.name}.elb.fake" and p.readiness.addresses == ["192.0.2.10"]


def test_in_the_loop_one_load_balancer_failing_or_timing_out_leaves_the_others_alone(world):
    clock = SimulatedClock()
    world.clock = clock
    world.provision_seconds = {"fast": 1.0, "slow": 5.0, "never": None, "broken": None}
    for name in ("fast", "slow", "never", "broken"):
        world.seed(lb_service(name))
        world.created[("Service", "emissary", name)] = 0.0
    world.seed(warning("emissary", "Service", "broken", "FailedBuildModel", "unable to resolve at least one subnet"))
    pending = {name: Pending(LoadBalancerRef("v1", "Service", "emissary", name), Readiness(name))
               for name in ("fast", "slow", "never", "broken")}
    wait_together(fake_cluster(world), list(pending.values()), Profile({"lb-provision": 10, "lb-dns": 10}), 0.5,
                  lambda host: ["192.0.2.10"], clock=clock, sleep=clock.sleep)
    assert pending["fast"].phase == pending["slow"].phase == "ready"
    assert pending["slow"].readiness.phases["lb-provision"] == pytest.approx(5.0, abs=0.6)
    assert "cannot be built: FailedBuildModel: unable to resolve at least one subnet" in pending["broken"].failure
    assert "lb-provision timeout (10 s, profile aws" in pending["never"].failure
    assert pending["never"].failure.endswith("last seen: no load balancer in Service emissary/never's status yet")
    assert clock.now == pytest.approx(10.5, abs=0.6)  # the loop ends when the last one has an answer


# --- through the target -----------------------------------------------------------------------------------------
def run_provision(t: EksTarget, names: list[str]) -> None:
    topologies = [TOPOLOGIES[name] for name in names]
    t.will_build(topologies)
    t.provision(topologies)


def test_every_load_balancer_is_applied_before_any_is_waited_for(world):
    seed_mode(world, "lbc-annotations")
    t = target(world)
    names = BUILDABLE["lbc-annotations"]
    run_provision(t, names)
    assert sorted(t.prepared) == sorted(names) and not t.failures
    refs = {(p.plan.load_balancer.kind, p.plan.load_balancer.name) for p in t.prepared.values()}
    applies = [i for i, c in enumerate(world.calls) if c[0] == "apply" and (c[1], c[3]) in refs]
    waits = [i for i, c in enumerate(world.calls) if c[:2] == ("get", "Event")]  # only the wait loop reads events
    assert len(applies) == len(names) and max(applies) < min(waits)
    # the controller's settings wait for each topology's turn: none applied yet
    assert not [c for c in world.calls if c[0] == "apply" and c[1] in ("Listener", "Host", "Mapping", "Module")]
    (count, wall, total), = t.provisioned_in
    assert count == len(names)
    for name in names:
        assert set(t.prepared[name].readiness.phases) == {"apply", "lb-provision", "lb-dns"}
    t.close()
    assert [k for k in world.objects if k[1] in ("emissary", "edgeconform") and k[0] != "Pod"] == []


def test_a_topology_that_fails_does_not_stop_the_others_and_its_build_says_why(world):
    seed_mode(world, "lbc-annotations")
    world.seed(warning("emissary", "Service", "edgeconform-nlb-ip", "FailedBuildModel", "no subnets found"))
    t = target(world)
    run_provision(t, ["nlb-ip", "nlb-proxy-v2"])
    assert list(t.prepared) == ["nlb-proxy-v2"]
    with pytest.raises(BuildFailed, match=r"building nlb-ip on eks \(run \w+, mode lbc-annotations, emissary\) failed: "
                                          r"the load balancer for Service emissary/edgeconform-nlb-ip cannot be built: "
                                          r"FailedBuildModel: no subnets found"):
        t.build(TOPOLOGIES["nlb-ip"])
    svc = world.objects.get(("Service", "emissary", "edgeconform-nlb-ip"))
    assert svc is None or svc["metadata"].get("deletionTimestamp")  # removed at once, not at the session's end
    t.close()
    assert ("Service", "emissary", "edgeconform-nlb-proxy-v2") not in world.objects


def test_ctrl_c_during_the_shared_wait_removes_every_load_balancer(world):
    seed_mode(world, "lbc-gateway")
    world.provision_after = None
    world.interrupt_on = ("get", "Event")  # inside the loop
    t = target(world, mode="lbc-gateway")
    with pytest.raises(KeyboardInterrupt):
        run_provision(t, ["nlb-ip", "alb", "nlb-proxy-v2"])
    assert not [k for k in world.objects if k[1] == "emissary" and k[0] != "Pod"]
    assert t.prepared == {}
    t.close()
    assert [k for k in world.objects if k[0] not in ("Node", "Pod", "CustomResourceDefinition", "Deployment",
                                                     "IngressClass")] == []


def test_deletions_overlap_and_the_ledger_keeps_them_until_gone(world):
    seed_mode(world, "auto-mode")
    world.finalize_after = 4
    t = target(world)
    run_provision(t, ["nlb-ip", "nlb-proxy-v2", "alb"])
    for name in ["nlb-ip", "nlb-proxy-v2", "alb"]:  # each edge's close starts its deletion and goes on
        t._undo(name)
    deleting = [e.name for e in t.deployment.entries if e.deleting]
    assert sorted(deleting) == ["edgeconform-alb", "edgeconform-nlb-ip", "edgeconform-nlb-proxy-v2"]
    first_wait = len(world.calls)
    t.close()  # one loop over the three
    gets = [c for c in world.calls[first_wait:] if c[0] == "get" and c[3] in set(deleting)]
    rounds = [gets[i:i + 3] for i in range(0, 9, 3)]
    assert all(sorted(c[3] for c in r) == sorted(deleting) for r in rounds), gets[:9]  # asked in turn, not one by one
    assert t.deleted_in is not None and t.problems == []
    assert [k for k in world.objects if k[1] in ("emissary", "edgeconform") and k[0] != "Pod"] == []


class _EdgeOf:
    def __init__(self, name: str):
        self.topology = TOPOLOGIES[name]


@pytest.mark.parametrize("mode", ["lbc-annotations", "lbc-gateway", "auto-mode"])
def test_the_node_port_bypass_check_sees_the_topologys_own_service_in_every_mode(world, mode):
    """All load balancers are up at once, so the controller's namespace holds every topology's Service: each edge's
    check is about its own (and the controller's own Services), and finds an open NodePort in every mode."""
    seed_mode(world, mode)
    world.seed({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "emissary-ingress", "namespace": "emissary"},
                "spec": {"type": "ClusterIP", "selector": EMISSARY, "ports": [{"name": "http", "port": 80}]}})
    t = target(world, mode=mode)
    run_provision(t, ["nlb-instance-local", "nlb-ip"])
    local = t.node_port_bypass(_EdgeOf("nlb-instance-local"))
    assert {np.service for np in local.node_ports} == {"emissary/edgeconform-nlb-instance-local"}
    assert local.reachable and "54.1.2.3" in local.describe()  # the connector here accepts every connection
    ip_targets = t.node_port_bypass(_EdgeOf("nlb-ip"))
    assert ip_targets.node_ports == []  # no NodePorts for ip targets, and the other topology's are not its own
    t.close()
