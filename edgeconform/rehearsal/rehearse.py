"""One rehearsal: the eks plans of some topologies applied to the rehearsal control plane, the real LBC's work
waited for, the AWS model it built read back from moto, and compared with each topology.

- The objects applied are the plan's (``edgeconform plan --target eks`` prints the same): the namespaces, the objects
  shared by the run (GatewayClasses) and each topology's load balancer (annotated Service / Ingress and its Service,
  or Gateway, routes, LoadBalancerConfiguration, TargetGroupConfiguration). Not the echo backend's Deployment or the
  ingress controller's own resources: nothing runs pods here, and the LBC reads neither.
- The pods and EndpointSlices behind the Services: edgeconform.rehearsal.workload.
- Done when every load balancer has its DNS name in its object's status and every target group the LBC made has its
  TargetGroupBinding reconciled (the targets are registered); a "Reconciler error" the LBC logs again for the object
  (its answer: an unparsable annotation fails every retry), a Warning event on the object (FailedBuildModel,
  FailedDeployModel) or a Gateway condition that is False ends that topology's wait at once, with the message. One
  Reconciler error the LBC then gets over (two reconciles racing to create one listener rule: PriorityInUse, seen
  once in some dozen Gateway rehearsals) is kept as a note of the result. All topologies are waited for together.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..targets.eks import plan as eks_plan
from ..targets.eks.modes import CannotBuild
from ..targets.eks.settings import EksSettings
from ..topology import Topology
from . import seed as seeding
from .compare import Difference, compare
from .components import RehearsalError
from .controlplane import ControlPlane
from .model import LoadBalancer, read_back, target_groups_of
from .workload import Workload

RECONCILE_TIMEOUT = 60.0  # seconds for the LBC to build every load balancer of one rehearsal
DELETE_TIMEOUT = 60.0
SCHEME = "internet-facing"
# EKS Auto Mode: the LBC reconciles Services of Auto Mode's class; Auto Mode's ALB (IngressClass controller
# eks.amazonaws.com/alb with eks.amazonaws.com/v1 IngressClassParams) is not the LBC's.
AUTO_MODE_CLASS = "eks.amazonaws.com/nlb"


@dataclass
class Result:
    """One topology's rehearsal."""

    topology: Topology
    mode: str
    skipped: str | None = None  # why it was not rehearsed (a Classic ELB, a refusal of the mode)
    error: str | None = None  # the LBC's reconciler error, an event, a timeout
    load_balancer: LoadBalancer | None = None
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0
    objects: list[dict[str, Any]] = field(default_factory=list)
    settings: list[Any] = field(default_factory=list)
    waiting: str = ""  # what the wait saw last (target groups without a reconciled binding)
    notes: list[str] = field(default_factory=list)  # a Reconciler error the LBC got over (logged once, then built)

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.error is None and not self.failures

    @property
    def failures(self) -> list[Difference]:
        return [d for d in self.differences if not d.documented]

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"{self.topology.name}: skipped: {self.skipped}"]
        if self.error:
            return [f"{self.topology.name}: the LBC did not build it: {self.error}"]
        lines = [d.line() for d in self.differences] + [f"{self.topology.name}: note: {n}" for n in self.notes]
        if not self.failures:
            lines.insert(0, f"{self.topology.name}: the AWS model agrees with the topology ({self.seconds:.1f} s)")
        return lines


def skip_reason(t: Topology, mode: str) -> str | None:
    from ..targets.eks.annotations import model_data

    built = model_data(t)
    if built["built_by"] != "lbc":
        return ("a Classic ELB is built by the legacy in-tree provider (cloud-provider-aws), not by the AWS Load "
                "Balancer Controller [CPA]: not rehearsed")
    if mode == "auto-mode" and built["object"] == "Ingress":
        return ("EKS Auto Mode's ALB comes from its IngressClass controller eks.amazonaws.com/alb with "
                "eks.amazonaws.com/v1 IngressClassParams, which the LBC does not read: not rehearsed")
    return None


