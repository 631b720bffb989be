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
    relay_ports: dict[int | str, int] | None = None  # also "healthz": the writer in front of kube-proxy's health port
    # Health checks (the local target): whether the stand-in runs the target groups' health checks, and where
    # kube-proxy answers the healthCheckNodePort (instance targets with externalTrafficPolicy Local).
    health_checks: bool = False
    health_node: tuple[str, int] | None = None
    # A dual-stack load balancer's IPv6 address, where its listeners also bind; None: IPv4 only.
    lb_bind6: str | None = None
    # The ALB's mutual-TLS trust store (a CA file), where a topology asks for mutual TLS.
    client_ca: str | None = None


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
        common = {"public_port": item.port, "protocol": item.protocol, "target": item.target,
                  "bind_port": book.listener_ports[item.port], "crt_list": crt_list if item.terminates_tls else None,
                  "relayed": relayed, "target_ip": ip, "target_port": port, "send_proxy": proxy,
                  "idle_timeout": t.listener_idle_timeout(item)}
        listeners.append({"name": f"listener_{item.port}", "bind_ip": book.lb_bind,
                          "transparent": transparent and not relayed, **common})
        if book.lb_bind6 and t.lb.ip_address_type == "dualstack":
            # IPv6 clients of IPv4 targets: the target sees the load balancer's IPv4 address even with client-IP
            # preservation on [NLB-TGA][LBC-SA]; a PROXY v2 header still carries the client (TCP6, UNVERIFIED)
            listeners.append({"name": f"listener_{item.port}_v6", "bind_ip": f"[{book.lb_bind6}]",
                              "transparent": False, **common})
    policy = t.tls_policy
    return dict(topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source,
                health_checks=health_checks(t, book), user_agent=HEALTH_CHECKER,
                stats_port=book.lb_admin_port, idle_timeout=idle, policy=policy.name if policy else None,
                tls_min_version=policy.min if policy else None, tls_max_version=policy.max if policy else None,
                listeners=listeners)


# ALB mutual TLS [ALB-MTLS][ALB-HDR]: the headers it sends to targets. Values in Envoy's words: serial in hex,
# issuer and subject RFC 2253, validity "NotBefore=...;NotAfter=...", the leaf as URL-encoded PEM (the exact
# encoding AWS uses, and the full chain in passthrough mode, are UNVERIFIED: Envoy forwards the leaf).
MTLS_NAMES = ("x-amzn-mtls-clientcert", "x-amzn-mtls-clientcert-serial-number", "x-amzn-mtls-clientcert-issuer",
              "x-amzn-mtls-clientcert-subject", "x-amzn-mtls-clientcert-validity", "x-amzn-mtls-clientcert-leaf")
MTLS_HEADERS = {
    "passthrough": [("x-amzn-mtls-clientcert", "%DOWNSTREAM_PEER_CERT%")],
    "verify": [("x-amzn-mtls-clientcert-serial-number", "%DOWNSTREAM_PEER_SERIAL%"),
               ("x-amzn-mtls-clientcert-issuer", "%DOWNSTREAM_PEER_ISSUER%"),
               ("x-amzn-mtls-clientcert-subject", "%DOWNSTREAM_PEER_SUBJECT%"),
               ("x-amzn-mtls-clientcert-validity", "NotBefore=%DOWNSTREAM_PEER_CERT_V_START(%Y-%m-%dT%H:%M:%SZ)%;"
                                                   "NotAfter=%DOWNSTREAM_PEER_CERT_V_END(%Y-%m-%dT%H:%M:%SZ)%"),
               ("x-amzn-mtls-clientcert-leaf", "%DOWNSTREAM_PEER_CERT%")],
}

# What AWS health checks call themselves (UNVERIFIED: seen in target logs, no AWS page states it).
HEALTH_CHECKER = "ELB-HealthChecker/2.0"


def health_checks(t: Topology, book: AddressBook) -> list[dict[str, Any]]:
    """Each listener's target-group health check, as the stand-in runs it (none unless the target asks for them).

    TCP checks go straight to the target: a connection without data, which gets no PROXY header from an NLB either
    (UNVERIFIED, strongly indicated by #6996). HTTP checks of an NLB with PROXY v2 go through the PROXY v2 writer,
    which turns the stand-in's own LOCAL header into the NLB's [NLB-TG23]. ALB and Classic ELB checks carry no PROXY
    header (a Classic ELB with PROXY v1 and HTTP checks: UNVERIFIED, sent without)."""
    if not book.health_checks:
        return []
    check = t.health_check
    relayed = uses_relay(t, book) and check.protocol == "HTTP"
    out = []
    for item in t.lb.listeners:
        ip, port = book.targets[item.target] if check.port == "traffic-port" else book.health_node  # type: ignore[misc]
        host = f"{ip}:{port}"  # UNVERIFIED: what Host an AWS health check sends
        if relayed:
            key = item.port if check.port == "traffic-port" else "healthz"
            ip, port = book.lb_source or book.lb_bind, book.relay_ports[key]  # type: ignore[index]
        codes = check.success_codes or ""
        out.append({"name": f"hc_listener_{item.port}", "listener_port": item.port, "protocol": check.protocol,
                    "path": check.path, "codes": codes, "ranges": _ranges(codes), "host": host, "ip": ip,
                    "port": port, "send_proxy": relayed})
    return out


def _ranges(codes: str) -> list[tuple[int, int]]:
    """"200-399,404" -> [(200, 400), (404, 405)]: Envoy's expected_statuses (end exclusive)."""
    out = []
    for part in filter(None, codes.split(",")):
        low, _, high = part.partition("-")
        out.append((int(low), int(high or low) + 1))
    return out


