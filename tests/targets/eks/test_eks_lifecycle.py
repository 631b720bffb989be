"""The eks target's waits and cleanup, against the FAKE Kubernetes API (fake_kube.py, next to this file).

No API server and no AWS account can be reached here, so the cluster is the one allowed fake; everything else
is real (the plan, the ledger, the waits and their timeouts, signal handling). The load balancer never answers
in these tests (the fake resolver points at a closed loopback port) unless a test says otherwise: the ready
path through real proxies is test_eks_local_edge.py.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from edgeconform import catalog
from edgeconform.kube import manifests
from edgeconform.targets import BuildFailed, TargetUnavailable
from edgeconform.targets.eks import settings as eks_settings
from edgeconform.targets.eks.deploy import LEDGER, Deployment
from edgeconform.targets.eks.plan import RUN_LABEL
from edgeconform.targets.eks.target import EksTarget
from edgeconform.targets.eks.timeouts import Profile

from fake_kube import ALB_CLASS, World, api_error, emissary_pod, fake_cluster, node, pod, warning

TOPOLOGIES = catalog.load()
NGINX = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
CLOSED = "127.0.0.1"  # nothing listens on 127.0.0.1:80/443 here: "the load balancer does not answer yet"
# The waits a test passes through are generous; lb-targets, which most tests wait out (the load balancer never
# answers here), is short.
FAST = {"echo-ready": 1, "lb-provision": 1, "lb-dns": 1, "lb-targets": 0.1, "lb-delete": 1, "namespace-delete": 1}
USER_MODULE = {"apiVersion": "getambassador.io/v3alpha1", "kind": "Module",
               "metadata": {"name": "ambassador", "namespace": "emissary", "resourceVersion": "7",
                            "labels": {"team": "edge"}},
               "spec": {"config": {"use_remote_address": False, "xff_num_trusted_hops": 2}}}


@pytest.fixture
def world() -> World:
    w = World()
    w.seed(emissary_pod())
    w.seed(pod("nginx-0", "ingress-nginx", NGINX, "10.1.2.4"))
    w.seed(node("node-a", "10.0.1.10", "54.1.2.3"))
    w.seed(ALB_CLASS)  # the AWS Load Balancer Controller's chart installs it
    return w


def settings(**extra) -> eks_settings.EksSettings:
    extra.setdefault("timeout", [f"{k}={v}" for k, v in FAST.items()])
    return eks_settings.load(None, kubeconfig="/fake/kubeconfig", client_ip="198.51.100.7", **extra)


def target(world: World, **extra) -> EksTarget:
    said: list[str] = []
    t = EksTarget(settings(**extra), connect=lambda s: fake_cluster(world), resolver=lambda host: [CLOSED],
                  connector=lambda ip, port, timeout: "refused", interval=0.01, say=said.append)
    t.said = said  # type: ignore[attr-defined]
    return t


def leftovers(world: World) -> list[tuple]:
    """Everything in the fake cluster that the tests did not seed."""
    return sorted(k for k in world.objects if k[0] not in ("Node", "Event", "IngressClass")
                  and not (k[0] == "Pod" and k[1] != "edgeconform"))


def test_a_target_that_never_gets_ready_fails_that_topology_and_leaves_nothing(world):
    t = target(world)
    with pytest.raises(BuildFailed) as failed:
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    message = str(failed.value)
    assert "lb-targets timeout (0.1 s, profile aws; raise it with --eks-timeout lb-targets=SECONDS or " \
           "EDGECONFORM_EKS_LB_TARGETS_TIMEOUT)" in message
    assert "connection refused" in message and "pods and events in emissary" in message
    assert "kind: Service" in message  # the load balancer object, for the reader
    # the topology's objects are gone, its load balancer deleting (the session's end waits for every one); the
    # session's namespace stays until the session ends
    assert {k[0] for k in leftovers(world)} <= {"Namespace", "ConfigMap", "Deployment", "Service", "Pod"}
    assert [k for k in world.objects if k[1] == "emissary" and k[0] != "Pod"] == [
        ("Service", "emissary", "edgeconform-nlb-proxy-v2")]
    assert world.objects[("Service", "emissary", "edgeconform-nlb-proxy-v2")]["metadata"]["deletionTimestamp"]
    t.close()
    assert leftovers(world) == []
    deletes = [c for c in world.calls if c[0] == "delete"]
    assert ("delete", "Namespace", None, "edgeconform") in deletes


def test_lb_provision_timeout_names_the_timeout_and_the_last_warning(world):
    world.provision_after = None
    world.seed(warning("emissary", "Service", "edgeconform-nlb-proxy-v2", "FailedDeployModel",
                       "AccessDenied: not authorized to perform elasticloadbalancing:CreateLoadBalancer"))
    t = target(world, timeout=[f"{k}={v}" for k, v in {**FAST, "lb-provision": 0.3}.items()])  # waited out
    with pytest.raises(BuildFailed, match=r"lb-provision timeout \(0.3 s, profile aws; raise it with --eks-timeout "
                                          r"lb-provision=SECONDS or EDGECONFORM_EKS_LB_PROVISION_TIMEOUT\); last seen: "
                                          r"no load balancer yet; last warning FailedDeployModel: AccessDenied"):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    t.close()
    assert leftovers(world) == []


def test_a_failed_build_model_ends_the_wait_at_once(world):
    world.provision_after = None
    world.seed(warning("emissary", "Service", "edgeconform-nlb-proxy-v2", "FailedBuildModel",
                       "Failed build model due to unable to resolve at least one subnet"))
    t = target(world, timeout=[f"{k}={v}" for k, v in {**FAST, "lb-provision": 30}.items()])
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="cannot be built: FailedBuildModel: Failed build model due to unable"):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert time.monotonic() - started < 10
    t.close()


def test_ctrl_c_while_waiting_for_the_load_balancer_removes_everything(world):
    world.interrupt_on = ("get", "Event")  # inside the lb-provision wait
    world.provision_after = None
    t = target(world)
    with pytest.raises(KeyboardInterrupt):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert not [k for k in world.objects if k[1] == "emissary" and k[0] != "Pod"]
    t.close()
    assert leftovers(world) == []


def test_a_second_ctrl_c_does_not_stop_the_cleanup(world):
    t = target(world)
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    original = world._hook

    def ctrl_c_on_delete(verb, kind, namespace, name):  # the user presses Ctrl-C again while we clean up
        if verb == "delete":
            os.kill(os.getpid(), signal.SIGINT)
        original(verb, kind, namespace, name)
    world._hook = ctrl_c_on_delete
    t.close()
    assert leftovers(world) == []
    assert any("Ctrl-C ignored until it is done" in line for line in t.said)


def test_objects_that_existed_before_are_put_back_not_deleted(world):
    world.seed(USER_MODULE)
    t = target(world)
    plan_seen = {}
    original = world._hook

    def watch(verb, kind, namespace, name):
        if verb == "apply" and kind == "Module":
            plan_seen["module"] = True
        original(verb, kind, namespace, name)
    world._hook = watch
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert plan_seen["module"]
    module = world.objects[("Module", "emissary", "ambassador")]
    assert module["spec"] == USER_MODULE["spec"] and module["metadata"]["labels"] == {"team": "edge"}
    t.close()


def test_the_run_label_never_lands_on_someone_elses_object(world):
    world.seed(USER_MODULE)
    during = {}
    original = world._hook

    def look(verb, kind, namespace, name):  # the last Pod listing is the edge's roles, after everything is applied
        if (verb, kind) == ("list", "Pod"):
            during.update({key: dict(obj["metadata"].get("labels") or {}) for key, obj in world.objects.items()})
        original(verb, kind, namespace, name)
    world._hook = look
    t = target(world)
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert RUN_LABEL not in during[("Module", "emissary", "ambassador")]  # changed, but not ours to sweep
    assert during[("Listener", "emissary", "edgeconform-https")][RUN_LABEL] == t.run_id
    assert during[("Service", "emissary", "edgeconform-nlb-proxy-v2")][RUN_LABEL] == t.run_id
    t.close()


def test_keep_leaves_everything_and_cleanup_finishes_the_job_from_the_ledger(world):
    world.seed(USER_MODULE)
    t = target(world, keep=True)
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    t.close()
    assert ("Service", "emissary", "edgeconform-nlb-proxy-v2") in world.objects
    assert ("ConfigMap", "edgeconform", LEDGER) in world.objects
    assert world.objects[("Module", "emissary", "ambassador")]["spec"]["config"] == {
        "use_remote_address": True, "diagnostics": {"enabled": False}}
    assert any("--keep: leaving" in line and "edgeconform cleanup --target eks" in line for line in t.said)
    # a later `edgeconform cleanup`: a new process that only has the cluster
    later = Deployment.resume(fake_cluster(world), Profile(FAST), interval=0.01, say=lambda m: None)
    assert later.run_id == t.run_id and len(later.entries) > 5
    assert later.undo(None) == []
    assert leftovers(world) == [("Module", "emissary", "ambassador")]  # the user's, put back
    assert world.objects[("Module", "emissary", "ambassador")]["spec"] == USER_MODULE["spec"]


def test_an_existing_namespace_is_a_lock_held_by_another_run(world):
    world.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": manifests.NAMESPACE, "labels": {RUN_LABEL: "1a2b3c4d"}, "creationTimestamp": "2026-11-26T01:00:00Z"}})
    t = target(world)
    with pytest.raises(BuildFailed, match=r"namespace edgeconform already exists \(created 2026-11-26T01:00:00Z, "
                                          r"edgeconform run 1a2b3c4d\).*edgeconform cleanup --target eks"):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    with pytest.raises(BuildFailed, match="could not be prepared earlier in this session"):
        t.build(TOPOLOGIES["nlb-ip"])
    t.close()
    assert ("Namespace", None, "edgeconform") in world.objects  # not ours: untouched


def test_no_controller_no_run(world):
    del world.objects[("Pod", "emissary", "emissary-0")]
    t = target(world)
    with pytest.raises(BuildFailed, match="emissary is not running in namespace emissary .*does not install one"):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert not [c for c in world.calls if c[0] in ("apply", "create")]
    t.close()


def test_a_classic_elb_is_refused_when_the_lbc_webhook_would_make_it_an_nlb(world):
    world.webhook_class = "service.k8s.aws/nlb"
    t = target(world)
    with pytest.raises(BuildFailed, match=r"would get loadBalancerClass service.k8s.aws/nlb .*"
                                          r"enableServiceMutatorWebhook=false \(nothing was created\)"):
        t.build(TOPOLOGIES["clb-tcp"])
    assert ("dry-run", "Service", "emissary", "edgeconform-clb-tcp") in world.calls
    assert not [c for c in world.calls if c[0] == "apply" and c[1] == "Service" and c[2] == "emissary"]
    t.close()
    assert leftovers(world) == []


def test_the_load_balancer_is_waited_for_until_its_controller_deleted_it(world):
    world.finalize_after = 3
    t = target(world)
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    t.close()  # the session's end waits for every load balancer being deleted
    reads = [c for c in world.calls if c[:2] == ("get", "Service") and c[3] == "edgeconform-nlb-proxy-v2"]
    assert len(reads) >= 3
    assert ("Service", "emissary", "edgeconform-nlb-proxy-v2") not in world.objects
    assert t.problems == []


def test_a_load_balancer_that_outlives_the_delete_timeout_is_reported_with_where_to_look(world):
    world.finalize_after = 10**6
    t = target(world, timeout=[f"{k}={v}" for k, v in {**FAST, "lb-delete": 0.2}.items()])
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    problems = t.deployment.wait_deleted()
    assert any("lb-delete timeout" in p and "service.k8s.aws/stack" in p for p in problems), problems
    assert [e.name for e in t.deployment.entries if e.deleting] == ["edgeconform-nlb-proxy-v2"]  # still in the ledger
    world.finalize_after = 0
    world.doomed.clear()
    t.close()


def test_an_undo_that_fails_stays_in_the_ledger_for_cleanup(world):
    world.fail_on[("delete", "Listener")] = api_error(403, "listeners.getambassador.io is forbidden")
    t = target(world)
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert any("Listener emissary/edgeconform-http: listeners.getambassador.io is forbidden" in p for p in t.problems)
    assert [e.name for e in t.deployment.entries if e.kind == "Listener"] == ["edgeconform-http", "edgeconform-https"]
    ledger = json.loads(world.objects[("ConfigMap", "edgeconform", LEDGER)]["data"]["entries"])
    names = {e["name"]: e for e in ledger}
    assert "edgeconform-http" in names and names["edgeconform-nlb-proxy-v2"]["deleting"]  # deleting, not gone yet
    world.fail_on.clear()
    t.close()  # its work folder too


def test_a_load_balancer_whose_delete_failed_is_not_waited_for(world):
    world.fail_on[("delete", "Service")] = api_error(403, "services is forbidden")
    t = target(world, timeout=[f"{k}={v}" for k, v in {**FAST, "lb-delete": 30}.items()])
    started = time.monotonic()
    with pytest.raises(BuildFailed):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    assert time.monotonic() - started < 10  # nothing is deleting it: waiting out lb-delete would be pointless
    assert any("Service emissary/edgeconform-nlb-proxy-v2: services is forbidden" in p for p in t.problems)
    assert not any("lb-delete timeout" in p for p in t.problems)
    world.fail_on.clear()
    t.close()


def test_missing_certificate_arns_skip_before_touching_the_cluster(world):
    t = target(world)
    with pytest.raises(TargetUnavailable, match="needs ACM certificate ARNs for default.edgeconform.test, "
                                                "app.edgeconform.test, api.edgeconform.test: pass --acm-cert"):
        t.build(TOPOLOGIES["alb"])
    assert world.calls == []
    t.close()


def test_edge_url_mode_deploys_nothing(world):
    t = EksTarget(eks_settings.load(None, edge_url=["nlb-ip=https://lb.example"], timeout=["lb-targets=0.2"]),
                  connect=lambda s: fake_cluster(world), resolver=lambda host: [CLOSED], interval=0.01)
    with pytest.raises(TargetUnavailable, match="edge-url mode deploys nothing, and no --edge-url names nlb-proxy-v2"):
        t.build(TOPOLOGIES["nlb-proxy-v2"])
    with pytest.raises(BuildFailed, match=r"the existing edge https://lb.example \(claimed to be nlb-ip\) is not "
                                          r"answering: .*lb-targets timeout"):
        t.build(TOPOLOGIES["nlb-ip"])
    assert world.calls == []
    with pytest.raises(TargetUnavailable, match="needs --kubeconfig"):
        t.node_port_bypass(None)
    t.close()


def test_cleanup_without_a_ledger_sweeps_by_the_run_label(world):
    """A run killed before its ledger was written: the namespace's run label still finds what it created."""
    run = {RUN_LABEL: "deadbeef", "app.kubernetes.io/managed-by": "edgeconform"}
    world.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": manifests.NAMESPACE, "labels": run}})
    world.seed({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "edgeconform-nlb-ip", "namespace": "emissary",
                                                                     "labels": run}, "spec": {"type": "LoadBalancer"}})
    world.seed({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "theirs", "namespace": "emissary",
                                                                     "labels": {RUN_LABEL: "other"}}, "spec": {}})
    later = Deployment.resume(fake_cluster(world), Profile(FAST), interval=0.01, say=lambda m: None)
    assert later.run_id == "deadbeef"
    assert later.undo(None) == []
    assert leftovers(world) == [("Service", "emissary", "theirs")]