class Rehearser:
    """Rehearses topologies (or the user's own manifests) on one running control plane."""

    def __init__(self, cp: ControlPlane, controller: str = "emissary", timeout: float = RECONCILE_TIMEOUT):
        self.cp, self.controller, self.timeout = cp, controller, timeout
        # one per control plane: the node's pod addresses are handed out once, whoever rehearses
        if getattr(cp, "workload", None) is None:
            cp.workload = Workload(cp)
        self.workload = cp.workload
        self.run_id = eks_plan.new_run_id()
        self._log_offset = 0
        self._applied_at = 0.0

    # --- topologies -------------------------------------------------------------------------------------------
    def plan(self, t: Topology, mode: str) -> tuple[Result, Any]:
        result = Result(t, mode)
        result.skipped = skip_reason(t, mode)
        if result.skipped:
            return result, None
        arns = seeding.certificate_arns(self.cp, list(t.lb.certificates))
        settings = EksSettings(controller=self.controller, mode=mode, scheme=SCHEME, certificates=arns,
                               trust_store=seeding.TRUST_STORE,
                               alb_ingress_class=seeding.ALB_INGRESS_CLASS, run_id=self.run_id)
        try:
            plan = eks_plan.build(t, settings, self.run_id, Path(self.cp.workdir), mode)
        except (CannotBuild, ValueError) as exc:
            result.skipped = f"the {mode} plan cannot build it: {exc}"
            return result, None
        result.settings = plan.lb.settings
        return result, plan

    def rehearse(self, topologies: list[Topology], mode: str, *, delete: bool = True) -> list[Result]:
        """Apply every topology's plan at once, wait for the LBC, read back, compare; then delete (and check that
        the LBC removed what it built)."""
        planned = [self.plan(t, mode) for t in topologies]
        live = [(result, plan) for result, plan in planned if plan is not None]
        started = time.monotonic()
        objects: list[dict[str, Any]] = []
        for result, plan in live:
            namespaces = {obj["metadata"]["name"] for obj in plan.session if obj["kind"] == "Namespace"}
            namespaces |= {obj["metadata"].get("namespace") for obj in plan.lb_objects} - {None}
            for name in sorted(namespaces):
                self.workload.ensure_namespace(name)
            result.objects = [*plan.shared, *plan.lb_objects]
            objects += [obj for obj in result.objects if obj not in objects]
        shared = [obj for obj in objects if any(obj in plan.shared for _, plan in live)]
        if shared:  # the GatewayClasses first: a Gateway of a class not accepted yet is a reconciler error
            self.apply(shared)
            self.wait_accepted(shared)
        self.apply([obj for obj in objects if obj not in shared])
        refs = {result.topology.name: plan.load_balancer for result, plan in live}
        self.wait([result for result, _ in live], refs, started)
        if delete:
            self.delete([obj for obj in objects if obj not in [o for _, p in live for o in p.shared]])
        return [result for result, _ in planned]

    # --- the user's own manifests ------------------------------------------------------------------------------
    def rehearse_manifests(self, manifests, expected: Topology, *, delete: bool = True) -> Result:
        """Apply the user's objects, wait for the LBC, compare what it built with ``expected``."""
        refs = manifests.edges()
        if len(refs) != 1:
            raise RehearsalError(f"{', '.join(manifests.paths)}: {len(refs)} objects ask for a load balancer "
                                 f"({', '.join(r.describe() for r in refs) or 'none'}); rehearse one at a time")
        result = Result(expected, "manifests", settings=manifests.settings())
        objects = manifests.for_control_plane(self.cp)
        for namespace in sorted({o["metadata"].get("namespace") for o in objects} - {None}):
            self.workload.ensure_namespace(namespace)
        started = time.monotonic()
        classes = [obj for obj in objects if obj["kind"] == "GatewayClass"]
        if classes:
            self.apply(classes)
            self.wait_accepted(classes)
        rest = [obj for obj in objects if obj["kind"] not in ("GatewayClass", "Namespace")]
        self.apply(rest)
        result.objects = objects
        self.wait([result], {expected.name: refs[0]}, started)
        if delete:
            self.delete(rest)
        return result

    def apply(self, objects: list[dict[str, Any]]) -> None:
        from ..kube.api import ClusterError

        self._log_offset = len(self.cp.lbc_log())
        self._applied_at = time.time()
        cluster = self.cluster()
        try:
            cluster.apply(objects)
        except ClusterError as exc:  # the API server (or the LBC's webhook) refused an object
            raise RehearsalError(f"the rehearsal control plane refused the plan: {exc}") from None
        self.workload.for_services([obj for obj in objects if obj["kind"] == "Service"])

    def cluster(self):
        from ..kube.api import Cluster

        if not hasattr(self, "_cluster"):
            path = Path(self.cp.workdir) / "harness.kubeconfig"
            kubeconfig = json.loads(json.dumps(_yaml_load(self.cp.pki.kubeconfig.read_text())))
            kubeconfig["clusters"][0]["cluster"]["server"] = self.cp.kube.configuration.host
            path.write_text(json.dumps(kubeconfig))
            self._cluster = Cluster(str(path))
        return self._cluster

    # --- waiting -----------------------------------------------------------------------------------------------
    def wait(self, results: list[Result], refs: dict[str, Any], started: float) -> None:
        pending = {result.topology.name: result for result in results}
        deadline = started + self.timeout
        cluster = self.cluster()
        elbv2 = self.cp.aws("elbv2")
        while pending:
            self.cp.check()
            counted = self.reconciler_errors()
            errors = {key: message for key, (message, _count) in counted.items()}
            for name, result in list(pending.items()):
                ref = refs[name]
                # an error the LBC logs again is its answer; logged once, it may be a race it gets over (a rule
                # created by two reconciles): the wait goes on and the result notes it
                message, count = counted.get((ref.namespace, ref.name), (None, 0))
                problem = (message if count >= 2 else None) or self._object_problem(cluster, ref)
                if problem:
                    result.error, result.seconds = problem, time.monotonic() - started
                    del pending[name]
                    continue
                host = self._address(cluster, ref)
                if host and _quietly(lambda: self._targets_bound(cluster, elbv2, host, result)):
                    result.seconds = time.monotonic() - started
                    lbs = read_back(elbv2, [host], {arn: n for n, arn in self.cp.seed.certificates.items()})
                    result.load_balancer = lbs[0] if lbs else None
                    result.differences = compare(result.topology, result.load_balancer, result.settings,
                                                 scheme=SCHEME, expected_targets=self.expected_targets())
                    if message:
                        result.notes.append(f"the LBC logged once, then built it: {message}")
                    del pending[name]
            if pending and time.monotonic() > deadline:
                for result in pending.values():
                    ref = refs[result.topology.name]
                    result.error = (f"{ref.describe()} was not built within {self.timeout:g} s "
                                    f"(EDGECONFORM_REHEARSAL_TIMEOUT); last seen: {self._status(cluster, ref)}"
                                    + (f"; {result.waiting}" if result.waiting else "")
                                    + "".join(f"; {message}" for (namespace, name), message in errors.items()
                                              if namespace == ref.namespace and name.startswith("k8s-")))
                return
            if pending:
                time.sleep(0.2)

    def wait_accepted(self, objects: list[dict[str, Any]]) -> None:
        cluster = self.cluster()
        deadline = time.monotonic() + self.timeout
        for obj in objects:
            if obj["kind"] != "GatewayClass":
                continue
            while True:
                self.cp.check()
                got = cluster.dynamic.resources.get(api_version=obj["apiVersion"], kind="GatewayClass").get(
                    name=obj["metadata"]["name"]).to_dict()
                conditions = (got.get("status") or {}).get("conditions", [])
                if any(c["type"] == "Accepted" and c["status"] == "True" for c in conditions):
                    break
                if time.monotonic() > deadline:
                    raise RehearsalError(f"GatewayClass {obj['metadata']['name']} was not accepted by the LBC within "
                                         f"{self.timeout:g} s: {conditions}")
                time.sleep(0.1)

    def expected_targets(self) -> dict[str, set[str]]:
        return {"instance": {self.cp.seed.instance_id}, "ip": set(self.cp.seed.pod_ips)}

    def reconciler_errors(self) -> dict[tuple[str, str], tuple[str, int]]:
        """(namespace, name) -> (the LBC's first "Reconciler error" message, how many it logged), from its log since
        the last apply."""
        found: dict[tuple[str, str], tuple[str, int]] = {}
        for line in self.cp.lbc_log()[self._log_offset:].splitlines():
            if "Reconciler error" not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            key = (entry.get("namespace", ""), entry.get("name", ""))
            first, count = found.get(key, (f"{entry.get('controller', 'the LBC')}: Reconciler error: "
                                           f"{entry.get('error', line)}", 0))
            found[key] = (first, count + 1)
        return found

    def _object_problem(self, cluster, ref) -> str | None:
        from kubernetes import client

        core = client.CoreV1Api(self.cp.kube)
        obj = self._get(cluster, ref) or {}
        uid = (obj.get("metadata") or {}).get("uid")
        events = core.list_namespaced_event(  # this very object's (one of the same name may have been rehearsed before)
            ref.namespace, field_selector=f"involvedObject.name={ref.name},involvedObject.uid={uid}").items
        for event in events:
            if event.type == "Warning" and event.reason in ("FailedBuildModel", "FailedDeployModel"):
                return f"event {event.reason} on {ref.describe()}: {event.message}"
        if ref.kind == "Gateway":
            for condition in (obj.get("status") or {}).get("conditions", []):
                if condition["type"] in ("Accepted", "Programmed") and condition["status"] == "False" \
                        and condition.get("reason") not in ("Pending",):
                    return f"Gateway condition {condition['type']}=False ({condition.get('reason')}): " \
                           f"{condition.get('message', '')}"
        return None

    def _get(self, cluster, ref) -> dict[str, Any] | None:
        resource = cluster.dynamic.resources.get(api_version=ref.api_version, kind=ref.kind)
        try:
            return resource.get(name=ref.name, namespace=ref.namespace).to_dict()
        except Exception:
            return None

    def _address(self, cluster, ref) -> str | None:
        obj = self._get(cluster, ref) or {}
        status = obj.get("status") or {}
        if ref.kind == "Gateway":
            return next((a.get("value") for a in status.get("addresses") or [] if a.get("value")), None)
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        return next((item.get("hostname") for item in ingress if item.get("hostname")), None)

    def _status(self, cluster, ref) -> str:
        obj = self._get(cluster, ref)
        return json.dumps((obj or {}).get("status") or {}, default=str)[:400] if obj else "the object is gone"

    def _targets_bound(self, cluster, elbv2, host: str, result: Result) -> bool:
        """Every target group of the load balancer at ``host`` has a reconciled TargetGroupBinding (``result.waiting``
        says which are not)."""
        lbs = [lb for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["DNSName"] == host]
        if not lbs:
            return False
        listeners = elbv2.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]
        rules_of = {item["ListenerArn"]: elbv2.describe_rules(ListenerArn=item["ListenerArn"])["Rules"]
                    for item in listeners}
        groups = {g["TargetGroupArn"] for g in target_groups_of(elbv2, listeners, rules_of)}
        if not groups:
            return False
        bindings = cluster.dynamic.resources.get(api_version="elbv2.k8s.aws/v1beta1", kind="TargetGroupBinding")
        bound, seen = set(), {}
        for item in bindings.get().to_dict().get("items", []):
            generation = item["metadata"].get("generation")
            seen[item["spec"]["targetGroupARN"]] = f"TargetGroupBinding {item['metadata']['namespace']}/" \
                f"{item['metadata']['name']} status {item.get('status')}, generation {generation}"
            if (item.get("status") or {}).get("observedGeneration") == generation:
                bound.add(item["spec"]["targetGroupARN"])
        result.waiting = "; ".join(seen.get(arn, f"no TargetGroupBinding for {arn}") for arn in sorted(groups - bound))
        return groups <= bound

    # --- deleting ----------------------------------------------------------------------------------------------
    def delete(self, objects: list[dict[str, Any]]) -> list[str]:
        """Delete the objects (the LBC's finalizers make it delete what it built first); return the load balancers
        that are still in moto afterwards (none when the LBC cleaned up)."""
        cluster = self.cluster()
        # what asks for the load balancer first (its finalizer holds until the LBC deleted it), then what it uses
        first = {"Gateway": 0, "Ingress": 0, "HTTPRoute": 1, "GRPCRoute": 1, "TCPRoute": 1, "TLSRoute": 1,
                 "UDPRoute": 1, "Service": 2}
        for obj in sorted(reversed(objects), key=lambda o: first.get(o["kind"], 3)):
            resource = cluster.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            try:
                resource.delete(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))
            except Exception:
                pass
        deadline = time.monotonic() + DELETE_TIMEOUT
        while True:
            left = [obj for obj in objects if self._exists(cluster, obj)]
            if not left:
                break
            if time.monotonic() > deadline:
                raise RehearsalError("the LBC did not release " + ", ".join(
                    f"{o['kind']} {o['metadata'].get('namespace', '')}/{o['metadata']['name']}" for o in left)
                    + f" within {DELETE_TIMEOUT:g} s (its finalizers stay until it deleted the load balancer)")
            self.cp.check()
            time.sleep(0.2)
        return []

    def _exists(self, cluster, obj) -> bool:
        resource = cluster.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        try:
            resource.get(name=obj["metadata"]["name"], namespace=obj["metadata"].get("namespace"))
            return True
        except Exception:
            return False


def _quietly(check) -> bool:
    """A check against moto that may race with the LBC (a target group replaced meanwhile) is one more "not yet"."""
    try:
        return bool(check())
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "kubernetes", "urllib3")):
            return False
        raise


def _yaml_load(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)
