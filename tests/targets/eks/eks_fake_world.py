"""A pytest plugin for the harness's own tests only (``-p tests.targets.eks.eks_fake_world``): the eks target of a
suite run gets the FAKE Kubernetes API (fake_kube.py, next to this file), and each load balancer's DNS name
resolves to a real local edge (edgeconform's stand-ins) built for that topology. Everything else in the run is
the real plugin: the eks target's spec and options, and the target class it loads, here a subclass of EksTarget
given the fake cluster, the resolver and a node-port connector that is always refused.

Environment:
    EKS_FAKE_DUMP     write what is left in the fake cluster (JSON) here when the run ends, after all cleanup
    EKS_FAKE_HANG     "1": load balancers never get a DNS name (a run to interrupt); the file named by
                      EKS_FAKE_SIGNAL is created when the first load balancer object was applied
    EKS_FAKE_MODE     lbc-annotations | lbc-gateway | auto-mode: the fake cluster shows that mode's signals
                      (fake_kube.seed_mode); default: only the AWS Load Balancer Controller's IngressClass alb
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edgeconform.plugin import STATE
from edgeconform.targets.eks import target as eks_target
from edgeconform.targets.local import LocalTarget

from .fake_kube import ALB_CLASS, World, emissary_pod, fake_cluster, node, seed_mode



@pytest.hookimpl(tryfirst=True)  # before edgeconform's plugin loads the target class and makes the session's target
def pytest_configure(config: pytest.Config) -> None:
    world = World(hostname="{name}.elb.fake")
    world.seed(emissary_pod())
    world.seed(node("node-a", "10.0.1.10"))
    if os.environ.get("EKS_FAKE_MODE"):
        seed_mode(world, os.environ["EKS_FAKE_MODE"])
    else:
        world.seed(ALB_CLASS)
    hang = os.environ.get("EKS_FAKE_HANG") == "1"
    if hang:
        world.provision_after = None
        signal_file = Path(os.environ["EKS_FAKE_SIGNAL"])
        original = world._hook

        def announce(verb, kind, namespace, name):
            if verb == "apply" and kind in ("Service", "Gateway") and namespace == "emissary":
                signal_file.write_text("applied")
            original(verb, kind, namespace, name)
        world._hook = announce
    seeded = set(world.objects)  # what the cluster had before the run
    local: dict[str, object] = {}
    dump = os.environ.get("EKS_FAKE_DUMP")

    def finish() -> None:  # registered first, so it runs after every other cleanup (the target's included)
        for edge in local.values():
            edge.close()
        if dump:
            left = [list(key) for key in world.objects if key not in seeded and key[0] != "Pod"]
            Path(dump).write_text(json.dumps({"left": left, "calls": len(world.calls)}))
    config.add_cleanup(finish)

    def resolver(hostname: str) -> list[str]:
        name = hostname.split(".")[0].removeprefix("edgeconform-")
        if name not in local:
            # loopback: the eks path connects from this machine, where only loopback is ours to reach; the
            # generic local controller stands in for the cluster's (the run binds the topology to emissary)
            t = config.stash[STATE].topologies[name]
            t = t.model_copy(update={"controller": t.controller.model_copy(update={"kind": None})})
            local[name] = LocalTarget(isolation="loopback").build(t)
        edge = local[name]
        return [(edge.endpoint("https") or edge.endpoint("http")).ip]

    class FakeWorldEksTarget(eks_target.EksTarget):
        """The eks target of this run: EksTarget.from_options makes it from the real options."""

        def __init__(self, settings, **kwargs):
            super().__init__(settings, connect=lambda s: fake_cluster(world), resolver=resolver,
                             connector=lambda ip, port, timeout: "refused", interval=0.05)

    # the eks TargetSpec loads "edgeconform.targets.eks.target:EksTarget" when the session's target is made
    eks_target.EksTarget = FakeWorldEksTarget  # type: ignore[misc]
