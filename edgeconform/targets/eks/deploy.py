"""Applying a plan to a real cluster and taking it away again.

- The throwaway namespace must not exist before the run: its absence is the lock that keeps two runs from
  reconfiguring the same controller at once (the controller's settings are global).
- Before an object is applied, the ledger records whether the run creates it or changes an object that was
  already there (then with a snapshot). The ledger is mirrored into a ConfigMap in the throwaway namespace, so
  `edgeconform cleanup --target eks` can finish the job after a run that was killed.
- Undo goes backwards: objects that existed are put back as they were, created ones are deleted; a load
  balancer's Service, Ingress or Gateway is waited for until it is gone (its controller deletes the AWS load
  balancer first, behind a finalizer), so a run does not end with billable load balancers behind it. Deletions
  overlap: a topology's undo can leave its load balancer deleting (``wait=False``, still in the ledger as
  deleting) and the run's end waits for every one of them in one loop.
- Undo runs with Ctrl-C held off (a second Ctrl-C would otherwise leave load balancers behind), and only
  touches what the ledger names; a label sweep over the run label follows as a safety net.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from ... import controllers
from ...controllers.base import COMMON_KINDS
from ...kube import manifests
from ...kube.api import Cluster, ClusterError, _api_message
from .modes import LoadBalancerRef, data as modes_data
from .plan import RUN_LABEL
from .timeouts import Profile

LEDGER = "edgeconform-ledger"
VOLATILE_METADATA = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink",
                     "deletionTimestamp", "deletionGracePeriodSeconds")


def sweep_scope() -> tuple[list[str], list[tuple[str, str]]]:
    """What a label sweep looks at (objects whose ledger entry was lost): the namespaces of the controllers that
    run on eks, and exactly the kinds they declare (plus the Secrets and Services every controller gets) and the
    kinds the modes create (clusters/eks/modes.yaml)."""
    runs_here = [controllers.controller_class(name) for name in controllers.for_place("cluster", "eks")]
    namespaces = list(dict.fromkeys(cls.namespace for cls in runs_here))
    kinds = list(dict.fromkeys([*COMMON_KINDS, *(kind for cls in runs_here for kind in cls.resource_kinds),
                                *(tuple(kind) for kind in modes_data()["kinds"]["namespaced"])]))
    return namespaces, kinds


def cluster_sweep_kinds() -> list[tuple[str, str]]:
    """Cluster-scoped kinds a mode creates (GatewayClass, IngressClass, IngressClassParams)."""
    return [tuple(kind) for kind in modes_data()["kinds"]["cluster"]]


@dataclass
class Entry:
    action: str  # "created" or "modified"
    api_version: str
    kind: str
    namespace: str | None
    name: str
    topology: str | None
    snapshot: dict[str, Any] | None = None  # modified: the object as it was
    load_balancer: bool = False  # created, and carries an AWS load balancer (wait until it is gone)
    deleting: bool = False  # deleted, its load balancer not gone yet

    def describe(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def is_not_found(exc: BaseException) -> bool:
    return getattr(exc, "status", None) == 404


def snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as it can be put back: without status and server-set metadata."""
    out = {key: value for key, value in obj.items() if key != "status"}
    out["metadata"] = {key: value for key, value in obj["metadata"].items() if key not in VOLATILE_METADATA}
    annotations = dict(out["metadata"].get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if annotations:
        out["metadata"]["annotations"] = annotations
    else:
        out["metadata"].pop("annotations", None)
    return out


@contextlib.contextmanager
def ctrl_c_held(say: Callable[[str], None]) -> Iterator[None]:
    """Keep a second Ctrl-C from interrupting a cleanup (only the main thread can handle signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def held(signum, frame):
        say("edgeconform: cleanup in progress, Ctrl-C ignored until it is done (a half cleanup leaves load "
            "balancers in AWS)")
    previous = signal.signal(signal.SIGINT, held)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Deployment:
    """One run's objects on one cluster: applied in order, remembered, and undone."""

    def __init__(self, cluster: Cluster, run_id: str, timeouts: Profile, *, keep: bool = False,
                 interval: float = 5.0, say: Callable[[str], None] = _say):
        self.cluster, self.run_id, self.timeouts, self.keep = cluster, run_id, timeouts, keep
        self.interval, self.say = interval, say
        self.entries: list[Entry] = []
        self.namespace = manifests.NAMESPACE
        self.opened = False

    # --- resources ----------------------------------------------------------------------------------
    def _resource(self, api_version: str, kind: str):
        return self.cluster.dynamic.resources.get(api_version=api_version, kind=kind)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        resource = self._resource(api_version, kind)
        try:
            return resource.get(name=name, namespace=namespace if resource.namespaced else None).to_dict()
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise

    # --- the session ----------------------------------------------------------------------------------
    def open(self, session_objects: list[dict[str, Any]]) -> None:
        """Create the throwaway namespace (it must not exist) and apply the session's objects into it."""
        existing = self.get("v1", "Namespace", self.namespace, None)
        if existing is not None:
            labels = existing["metadata"].get("labels") or {}
            created = existing["metadata"].get("creationTimestamp", "?")
            run = labels.get(RUN_LABEL)
            owner = f"edgeconform run {run}" if run else "not edgeconform (no run label)"
            raise ClusterError(
                f"namespace {self.namespace} already exists (created {created}, {owner}). Another edgeconform run "
                "may be using this cluster (runs reconfigure the shared ingress controller, so one at a time), or "
                "an interrupted run left it behind: if no run is active, remove it with `edgeconform cleanup "
                "--target eks --kubeconfig FILE [--context NAME]`")
        self.opened = True
        self.apply(session_objects, topology=None)

    def apply(self, objects: list[dict[str, Any]], topology: str | None,
              load_balancer: LoadBalancerRef | None = None) -> None:
        """Apply in order, remembering each object first. The ledger's mirror is written once per call (a run
        applies dozens of objects at once), except before changing somebody else's object: its snapshot is in
        the ledger before the object changes. Created objects carry the run label, which the sweep finds even if
        the process dies before the mirror is written."""
        unmirrored = False
        try:
            for obj in objects:
                meta = obj["metadata"]
                resource = self._resource(obj["apiVersion"], obj["kind"])
                namespace = meta.get("namespace") if resource.namespaced else None
                current = self.get(obj["apiVersion"], obj["kind"], meta["name"], namespace)
                body = obj
                if current is None:
                    carries_lb = load_balancer is not None and (obj["kind"], namespace, meta["name"]) == (
                        load_balancer.kind, load_balancer.namespace, load_balancer.name)
                    entry = Entry("created", obj["apiVersion"], obj["kind"], namespace, meta["name"], topology,
                                  load_balancer=carries_lb)
                elif (current["metadata"].get("labels") or {}).get(RUN_LABEL) == self.run_id:
                    entry = None  # ours already (applied again): nothing new to remember
                else:  # somebody else's object (the controller's ConfigMap, Emissary's Module): put back later
                    entry = Entry("modified", obj["apiVersion"], obj["kind"], namespace, meta["name"], topology,
                                  snapshot(current))
                    body = {**obj, "metadata": {**meta, "labels": {k: v for k, v in (meta.get("labels") or {}).items()
                                                                   if k != RUN_LABEL}}}
                if entry is not None:  # remembered before it happens: a failed apply is still undone
                    self.entries.append(entry)
                    unmirrored = True
                    if entry.action == "modified":
                        self._mirror()
                        unmirrored = False
                self.cluster.apply([body])
        finally:
            if unmirrored:
                self._mirror()

    def _mirror(self) -> None:
        """Keep the ledger in the throwaway namespace too (for cleanup after a killed run)."""
        if not self.opened:
            return
        ledger = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": LEDGER, "namespace": self.namespace,
                               "labels": {**manifests.MANAGED_BY, RUN_LABEL: self.run_id}},
                  "data": {"entries": json.dumps([asdict(e) for e in self.entries])}}
        try:
            self.cluster.apply([ledger])
        except ClusterError as exc:
            self.say(f"edgeconform: could not record the ledger ({exc}); cleanup after a crash would have to "
                     f"rely on the {RUN_LABEL}={self.run_id} label")

    @classmethod
    def resume(cls, cluster: Cluster, timeouts: Profile, **kwargs: Any) -> Deployment:
        """A Deployment rebuilt from the ledger a previous run left in the throwaway namespace."""
        namespace = manifests.NAMESPACE
        ns = Deployment(cluster, "?", timeouts, **kwargs).get("v1", "Namespace", namespace, None)
        if ns is None:
            raise ClusterError(f"no namespace {namespace}: nothing of an edgeconform run is left to clean up")
        run_id = (ns["metadata"].get("labels") or {}).get(RUN_LABEL, "")
        deployment = cls(cluster, run_id, timeouts, **kwargs)
        deployment.opened = True
        ledger = deployment.get("v1", "ConfigMap", LEDGER, namespace)
        if ledger is not None:
            deployment.entries = [Entry(**item) for item in json.loads(ledger["data"]["entries"])]
        else:
            deployment.entries = [Entry("created", "v1", "Namespace", None, namespace, None)]
        return deployment

    # --- undo -----------------------------------------------------------------------------------------
    def undo(self, topology: str | None, *, wait: bool = True) -> list[str]:
        """Put back what ``topology`` changed and delete what it created (everything when None).

        ``wait``: also wait until its load balancers are gone (all of them in one loop); without, they stay in the
        ledger as deleting, for a later ``wait_deleted`` (the run's end always waits). Returns what could not be
        undone (also said on stderr); with keep=True, only says what is kept.
        """
        mine = [e for e in self.entries if topology is None or e.topology == topology]
        if self.keep:
            if mine:
                self.say(f"edgeconform: --keep: leaving {len(mine)} object(s) of run {self.run_id} "
                         f"({', '.join(e.describe() for e in mine[:6])}{', ...' if len(mine) > 6 else ''}); remove "
                         "them with `edgeconform cleanup --target eks --kubeconfig FILE`")
            return []
        problems: list[str] = []
        with ctrl_c_held(self.say):
            for entry in reversed(mine):
                if entry.kind == "Namespace" or entry.deleting:
                    continue  # the namespace last of all, below; a deleting one is waited for below
                try:
                    self._undo_one(entry)
                except Exception as exc:  # stays in the ledger, for `edgeconform cleanup`
                    problems.append(f"{entry.describe()}: {_api_message(exc)}")
                    continue
                if entry.load_balancer:
                    entry.deleting = True  # deleted: in the ledger until AWS let go
                else:
                    self.entries.remove(entry)
            if wait or topology is None:
                problems += self._wait_gone([e for e in self.entries if e.deleting
                                             and (topology is None or e.topology == topology)])
            if topology is None:
                problems += self._sweep()
                problems += self._delete_namespace()
            else:
                self._mirror()
        for problem in problems:
            self.say(f"edgeconform: cleanup of run {self.run_id}: {problem}")
        return problems

    def wait_deleted(self) -> list[str]:
        """Wait until every load balancer deleted so far is gone (one loop over all of them)."""
        with ctrl_c_held(self.say):
            problems = self._wait_gone([e for e in self.entries if e.deleting])
            self._mirror()
        for problem in problems:
            self.say(f"edgeconform: cleanup of run {self.run_id}: {problem}")
        return problems

    def _undo_one(self, entry: Entry) -> None:
        resource = self._resource(entry.api_version, entry.kind)
        if entry.action == "modified":
            current = self.get(entry.api_version, entry.kind, entry.name, entry.namespace)
            body = json.loads(json.dumps(entry.snapshot))
            if current is None:  # deleted meanwhile: bring it back
                resource.create(body=body, namespace=entry.namespace)
            else:  # conditional replace on the current version (custom resources refuse unconditional ones)
                body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                resource.replace(body=body, name=entry.name, namespace=entry.namespace)
            return
        try:
            resource.delete(name=entry.name, namespace=entry.namespace)
        except Exception as exc:
            if not is_not_found(exc):
                raise

    def _wait_gone(self, deleting: list[Entry]) -> list[str]:
        """One loop over every load balancer being deleted, under the lb-delete timeout; each gone one leaves the
        ledger. Returns one problem per load balancer still there at the end."""
        left = list(deleting)
        seen: dict[str, list[str]] = {}

        def check() -> str | None:
            for entry in list(left):
                obj = self.get(entry.api_version, entry.kind, entry.name, entry.namespace)
                if obj is not None:
                    seen[entry.name] = obj["metadata"].get("finalizers") or []
                if obj is None:
                    left.remove(entry)
                    if entry in self.entries:
                        self.entries.remove(entry)
            if not left:
                return None
            return "; ".join(f"{e.describe()} still there (finalizers: {', '.join(seen.get(e.name) or []) or 'none'})"
                             for e in left)
        if not left:
            return []
        timeout = self.timeouts["lb-delete"]
        try:
            self.cluster.wait(timeout, f"{len(left)} load balancer(s) being deleted ({', '.join(e.describe() for e in left)})",
                              check, self.interval)
        except ClusterError as exc:
            return [f"{exc}. Its load balancer may still exist in AWS: look for the tag {_aws_tag(e)} and delete it "
                    f"there" for e in left]
        return []

    def _sweep(self) -> list[str]:
        """Delete whatever still carries the run label (objects whose ledger entry was lost)."""
        problems = []
        selector = f"{RUN_LABEL}={self.run_id}"
        controller_namespaces, sweep_kinds = sweep_scope()
        namespaces = sorted({*controller_namespaces, *(e.namespace for e in self.entries if e.namespace)}
                            - {self.namespace})
        scopes = [*((k, ns) for k in sweep_kinds for ns in namespaces), *((k, None) for k in cluster_sweep_kinds())]
        for (api_version, kind), namespace in scopes:
            try:
                resource = self._resource(api_version, kind)
                leftovers = resource.get(namespace=namespace, label_selector=selector).to_dict().get("items", [])
            except Exception as exc:
                if is_not_found(exc) or "ResourceNotFound" in type(exc).__name__:
                    continue  # no such namespace, or that API is not installed (no Emissary CRDs)
                problems.append(f"listing {kind} labelled {selector} in {namespace}: {_api_message(exc)}")
                continue
            for item in leftovers:
                meta = item["metadata"]
                try:
                    resource.delete(name=meta["name"], namespace=meta.get("namespace"))
                except Exception as exc:
                    if not is_not_found(exc):
                        problems.append(f"{kind} {meta.get('namespace')}/{meta['name']}: {_api_message(exc)}")
        return problems

    def _delete_namespace(self) -> list[str]:
        if not self.opened:
            return []
        self.opened = False
        resource = self._resource("v1", "Namespace")
        try:
            resource.delete(name=self.namespace)
        except Exception as exc:
            if not is_not_found(exc):
                return [f"namespace {self.namespace}: {_api_message(exc)}"]

        def check() -> str | None:
            return None if self.get("v1", "Namespace", self.namespace, None) is None else \
                f"namespace {self.namespace} still terminating"
        try:
            self.cluster.wait(self.timeouts["namespace-delete"], f"namespace {self.namespace} being deleted", check,
                              self.interval)
        except ClusterError as exc:
            return [str(exc)]
        self.entries = [e for e in self.entries if e.kind != "Namespace"]
        return []



def _aws_tag(entry: Entry) -> str:
    """The tag AWS carries for the load balancer of ``entry``'s object [LBC-SA][CPA]."""
    where = f"{entry.namespace}/{entry.name}"
    if entry.kind == "Service":
        return f"kubernetes.io/service-name={where} (Classic ELB) or service.k8s.aws/stack={where}"
    if entry.kind == "Ingress":
        return f"ingress.k8s.aws/stack={where}"
    return f"elbv2.k8s.aws/cluster and the {entry.kind} {where} (its controller's stack tags)"
