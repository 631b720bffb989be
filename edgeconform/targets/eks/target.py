"""The eks target: the same suites against a real cluster and real AWS load balancers, through a kubeconfig.

    probe (runner, behind NAT) -> AWS NLB / Classic ELB / ALB (DNS name) -> node:NodePort or pod IP
                               -> the installed Emissary-ingress / ingress-nginx -> echo backend pod

Per session: connect, check that the controller is installed and ready, create the throwaway namespace with
the echo backend. Per topology: apply the plan (edgeconform.targets.eks.plan: the controller's settings and the
annotated Service or Ingress), wait for the load balancer's DNS name, for DNS, and for the echo answering
through it (the aws timeout profile), then hand the suites an Edge on the load balancer's address. Closing the
edge removes the topology's objects and waits until its load balancer is gone; the session's end removes the
namespace. A failed build fails that topology only, with events, pod states and controller logs.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import certs
from ...edge import Edge, endpoints_for, remove_tree
from ...kube import manifests
from ...kube.api import Cluster, ClusterError, _api_message
from ...probing.http import http_get
from ...topology import LB_SERVER_HEADER, Topology
from . import bypass, waits
from .annotations import CannotExpress
from .client import ClientTruth, can_teach
from .deploy import Deployment
from .plan import Plan, build as build_plan, localize, new_run_id, session_objects
from .settings import EksSettings
from .timeouts import AWS_CONVERGE, Profile
from ..base import BuildFailed, Target, TargetUnavailable, TargetUsageError
from . import settings as eks_settings

ECHO_SELECTOR = {"app.kubernetes.io/name": manifests.ECHO_SERVICE}
PHASES = ["apply", "lb-provision", "lb-dns", "lb-targets"]  # time to ready, by phase
NO_CLUSTER = (
    "the eks target needs a cluster: pass --kubeconfig FILE [--context NAME] (or kubeconfig: in --eks-config FILE), "
    "or --edge-url TOPOLOGY=URL to probe an edge that already exists. None was given, so nothing was deployed and "
    "no load balancer was probed")


@dataclass
class Readiness:
    """Time-to-ready of one topology, by phase (seconds)."""

    topology: str
    phases: dict[str, float] = field(default_factory=dict)
    hostname: str = ""
    addresses: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.phases.values())


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
        self.workdir = Path(tempfile.mkdtemp(prefix="edgeconform-eks-"))
        self.ca = ca_bundle(self.workdir, settings.ca_bundle)

    @classmethod
    def from_options(cls, options, controller: str) -> EksTarget:
        try:
            settings = eks_settings.load(
                options["eks_config"], kubeconfig=options["kubeconfig"], context=options["context"],
                keep=options["keep"], controller=controller, scheme=options["eks_scheme"],
                domain=options["eks_domain"], client_ip=options["client_ip"], acm_cert=options["acm_cert"],
                edge_url=options["edge_url"], timeout=options["eks_timeout"])
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

    def header(self) -> str:
        s = self.settings
        where = ", ".join(f"{name}={url}" for name, url in s.edges.items()) if s.edges else \
            f"kubeconfig {s.kubeconfig or '(none)'}{' context ' + s.context if s.context else ''}"
        client = s.client_ip or "learned through an L7 edge"
        return f"eks: {where}; controller {s.controller}; scheme {s.scheme}; client IP {client}"

    def runs_first(self, topology: Topology) -> bool:
        """Without --client-ip, L7 edges run first: their load balancer tells the runner's address."""
        return not self.settings.client_ip and topology.layer == "l7" and topology.xff_mode == "append"

    def before_check(self, edge: Edge, behaviour: str) -> str | None:
        """Before a client-IP check: the runner's address must be known (the ground truth)."""
        return self.client_ip_problem(edge) if behaviour == "client_ip" else None

    def summary(self) -> list[str]:
        """Time to ready per topology (by phase), the client-IP ground truth, and cleanup problems."""
        lines = [f"edgeconform eks run {self.run_id}: time to ready per topology (seconds; timeout profile aws)"]
        if not self.ready:
            lines.append("  (no edge became ready)")
        for name, ready in self.ready.items():
            phases = "  ".join(f"{phase} {ready.phases[phase]:.1f}" for phase in PHASES if phase in ready.phases)
            lines.append(f"  {name:<24} {ready.total:7.1f}   {phases}   {ready.hostname}")
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
    def _session(self) -> Cluster:
        if self.deployment is not None:
            assert self.cluster is not None
            return self.cluster
        if self.failed:
            raise BuildFailed(f"the cluster could not be prepared earlier in this session:\n{self.failed}")
        deployment = None
        try:
            try:
                cluster = self._connect(self.settings)
            except Exception as exc:  # a bad kubeconfig, an unknown context, no credentials
                raise ClusterError(f"cannot use kubeconfig {self.settings.kubeconfig} "
                                   f"(context {self.settings.context or 'current'}): {_api_message(exc)}") from None
            self.cluster = cluster
            self._controller_ready(cluster)
            deployment = Deployment(cluster, self.run_id, self.timeouts, keep=self.settings.keep,
                                    interval=self.interval, say=self._say)
            deployment.open(session_objects(self.run_id))
            cluster.wait(self.timeouts["echo-ready"], "the echo backend becoming ready",
                         cluster.pods_ready(manifests.NAMESPACE, ECHO_SELECTOR), self.interval)
        except ClusterError as exc:
            self.failed = f"{exc}\n\n{self._diagnostics_text()}"
            if deployment is not None and deployment.opened:
                self.problems += deployment.undo(None)
            raise BuildFailed(f"preparing the cluster for run {self.run_id} failed: {self.failed}") from None
        except BaseException:  # Ctrl-C while the namespace is being set up: take it away again
            if deployment is not None and deployment.opened:
                self.problems += deployment.undo(None)
            raise
        self.deployment = deployment  # only now: a session that failed to open holds nothing to build on
        return cluster

    def _controller_ready(self, cluster: Cluster) -> None:
        from ... import controllers

        controller = controllers.get(self.settings.controller)
        problem = cluster.pods_ready(controller.namespace, controller.pod_selector)()
        if problem:
            raise ClusterError(
                f"{controller.name} is not running in namespace {controller.namespace} ({problem}): the eks target "
                f"configures the installed controller and does not install one; install it, or choose the installed "
                f"one with --controller")

    def close(self) -> None:
        try:
            if self.deployment is not None:
                self.problems += self.deployment.undo(None)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- one topology --------------------------------------------------------------------------------
    def build(self, topology: Topology) -> Edge:
        t = localize(topology, self.settings)
        if self.settings.edges:
            if t.name not in self.settings.edges:
                raise TargetUnavailable(f"edge-url mode deploys nothing, and no --edge-url names {t.name} "
                                        f"(given: {', '.join(self.settings.edges)})")
            return self._existing(t, self.settings.edges[t.name])
        return self._deploy(t)

    def plan(self, t: Topology, workdir: Path) -> Plan:
        try:
            plan = build_plan(t, self.settings, self.run_id, workdir)
        except CannotExpress as exc:
            raise BuildFailed(str(exc)) from None
        if plan.annotations.missing_arns:
            names = ", ".join(plan.annotations.missing_arns)
            raise TargetUnavailable(f"{t.name} terminates TLS at the load balancer and needs ACM certificate ARNs "
                                    f"for {names}: pass --acm-cert NAME=ARN (or certificates: in --eks-config); the "
                                    "harness cannot mint AWS certificates")
        return plan

    def _edge(self, t: Topology, workdir: Path) -> Edge:
        edge = Edge(topology=t, target=self.name, endpoints={}, ca=self.ca, roles={}, client_cidr=None,
                    client_addresses=[None], lb_server_header=LB_SERVER_HEADER, converge=AWS_CONVERGE, workdir=workdir,
                    role_networks={cidr: "lb" for cidr in self.settings.vpc_cidrs},
                    _logs=lambda: self._edge_logs(t))
        edge.on_close(remove_tree(workdir))
        return edge

    def _deploy(self, t: Topology) -> Edge:
        if t.lb.cloudfront or t.lb.mutual_tls != "off":
            from ...load_balancers.alb import MTLS_NOT_DEPLOYED_ON_EKS
            from ...load_balancers.cloudfront import NOT_DEPLOYED_ON_EKS
            raise TargetUnavailable((NOT_DEPLOYED_ON_EKS if t.lb.cloudfront else MTLS_NOT_DEPLOYED_ON_EKS).format(name=t.name))
        workdir = Path(tempfile.mkdtemp(prefix=f"{t.name}-", dir=self.workdir))
        plan = self.plan(t, workdir)
        cluster = self._session()
        assert self.deployment is not None
        deployment = self.deployment
        edge = self._edge(t, workdir)
        edge.on_close(lambda: self._undo(t.name))
        ready = Readiness(t.name)

        def steps() -> None:
            self._refuse_webhook_class(cluster, plan)
            started = time.monotonic()
            deployment.apply(plan.edge, t.name, plan.load_balancer)
            ready.phases["apply"] = time.monotonic() - started
            ready.hostname, ready.phases["lb-provision"] = waits.lb_hostname(
                cluster, plan.load_balancer, self.timeouts["lb-provision"], self.interval)
            ready.addresses, ready.phases["lb-dns"] = waits.dns(ready.hostname, self.timeouts["lb-dns"],
                                                                self.interval, self._resolver)
            self._finish(edge, ready.addresses[0], cluster)
            edge.unsupported = dict(plan.controller.unsupported)
            ready.phases["lb-targets"] = waits.answering(edge, self.timeouts["lb-targets"], self.interval)

        return self._bring_up(edge, ready, steps, lambda exc: (
            f"building {t.name} on eks (run {self.run_id}, {self.settings.controller}) failed: {exc}\n\n"
            f"{self._diagnostics_text(plan)}"))

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

    def _refuse_webhook_class(self, cluster: Cluster, plan: Plan) -> None:
        """A Classic ELB needs a Service without loadBalancerClass; the AWS Load Balancer Controller's Service
        webhook (on by default since v2.5) would give it service.k8s.aws/nlb, and AWS would build an NLB.
        A server-side dry run shows what the webhook does, before anything is created."""
        if plan.topology.lb.model != "clb":
            return
        ref = plan.load_balancer
        service = next(o for o in plan.edge if o["kind"] == "Service" and o["metadata"]["name"] == ref.name)
        resource = cluster.dynamic.resources.get(api_version="v1", kind="Service")
        try:
            seen = resource.create(body=service, namespace=ref.namespace, dry_run="All").to_dict()
        except Exception as exc:
            if getattr(exc, "status", None) == 409:  # exists already: applied again below, nothing to learn here
                return
            raise ClusterError(f"a dry run of {ref.describe()} was refused: {_api_message(exc)}") from None
        got = (seen.get("spec") or {}).get("loadBalancerClass")
        if got:
            raise ClusterError(
                f"{ref.describe()} would get loadBalancerClass {got} from a mutating webhook (the AWS Load Balancer "
                f"Controller's Service webhook), so AWS would build an NLB instead of the Classic ELB {plan.topology.name} "
                "needs [LBC-SA][CPA]. Classic ELB topologies need the controller installed with "
                "enableServiceMutatorWebhook=false (nothing was created)")

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
        if self.deployment is not None:
            self.problems += self.deployment.undo(topology)

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
        services = listing("Service", namespace=controller.namespace)
        node_ports = bypass.controller_node_ports(services, [p["metadata"].get("labels") or {} for p in pods])
        addresses = bypass.node_addresses(listing("Node"), include_internal=self.settings.scheme == "internal")
        t = edge.topology
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
