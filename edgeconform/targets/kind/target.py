"""The kind target: the same suites against a real ingress controller in a kind cluster.

    probe (host) -> client relay 10.x (container, kind network) -> LB stand-in (container, kind network)
                 -> node IP:NodePort [kube-proxy, externalTrafficPolicy] or pod IP (ip targets)
                 -> Emissary-ingress / ingress-nginx pod -> echo backend pod

Per session: create or reuse the cluster (clusters/kind/cluster.yaml), deploy the echo backend, install the
controller. Per topology: translate the controller settings (edgeconform/controllers), apply them with the
topology's certificates as Secrets, start the load-balancer stand-in and the client relays as containers on
the `kind` network, and hand the suites an Edge whose client addresses are the relays' addresses.
A failing setup fails that topology only, with kind's logs, pod descriptions and controller logs attached.

Images come from registries, or (``--kind-images local``, the default once `./dev kind-images` has built them) from
this machine: podman then runs in namespaces of its own with no route off the machine (engine.py), the probes'
sockets are made in its network namespace, this process reaches the API server through a loopback relay, and the
controllers install from what their modules ship (Envoy Gateway's chart; Traefik's CRDs with our manifests).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from ... import certs, controllers
from ...controllers.base import COMMON_KINDS, NODE_PORTS, EdgeFacts
from ...edge import ControllerInfo, Converge, Edge, Lifecycle, Transport, endpoints_for, remove_tree
from ...kube import manifests
from ...kube.api import Cluster, ClusterError
from ...kube.manifests import versions
from ...kube.timeouts import COMMAND, CONTROLLER_READY, ECHO_READY, EDGE_SETTLE
from ...load_balancers import standins
from ...load_balancers.standins import AddressBook, StandIn
from ...probing.http import http_get
from ...render import render
from ...topology import LB_SERVER_HEADER, Topology
from ..base import BuildFailed, Target, TargetUnavailable
from ..local import workdirs
from . import containers
from .cluster import DEFAULT_NAME, CommandFailed, KindCluster, node_container, run
from .tools import detect

# 3 consecutive matching observations (Gateway API conformance's threshold) within 20 s: the edge is handed out once
# a request through it reaches the echo backend (settle), so what is left to converge is the controller's own
# transients; Gateway API allows 30 s on a local cluster from an unsettled start.
KIND_CONVERGE = Converge("kind", timeout=20.0, consecutive=3, interval=0.5)
CLIENTS = 3


class KindTarget(Target):
    name = "kind"

    @classmethod
    def from_options(cls, options, controller: str) -> KindTarget:
        return cls(controller, keep=bool(options.get("keep_cluster")), cluster_name=options.get("cluster_name"),
                   images=options.get("kind_images"))

    def __init__(self, controller: str = "emissary", *, keep: bool = False, cluster_name: str | None = None,
                 images: str | None = None):
        self.controller = controllers.get(controller)
        self.tools = detect(need_helm="helm" in self.controller.tools,  # TargetUnavailable: what to install
                            controller=self.controller.title, images=images, name=self.controller.name)
        self.keep = keep
        self.engine = None  # edgeconform.targets.kind.engine.Engine, with local images
        self.assets: Path | None = None  # the controllers' charts and manifests, with local images
        self.client_kw: dict | None = None  # testcontainers' client arguments (the engine's socket)
        workdirs.sweep()  # what a killed run left in the temporary folder (its owner process is gone)
        self.workdir = workdirs.make("edgeconform-kind-")
        name = cluster_name or DEFAULT_NAME
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:  # each pytest-xdist worker gets its own cluster: clusters are not shared across processes
            name = f"{name}-{worker}"
        self.cluster = KindCluster(name, self.tools, self.workdir, keep=keep)
        self.api: Cluster | None = None
        self.failed: str | None = None
        self.timings: dict[str, float] = {}  # the session's set-up steps, in seconds (summary)

    def header(self) -> str:
        return f"kind ({self.controller.name})"

    # --- the session's cluster ---------------------------------------------------------------------
    def _ensure_cluster(self) -> Cluster:
        if self.api is not None:
            return self.api
        if self.failed:
            raise BuildFailed(f"the kind cluster could not be prepared earlier in this session:\n{self.failed}")
        from .engine import EngineError

        try:
            if self.tools.images == "local":
                with self._timed("engine"):
                    self._open_engine()
            with self._timed("cluster"):
                self.cluster.ensure()
            api = Cluster(self.cluster.api_kubeconfig)
            self._sweep(api)
            local = self.tools.images == "local"
            with self._timed("echo backend"):
                api.apply(manifests.echo(self._echo_image() or versions()["images"]["python"],
                                         client_header=self.controller.client_header, install_websockets=not local))
                api.wait(ECHO_READY, "the echo backend becoming ready",
                         api.pods_ready(manifests.NAMESPACE, {"app.kubernetes.io/name": manifests.ECHO_SERVICE}))
            with self._timed(f"{self.controller.name} installed"):
                self.controller.install(api, self._runner, self.cluster.kubeconfig, self.assets)
        except (CommandFailed, ClusterError, OSError, EngineError) as exc:
            self.failed = f"{exc}\n\n{self._diagnostics_text()}"
            raise BuildFailed(f"preparing kind cluster {self.cluster.name!r} with {self.controller.name} failed: "
                              f"{self.failed}") from None
        self.api = api
        return api

    @contextmanager
    def _timed(self, what: str):
        started = time.monotonic()
        yield
        self.timings[what] = round(time.monotonic() - started, 1)

    def summary(self) -> list[str]:
        """The session's set-up, step by step (seconds): the engine, the cluster (created or reused), the echo
        backend, the controller."""
        if not self.timings:
            return []
        cluster = "created" if self.cluster.created else "reused" if self.cluster.reused else "not ready"
        steps = ", ".join(f"{'cluster ' + cluster if what == 'cluster' else what} {seconds} s"
                          for what, seconds in self.timings.items())
        return [f"edgeconform kind {self.cluster.name!r} ({self.tools.images} images): {steps}"]

    def _sweep(self, api: Cluster) -> None:
        """What a killed run left on a kept cluster: its topologies' objects (by their topology label: a NodePort
        still held by one makes the next topology's Service fail) and its stand-in and relay containers."""
        kinds = {*COMMON_KINDS, *self.controller.resource_kinds,
                 *(kind for name in controllers.names() if not controllers.controller_class(name).installs
                   for kind in controllers.controller_class(name).resource_kinds)}
        for api_version, kind in sorted(kinds):
            for namespace in dict.fromkeys((manifests.NAMESPACE, self.controller.namespace)):
                _quietly(api.delete_labelled, api_version, kind, manifests.TOPOLOGY_LABEL, namespace)
        containers.sweep(self.cluster.name, self.client_kw)

    def _open_engine(self) -> None:
        """Podman in namespaces of its own for this cluster: a kept one of the same name, or a new one."""
        from testcontainers.core.config import testcontainers_config

        from .engine import Engine, image_store
        from .images import assets_dir, built

        engine = Engine.find(self.cluster.name) or Engine.start(self.cluster.name, keep=self.keep,
                                                                   image_store=image_store())
        engine.kept = self.keep
        self.engine = self.tools.ns = engine
        self.client_kw = {"environment": {"DOCKER_HOST": engine.serve()}}
        # testcontainers' reaper (Ryuk) is an image of a registry; the engine's PID namespace reaps instead
        testcontainers_config.ryuk_disabled = True
        self.cluster.node_image = built()["node"]["tags"][0]
        self.assets = assets_dir()

    def _image(self, name: str) -> str:
        """The tag of an image ./dev kind-images built (clusters/kind/images.yaml)."""
        from .images import built

        return built()[name]["tags"][0]

    def _echo_image(self) -> str | None:
        """The echo image ./dev kind-images built (it carries websockets), on local images; else None."""
        return self._image("echo") if self.tools.images == "local" else None

    def _runner(self, argv: list[str], timeout) -> str:
        return run(self.tools.command(argv), self.tools.env, timeout)

    def _connect(self, ip: str, port: int, timeout: float):
        """A connection to a container of the kind network: from this machine (published ports) or inside the
        engine's namespace."""
        if self.engine is not None:
            return self.engine.connect(None, ip, port, timeout)
        from ...supervisor import host_connect

        return host_connect(ip, port, timeout)

    def _diagnostics(self) -> dict[str, str]:
        out = {"kind export logs": self.cluster.export_logs()}
        try:
            api = self.api or Cluster(self.cluster.api_kubeconfig)
        except Exception as exc:
            return {**out, "cluster": f"(no API access: {exc})"}
        for namespace in (self.controller.namespace, manifests.NAMESPACE):
            out[f"pods in {namespace}"] = api.describe_pods(namespace)
        out.update(api.logs(self.controller.namespace, self.controller.pod_selector))
        return out

    def _diagnostics_text(self) -> str:
        return "\n".join(f"--- {name} ---\n{text}" for name, text in self._diagnostics().items())

    def close(self) -> None:
        try:
            if self.cluster.created or self.cluster.reused:
                self.cluster.close()
        finally:
            if self.engine is not None and not self.keep:
                self.engine.stop()  # every container, the network, the namespaces, the cgroups, the folder
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- one topology ------------------------------------------------------------------------------
    def build(self, topology: Topology) -> Edge:
        if topology.lb.cloudfront or topology.lb.mutual_tls != "off":
            from ...load_balancers.alb import MTLS_NOT_ON_KIND
            from ...load_balancers.cloudfront import NOT_ON_KIND
            raise TargetUnavailable(NOT_ON_KIND if topology.lb.cloudfront else MTLS_NOT_ON_KIND)
        t = topology
        controller = self.controller_for(t)  # before the cluster: a topology this run cannot build costs nothing
        api = self._ensure_cluster()
        workdir = workdirs.make(f"edgeconform-kind-{t.name}-")
        running: list[containers.Running] = []
        def alive() -> None:
            for r in running:
                r.check()
        lifecycle = Lifecycle(check_alive=alive, logs=lambda: self._edge_logs(running, controller))
        edge = Edge(topology=t, target=self.name, endpoints={}, ca=workdir / "ca.pem", roles={}, client_cidr=None,
                    client_addresses=[], workdir=workdir, converge=KIND_CONVERGE, lifecycle=lifecycle,
                    controller=ControllerInfo.of(controller, t, version=controller.version()))
        lifecycle.on_close(remove_tree(workdir))
        lifecycle.on_close(lambda: self._forget(api, t, controller))
        lifecycle.on_close(lambda: [r.stop() for r in reversed(running)])
        try:
            self._build(api, t, workdir, edge, running, controller)
        except BuildFailed:
            edge.close()
            raise
        except Exception as exc:  # a container, command or API step failed: this topology only
            message = f"building {t.name} on kind with {controller.name} failed: {exc}\n\n{self._diagnostics_text()}"
            message += "".join(f"\n--- {r.spec.name} ---\n{r.logs()}" for r in running)
            edge.close()
            raise BuildFailed(message) from None
        except BaseException:  # Ctrl-C or SIGTERM mid-build: what this topology started goes too
            edge.close()
            raise
        return edge

    def controller_for(self, t: Topology) -> controllers.Controller:
        """The controller that runs ``t``: the session's, or the one its block names where that one installs nothing
        (none: the application comes with the topology). A topology written for another installed controller skips,
        naming the --controller that builds it."""
        kind = t.controller.kind
        if kind in (None, self.controller.name):
            return self.controller
        other = controllers.get(kind)
        if other.installs:
            raise TargetUnavailable(f"{t.name} is written for the {kind} controller (controller.kind); this kind run "
                                    f"installs {self.controller.name}: run it with --controller {kind}")
        return other

    def _build(self, api: Cluster, t: Topology, workdir: Path, edge: Edge, running: list,
               controller: controllers.Controller) -> None:
        pins = versions()
        certs.write_ca(workdir)
        lb_certs = certs.issue(workdir / "certs", "lb", t.lb.certificates)
        ctl_certs = certs.issue(workdir / "certs", "controller", t.controller.certificates)
        idle = t.idle_timeout
        nodes = api.nodes()
        ports = dict(controller.container_ports)
        plan = None
        if not controller.installs:  # the application comes with the topology: running before its address is known
            plan = controller.translate(t, EdgeFacts((), ctl_certs, echo_image=self._echo_image()))
            controller.configure(api, self._runner, self.cluster.kubeconfig, plan, workdir, self.assets)
            api.wait(ECHO_READY, f"the application of {t.name} becoming ready",
                     api.pods_ready(controller.namespace, controller.pod_selector))

        # Where the load balancer sends each listener: NodePorts (instance) or the controller's pod (ip).
        if t.lb.target_type == "instance":
            node_ip = nodes[0].internal_ip
            targets = {kind: (node_ip, NODE_PORTS[kind]) for kind in t.controller_kinds}
            pod_routes: list[tuple[str, str]] = []
        else:
            pod_ip = serving_pod(api, controller)
            targets = {kind: (pod_ip, ports[kind]) for kind in t.controller_kinds}
            pod_routes = [(cidr, node.internal_ip) for node in nodes for cidr in node.pod_cidrs]
        public_ports = [item.port for item in t.lb.listeners]
        standin, transparent = write_lb_config(t, workdir, lb_certs, targets)
        program, config = standin.program, standin.config_name
        image = pins["images"][program]
        if t.layer == "l7":
            edge.lb_server_header = LB_SERVER_HEADER
        prefix = f"{self.cluster.name}-{t.name}"
        publish = self.engine is None  # inside the engine's namespace the containers are reached directly
        lb = containers.start(containers.load_balancer(prefix, program, image, workdir, config, transparent,
                                                       public_ports, publish), self.client_kw)
        running.append(lb)

        # The controller learns the load balancer's address (trusted for PROXY / X-Forwarded-For).
        node_addresses = tuple(dict.fromkeys([node.internal_ip for node in nodes] +
                                             [str(next(ipaddress.ip_network(cidr).hosts())) for node in nodes
                                              for cidr in node.pod_cidrs]))  # kube-proxy's SNAT sources
        if plan is None:
            plan = controller.translate(t, EdgeFacts((lb.ip,), ctl_certs, node_addresses=node_addresses,
                                                     echo_image=self._echo_image()))
            controller.configure(api, self._runner, self.cluster.kubeconfig, plan, workdir, self.assets)
            if t.lb.target_type == "ip":
                # A controller whose settings are its installation's (Traefik's entry points) rolls a new pod out
                # for them, at a new address: the load balancer, which had to exist first (the controller trusts
                # its address), is replaced by one at the same address that targets the new pod.
                now = serving_pod(api, controller)
                if now != pod_ip:
                    targets = {kind: (now, ports[kind]) for kind in t.controller_kinds}
                    write_lb_config(t, workdir, lb_certs, targets)
                    running.remove(lb)
                    lb.stop()  # removes the container, freeing its address
                    lb = containers.start(containers.load_balancer(prefix, program, image, workdir, config,
                                                                   transparent, public_ports, publish, ip=lb.ip),
                                          self.client_kw)
                    running.append(lb)

        relays = []
        for i in range(CLIENTS):
            cfg = f"client-relay-{i}.cfg"
            (workdir / cfg).write_text(client_relay_config(i, lb.ip, public_ports, idle))
            relay = containers.start(containers.client_relay(prefix, i, pins["images"]["haproxy"], workdir, cfg,
                                                             public_ports, publish), self.client_kw)
            running.append(relay)
            relays.append(relay)
        if transparent or pod_routes:
            node_image = self.cluster.node_image or pins["node_image"]
            containers.run_once(containers.netns_helper(lb.spec.name, node_image,
                                                        containers.transparent_setup_script(pod_routes, transparent)),
                                self.client_kw)
        if transparent:
            node = node_container(self.cluster.name)
            for argv in containers.node_route_commands(self.tools.engine, node, [r.ip for r in relays], lb.ip, True):
                self._runner(argv, COMMAND)
            undo = containers.node_route_commands(self.tools.engine, node, [r.ip for r in relays], lb.ip, False)
            edge.lifecycle.on_close(lambda: [_quietly(self._runner, argv, COMMAND) for argv in undo])
        edge.ready_seconds = containers.wait_ready(running, self._connect)

        # the probes stay on this machine (or in the engine's namespace); each client address is a relay container
        # that connects from it
        relayed = {r.ip: {p: r.address(p) for p in public_ports} for r in relays}
        if self.engine is not None:
            engine = self.engine
            edge.transport = Transport(socket=lambda ip, port, source, timeout: engine.connect(source, ip, port, timeout),
                                       enter=engine.command([]), relays=relayed)
        else:
            edge.transport = Transport(relays=relayed)
        edge.client_addresses = [r.ip for r in relays]
        edge.unsupported = dict(plan.unsupported)
        edge.roles = self.roles(api, lb.ip, [r.ip for r in relays], nodes, controller)
        first = relays[0]
        edge.endpoints = endpoints_for(t, first.address)
        edge.ready_seconds += settle(edge)

    def controller_ports(self, t: Topology) -> dict[str, int]:
        return dict(self.controller_for(t).container_ports)

    def roles(self, api: Cluster, lb_ip: str, clients: list[str], nodes,
              controller: controllers.Controller | None = None) -> dict[str, str]:
        controller = controller or self.controller
        roles = {lb_ip: "lb", **{ip: "client" for ip in clients}}
        for node in nodes:
            roles[node.internal_ip] = "node"
            for cidr in node.pod_cidrs:  # kube-proxy's SNAT may use the node's pod-network gateway address
                roles[str(next(ipaddress.ip_network(cidr).hosts()))] = "node"
        for ip in api.pod_ips(controller.namespace, controller.pod_selector):
            roles[ip] = "backend" if controller.semantics.straight_to_app else "controller"
        for ip in api.pod_ips(manifests.NAMESPACE, {"app.kubernetes.io/name": manifests.ECHO_SERVICE}):
            roles[ip] = "backend"
        return roles

    def _edge_logs(self, running: list, controller: controllers.Controller) -> dict[str, str]:
        logs = {r.spec.name: r.logs() for r in running}
        if self.api is not None:
            logs.update(self.api.logs(controller.namespace, controller.pod_selector, tail=40))
        return logs

    def _forget(self, api: Cluster, t: Topology, controller: controllers.Controller) -> None:
        """Delete what this topology created: exactly the kinds its controller declares, by the topology's label."""
        selector = f"{manifests.TOPOLOGY_LABEL}={t.name}"
        for api_version, kind in (*controller.resource_kinds, *COMMON_KINDS):
            for namespace in dict.fromkeys((manifests.NAMESPACE, controller.namespace)):
                _quietly(api.delete_labelled, api_version, kind, selector, namespace)


