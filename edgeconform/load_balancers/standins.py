"""The load-balancer stand-ins: which template a model uses for a topology, and its context, for any target.

The HAProxy (L4) and Envoy (L7) templates under proxies/ describe one AWS load balancer (each model names its
template per listener layer: ``LoadBalancerModel.standins``). What differs between
targets is only where things are: the local target listens on a loopback slot (127.n.1.1:8080 for AWS port 80)
and connects from that address; the kind target runs the same templates in a container on the `kind` docker
network, listening on the real ports and connecting from the container's own address. An AddressBook carries
exactly that difference, so both targets render the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import certs
from ..render import ENVOY_REDIRECT, ENVOY_TLS, render
from ..topology import LB_SERVER_HEADER, Topology


@dataclass(frozen=True)
class AddressBook:
    """Where a load-balancer stand-in listens, what it connects from, and where its targets are."""

    lb_bind: str  # the address its listeners and admin bind ("0.0.0.0" in a container)
    lb_source: str | None  # the address it connects to targets from; None: the container's own (kernel's choice)
    lb_admin_port: int
    listener_ports: dict[int, int]  # AWS listener port -> the port it is served on
    targets: dict[str, tuple[str, int]]  # controller port kind (http/https/redirect) -> target (ip, port)
    https_port: int | None  # the port in an LB-generated https redirect; None: the scheme's default (443)
    # Where the NLB's PROXY v2 writer (edgeconform.load_balancers.nlb_relay) listens, per AWS listener port; None:
    # HAProxy sends its own bare header straight to the target (the kind target, which runs no relay).
    relay_ports: dict[int, int] | None = None


@dataclass(frozen=True)
class StandIn:
    """One stand-in's rendered configuration: which program runs it and the file it reads."""

    program: str  # "haproxy" or "envoy"
    config_name: str
    config: str


def render_standin(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
                   transparent: bool) -> StandIn:
    """The stand-in of ``t``'s load balancer, from the template its model names for the topology's layer."""
    template = t.lb_model.standins[t.layer]
    idle = t.idle_timeout
    if t.layer == "l4":
        return StandIn("haproxy", "lb-haproxy.cfg",
                       render(template, **l4_context(t, book, workdir, lb_certs, idle, transparent)))
    return StandIn("envoy", "lb-envoy.yaml", render(template, **l7_context(t, book, lb_certs, idle)))


def l4_context(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert], idle: int,
               transparent: bool) -> dict[str, Any]:
    """Context for proxies/haproxy/l4-load-balancer.cfg.j2 (NLB, Classic ELB TCP/SSL)."""
    crt_list = None
    if lb_certs:  # HAProxy picks by SNI among these; the first line is the default certificate
        crt_list = workdir / "lb-crt-list.txt"
        crt_list.write_text("".join(f"{lb_certs[name].combined_pem}\n" for name in t.lb.certificates))
    proxy = {"v1": "send-proxy", "v2": "send-proxy-v2", None: None}[t.lb.proxy_protocol]
    relayed = uses_relay(t, book)
    listeners = []
    for item in t.lb.listeners:
        ip, port = book.targets[item.target]
        if relayed:  # HAProxy -> the PROXY v2 writer on the NLB's own address, which reaches the target
            ip, port = book.lb_source or book.lb_bind, book.relay_ports[item.port]  # type: ignore[index]
        listeners.append({"name": f"listener_{item.port}", "public_port": item.port, "protocol": item.protocol,
                          "target": item.target, "bind_port": book.listener_ports[item.port],
                          "crt_list": crt_list if item.terminates_tls else None,
                          "transparent": transparent and not relayed, "relayed": relayed,
                          "target_ip": ip, "target_port": port, "send_proxy": proxy,
                          "idle_timeout": t.listener_idle_timeout(item)})
    policy = t.tls_policy
    return dict(topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source,
                stats_port=book.lb_admin_port, idle_timeout=idle, policy=policy.name if policy else None,
                tls_min_version=policy.min if policy else None, tls_max_version=policy.max if policy else None,
                listeners=listeners)


def uses_relay(t: Topology, book: AddressBook) -> bool:
    """Whether the NLB's PROXY v2 header is written by the relay (AWS's shape and placement) rather than HAProxy."""
    return t.lb.proxy_protocol == "v2" and book.relay_ports is not None


def relay_config(t: Topology, book: AddressBook, transparent: bool) -> dict[str, Any] | None:
    """The relay's configuration (edgeconform.load_balancers.nlb_relay), or None where HAProxy writes the header.
    ``transparent``: connect from the client's own address (client-IP preservation)."""
    if not uses_relay(t, book):
        return None
    lb = book.lb_source or book.lb_bind
    listeners = [{"listen": [lb, book.relay_ports[item.port]], "target": list(book.targets[item.target]),  # type: ignore[index]
                  "source": book.lb_source, "transparent": transparent, "vpce_id": t.lb.privatelink_endpoint,
                  "placement": t.lb.proxy_protocol_placement} for item in t.lb.listeners]
    return {"topology": t.name, "listeners": listeners}


def l7_context(t: Topology, book: AddressBook, lb_certs: dict[str, certs.IssuedCert], idle: int) -> dict[str, Any]:
    """Context for proxies/envoy/l7-load-balancer.yaml.j2 (ALB, Classic ELB HTTP/HTTPS)."""
    xff = t.xff_mode
    model = t.lb_model
    policy = t.tls_policy
    sni = model.sni  # ALB: default certificate plus SNI list; Classic ELB: one certificate, no SNI
    names = t.lb.certificates
    clusters, listeners = {}, []
    for item in t.lb.listeners:
        ip, port = book.targets[item.target]
        name = f"targets_{item.target}"
        clusters[name] = {"name": name, "ip": ip, "port": port}
        redirect = None
        if t.lb.ssl_redirect and not item.terminates_tls:
            redirect = {"port": book.https_port, "code": ENVOY_REDIRECT[301]}  # LBC ssl-redirect: 301 [LBC-IA]
        listeners.append({
            "name": f"listener_{item.port}", "bind_port": book.listener_ports[item.port],
            "tls": item.terminates_tls, "cluster": name, "redirect": redirect,
            "sni_certs": [lb_certs[n] for n in names[1:]] if (sni and item.terminates_tls) else [],
            "default_cert": lb_certs[names[0]] if item.terminates_tls else None,
            "alpn": ["h2", "http/1.1"] if model.h2_on_tls else ["http/1.1"],
        })
    return dict(
        topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source, admin_port=book.lb_admin_port,
        xff=xff, xff_settings={"use_remote_address": xff == "append", "trusted_hops": 0, "skip_append": xff != "append"},
        sni=sni, websocket=model.l7_upgrade == "pass", idle_timeout=idle,
        policy=policy.name if policy else None, envoy_tls_min=ENVOY_TLS[policy.min] if policy else None,
        envoy_tls_max=ENVOY_TLS[policy.max] if policy else None, server_header=LB_SERVER_HEADER,
        listeners=listeners, clusters=list(clusters.values()))
