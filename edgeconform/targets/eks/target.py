"""The eks target: the same suites against a real cluster and real AWS load balancers, through a kubeconfig.

    probe (runner, behind NAT) -> AWS NLB / Classic ELB / ALB (DNS name) -> node:NodePort or pod IP
                               -> the installed ingress controller -> echo backend pod

The load balancer comes from the run's mode (edgeconform.targets.eks.modes: annotations, the AWS Load Balancer
Controller's Gateway API, or EKS Auto Mode), chosen with --eks-mode or told by the cluster
(edgeconform.targets.eks.detect). The ingress controller is the one installed, configured per topology by its
plug-in (edgeconform.controllers).

A run, once the session knows which topologies it will build (``will_build``), or at the first ``build``:
1. connect, read the mode, check that the controller is installed and ready; plan every topology and refuse,
   before anything is created, those the mode (or the cluster) cannot build;
2. create the throwaway namespace with the echo backend, apply every topology's load balancer, then wait for all
   of them together (edgeconform.targets.eks.provision: one loop, each phase of each load balancer under its
   own timeout of the aws profile);
3. per topology, when its tests start (``build``): apply the controller's settings for it (one controller,
   cluster-wide settings, so one topology at a time), wait until the echo answers through its load balancer, and
   hand the suites an Edge on the load balancer's address;
4. closing an edge removes the controller's settings and starts deleting its load balancer without waiting; the
   session's end waits for every deletion in one loop, then removes the namespace. A failed build fails that
   topology only, with events, pod states and controller logs; Ctrl-C anywhere removes everything created.

Edge-url mode (``--edge-url TOPOLOGY=URL``) deploys nothing: the edge is the existing load balancer at URL,
probed as the topology it claims to be.

Probes cannot choose their source address here (the runner's address is whatever NAT makes of it): the Edge's
one client address is None (probes then bind nothing), and the client-IP ground truth comes from
edgeconform.targets.eks.client.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import certs
from ...edge import ControllerInfo, Edge, Lifecycle, endpoints_for, remove_tree
from ...kube import manifests
from ...kube.api import Cluster, ClusterError, _api_message
from ...probing.http import http_get
from ...topology import LB_SERVER_HEADER, Topology
from . import bypass, detect, waits
from .annotations import model_data
from .client import ClientTruth, can_teach
from .deploy import Deployment
from .modes import CannotBuild, ModeFacts
from .plan import (DEFAULT_MODE, RUN_LABEL, Plan, build as build_plan, controller_mismatch, localize, new_run_id,
                   session_objects)
from .provision import Pending, Readiness, wait_together
from .settings import EksSettings
from .timeouts import AWS_CONVERGE, Profile
from ..base import BuildFailed, Target, TargetUnavailable, TargetUsageError
from . import settings as eks_settings

ECHO_SELECTOR = {"app.kubernetes.io/name": manifests.ECHO_SERVICE}
# time to ready, by phase: the first three for every load balancer at once, the last two per topology
PHASES = ["apply", "lb-provision", "lb-dns", "controller", "lb-targets"]
NO_CLUSTER = (
    "the eks target needs a cluster: pass --kubeconfig FILE [--context NAME] (or kubeconfig: in --eks-config FILE), "
    "or --edge-url TOPOLOGY=URL to probe an edge that already exists. None was given, so nothing was deployed and "
    "no load balancer was probed")


@dataclass
class Prepared:
    """A topology whose load balancer this run applied (and is waiting for, or has)."""

    topology: Topology
    plan: Plan
    workdir: Path
    readiness: Readiness


def no_cluster_reason(env_kubeconfig: str | None) -> str:
    if env_kubeconfig:
        return (NO_CLUSTER + f" ($KUBECONFIG is set to {env_kubeconfig}, but the eks target uses only an explicit "
                "--kubeconfig: it creates billable AWS load balancers)")
    return NO_CLUSTER


def ca_bundle(workdir: Path, extra: Path | None) -> Path:
    """What probes trust: the public roots (ACM certificates), the harness's test CA (the controller's own
    certificates when TLS reaches it), and the user's extra CA (imported or private-CA certificates)."""
    import certifi

    parts = [Path(certifi.where()).read_text(), certs.write_ca(workdir).read_text()]
    if extra is not None:
        parts.append(Path(extra).read_text())
    bundle = workdir / "ca-bundle.pem"
    bundle.write_text("\n".join(parts))
    return bundle


