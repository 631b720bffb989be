"""The local target: real processes on loopback stand in for AWS and the cluster; the controller is a plug-in.

    client 127.n.10.x -> LB stand-in 127.n.1.1 -> [kube-proxy stand-in 127.n.2.1] -> controller 127.n.3.1
                      -> echo backend 127.n.4.1

- The load balancer: the stand-in its model names (edgeconform.load_balancers: HAProxy for L4 listeners, Envoy
  for L7 ones), rendered by edgeconform.load_balancers.standins.
- kube-proxy's SNAT (instance targets, externalTrafficPolicy Cluster): HAProxy, proxies/haproxy/kube-proxy.cfg.j2.
- The ingress controller: the chosen controller plug-in's processes (``--controller``; the default ``envoy`` is
  a hand-configured Envoy, proxies/envoy/controller.yaml.j2).

``plan()`` turns a topology into processes (rendered configurations, addresses); ``LocalTarget.build()`` starts
them all at once and waits until each answers on its admin/stats/health endpoint.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ... import binaries, certs, controllers, headers
from ...controllers import LocalPlace
from ...edge import Edge, Endpoint, endpoints_for, remove_tree
from ...load_balancers.standins import AddressBook, render_standin
from ...render import render
from ...supervisor import Process, Supervisor, all_of, http_ok, tcp_open
from ...topology import LB_SERVER_HEADER, Topology
from ..base import Target
from . import addresses
from .addresses import Slot

KEEP_WORKDIR = os.environ.get("EDGECONFORM_KEEP_WORKDIR") == "1"
TRANSPARENT_UNAVAILABLE = (
    "NLB client-IP preservation is emulated with HAProxy's transparent source (usesrc clientip), which needs "
    "root or CAP_NET_ADMIN; run as root to measure it")


def transparent_source_available() -> bool:
    """HAProxy's `usesrc clientip` needs IP_TRANSPARENT: root or CAP_NET_ADMIN."""
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


class LocalTarget(Target):
    name = "local"

    @classmethod
    def from_options(cls, options, controller: str) -> LocalTarget:
        return cls(controller)

    def __init__(self, controller: str = "envoy"):
        self.controller = controllers.get(controller)
        if "local" not in self.controller.runs_on:
            raise controllers.Unsupported(f"the {controller} controller does not run on the local target; choose "
                                          f"one of {', '.join(controllers.for_place('local'))}")

    def header(self) -> str:
        return f"local ({self.controller.name})"

    def build(self, topology: Topology) -> Edge:
        slot = addresses.claim(listening(topology))
        workdir = Path(tempfile.mkdtemp(prefix=f"edgeconform-{topology.name}-"))
        supervisor = Supervisor(workdir)
        edge = Edge(topology=topology, target=self.name, endpoints={}, ca=workdir / "ca.pem", roles=slot.roles(),
                    client_cidr=slot.client_cidr, client_addresses=[slot.client(i) for i in range(8)],
                    workdir=workdir, _alive=supervisor.check, _logs=supervisor.logs, _pids=supervisor.pids)
        edge.on_close(slot.release)
        if not KEEP_WORKDIR:
            edge.on_close(remove_tree(workdir))
        edge.on_close(supervisor.stop)
        try:
            built = plan(topology, slot, workdir, controller=self.controller)
            edge.endpoints, edge.unsupported = built.endpoints, built.unsupported
            edge.lb_server_header, edge.controller_admin = built.lb_server_header, built.controller_admin
            edge.controller_listeners = built.controller_listeners
            edge.controller_name, edge.controller_version = self.controller.name, self.controller.version()
            for process in built.processes:
                supervisor.run(process)
            edge.ready_seconds = supervisor.wait_ready()
        except BaseException:
            edge.close()
            raise
        return edge


def listening(t: Topology) -> list[tuple[str, str, int]]:
    """(slot role, description, port) for every socket the edge will listen on, for the pre-flight check."""
    off = addresses.PORT_OFFSET
    needed = [("lb", "load balancer listener", addresses.public_to_local(item.port)) for item in t.lb.listeners]
    needed.append(("lb", "load balancer admin", addresses.LB_ADMIN + off))
    for kind in t.controller_kinds:
        needed.append(("controller", f"controller {kind} port", addresses.CONTROLLER_PORT[kind] + off))
        if t.node_snat:
            needed.append(("node", f"node port ({kind})", addresses.NODE_PORT[kind] + off))
    if t.node_snat:
        needed.append(("node", "kube-proxy stats", addresses.LB_ADMIN + off))
    needed.append(("controller", "controller admin", addresses.CONTROLLER_ADMIN + off))
    needed.append(("echo", "echo backend", addresses.ECHO_PORT + off))
    return needed


