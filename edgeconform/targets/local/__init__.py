"""The local target: real processes stand in for AWS and the cluster; the controller is a plug-in.

Each edge lives in a network namespace of its own (edgeconform.targets.local.netns; a user + network namespace for
a normal user, so nobody needs root), with AWS-like addresses that exist only inside it::

    client 198.51.100.11.. -> LB 10.0.1.17:80/443 -> [kube-proxy 10.0.2.11] -> controller 10.0.3.21 -> echo 10.0.4.31

- The load balancer: the stand-in its model names (edgeconform.load_balancers: HAProxy for L4 listeners, Envoy
  for L7 ones, with the helpers a model needs: the NLB's PROXY v2 writer), rendered by its model
  (edgeconform.load_balancers.standins).
- kube-proxy's SNAT (instance targets, externalTrafficPolicy Cluster): HAProxy, proxies/haproxy/kube-proxy.cfg.j2.
- The ingress controller: the chosen controller plug-in's processes (``--controller``; the default ``envoy`` is
  a hand-configured Envoy, proxies/envoy/controller.yaml.j2).

The harness reaches the edge through sockets made inside the namespace (the Edge's Transport). Where no namespace can be
made, each edge gets a loopback slot of the host instead (edgeconform.targets.local.addresses); NLB client-IP
preservation then needs root, and its cells skip naming why, once per session.

``plan()`` turns a topology into processes (rendered configurations, addresses); ``LocalTarget.build()`` starts
them all at once and waits until each answers on its admin/stats/health endpoint.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import binaries, certs, controllers, headers
from ...controllers import LocalPlace
from ...edge import ControllerInfo, Edge, Endpoint, Lifecycle, Transport, endpoints_for, remove_tree
from ...load_balancers import standins
from ...load_balancers.cloudfront import SERVER as CLOUDFRONT_SERVER
from ...load_balancers.cloudfront import standin as cloudfront
from ...load_balancers.standins import AddressBook, StandIn
from ...render import render
from ...supervisor import Process, ProcessFailed, Supervisor, all_of, http_ok, tcp_open
from ...topology import LB_SERVER_HEADER, Topology
from ..base import Target, TargetUnavailable, TargetUsageError
from . import addresses, netns, workdirs
from .addresses import NamespaceSite, Site

KEEP_WORKDIR = os.environ.get("EDGECONFORM_KEEP_WORKDIR") == "1"
CLIENT_CERT_NAME = "client.edgeconform.test"  # the probes' certificate where the ALB asks for one (mutual TLS)
# A controller whose start-up is slow (Envoy Gateway) starts it in the next edge's namespace while the current edge
# is probed (Controller.standby); EDGECONFORM_STANDBY=0 starts every edge from nothing.
STANDBY = os.environ.get("EDGECONFORM_STANDBY", "1") != "0"
TRANSPARENT_UNAVAILABLE = (
    "NLB client-IP preservation is emulated with HAProxy's transparent source (usesrc clientip), which needs a "
    "network namespace of the edge's own or, on the loopback fallback, root or CAP_NET_ADMIN")


def transparent_source_available() -> bool:
    """HAProxy's `usesrc clientip` in the host's namespace needs IP_TRANSPARENT: root or CAP_NET_ADMIN."""
    if os.geteuid() == 0:
        return True
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << 12))
    except OSError:
        pass
    return False


@dataclass
class Plan:
    processes: list[Process]
    endpoints: dict[str, Endpoint]
    unsupported: dict[str, str] = field(default_factory=dict)
    lb_server_header: str | None = None
    controller_admin: str | None = None
    controller_listeners: dict[str, tuple[str, int]] = field(default_factory=dict)
    controller_version: str | None = None
    diagnostics: list = field(default_factory=list)  # the controller's: connect -> {name: text}
    takes_over: Process | None = None  # the process already running as the controller's standby
    backend_at_controller: bool = False  # no controller (none): the application answers at the controller's place


@dataclass
class Standby:
    """A controller process started in a namespace of its own before its topology is known."""

    site: NamespaceSite
    workdir: Path
    supervisor: Supervisor
    managed: Any
    connect: Any

    def usable(self) -> bool:
        try:
            self.supervisor.check()
        except ProcessFailed:
            return False
        return True

    def close(self) -> None:
        self.supervisor.stop()
        self.site.release()


class LocalTarget(Target):
    name = "local"

    @classmethod
    def from_options(cls, options, controller: str) -> LocalTarget:
        try:
            # a wrong EDGECONFORM_ENVOY/_HAPROXY/_NGINX is one clear error, before anything
            for program in dict.fromkeys(("envoy", "haproxy", *controllers.controller_class(controller).binaries)):
                binaries.version(program)
        except binaries.MissingBinary as exc:
            raise TargetUsageError(str(exc)) from None
        try:  # a real controller built by ./dev tools: without it, its tests skip naming how to get it
            program = controllers.controller_class(controller).program
            if program is not None:
                binaries.version(program)
        except binaries.MissingBinary as exc:
            raise TargetUnavailable(f"the {controller} controller cannot run here: {exc}") from None
        return cls(controller)

    def __init__(self, controller: str = "envoy", *, isolation: str | None = None, standby: bool = STANDBY):
        self.controller = self._controller(controller)
        if isolation is None:
            ok, self.why_not_namespace = netns.available()
            isolation = "namespace" if ok else "loopback"
        else:
            self.why_not_namespace = "" if isolation == "namespace" else "the loopback fallback was asked for"
        self.isolation = isolation  # "namespace" (each edge its own network namespace) or "loopback"
        self._standby: dict[str, Standby] = {}  # controller name -> its process started in the next edge's namespace
        self.standby = standby  # start a slow controller in the next edge's namespace ahead of time
        self._usable(self.controller)
        workdirs.sweep()  # what a killed run of the loopback fallback left behind

    def header(self) -> str:
        if self.isolation == "namespace":
            mode = "user + network" if os.geteuid() != 0 else "network"
            return f"local ({self.controller.name}; each edge in a {mode} namespace of its own)"
        return f"local ({self.controller.name}; loopback fallback: {self.why_not_namespace})"

    @staticmethod
    def _controller(name: str) -> controllers.Controller:
        controller = controllers.get(name)
        if "local" not in controller.runs_on:
            raise controllers.Unsupported(f"the {name} controller does not run on the local target; choose "
                                          f"one of {', '.join(controllers.for_place('local'))}")
        return controller

    def _usable(self, controller: controllers.Controller) -> None:
        """A controller that cannot run here (not built, no namespace for it): its tests skip, naming why."""
        why = controller.local_unavailable(isolated=self.isolation == "namespace")
        if why:
            raise TargetUnavailable(f"the {controller.name} controller cannot run here: {why}")

    def build(self, topology: Topology) -> Edge:
        # the topology's own controller (its block names it), else the run's
        controller = self.controller if topology.controller.kind in (None, self.controller.name) else \
            self._controller(topology.controller.kind)
        self._usable(controller)
        standby = self._standby.pop(controller.name, None)
        if standby is not None and not standby.usable():
            standby.close()
            standby = None
        if standby is not None:
            site, workdir, supervisor = standby.site, standby.workdir, standby.supervisor
            connect = standby.connect
        else:
            site, workdir = self._site(topology)
            connect = lambda ip, port, timeout: site.connect(ip, port, None, timeout)  # noqa: E731
            supervisor = Supervisor(workdir, connect=connect, popen_kwargs=site.popen_kwargs)
        extra: list = []  # the controller's own diagnostics, beside the processes' logs

        def logs() -> dict[str, str]:
            out = supervisor.logs()
            for diagnostics in extra:
                out.update(diagnostics(connect))
            return out
        lifecycle = Lifecycle(check_alive=supervisor.check, logs=logs, pids=supervisor.pids)
        transport = Transport(socket=site.connect, enter=site.enter() if isinstance(site, NamespaceSite) else [])
        edge = Edge(topology=topology, target=self.name, endpoints={}, ca=workdir / "ca.pem", roles=site.roles(),
                    client_cidr=site.client_cidr, client_addresses=site.clients(), workdir=workdir,
                    transport=transport, lifecycle=lifecycle)
        lifecycle.on_close(site.release)  # last: the namespace goes with everything in it (and its folder)
        if isinstance(site, NamespaceSite):
            edge.role_networks = {site.client6_cidr: "client"}  # the IPv6 clients of dual-stack edges
        if not KEEP_WORKDIR and not isinstance(site, NamespaceSite):
            lifecycle.on_close(remove_tree(workdir))
        lifecycle.on_close(supervisor.stop)
        try:
            transparent = isinstance(site, NamespaceSite) or transparent_source_available()
            built = plan(topology, site, workdir, transparent=transparent, controller=controller,
                         standby=standby.managed if standby else None)
            extra += built.diagnostics
            if "client_ip" in built.unsupported and not isinstance(site, NamespaceSite):
                built.unsupported["client_ip"] += f" ({self.why_not_namespace})"
            edge.endpoints, edge.unsupported = built.endpoints, built.unsupported
            if built.backend_at_controller:  # the application itself answers at the controller's address
                edge.roles = {ip: "backend" if role == "controller" else role for ip, role in edge.roles.items()
                              if role != "backend"}
            edge.lb_server_header = built.lb_server_header
            edge.lb_admin = f"http://{site.lb}:{site.lb_admin}"
            if topology.lb.mutual_tls != "off":  # the probes present a certificate the ALB's trust store accepts
                client = certs.issue(workdir / "certs", "client", [CLIENT_CERT_NAME])[CLIENT_CERT_NAME]
                edge.client_cert = client.combined_pem
            edge.controller = ControllerInfo.of(controller, topology, admin=built.controller_admin,
                                                version=built.controller_version or controller.version(),
                                                listeners=built.controller_listeners)
            for process in built.processes:
                if standby is not None and process is built.takes_over:
                    supervisor.take_over(standby.managed, process)
                else:
                    supervisor.run(process)
            edge.ready_seconds = supervisor.wait_ready()
        except BaseException:
            edge.close()
            raise
        self._start_standby(controller)
        return edge

    def _start_standby(self, controller: controllers.Controller) -> None:
        """Start the controller's slow part in the next edge's namespace, unless it has none (or one is waiting)."""
        if not self.standby or self.isolation != "namespace" or controller.name in self._standby:
            return
        ns = netns.Namespace(prefix=f"edgeconform-standby-{controller.name}-", keep=KEEP_WORKDIR)
        site, workdir = NamespaceSite(ns), Path(ns.workdir)
        connect = lambda ip, port, timeout: site.connect(ip, port, None, timeout)  # noqa: E731
        supervisor = Supervisor(workdir, connect=connect, popen_kwargs=site.popen_kwargs)
        try:
            process = controller.standby(LocalPlace(
                ip=site.controller, ports={}, admin_port=site.controller_admin, backend=(site.echo, site.echo_port),
                https_port=None, idle_timeout=0, certificates={}, workdir=workdir, isolated=True))
            if process is None:
                site.release()
                return
            managed = supervisor.run(process)
        except BaseException:
            supervisor.stop()
            site.release()
            raise
        self._standby[controller.name] = Standby(site, workdir, supervisor, managed, connect)

    def close(self) -> None:
        for standby in self._standby.values():
            standby.close()
        self._standby.clear()

    def _site(self, t: Topology) -> tuple[Site, Path]:
        if self.isolation == "namespace":
            ns = netns.Namespace(prefix=f"edgeconform-{t.name}-", keep=KEEP_WORKDIR)
            return NamespaceSite(ns), Path(ns.workdir)
        slot = addresses.claim(lambda site: listening(t, site))
        return slot, workdirs.make(f"edgeconform-{t.name}-")


def listening(t: Topology, site: Site) -> list[tuple[str, tuple[str, int]]]:
    """(description, (address, port)) for every socket the edge will listen on, for the pre-flight check."""
    needed = [("load balancer listener", (site.lb, site.listener_port(item.port))) for item in t.lb.listeners]
    needed.append(("load balancer admin", (site.lb, site.lb_admin)))
    if t.lb.cloudfront:
        needed += [("CloudFront viewer listener", (site.cdn, site.listener_port(item.port))) for item in t.lb.listeners]
        needed.append(("CloudFront admin", (site.cdn, site.lb_admin)))
    needed += standins.listening(t, address_book(t, site))  # the model's helpers (the NLB's PROXY v2 writer)
    for kind in t.controller_kinds:
        needed.append((f"controller {kind} port", (site.controller, site.controller_port(kind))))
        if t.node_snat:
            needed.append((f"node port ({kind})", (site.node, site.node_port(kind))))
    if t.node_snat or node_health(t):
        needed.append(("kube-proxy stats", (site.node, site.lb_admin)))
    if node_health(t):
        needed.append(("kube-proxy health check port", (site.node, site.health_node_port)))
    needed.append(("controller admin", (site.controller, site.controller_admin)))
    needed.append(("echo backend", (site.echo, site.echo_port)))
    return needed


def plan(t: Topology, site: Site, workdir: Path, transparent: bool = True,
         controller: controllers.Controller | None = None, standby=None) -> Plan:
    """Issue the certificates into ``workdir`` and render every process's configuration for the edge's ``site``.
    ``transparent``: whether HAProxy can keep the client's source address (NLB client-IP preservation)."""
    controller = controller or controllers.get("envoy")
    certs.write_ca(workdir)
    cert_dir = workdir / "certs"
    lb_certs = certs.issue(cert_dir, "lb", t.lb.certificates)
    ctl_certs = certs.issue(cert_dir, "controller", t.controller.certificates)
    idle = t.idle_timeout
    kinds = t.controller_kinds

    at_controller = LocalPlace(ip=site.controller, ports={kind: site.controller_port(kind) for kind in kinds},
                               admin_port=site.controller_admin, backend=(site.echo, site.echo_port),
                               https_port=redirect_port(t, site), idle_timeout=idle, certificates=ctl_certs,
                               workdir=workdir, lb_addresses=(site.lb,), node_addresses=(site.node,),
                               vpc=site.vpc,
                               isolated=isinstance(site, NamespaceSite), standby=standby)
    local = controller.local(t, at_controller)
    # the echo reads the client from the header in which this controller states it; with no controller (none) the
    # controller's processes are the echo itself, the application at the controller's place
    processes = ([] if local.is_backend else [echo_process(site.echo, site.echo_port, controller.client_header)])
    processes += local.processes

    if t.node_snat or node_health(t):
        hops = [{"name": kind, "bind_port": site.node_port(kind), "target_ip": site.controller,
                 "target_port": site.controller_port(kind)} for kind in kinds] if t.node_snat else []
        cfg = render("haproxy/kube-proxy.cfg.j2", topology=t.name, ip=site.node, stats_port=site.lb_admin,
                     idle_timeout=idle, hops=hops,
                     healthz={"port": site.health_node_port} if node_health(t) else None)
        processes.append(haproxy_process("kube-proxy (haproxy)", workdir, "kube-proxy-haproxy.cfg", cfg, site.node,
                                         site.lb_admin))

    result = Plan(processes, endpoints={}, unsupported=dict(local.unsupported), controller_admin=local.admin_url,
                  controller_listeners={kind: (site.controller, port) for kind, port in at_controller.ports.items()},
                  controller_version=local.version,
                  diagnostics=[local.diagnostics] if local.diagnostics else [], takes_over=local.takes_over,
                  backend_at_controller=local.is_backend)
    if t.layer == "l4" and t.preserves_client_ip and not transparent:
        result.unsupported["client_ip"] = TRANSPARENT_UNAVAILABLE
    if t.lb.ip_address_type == "dualstack" and site.lb6 is None:
        result.unsupported["dual_stack"] = ("IPv6 clients need addresses of the edge's own network namespace; the "
                                            "loopback fallback has only ::1")
    book = address_book(t, site)
    standin, *helpers = standins.render(t, book, workdir, lb_certs, transparent and t.preserves_client_ip)
    ports = [site.listener_port(item.port) for item in t.lb.listeners]
    processes += [standin_process(helper, workdir, site.lb, site.lb_admin, ports) for helper in helpers]
    processes.append(standin_process(standin, workdir, site.lb, site.lb_admin, ports))
    if standin.program == "envoy":
        result.lb_server_header = LB_SERVER_HEADER

    front = site.lb
    if t.lb.cloudfront:  # viewers reach CloudFront; CloudFront reaches the ALB
        cf_cert = certs.issue(cert_dir, "lb", [t.lb.cloudfront.certificate])[t.lb.cloudfront.certificate]
        cdn = cloudfront.render(t, book, site.cdn, site.lb_admin, cf_cert, workdir / "ca.pem")
        processes.append(standin_process(cdn, workdir, site.cdn, site.lb_admin, ports))
        result.lb_server_header, front = CLOUDFRONT_SERVER, site.cdn
    result.endpoints = endpoints_for(t, lambda port: (front, site.listener_port(port)))
    return result


