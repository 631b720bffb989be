"""``pytest suites --target eks --rehearsal``: the eks target's own code path (plan, apply, the shared wait for every
load balancer, the controller's settings per topology, cleanup) against the rehearsal control plane, and then local
stand-ins built from the AWS model the real LBC made, with the real local controller behind them.

- The cluster is the rehearsal control plane (edgeconform.rehearsal.controlplane), with the cluster stand-in
  (edgeconform.rehearsal.cluster) doing the kubelet's and controller manager's share. The installed ingress
  controller is seeded as its Deployment in its namespace (pods with its labels, no container): the eks target
  applies its settings, which nothing reads here.
- A load balancer's DNS name resolves to a local edge built from what the LBC built, read back from moto: its
  listeners, certificates, security policy, redirect, target type, PROXY v2 and client-IP preservation attributes,
  X-Forwarded-For mode, idle timeouts, health check, mutual TLS and address type replace the topology's
  (``topology_from_model``). A setting the LBC dropped is then missing from the edge the suites probe, and the
  behaviour it carries fails like any other.
- Only controllers whose cluster objects are Kubernetes' own kinds (ingress-nginx: ConfigMaps, Secrets, an Ingress of
  its class) run here; the others need their CRDs, which the control plane does not install.
- What stays unrehearsed: AWS's own validation and behaviour (the stand-ins are edgeconform's, built from the
  model), DNS, real health checks of targets, the node-port bypass check (no nodes to reach), EKS Auto Mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import catalog, controllers
from ..targets.base import TargetUnavailable, TargetUsageError
from ..targets.eks import target as eks_target
from ..targets.eks.settings import EksSettings
from ..topology import Topology
from .components import RehearsalError
from .model import LoadBalancer, read_back
from .rehearse import Rehearser

CONTROLLERS = ("ingress-nginx",)
PORT_SHIFT = 8000
DEFAULT_CONTROLLER = "ingress-nginx"


def topology_from_model(t: Topology, lb: LoadBalancer) -> Topology:
    """``t`` with its load balancer replaced by what was built: each field from the AWS model (certificates by the
    names the rehearsal imported them under). The controller's side stays the topology's."""
    fields: dict[str, Any] = {}
    by_port = {item.port: item for item in t.lb.listeners}
    listeners = []
    for item in lb.listeners:
        meant = by_port.get(item.port)
        target = meant.target if meant else ("https" if item.protocol in ("TLS", "HTTPS") else "http")
        idle = item.attributes.get("tcp.idle_timeout.seconds")
        listeners.append({"port": item.port, "protocol": item.protocol, "target": target,
                          **({"idle_timeout": int(idle)} if idle and int(idle) != 350 else {})})
    fields["listeners"] = listeners
    tls = [item for item in lb.listeners if item.protocol in ("TLS", "HTTPS")]
    if tls:
        fields["certificates"] = [c for c in [tls[0].default_certificate, *tls[0].sni_certificates] if c]
        if tls[0].ssl_policy:
            fields["tls_policy"] = tls[0].ssl_policy
            fields["tls_min_version"] = None
    groups = lb.target_groups
    if groups:
        attributes = groups[0].attributes
        fields["target_type"] = groups[0].target_type
        if lb.type == "network":
            fields["proxy_protocol"] = "v2" if attributes.get("proxy_protocol_v2.enabled") == "true" else None
            preserve = attributes.get("preserve_client_ip.enabled")
            fields["client_ip_preservation"] = None if preserve is None else preserve == "true"
        hc = groups[0].health_check
        http = hc.protocol in ("HTTP", "HTTPS")
        fields["health_check"] = {"protocol": "HTTP" if http else "TCP",
                                  "port": "traffic-port" if hc.port in (None, "traffic-port") else
                                  "health-check-node-port",
                                  **({"path": hc.path, "success_codes": hc.matcher} if http else {})}
    if lb.type == "application":
        attrs = lb.attributes
        fields["xff"] = attrs.get("routing.http.xff_header_processing.mode", "append")
        fields["xff_client_port"] = attrs.get("routing.http.xff_client_port.enabled") == "true"
        fields["preserve_host_header"] = attrs.get("routing.http.preserve_host_header.enabled") == "true"
        idle = attrs.get("idle_timeout.timeout_seconds")
        fields["idle_timeout"] = int(idle) if idle and idle != "60" else None
        http_listeners = [item for item in lb.listeners if item.protocol == "HTTP"]
        from .compare import _redirects_everything

        fields["ssl_redirect"] = bool(http_listeners) and all(_redirects_everything(i) for i in http_listeners)
        modes = [item.mutual_authentication.get("Mode", "off") for item in tls] or ["off"]
        fields["mutual_tls"] = modes[0]
    fields["ip_address_type"] = lb.ip_address_type
    data = catalog.entry_data(t)
    data["load_balancer"] = {**data["load_balancer"], **fields}
    data["load_balancer"] = {k: v for k, v in data["load_balancer"].items() if v is not None}
    data["origin"] = f"the AWS model the LBC built for {t.name} (load balancer {lb.name})"
    return catalog.parse(data, data["origin"])


class RehearsalEksTarget(eks_target.EksTarget):
    """The eks target, its cluster the rehearsal control plane and its load balancers local stand-ins of the model."""

    @classmethod
    def from_options(cls, options, controller: str) -> RehearsalEksTarget:
        if options.get("kubeconfig") or options.get("edge_url"):
            raise TargetUsageError("--rehearsal makes its own cluster: leave out --kubeconfig and --edge-url")
        if controller not in CONTROLLERS:
            raise TargetUsageError(f"--rehearsal: the {controller} controller's cluster objects need its CRDs, which "
                                   f"the rehearsal control plane does not install; use --controller "
                                   f"{' or '.join(CONTROLLERS)}")
        mode = options.get("eks_mode") or "lbc-annotations"
        if mode == "auto-mode":
            raise TargetUsageError("--rehearsal with --eks-mode auto-mode: the eks target checks for EKS Auto Mode's "
                                   "own signs, which the rehearsal does not fake; `edgeconform rehearse --eks-mode "
                                   "auto-mode` rehearses the LBC with Auto Mode's class")
        return cls(controller, mode, options)

    def __init__(self, controller: str, mode: str, options):
        from .cluster import ClusterStandIn
        from .controlplane import ControlPlane
        try:
            self.plane = ControlPlane()
            self.plane.start()
        except RehearsalError as exc:
            raise TargetUnavailable(f"--rehearsal: {exc}") from None
        self.stand_in = ClusterStandIn(self.plane)
        self.local: dict[str, Any] = {}
        self.models: dict[str, LoadBalancer] = {}
        try:
            self._install_controller(controller)
            rehearser = Rehearser(self.plane)
            from . import seed

            arns = seed.certificate_arns(self.plane, sorted({c for t in catalog.load([]).values()
                                                             for c in t.lb.certificates}))
            kubeconfig = Path(rehearser.cluster().kubeconfig)
            settings = EksSettings(kubeconfig=kubeconfig, controller=controller, mode=mode, scheme="internet-facing",
                                   certificates=arns, trust_store=seed.TRUST_STORE,
                                   vpc_cidrs=["10.0.0.0/16", "127.0.0.0/8"], timeouts={
                                       "echo-ready": 30, "lb-provision": 60, "lb-dns": 30, "lb-targets": 60,
                                       "lb-delete": 60, "namespace-delete": 30})
        except BaseException:
            self._close_plane()
            raise
        super().__init__(settings, resolver=self._resolve, connector=lambda ip, port, timeout: "refused",
                         interval=0.2)

    def prepare(self, topologies: dict[str, Topology]) -> dict[str, Topology]:
        """Listener ports below 1024 move up by 8000 (80 -> 8080, 443 -> 8443): the local stand-ins serve the load
        balancer's ports as they are on loopback, where low ports are not everyone's to bind."""
        out = {}
        for name, t in super().prepare(topologies).items():
            listeners = [item.model_copy(update={"port": item.port + PORT_SHIFT}) if item.port < 1024 else item
                         for item in t.lb.listeners]
            out[name] = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"listeners": listeners})})
        return out

    def will_build(self, topologies: list[Topology]) -> None:
        """Every certificate the session's topologies name is imported into moto's ACM before they are planned."""
        from . import seed

        arns = seed.certificate_arns(self.plane, sorted({c for t in topologies for c in t.lb.certificates}))
        self.settings = self.settings.model_copy(update={"certificates": {**self.settings.certificates, **arns}})
        super().will_build(topologies)

    def _install_controller(self, name: str) -> None:
        """The ingress controller as a cluster would have it installed: its namespace and a Deployment with its pod
        labels (the cluster stand-in makes the pod Ready)."""
        from kubernetes import client

        plugin = controllers.get(name)
        self.plane.workload.ensure_namespace(plugin.namespace)
        client.AppsV1Api(self.plane.kube).create_namespaced_deployment(plugin.namespace, {
            "metadata": {"name": f"{name}-controller"},
            "spec": {"replicas": 1, "selector": {"matchLabels": dict(plugin.pod_selector)},
                     "template": {"metadata": {"labels": dict(plugin.pod_selector)},
                                  "spec": {"containers": [{"name": "controller", "image": "rehearsal.invalid/none",
                                                           "ports": [{"containerPort": 80}, {"containerPort": 443}]}]}}}})
        client.NetworkingV1Api(self.plane.kube).create_ingress_class({
            "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}})
        from ..kube.api import ClusterError, poll
        from ..kube.timeouts import Timeout

        ready = Rehearser(self.plane).cluster().pods_ready(plugin.namespace, dict(plugin.pod_selector))
        try:  # the cluster stand-in makes the pod and then its Ready status
            poll(Timeout("controller-installed", 20.0, "EDGECONFORM_REHEARSAL_CONTROLLER_TIMEOUT", "the installed controller"), f"{name}'s stand-in pod Ready", ready, 0.05)
        except ClusterError as exc:
            raise RehearsalError(f"{exc}; the cluster stand-in says: {self.stand_in.errors[-3:]}") from None

    def _edge(self, t: Topology, workdir: Path):
        """The eks target's edge, probed under the local convergence profile: its load balancer is a local stand-in."""
        from ..edge import LOCAL_CONVERGE

        edge = super()._edge(t, workdir)
        edge.converge = LOCAL_CONVERGE
        return edge

    def _finish(self, edge, address: str, cluster) -> None:
        """The eks target's roles, then the stand-in edge's own: the addresses the backend reports are the local
        stand-ins' (its node hop, its load balancer), not the rehearsal cluster's."""
        super()._finish(edge, address, cluster)
        local = next((e for e in self.local.values() if e.topology.name == edge.topology.name), None)
        if local is not None:  # the probes leave from the stand-in's client addresses: they are the ground truth
            edge.roles.update(local.roles)
            edge.client_addresses, edge.client_cidr = list(local.client_addresses), local.client_cidr

    def client_ip_problem(self, edge) -> str | None:
        """The client addresses are the local stand-ins' own (no NAT between the runner and them)."""
        return None

    def _resolve(self, hostname: str) -> list[str]:
        """The load balancer's DNS name -> a local edge built from the AWS model the LBC made for it."""
        from .. import controllers
        from ..targets.local import LocalTarget

        if hostname not in self.local:
            names = {arn: n for n, arn in self.plane.seed.certificates.items()}
            found = read_back(self.plane.aws("elbv2"), [hostname], names)
            if not found:
                raise LookupError(f"no load balancer {hostname} in the rehearsal's AWS (moto)")
            lb = found[0]
            topology = self._topology_for(lb)
            built = topology_from_model(topology, lb)
            controller = self.settings.controller
            if controllers.straight_to_app(built):
                controller = built.controller.kind  # none: the application itself behind the load balancer
            else:  # the cluster's controller, in the topology's abstract terms
                built = built.model_copy(update={"controller": built.controller.model_copy(update={"kind": None})})
            self.models[topology.name] = lb
            self.local[hostname] = LocalTarget(isolation="loopback", controller=controller).build(built)
        edge = self.local[hostname]
        return [(edge.endpoint("https") or edge.endpoint("http")).ip]

    def _topology_for(self, lb: LoadBalancer) -> Topology:
        stack = lb.tags.get("service.k8s.aws/stack") or lb.tags.get("ingress.k8s.aws/stack") or \
            next((v for k, v in lb.tags.items() if k.startswith("gateway.k8s.aws") and k.endswith("stack")), "")
        name = stack.rsplit("/", 1)[-1].removeprefix("edgeconform-")
        for t in self.expected:
            if t.name == name:
                return t
        raise LookupError(f"load balancer {lb.name} (stack {stack!r}) belongs to no topology of this run")

    def summary(self) -> list[str]:
        lines = [line for line in super().summary() if not line.startswith("client-IP ground truth: unknown")]
        lines.append("client-IP ground truth: the local stand-ins' own client addresses (no NAT here)")
        lines.insert(0, f"edgeconform eks --rehearsal: the real AWS Load Balancer Controller (pid "
                        f"{self.plane.lbc.popen.pid if self.plane.lbc else '?'}) built {len(self.models)} load "
                        "balancer(s) in moto; the edges probed are local stand-ins built from that AWS model")
        return lines

    def close(self) -> None:
        try:
            super().close()
        finally:
            for edge in self.local.values():
                edge.close()
            self._close_plane()

    def _close_plane(self) -> None:
        self.stand_in.close()
        self.plane.close()