def plan(t: Topology, slot: Slot, workdir: Path, transparent: bool | None = None,
         controller: controllers.Controller | None = None) -> Plan:
    """Issue the certificates into ``workdir`` and render every process's configuration for ``slot``."""
    controller = controller or controllers.get("envoy")
    certs.write_ca(workdir)
    cert_dir = workdir / "certs"
    lb_certs = certs.issue(cert_dir, "lb", t.lb.certificates)
    ctl_certs = certs.issue(cert_dir, "controller", t.controller.certificates)
    idle = t.idle_timeout
    https = t.https_listener
    kinds = t.controller_kinds

    processes = [echo_process(slot.echo, slot.echo_port)]
    place = LocalPlace(ip=slot.controller, ports={kind: slot.controller_port(kind) for kind in kinds},
                       admin_port=slot.controller_admin, backend=(slot.echo, slot.echo_port),
                       https_port=addresses.public_to_local(https.port if https else 443), idle_timeout=idle,
                       certificates=ctl_certs, workdir=workdir)
    local = controller.local(t, place)
    processes += local.processes

    if t.node_snat:
        cfg = render("haproxy/kube-proxy.cfg.j2", topology=t.name, ip=slot.node, stats_port=slot.lb_admin,
                     idle_timeout=idle,
                     hops=[{"name": kind, "bind_port": slot.node_port(kind), "target_ip": slot.controller,
                            "target_port": slot.controller_port(kind)} for kind in kinds])
        processes.append(haproxy_process("kube-proxy (haproxy)", workdir, "kube-proxy-haproxy.cfg", cfg, slot.node,
                                         slot.lb_admin))

    result = Plan(processes, endpoints={}, unsupported=dict(local.unsupported), controller_admin=local.admin_url,
                  controller_listeners={kind: (slot.controller, port) for kind, port in place.ports.items()})
    if t.layer == "l4" and t.preserves_client_ip:
        if transparent is None:
            transparent = transparent_source_available()
        if not transparent:
            result.unsupported["client_ip"] = TRANSPARENT_UNAVAILABLE
    standin = render_standin(t, address_book(t, slot), workdir, lb_certs, bool(transparent) and t.preserves_client_ip)
    name = f"{t.lb.model} stand-in ({standin.program})"
    if standin.program == "haproxy":
        processes.append(haproxy_process(name, workdir, standin.config_name, standin.config, slot.lb, slot.lb_admin))
    else:
        processes.append(envoy_process(name, workdir, standin.config_name, standin.config, slot.lb, slot.lb_admin,
                                       [addresses.public_to_local(item.port) for item in t.lb.listeners]))
        result.lb_server_header = LB_SERVER_HEADER

    result.endpoints = endpoints_for(t, lambda port: (slot.lb, addresses.public_to_local(port)))
    return result


def echo_process(ip: str, port: int) -> Process:
    argv = [sys.executable, "-m", "edgeconform.echo", "--listen", f"{ip}:{port}", "--client-header", headers.CLIENT]
    return Process("echo backend", argv, http_ok(f"http://{ip}:{port}/healthz"),
                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def haproxy_process(name: str, workdir: Path, config_name: str, config: str, ip: str, stats_port: int) -> Process:
    # HAProxy binds every frontend before it serves its stats page.
    return Process(name, binaries.haproxy_argv(workdir / config_name), http_ok(f"http://{ip}:{stats_port}/stats;csv"),
                   {config_name: config})


def envoy_process(name: str, workdir: Path, config_name: str, config: str, ip: str, admin_port: int,
                  ports: list[int]) -> Process:
    ready = all_of(http_ok(f"http://{ip}:{admin_port}/ready", "LIVE"), *(tcp_open(ip, port) for port in ports))
    return Process(name, binaries.envoy_argv(workdir / config_name), ready, {config_name: config})


def address_book(t: Topology, slot: Slot) -> AddressBook:
    """The loopback slot's addresses as the stand-in templates need them."""
    https = t.https_listener
    # Where each LB listener sends its traffic: the controller port, or the node port in front of it.
    targets = {kind: (slot.node, slot.node_port(kind)) if t.node_snat else (slot.controller, slot.controller_port(kind))
               for kind in t.controller_kinds}
    return AddressBook(lb_bind=slot.lb, lb_source=slot.lb, lb_admin_port=slot.lb_admin,
                       listener_ports={item.port: addresses.public_to_local(item.port) for item in t.lb.listeners},
                       targets=targets, https_port=addresses.public_to_local(https.port if https else 443))