def serving_pod(api: Cluster, controller: controllers.Controller) -> str:
    """The address of the controller's ready pod (not one on its way out), waiting for one within the
    controller-ready timeout: ip targets send traffic to it."""
    found: list[str] = []

    def check() -> str | None:
        found[:] = api.pod_ips(controller.namespace, controller.pod_selector)
        return None if found else f"no ready {controller.name} pod to send ip-target traffic to"
    api.wait(CONTROLLER_READY, f"a ready {controller.name} pod", check)
    return found[0]


def settle(edge: Edge) -> float:
    """Wait until a request through the edge (the first client relay, the load balancer, the controller) reaches the
    echo backend on one of its endpoints: the controller has taken the topology's configuration. Bounded by the
    edge-settle timeout; an edge that never gets there is handed out all the same, and its cells say what they see."""
    started = time.monotonic()
    host = edge.hostnames[0] if edge.hostnames else "edgeconform.test"
    while time.monotonic() - started < EDGE_SETTLE.seconds:
        for scheme in ("https", "http"):
            if scheme in edge.endpoints:
                result = http_get(edge, scheme, host, "/edgeconform-settle", source=edge.client_addresses[0],
                                  timeout=5.0)
                if result.report is not None:
                    return time.monotonic() - started
        time.sleep(0.5)  # within the bounded loop above
    return time.monotonic() - started