class EksTarget(Target):
    name = "eks"

    def __init__(self, settings: EksSettings, *, connect: Callable[[EksSettings], Cluster] | None = None,
                 resolver: waits.Resolver = waits.resolve, connector: bypass.Connector = bypass.connect,
                 interval: float = 10.0, say: Callable[[str], None] | None = None):
        if settings.kubeconfig is None and not settings.edges:
            raise TargetUnavailable(no_cluster_reason(os.environ.get("KUBECONFIG")))
        self.settings = settings
        self.timeouts = Profile(settings.timeouts)
        self.run_id = settings.run_id or new_run_id()
        self.truth = ClientTruth(settings.client_ip, settings.scheme)
        self.ready: dict[str, Readiness] = {}
        self.problems: list[str] = []  # cleanup problems, for the report
        self._connect = connect or (lambda s: Cluster(str(s.kubeconfig), s.context))
        self._resolver, self._connector, self.interval = resolver, connector, interval
        self._say = say or (lambda message: print(message, file=sys.stderr, flush=True))
        self.cluster: Cluster | None = None
        self.deployment: Deployment | None = None
        self.failed: str | None = None
        self.mode: str | None = settings.mode
        self.detection: detect.Detection | None = None
        self.expected: list[Topology] = []  # what the session will build (will_build), localized
        self.prepared: dict[str, Prepared] = {}  # load balancer applied (and ready, unless it failed)
        self.failures: dict[str, Exception] = {}  # topology -> why it cannot be built (raised by its build)
        self.active: str | None = None  # the topology whose controller settings are applied now
        self.provisioned_in: list[tuple[int, float, float]] = []  # (load balancers, wall seconds, sum of their times)
        self.deleted_in: float | None = None
        self._run_started: float | None = None  # when this run applied its first load balancer
        self._echo_is_ready = False
        self.workdir = Path(tempfile.mkdtemp(prefix="edgeconform-eks-"))
        self.ca = ca_bundle(self.workdir, settings.ca_bundle)

    @classmethod
    def from_options(cls, options, controller: str) -> EksTarget:
        if options.get("rehearsal") and cls is EksTarget:  # loaded as the registry loads targets (no import cycle)
            from .options import REHEARSAL

            return REHEARSAL.target_class().from_options(options, controller)
        try:
            settings = eks_settings.load(
                options["eks_config"], kubeconfig=options["kubeconfig"], context=options["context"],
                keep=options["keep"], controller=controller, scheme=options["eks_scheme"],
                domain=options["eks_domain"], client_ip=options["client_ip"], acm_cert=options["acm_cert"],
                edge_url=options["edge_url"], timeout=options["eks_timeout"], mode=options.get("eks_mode"))
            Profile(settings.timeouts)
        except (eks_settings.SettingsError, ValueError) as exc:
            raise TargetUsageError(str(exc)) from None
        if settings.kubeconfig is not None and not Path(settings.kubeconfig).is_file():
            raise TargetUsageError(f"--kubeconfig {settings.kubeconfig}: no such file")
        return cls(settings)

    def prepare(self, topologies: dict[str, Topology]) -> dict[str, Topology]:
        """With --eks-domain, the expectations speak of the cluster's names (the same topologies, renamed)."""
        if not self.settings.domain:
            return topologies
        return {name: localize(t, self.settings) for name, t in topologies.items()}

    def will_build(self, topologies: list[Topology]) -> None:
        """The session's topologies: the first build applies all their load balancers and waits for them together."""
        self.expected = [localize(t, self.settings) for t in topologies]

    def header(self) -> str:
        s = self.settings
        where = ", ".join(f"{name}={url}" for name, url in s.edges.items()) if s.edges else \
            f"kubeconfig {s.kubeconfig or '(none)'}{' context ' + s.context if s.context else ''}"
        client = s.client_ip or "learned through an L7 edge"
        mode = "" if s.edges else f"; mode {s.mode or 'from the cluster'}"
        return f"eks: {where}{mode}; controller {s.controller}; scheme {s.scheme}; client IP {client}"

    def runs_first(self, topology: Topology) -> bool:
        """Without --client-ip, L7 edges run first: their load balancer tells the runner's address."""
        return not self.settings.client_ip and topology.layer == "l7" and topology.xff_mode == "append"

    def before_check(self, edge: Edge, behaviour: str) -> str | None:
        """Before a client-IP check: the runner's address must be known (the ground truth)."""
        return self.client_ip_problem(edge) if behaviour == "client_ip" else None

    def summary(self) -> list[str]:
        """Time to ready per topology (by phase), the run's wall clock, the client-IP ground truth, cleanup problems."""
        mode = f"mode {self.mode}" if self.mode else "edge-url mode" if self.settings.edges else "no mode"
        lines = [f"edgeconform eks run {self.run_id} ({mode}): time to ready per topology (seconds; timeout profile "
                 "aws)"]
        if self.detection is not None and self.detection.why:
            lines.append(f"  the cluster says: {self.detection.why}")
        if not self.ready:
            lines.append("  (no edge became ready)")
        for name, ready in self.ready.items():
            phases = "  ".join(f"{phase} {ready.phases[phase]:.1f}" for phase in PHASES if phase in ready.phases)
            at = f"   ready at {ready.ready_at:.1f}" if ready.ready_at is not None else ""
            lines.append(f"  {name:<24} {ready.total:7.1f}   {phases}{at}   {ready.hostname}")
        for count, wall, total in self.provisioned_in:
            lines.append(f"  {count} load balancer(s) provisioned together in {wall:.1f} s (their own times add up to "
                         f"{total:.1f} s)")
        if self.deleted_in is not None:
            lines.append(f"  the remaining load balancers deleted together in {self.deleted_in:.1f} s")
        truth = self.truth
        if truth.address:
            lines.append(f"client-IP ground truth: {truth.address} ({truth.how})")
        else:
            lines.append("client-IP ground truth: unknown (pass --client-ip, or include alb / clb-http in the run)")
        disagreement = truth.disagreement()
        if disagreement:
            lines.append(f"client-IP note: {disagreement}")
        for problem in self.problems:
            lines.append(f"CLEANUP PROBLEM: {problem}")
        if self.settings.keep and self.deployment is not None:
            lines.append(f"--keep: run {self.run_id} left in place; remove it with `edgeconform cleanup --target eks "
                         f"--kubeconfig {self.settings.kubeconfig}`")
        return lines

    # --- the session ---------------------------------------------------------------------------------
    def _cluster(self) -> Cluster:
        """Connect, check the controller, read the mode (nothing is created)."""
        if self.cluster is not None and self.mode is not None and self.detection is not None:
            return self.cluster
        if self.failed:
            raise BuildFailed(f"the cluster could not be prepared earlier in this session:\n{self.failed}")
        try:
            if self.cluster is None:
                try:
                    self.cluster = self._connect(self.settings)
                except Exception as exc:  # a bad kubeconfig, an unknown context, no credentials
                    raise ClusterError(f"cannot use kubeconfig {self.settings.kubeconfig} "
                                       f"(context {self.settings.context or 'current'}): {_api_message(exc)}") from None
            self._controller_ready(self.cluster)
            self._choose_mode(self.cluster)
        except ClusterError as exc:
            self.failed = f"{exc}\n\n{self._diagnostics_text()}"
            raise BuildFailed(f"preparing the cluster for run {self.run_id} failed: {self.failed}") from None
        return self.cluster

    def _choose_mode(self, cluster: Cluster) -> None:
        from ... import controllers

        found = detect.detect(cluster, controllers.get(self.settings.controller).namespace)
        self.detection = found
        if self.mode is None:
            if found.mode is None:
                self._say(f"edgeconform: the cluster does not tell how it builds load balancers ({found.describe()}); "
                          f"using --eks-mode {DEFAULT_MODE}")
                found.why = f"nothing clear ({found.describe()}): {DEFAULT_MODE}, the default"
            self.mode = found.mode or DEFAULT_MODE
        models = {t.lb.model for t in self.expected} or detect.gateway_models()
        problems = detect.problems(found, self.mode, models)
        if problems:
            raise ClusterError(f"--eks-mode {self.mode} cannot work on this cluster (nothing was created): "
                               + "; ".join(problems))
        if self.mode != "lbc-gateway" and detect.gateway_available(found) and found.lbc_version:
            self._say(f"edgeconform: this cluster's AWS Load Balancer Controller ({found.lbc_version}) also serves "
                      "the Gateway API: --eks-mode lbc-gateway builds the load balancers as Gateways")

    def _open(self, cluster: Cluster) -> Deployment:
        """The throwaway namespace and the echo backend (once per run)."""
        if self.deployment is not None:
            return self.deployment
        deployment = Deployment(cluster, self.run_id, self.timeouts, keep=self.settings.keep, interval=self.interval,
                                say=self._say)
        try:
            from ... import controllers

            deployment.open(session_objects(self.run_id, controllers.get(self.settings.controller).client_header))
        except ClusterError as exc:
            self.failed = f"{exc}\n\n{self._diagnostics_text()}"
            if deployment.opened:
                self.problems += deployment.undo(None)
            raise BuildFailed(f"preparing the cluster for run {self.run_id} failed: {self.failed}") from None
        except BaseException:  # Ctrl-C while the namespace is being set up: take it away again
            if deployment.opened:
                self.problems += deployment.undo(None)
            raise
        self.deployment = deployment
        return deployment

    def _controller_ready(self, cluster: Cluster) -> None:
        from ... import controllers

        controller = controllers.get(self.settings.controller)
        if not controller.installs:  # none: each topology brings its application, nothing runs before
            return
        problem = cluster.pods_ready(controller.namespace, controller.pod_selector)()
        if problem:
            raise ClusterError(
                f"{controller.name} is not running in namespace {controller.namespace} ({problem}): the eks target "
                f"configures the installed controller and does not install one; install it, or choose the installed "
                f"one with --controller")

    def close(self) -> None:
        try:
            if self.deployment is not None:
                started = time.monotonic()
                waiting = any(e.deleting or e.load_balancer for e in self.deployment.entries)
                self.problems += self.deployment.undo(None)
                if waiting and not self.settings.keep:
                    self.deleted_in = time.monotonic() - started
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- every load balancer at once -----------------------------------------------------------------
    def provision(self, topologies: list[Topology]) -> None:
        """Plan every topology (refusing what the mode cannot build), apply every load balancer, wait for them
        together. A topology that fails is remembered (its build raises) and its objects go; the others go on."""
        todo = [t for t in dict((t.name, t) for t in topologies).values()
                if t.name not in self.prepared and t.name not in self.failures]
        if self.failed:
            raise BuildFailed(f"the cluster could not be prepared earlier in this session:\n{self.failed}")
        for t in list(todo):  # what needs no cluster to know: missing ARNs, an explicit mode's refusals
            try:
                self._precheck(t)
            except (TargetUnavailable, BuildFailed) as exc:
                self.failures[t.name] = exc
                todo.remove(t)
        if not todo:
            return
        cluster = self._cluster()
        planned: list[Prepared] = []
        for t in todo:  # 1. plans and refusals: nothing is created yet
            workdir = Path(tempfile.mkdtemp(prefix=f"{t.name}-", dir=self.workdir))
            try:
                planned.append(Prepared(t, self.plan(t, workdir), workdir, Readiness(t.name)))
            except (TargetUnavailable, BuildFailed) as exc:
                self.failures[t.name] = exc
        if any(item.plan.load_balancer.namespace == manifests.NAMESPACE for item in planned):
            # the application's own Service (none) lives in the run's namespace: a dry run there needs it to exist
            self._open(cluster)
        for item in list(planned):  # 2. what a webhook would do to each Service, by a dry run
            problem = self._webhook_problem(cluster, item.plan)
            if problem:
                self.failures[item.topology.name] = BuildFailed(problem)
                planned.remove(item)
        if not planned:
            return
        deployment = self._open(cluster)
        applied: list[Prepared] = []
        applied_at: dict[str, float] = {}  # each load balancer's provisioning starts when its objects are applied
        started = time.monotonic()
        if self._run_started is None:
            self._run_started = started
        try:
            for item in planned:  # 3. every load balancer, one after the other (seconds)
                t = item.topology
                try:
                    deployment.apply(item.plan.shared, topology=None)
                    began = time.monotonic()
                    applied.append(item)
                    deployment.apply(item.plan.lb_objects, t.name, item.plan.load_balancer)
                    applied_at[t.name] = time.monotonic()
                    item.readiness.phases["apply"] = applied_at[t.name] - began
                except ClusterError as exc:
                    self._fail(item, exc)
            self._echo_ready(cluster)  # meanwhile AWS provisions: the wait below counts from each one's apply
            pending = [Pending(item.plan.load_balancer, item.readiness, since=applied_at[item.topology.name])
                       for item in applied if item.topology.name not in self.failures]
            wait_together(cluster, pending, self.timeouts, self.interval, self._resolver)  # 4. all at once
        except BaseException:  # Ctrl-C (or a bug): everything this provisioning applied goes, now
            for item in applied:
                self._undo(item.topology.name)
            if self.deployment is not None:
                self.problems += self.deployment.wait_deleted()
            raise
        by_ref = {p.ref: p for p in pending}
        for item in applied:
            outcome = by_ref.get(item.plan.load_balancer)
            if outcome is None:
                continue  # failed while applying
            if outcome.failure:
                self._fail(item, ClusterError(outcome.failure))
            else:
                self.prepared[item.topology.name] = item
        ready = [by_ref[item.plan.load_balancer] for item in applied if item.topology.name in self.prepared]
        if ready:
            self.provisioned_in.append((len(ready), time.monotonic() - started,
                                        sum(p.readiness.total for p in ready)))

    def _echo_ready(self, cluster: Cluster) -> None:
        """The echo backend ready (while the load balancers provision): once per run."""
        if self._echo_is_ready:
            return
        try:
            cluster.wait(self.timeouts["echo-ready"], "the echo backend becoming ready",
                         cluster.pods_ready(manifests.NAMESPACE, ECHO_SELECTOR), self.interval)
        except ClusterError as exc:
            self.failed = f"{exc}\n\n{self._diagnostics_text()}"
            raise BuildFailed(f"preparing the cluster for run {self.run_id} failed: {self.failed}") from None
        self._echo_is_ready = True

    def _fail(self, item: Prepared, exc: Exception) -> None:
        """One topology's load balancer failed: say why (with diagnostics) when its build asks, remove it now."""
        t = item.topology
        self.failures[t.name] = BuildFailed(
            f"building {t.name} on eks (run {self.run_id}, mode {self.mode}, {self.settings.controller}) failed: "
            f"{exc}\n\n{self._diagnostics_text(item.plan)}")
        self._undo(t.name)
        shutil.rmtree(item.workdir, ignore_errors=True)

    # --- one topology --------------------------------------------------------------------------------
    def build(self, topology: Topology) -> Edge:
        t = localize(topology, self.settings)
        if self.settings.edges:
            if t.name not in self.settings.edges:
                raise TargetUnavailable(f"edge-url mode deploys nothing, and no --edge-url names {t.name} "
                                        f"(given: {', '.join(self.settings.edges)})")
            return self._existing(t, self.settings.edges[t.name])
        if t.name not in self.prepared and t.name not in self.failures:
            self.provision([*self.expected, t])
        if t.name in self.failures:
            raise self.failures[t.name]
        return self._activate(self.prepared[t.name])

    def _precheck(self, t: Topology) -> None:
        from .annotations import missing_arns
        from .builders import get as mode

        if t.lb.cloudfront or t.lb.mutual_tls != "off":
            from ...load_balancers.alb import MTLS_NOT_DEPLOYED_ON_EKS
            from ...load_balancers.cloudfront import NOT_DEPLOYED_ON_EKS
            raise TargetUnavailable((NOT_DEPLOYED_ON_EKS if t.lb.cloudfront else MTLS_NOT_DEPLOYED_ON_EKS)
                                    .format(name=t.name))
        mismatch = controller_mismatch(t, self.settings)
        if mismatch:
            raise BuildFailed(mismatch)
        if self.mode is not None:
            refused = mode(self.mode).refusals(t, self.settings)
            if refused:
                raise BuildFailed(str(CannotBuild(t, self.mode, refused)))
        missing = missing_arns(t, self.settings) if any(item.terminates_tls for item in t.lb.listeners) else ()
        if missing:
            raise TargetUnavailable(f"{t.name} terminates TLS at the load balancer and needs ACM certificate ARNs "
                                    f"for {', '.join(missing)}: pass --acm-cert NAME=ARN (or certificates: in "
                                    "--eks-config); the harness cannot mint AWS certificates")

    def plan(self, t: Topology, workdir: Path) -> Plan:
        try:
            plan = build_plan(t, self.settings, self.run_id, workdir, self.mode,
                              self.detection.facts if self.detection else ModeFacts())
        except (CannotBuild, ValueError) as exc:
            raise BuildFailed(str(exc)) from None
        if self.detection is not None:
            refused = detect.refusals(self.detection, plan.mode, model_data(t)["object"],
                                      self.settings.alb_ingress_class)
            if refused:
                raise BuildFailed(str(CannotBuild(t, plan.mode, refused)))
        if plan.missing_arns:
            names = ", ".join(plan.missing_arns)
            raise TargetUnavailable(f"{t.name} terminates TLS at the load balancer and needs ACM certificate ARNs "
                                    f"for {names}: pass --acm-cert NAME=ARN (or certificates: in --eks-config); the "
                                    "harness cannot mint AWS certificates")
        return plan

    def _edge(self, t: Topology, workdir: Path) -> Edge:
        edge = Edge(topology=t, target=self.name, endpoints={}, ca=self.ca, roles={}, client_cidr=None,
                    client_addresses=[None], lb_server_header=LB_SERVER_HEADER, converge=AWS_CONVERGE, workdir=workdir,
                    role_networks={cidr: "lb" for cidr in self.settings.vpc_cidrs},
                    lifecycle=Lifecycle(logs=lambda: self._edge_logs(t)))
        edge.lifecycle.on_close(remove_tree(workdir))
        from ... import controllers

        if controllers.straight_to_app(t):
            # none: the application behind the load balancer reports what arrived (a PROXY header, raw X-Forwarded-*),
            # whatever controller the cluster runs for the other topologies
            edge.controller = ControllerInfo.of(controllers.get(t.controller.kind), t)
        return edge

    def _activate(self, item: Prepared) -> Edge:
        """The controller's settings for this topology, then the echo answering through its load balancer."""
        t, plan, ready = item.topology, item.plan, item.readiness
        if self.active is not None and self.active != t.name:
            raise BuildFailed(f"the edge of {self.active} is still open: the {self.settings.controller} controller's "
                              f"settings are cluster-wide, so close it before building {t.name}")
        assert self.cluster is not None and self.deployment is not None
        cluster, deployment = self.cluster, self.deployment
        del self.prepared[t.name]  # one edge per topology: a second build provisions it again
        edge = self._edge(t, item.workdir)
        edge.lifecycle.on_close(lambda: self._undo(t.name))
        self.active = t.name
        edge.lifecycle.on_close(lambda: setattr(self, "active", None))

        def steps() -> None:
            began = time.monotonic()
            deployment.apply(plan.controller_objects, t.name)
            ready.phases["controller"] = time.monotonic() - began
            self._finish(edge, ready.addresses[0], cluster)
            edge.unsupported = dict(plan.controller.unsupported)
            ready.phases["lb-targets"] = waits.answering(edge, self.timeouts["lb-targets"], self.interval)

        return self._bring_up(edge, ready, steps, lambda exc: (
            f"building {t.name} on eks (run {self.run_id}, mode {self.mode}, {self.settings.controller}) failed: "
            f"{exc}\n\n{self._diagnostics_text(plan)}"))

    def _existing(self, t: Topology, url: str) -> Edge:
        """Edge-url mode: the load balancer at ``url`` is the edge; nothing is deployed."""
        from urllib.parse import urlsplit

        host = urlsplit(url).hostname or ""
        edge = self._edge(t, Path(tempfile.mkdtemp(prefix=f"{t.name}-", dir=self.workdir)))
        ready = Readiness(t.name, hostname=host)

        def steps() -> None:
            ready.addresses, ready.phases["lb-dns"] = waits.dns(host, self.timeouts["lb-dns"], self.interval,
                                                                self._resolver)
            self._finish(edge, ready.addresses[0], self._read_only_cluster())
            ready.phases["lb-targets"] = waits.answering(edge, self.timeouts["lb-targets"], self.interval)

        return self._bring_up(edge, ready, steps,
                              lambda exc: f"the existing edge {url} (claimed to be {t.name}) is not answering: {exc}")

    def _bring_up(self, edge: Edge, ready: Readiness, steps: Callable[[], None],
                  failure: Callable[[Exception], str]) -> Edge:
        """Run the steps that make ``edge`` ready; on any failure (Ctrl-C included) nothing stays behind."""
        try:
            steps()
        except (ClusterError, OSError) as exc:
            message = failure(exc)
            edge.close()
            raise BuildFailed(message) from None
        except BaseException:  # Ctrl-C or a bug
            edge.close()
            raise
        edge.ready_seconds = ready.total
        if self._run_started is not None:
            ready.ready_at = time.monotonic() - self._run_started
        self.ready[edge.name] = ready
        self._learn_client(edge)
        return edge
    def _read_only_cluster(self) -> Cluster | None:
        """Edge-url mode with a kubeconfig: read node and pod addresses (to name them), change nothing."""
        if self.settings.kubeconfig is None:
            return None
        if self.cluster is None:
            self.cluster = self._connect(self.settings)
        return self.cluster

    def _finish(self, edge: Edge, address: str, cluster: Cluster | None) -> None:
        """Endpoints on the load balancer's address, and the roles of the addresses the backend may report."""
        t = edge.topology
        edge.endpoints = endpoints_for(t, lambda port: (address, port))
        if cluster is not None:
            edge.roles.update(self.roles(cluster))
        self.truth.apply(edge)

    def roles(self, cluster: Cluster) -> dict[str, str]:
        from ... import controllers

        controller = controllers.get(self.settings.controller)
        roles = {node.internal_ip: "node" for node in cluster.nodes()}
        roles.update({ip: "controller" for ip in cluster.pod_ips(controller.namespace, controller.pod_selector)})
        roles.update({ip: "backend" for ip in cluster.pod_ips(manifests.NAMESPACE, ECHO_SELECTOR)})
        return roles

    def _created(self) -> str:
        """What stands in the cluster when a load balancer is refused before its objects are applied."""
        if self.deployment is None:
            return "nothing was created"
        return f"nothing of it was created; the run's namespace {manifests.NAMESPACE} goes at the end of the run"

    def _webhook_problem(self, cluster: Cluster, plan: Plan) -> str | None:
        """What a mutating webhook would do to the plan's load-balancer Service, by a server-side dry run, before
        anything is created: a class the mode did not mean means another reconciler would build another load
        balancer (the AWS Load Balancer Controller's webhook turns a Classic ELB into an NLB; EKS Auto Mode's
        takes an annotated NLB and ignores what it does not support)."""
        allowed = plan.lb.webhook_classes
        ref = plan.load_balancer
        if allowed is None or ref.kind != "Service":
            return None
        service = next(o for o in plan.lb_objects if o["kind"] == "Service" and o["metadata"]["name"] == ref.name)
        resource = cluster.dynamic.resources.get(api_version="v1", kind="Service")
        try:
            seen = resource.create(body=service, namespace=ref.namespace, dry_run="All").to_dict()
        except Exception as exc:
            if getattr(exc, "status", None) == 409:  # exists already: applied again below, nothing to learn here
                return None
            return f"a dry run of {ref.describe()} was refused: {_api_message(exc)} ({self._created()})"
        got = (seen.get("spec") or {}).get("loadBalancerClass")
        if got in allowed:
            return None
        t = plan.topology
        if got == "eks.amazonaws.com/nlb":
            from .auto_mode import unsupported_in

            keys = unsupported_in(list((service["metadata"].get("annotations") or {})), "nlb")
            what = f"; it does not support {', '.join(keys)} [EKS-AUTO-NLB]" if keys else ""
            return (f"{ref.describe()} would get loadBalancerClass {got} from EKS Auto Mode's webhook, so Auto Mode "
                    f"would build this load balancer, not the {plan.mode} reconciler{what}: {t.name} would not be the "
                    f"topology. Run with --eks-mode auto-mode on an Auto Mode cluster ({self._created()})")
        refusal = model_data(t).get("webhook_refusal")  # the Classic ELB's: the LBC's webhook makes it an NLB
        if refusal:
            return f"{ref.describe()} would get loadBalancerClass {got} {refusal.format(name=t.name)}"
        return (f"{ref.describe()} would get loadBalancerClass {got} from a mutating webhook, which no reconciler of "
                f"mode {plan.mode} handles (expected {' or '.join(c or 'none' for c in allowed)}); nothing was created")

    def _learn_client(self, edge: Edge) -> None:
        """Through an L7 edge, learn the runner's address (_finish already applied what was known)."""
        if not can_teach(edge):
            return
        scheme = "https" if edge.endpoint("https") else "http"
        self.truth.learn(edge, http_get(edge, scheme, edge.hostnames[0], "/edgeconform/client-ip"))
        self.truth.apply(edge)

    def client_ip_problem(self, edge: Edge) -> str | None:
        """Before a client-IP check: name the runner's address on ``edge``, or say why it is unknown."""
        self.truth.apply(edge)
        return self.truth.problem()

    def _undo(self, topology: str) -> None:
        """Take ``topology``'s objects away; its load balancer is left deleting (the session's end waits for all)."""
        if self.deployment is not None:
            self.problems += self.deployment.undo(topology, wait=False)

    # --- the node-port bypass check ------------------------------------------------------------------
    def node_port_bypass(self, edge: Edge) -> bypass.BypassReport:
        from ... import controllers

        cluster = self.cluster
        if cluster is None:
            raise TargetUnavailable("the node-port bypass check reads the cluster's Services and nodes: it needs "
                                    "--kubeconfig (also in edge-url mode, read only)")
        controller = controllers.get(self.settings.controller)
        listing = lambda kind, **kw: cluster.dynamic.resources.get(api_version="v1", kind=kind).get(**kw).to_dict()["items"]  # noqa: E731
        pods = listing("Pod", namespace=controller.namespace,
                       label_selector=",".join(f"{k}={v}" for k, v in controller.pod_selector.items()))
        t = edge.topology
        # the run's other topologies have their Services in front of the controller too (their load balancers are
        # up at the same time): this edge's check is about its own Service and the controller's own
        services = [svc for svc in listing("Service", namespace=controller.namespace)
                    if not _other_topology(svc, self.run_id, t.name)]
        node_ports = bypass.controller_node_ports(services, [p["metadata"].get("labels") or {} for p in pods])
        addresses = bypass.node_addresses(listing("Node"), include_internal=self.settings.scheme == "internal")
        return bypass.check(t.name, node_ports, addresses, proxy_protocol=t.controller.proxy_protocol,
                            trusted_hops=t.controller.trusted_hops, connector=self._connector)

    # --- diagnostics ---------------------------------------------------------------------------------
    def _diagnostics(self, plan: Plan | None = None) -> dict[str, str]:
        from ... import controllers

        if self.cluster is None:
            return {}
        controller = controllers.get(self.settings.controller)
        out: dict[str, str] = {}
        namespaces = [manifests.NAMESPACE, controller.namespace]
        for namespace in namespaces:
            out[f"pods and events in {namespace}"] = self.cluster.describe_pods(namespace)
        out.update(self.cluster.logs(controller.namespace, controller.pod_selector, tail=60))
        if plan is not None:
            out["load balancer object"] = plan.load_balancer_yaml()
        return out

    def _diagnostics_text(self, plan: Plan | None = None) -> str:
        return "\n".join(f"--- {name} ---\n{text}" for name, text in self._diagnostics(plan).items())

    def _edge_logs(self, t: Topology) -> dict[str, Any]:
        try:
            return self._diagnostics()
        except Exception as exc:
            return {"cluster": f"(could not read diagnostics: {exc})"}


def _other_topology(obj: dict[str, Any], run_id: str, topology: str) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return labels.get(RUN_LABEL) == run_id and labels.get(manifests.TOPOLOGY_LABEL) not in (None, topology)