def node_health(t: Topology) -> bool:
    """Whether the load balancer checks kube-proxy's healthCheckNodePort (instance targets, externalTrafficPolicy
    Local), so the kube-proxy stand-in must answer it."""
    return t.health_check.port == "health-check-node-port"


def echo_process(ip: str, port: int, client_header: str = headers.CLIENT) -> Process:
    argv = [sys.executable, "-m", "edgeconform.echo", "--listen", f"{ip}:{port}", "--client-header", client_header]
    return Process("echo backend", argv, http_ok(f"http://{ip}:{port}/healthz"),
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def standin_process(standin: StandIn, workdir: Path, ip: str, admin_port: int, ports: list[int]) -> Process:
    """A rendered stand-in (or a helper of it) as a process at ``ip``, ready when its admin or stats page answers
    (a helper: when it listens)."""
    if standin.program == "haproxy":
        return haproxy_process(standin.name, workdir, standin.config_name, standin.config, ip, admin_port)
    if standin.program == "envoy":
        return envoy_process(standin.name, workdir, standin.config_name, standin.config, ip, admin_port, ports)
    argv = [sys.executable, "-m", str(standin.module), standin.config_name]
    return Process(standin.name, argv, all_of(*(tcp_open(host, port) for host, port in standin.listens)),
                   {standin.config_name: standin.config}, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def haproxy_process(name: str, workdir: Path, config_name: str, config: str, ip: str, stats_port: int) -> Process:
    # HAProxy binds every frontend before it serves its stats page.
    return Process(name, binaries.haproxy_argv(workdir / config_name), http_ok(f"http://{ip}:{stats_port}/stats;csv"),
                   {config_name: config})


def envoy_process(name: str, workdir: Path, config_name: str, config: str, ip: str, admin_port: int,
                  ports: list[int]) -> Process:
    ready = all_of(http_ok(f"http://{ip}:{admin_port}/ready", "LIVE"), *(tcp_open(ip, port) for port in ports))
    return Process(name, binaries.envoy_argv(workdir / config_name), ready, {config_name: config})


def address_book(t: Topology, site: Site) -> AddressBook:
    """The site's addresses as the stand-in templates need them."""
    https = t.https_listener
    # Where each LB listener sends its traffic: the controller port, or the node port in front of it.
    targets = {kind: (site.node, site.node_port(kind)) if t.node_snat else (site.controller, site.controller_port(kind))
               for kind in t.controller_kinds}
    return AddressBook(lb_bind=site.lb, lb_source=site.lb, lb_admin_port=site.lb_admin,
                       listener_ports={item.port: site.listener_port(item.port) for item in t.lb.listeners},
                       targets=targets, https_port=redirect_port(t, site),
                       relay_ports={**{item.port: site.relay_port(i) for i, item in enumerate(t.lb.listeners)},
                                    "healthz": site.relay_port(len(t.lb.listeners))},
                       health_checks=True, health_node=(site.node, site.health_node_port),
                       lb_bind6=site.lb6,
                       # the ALB's mutual-TLS trust store: the test CA, in the work folder every process runs in
                       client_ca="ca.pem" if t.lb.mutual_tls != "off" else None)


def redirect_port(t: Topology, site: Site) -> int | None:
    """The port in the Location of an https redirect: where the https listener is served, None for 443."""
    https = t.https_listener
    port = site.listener_port(https.port if https else 443)
    return None if port == 443 else port
