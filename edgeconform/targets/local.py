"""The local target: real HAProxy and Envoy processes on loopback stand in for AWS and the cluster.

    client 127.n.10.x -> LB stand-in 127.n.1.1 -> [kube-proxy stand-in 127.n.2.1] -> controller 127.n.3.1
                      -> echo backend 127.n.4.1

- L4 load balancers (NLB, Classic ELB TCP/SSL): HAProxy, proxies/haproxy/l4-load-balancer.cfg.j2.
- L7 load balancers (ALB, Classic ELB HTTP/HTTPS): Envoy, proxies/envoy/l7-load-balancer.yaml.j2.
- kube-proxy's SNAT (instance targets, externalTrafficPolicy Cluster): HAProxy, proxies/haproxy/kube-proxy.cfg.j2.
- The ingress controller: Envoy, proxies/envoy/controller.yaml.j2.

``plan()`` turns a topology into process plans (rendered configurations, addresses); ``LocalTarget.build()``
writes them, starts every process at once and waits until each answers on its admin/stats/health endpoint.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from .. import addresses, binaries, certs, headers
from ..addresses import Slot
from ..edge import Edge, Endpoint, endpoints_for, remove_tree
from ..render import ENVOY_REDIRECT, ENVOY_TLS, render
from ..standins import AddressBook, l4_context, l7_context
from ..supervisor import Supervisor, all_of, http_ok, tcp_open
from ..topology import LB_SERVER_HEADER, Topology

ENVOY_FLAGS = ["--disable-hot-restart", "--concurrency", "1", "--log-level", "warn",
               "--log-format", "[%Y-%m-%d %T.%e][%l] %v"]
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
class ProcessPlan:
    """One process of the edge: what it is, its configuration, and where it answers."""

    name: str  # "controller (envoy)", shown in logs and errors
    program: str  # "envoy", "haproxy" or "echo"
    ip: str
    admin_port: int  # Envoy admin, HAProxy stats, or the echo's own port
    listen_ports: list[int]
    config_file: str | None = None
    config: str | None = None

    def argv(self, workdir: Path) -> list[str]:
        if self.program == "envoy":
            return [binaries.find("envoy"), "-c", str(workdir / self.config_file), *ENVOY_FLAGS]
        if self.program == "haproxy":
            return [binaries.find("haproxy"), "-db", "-f", str(workdir / self.config_file)]
        return [sys.executable, "-m", "edgeconform.echo", "--listen", f"{self.ip}:{self.admin_port}",
                "--client-header", headers.CLIENT]

    def ready(self):
        if self.program == "envoy":
            return all_of(http_ok(f"http://{self.ip}:{self.admin_port}/ready", "LIVE"),
                          *(tcp_open(self.ip, port) for port in self.listen_ports))
        if self.program == "haproxy":
            # HAProxy binds every frontend before it serves its stats page.
            return http_ok(f"http://{self.ip}:{self.admin_port}/stats;csv")
        return http_ok(f"http://{self.ip}:{self.admin_port}/healthz")


@dataclass
class Plan:
    processes: list[ProcessPlan]
    endpoints: dict[str, Endpoint]
    unsupported: dict[str, str] = field(default_factory=dict)
    lb_server_header: str | None = None
    controller_admin: str = ""
    controller_listeners: dict[str, tuple[str, int]] = field(default_factory=dict)


class LocalTarget:
    name = "local"

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
            built = plan(topology, slot, workdir)
            edge.endpoints, edge.unsupported = built.endpoints, built.unsupported
            edge.lb_server_header, edge.controller_admin = built.lb_server_header, built.controller_admin
            edge.controller_listeners = built.controller_listeners
            edge.controller_name, edge.controller_version = "envoy", binaries.version("envoy")
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
            for process in built.processes:
                if process.config is not None:
                    (workdir / process.config_file).write_text(process.config)
                supervisor.start(process.name, process.argv(workdir), process.ready(),
                                 env=env if process.program == "echo" else None)
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


def plan(t: Topology, slot: Slot, workdir: Path, transparent: bool | None = None) -> Plan:
    """Issue the certificates into ``workdir`` and render every process's configuration for ``slot``."""
    certs.write_ca(workdir)
    cert_dir = workdir / "certs"
    lb_certs = certs.issue(cert_dir, "lb", t.lb.certificates)
    ctl_certs = certs.issue(cert_dir, "controller", t.controller.certificates)
    idle = t.idle_timeout
    https = t.https_listener
    https_port = addresses.public_to_local(https.port if https else 443)
    kinds = t.controller_kinds

    processes = [ProcessPlan("echo backend", "echo", slot.echo, slot.echo_port, [slot.echo_port])]

    controller_cfg = render(
        "envoy/controller.yaml.j2", topology=t.name, ip=slot.controller, admin_port=slot.controller_admin,
        proxy_protocol=t.controller.proxy_protocol, trusted_hops=t.controller.trusted_hops,
        cleartext=t.controller.cleartext, host_sni_mismatch=t.controller.host_sni_mismatch, idle_timeout=idle,
        envoy_tls_min=ENVOY_TLS[t.controller.tls_min_version],
        xff_settings={"use_remote_address": True, "trusted_hops": t.controller.trusted_hops, "skip_append": False},
        redirect={"code": t.controller.redirect_code, "envoy_code": ENVOY_REDIRECT[t.controller.redirect_code],
                  "port": https_port},
        listeners=[{"name": kind, "kind": kind, "bind_port": slot.controller_port(kind), "tls": kind == "https"}
                   for kind in kinds],
        sni_certs=[ctl_certs[name] for name in t.controller.certificates[1:]],
        default_cert=ctl_certs.get(t.controller.certificates[0]) if t.controller.certificates else None,
        conclusion_headers=headers.ENVOY_VALUES, port_header=headers.PORT,
        backend={"ip": slot.echo, "port": slot.echo_port})
    processes.append(ProcessPlan("controller (envoy)", "envoy", slot.controller, slot.controller_admin,
                                 [slot.controller_port(kind) for kind in kinds], "controller-envoy.yaml",
                                 controller_cfg))

    if t.node_snat:
        cfg = render("haproxy/kube-proxy.cfg.j2", topology=t.name, ip=slot.node, stats_port=slot.lb_admin,
                     idle_timeout=idle,
                     hops=[{"name": kind, "bind_port": slot.node_port(kind), "target_ip": slot.controller,
                            "target_port": slot.controller_port(kind)} for kind in kinds])
        processes.append(ProcessPlan("kube-proxy (haproxy)", "haproxy", slot.node, slot.lb_admin,
                                     [slot.node_port(kind) for kind in kinds], "kube-proxy-haproxy.cfg", cfg))

    result = Plan(processes, endpoints={}, controller_admin=f"http://{slot.controller}:{slot.controller_admin}",
                  controller_listeners={kind: (slot.controller, slot.controller_port(kind)) for kind in kinds})
    book = address_book(t, slot)
    listen_ports = [book.listener_ports[item.port] for item in t.lb.listeners]
    if t.layer == "l4":
        if transparent is None:
            transparent = transparent_source_available()
        transparent = transparent and t.preserves_client_ip
        if t.preserves_client_ip and not transparent:
            result.unsupported["client_ip"] = TRANSPARENT_UNAVAILABLE
        cfg = render("haproxy/l4-load-balancer.cfg.j2", **l4_context(t, book, workdir, lb_certs, idle, transparent))
        processes.append(ProcessPlan(f"{t.lb.model} stand-in (haproxy)", "haproxy", slot.lb, slot.lb_admin,
                                     listen_ports, "lb-haproxy.cfg", cfg))
    else:
        cfg = render("envoy/l7-load-balancer.yaml.j2", **l7_context(t, book, lb_certs, idle))
        processes.append(ProcessPlan(f"{t.lb.model} stand-in (envoy)", "envoy", slot.lb, slot.lb_admin,
                                     listen_ports, "lb-envoy.yaml", cfg))
        result.lb_server_header = LB_SERVER_HEADER

    result.endpoints = endpoints_for(t, lambda port: (slot.lb, addresses.public_to_local(port)))
    return result


def address_book(t: Topology, slot: Slot) -> AddressBook:
    """The loopback slot's addresses as the stand-in templates need them."""
    https = t.https_listener
    # Where each LB listener sends its traffic: the controller port, or the node port in front of it.
    targets = {kind: (slot.node, slot.node_port(kind)) if t.node_snat else (slot.controller, slot.controller_port(kind))
               for kind in t.controller_kinds}
    return AddressBook(lb_bind=slot.lb, lb_source=slot.lb, lb_admin_port=slot.lb_admin,
                       listener_ports={item.port: addresses.public_to_local(item.port) for item in t.lb.listeners},
                       targets=targets, https_port=addresses.public_to_local(https.port if https else 443))