def render_cloudfront(t: Topology, book: AddressBook, cdn_ip: str, admin_port: int, cert: certs.IssuedCert,
                      ca: Path) -> StandIn:
    """The CloudFront stand-in in front of the ALB (proxies/envoy/cloudfront.yaml.j2): it listens on the ALB's
    public ports at ``cdn_ip`` and reaches the ALB's listeners over the origin protocol."""
    from . import cloudfront

    cf = t.lb.cloudfront
    assert cf is not None
    alb = {"http": next(i for i in t.lb.listeners if not i.terminates_tls) if cf.origin_protocol != "https-only" else None,
           "https": next(i for i in t.lb.listeners if i.terminates_tls) if cf.origin_protocol != "http-only" else None}
    origins = {scheme: {"name": f"alb_{scheme}", "ip": book.lb_bind, "port": book.listener_ports[item.port],
                        "tls": scheme == "https"} for scheme, item in alb.items() if item is not None}
    listeners = []
    for item in t.lb.listeners:
        tls = item.terminates_tls
        viewer = "forward" if tls or cf.viewer_protocol == "allow-all" else \
            "redirect" if cf.viewer_protocol == "redirect-to-https" else "refuse"
        scheme = {"http-only": "http", "https-only": "https"}.get(cf.origin_protocol, "https" if tls else "http")
        listeners.append({"name": f"viewer_{item.port}", "bind_port": book.listener_ports[item.port], "tls": tls,
                          "viewer": viewer, "origin": origins[scheme]["name"]})
    text = render("envoy/cloudfront.yaml.j2", topology=t.name, ip=cdn_ip, admin_port=admin_port,
                  viewer_protocol=cf.viewer_protocol, origin_protocol=cf.origin_protocol,
                  policy=cloudfront.VIEWER_POLICY.describe(), server_header=cloudfront.SERVER, https_port=book.https_port,
                  xff_settings={"use_remote_address": True, "trusted_hops": 0, "skip_append": False},
                  listeners=listeners, origins=list(origins.values()), cert=cert, ca=str(ca),
                  origin_domain=cloudfront.ORIGIN_DOMAIN)
    return StandIn("envoy", "cloudfront-envoy.yaml", text)


def uses_relay(t: Topology, book: AddressBook) -> bool:
    """Whether the NLB's PROXY v2 header is written by the relay (AWS's shape and placement) rather than HAProxy."""
    return t.lb.proxy_protocol == "v2" and book.relay_ports is not None


def relay_config(t: Topology, book: AddressBook, transparent: bool) -> dict[str, Any] | None:
    """The relay's configuration (edgeconform.load_balancers.nlb_relay), or None where HAProxy writes the header.
    ``transparent``: connect from the client's own address (client-IP preservation)."""
    if not uses_relay(t, book):
        return None
    lb = book.lb_source or book.lb_bind
    common = {"source": book.lb_source, "vpce_id": t.lb.privatelink_endpoint, "placement": t.lb.proxy_protocol_placement}
    listeners = [{"listen": [lb, book.relay_ports[item.port]], "target": list(book.targets[item.target]),  # type: ignore[index]
                  "transparent": transparent, **common} for item in t.lb.listeners]
    check = t.health_check
    if book.health_checks and check.protocol == "HTTP" and check.port == "health-check-node-port":
        # the health checks' own way to kube-proxy's health port (they come from the NLB's address)
        listeners.append({"listen": [lb, book.relay_ports["healthz"]], "target": list(book.health_node),  # type: ignore[arg-type,index]
                          "transparent": False, **common})
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
        # mutual TLS where the target gives the ALB a trust store (the kind target has none: it does not build these)
        mtls = t.lb.mutual_tls if item.protocol == "HTTPS" and t.lb.mutual_tls != "off" and book.client_ca else None
        entry = {
            "name": f"listener_{item.port}", "bind_port": book.listener_ports[item.port], "ip": book.lb_bind,
            "tls": item.terminates_tls, "cluster": name, "redirect": redirect, "mtls": mtls,
            "mtls_headers": MTLS_HEADERS[mtls] if mtls else [], "mtls_strip": list(MTLS_NAMES) if mtls else [],
            # routing.http.preserve_host_header.enabled false: the port leaves Host on listeners 80 and 443 [ALB-HOST]
            "strip_host_port": t.lb.model == "alb" and not t.lb.preserve_host_header and item.port in (80, 443),
            "sni_certs": [lb_certs[n] for n in names[1:]] if (sni and item.terminates_tls) else [],
            "default_cert": lb_certs[names[0]] if item.terminates_tls else None,
            "alpn": ["h2", "http/1.1"] if model.h2_on_tls else ["http/1.1"],
        }
        listeners.append(entry)
        if book.lb_bind6 and t.lb.ip_address_type == "dualstack":  # IPv6 clients; the targets stay IPv4
            listeners.append({**entry, "name": f"listener_{item.port}_v6", "ip": book.lb_bind6})
    return dict(
        topology=t.name, model=t.lb.model, ip=book.lb_bind, source_ip=book.lb_source, admin_port=book.lb_admin_port,
        xff=xff, xff_client_port=t.lb.xff_client_port and xff == "append", client_ca=book.client_ca,
        xff_settings={"use_remote_address": xff == "append", "trusted_hops": 0,
                      "skip_append": xff != "append" or t.lb.xff_client_port},
        sni=sni, websocket=model.l7_upgrade == "pass", idle_timeout=idle,
        policy=policy.name if policy else None, envoy_tls_min=ENVOY_TLS[policy.min] if policy else None,
        envoy_tls_max=ENVOY_TLS[policy.max] if policy else None, server_header=LB_SERVER_HEADER,
        listeners=listeners, clusters=list(clusters.values()), health_checks=health_checks(t, book),
        user_agent=HEALTH_CHECKER)