def write_lb_config(t: Topology, workdir: Path, lb_certs: dict, targets: dict[str, tuple[str, int]]
                    ) -> tuple[StandIn, bool]:
    """Render the load-balancer stand-in for a container: the local target's templates, listening on the real
    AWS ports on every address, connecting from the container's own. Returns (the stand-in, transparent)."""
    book = AddressBook(lb_bind="0.0.0.0", lb_source=None, lb_admin_port=containers.ADMIN_PORT,
                       listener_ports={item.port: item.port for item in t.lb.listeners}, targets=targets,
                       https_port=None)
    transparent = t.layer == "l4" and t.preserves_client_ip
    standin, *_ = standins.render(t, book, workdir, lb_certs, transparent)  # no helpers without relay_ports
    (workdir / standin.config_name).write_text(standin.config)
    return standin, transparent


def client_relay_config(index: int, lb_ip: str, public_ports: list[int], idle: int, *, bind_ip: str = "0.0.0.0",
                 source_ip: str | None = None, ports: dict[int, tuple[int, int]] | None = None,
                 stats_port: int = containers.ADMIN_PORT) -> str:
    """A client relay's HAProxy configuration (proxies/haproxy/client-relay.cfg.j2). In a container it listens on
    the AWS ports and connects from the container's own address; ``ports`` (AWS port -> (bind port, load
    balancer port)) and ``source_ip`` place it elsewhere, e.g. on loopback next to the local stand-ins."""
    ports = ports or {p: (p, p) for p in public_ports}
    return render("haproxy/client-relay.cfg.j2", name=index, idle_timeout=idle, stats_port=stats_port,
                  lb_ip=lb_ip, bind_ip=bind_ip, source_ip=source_ip,
                  relays=[{"public_port": p, "bind_port": ports[p][0], "lb_port": ports[p][1]} for p in public_ports])


def _quietly(action, *args) -> None:
    try:
        action(*args)
    except Exception:
        pass
