"""Traefik on the local target: the real binary (built by ./dev tools) with its file provider, the static
configuration (entry points at the edge's addresses) and the dynamic one (resources.py) rendered from
proxies/traefik/; ready when its API lists every router enabled."""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
from typing import Any

from ... import binaries
from ...binaries import Program
from ...render import render
from ...supervisor import Connect, Process, ProcessFailed, admin_get, all_of, tcp_open
from ...topology import Topology
from ..base import LocalController, LocalPlace
from .limits import unsupported
from .resources import middlewares, routers
from .settings import TraefikSettings, entry_points, settings_of, tls_options

ADMIN_ENTRYPOINT = "traefik"  # ping and the API, on the controller's admin port
STATIC, DYNAMIC = "traefik-static.yaml", "traefik-dynamic.yaml"


def controller(t: Topology, place: LocalPlace, program: Program) -> LocalController:
    """The Traefik process configured for ``t`` at ``place``."""
    settings = settings_of(t)
    eps = entry_points(t)
    static = render_static(t, settings, place, eps)
    dynamic = render_dynamic(t, settings, place, eps)
    admin = f"http://{place.ip}:{place.admin_port}"
    names = [router["name"] for router in routers(t, settings, eps)]
    ready = all_of(routers_enabled(f"{admin}/api/http/routers", names),
                   *(tcp_open(place.ip, place.ports[kind]) for kind in eps.values()))
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRAEFIK_")}
    process = Process("controller (traefik)", [binaries.find(program), f"--configFile={place.workdir / STATIC}"],
                      ready, {STATIC: static, DYNAMIC: dynamic}, env=env)
    return LocalController([process], unsupported={**unsupported(t), **fallback_notes(t, settings, place)})


def fallback_notes(t: Topology, settings: TraefikSettings, place: LocalPlace) -> dict[str, str]:
    """On the loopback fallback clients reach HTTPS on port 8443, not 443. A redirectScheme middleware compares the
    request's URL, port included, with the one it would redirect to: a WebSocket client names 8443 in Host (an HTTP
    probe, like a client of port 443, names none), so wss:// is redirected there and would not be Traefik's doing
    on AWS. That cell is not measured on the fallback; in a network namespace the ports are AWS's own."""
    if place.https_port is None or not any(settings.middleware(m) for ep in settings.entryPoints.values()
                                           for m in ep.http.middlewares):
        return {}
    return {"websocket[wss]": (
        f"on the loopback fallback the HTTPS listener is port {place.https_port}, which the WebSocket client names in "
        "Host; Traefik's redirectScheme compares that port with its own and redirects, which it would not do behind "
        "an AWS load balancer on 443 (run where a network namespace can be made to measure it)")}


# --- rendering: the local target's static and dynamic configuration --------------------------------------------
def at_place(cidrs: list[str], place: LocalPlace) -> list[str]:
    """Trusted networks as written for the edge's place. In a network namespace the VPC's addresses are real and
    the networks stand as written; on the loopback fallback a private network that holds the namespace's load
    balancer or node stands for the place's own load balancer and node."""
    peers = [*place.lb_addresses, *place.node_addresses]
    if not peers or not ipaddress.ip_address(place.ip).is_loopback:
        return list(cidrs)
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.prefixlen and net.is_private and not net.is_loopback and \
                any(ipaddress.ip_address(a) in net for a in ("10.0.1.17", "10.0.2.11")):
            out += [f"{address}/32" for address in peers]
        else:
            out.append(cidr)
    return list(dict.fromkeys(out))


def _redirect_target(t: Topology, to: str, https_port: int | None) -> str:
    """``to`` as the Helm chart renders it: an entry point's name becomes its public port (exposedPort); the
    topology's public HTTPS port becomes the port clients reach it on at this place."""
    public = str(t.https_listener.port if t.https_listener else 443)
    if re.fullmatch(r":\d+", to) and to[1:] != public:
        return to
    return f":{https_port or 443}"


def _static_entry(t: Topology, ep: dict[str, Any], place: LocalPlace, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"address": f"{place.ip}:{place.ports[kind]}",
                           "transport": {"respondingTimeouts": {"idleTimeout": f"{place.idle_timeout + 5}s"},
                                         "lifeCycle": {"graceTimeOut": "0s"}}}
    for key in ("proxyProtocol", "forwardedHeaders"):
        block = copy.deepcopy(ep.get(key))
        if block and block.get("trustedIPs"):
            block["trustedIPs"] = at_place(block["trustedIPs"], place)
        if block:
            out[key] = block
    http = copy.deepcopy(ep.get("http") or {})
    http.pop("tls", None)  # TLS is the routers' (render_dynamic)
    target = (http.get("redirections") or {}).get("entryPoint")
    if target:
        target["to"] = _redirect_target(t, target["to"], place.https_port)
        target.setdefault("scheme", "https")
        target.setdefault("permanent", True)  # written out: Traefik's default, whatever the docs table says
    if http.get("middlewares"):
        http["middlewares"] = [f"{name.split('@')[0]}@file" for name in http["middlewares"]]
    if http:
        out["http"] = http
    return out


def render_static(t: Topology, settings: TraefikSettings, place: LocalPlace, eps: dict[str, str]) -> str:
    dumped = settings.dump().get("entryPoints", {})
    entries = {name: _static_entry(t, dumped.get(name, {}), place, kind) for name, kind in eps.items()}
    return render("traefik/static.yaml.j2", topology=t.name, ip=place.ip, admin_port=place.admin_port,
                  admin=ADMIN_ENTRYPOINT, entry_points=entries, dynamic=str(place.workdir / DYNAMIC))


def render_dynamic(t: Topology, settings: TraefikSettings, place: LocalPlace, eps: dict[str, str]) -> str:
    # A redirectScheme middleware stays as written: it compares the request's URL (whose Host carries no port, as
    # clients of port 443 send it, also from the probes on the loopback fallback) with the one it would redirect
    # to, so rendering the fallback's own port there would redirect every HTTPS request again.
    stated = middlewares(t, settings, eps)
    certificates = [place.certificates[name] for name in t.controller.certificates] \
        if t.tls_terminates_at == "controller" else []
    return render("traefik/dynamic.yaml.j2", topology=t.name, routers=routers(t, settings, eps),
                  middlewares=stated, tls_options=tls_options(settings), certificates=certificates,
                  backend=f"http://{place.backend[0]}:{place.backend[1]}")


def routers_enabled(url: str, names: list[str]) -> Any:
    """Ready when Traefik's API lists every router of the file provider as enabled; a router Traefik refused
    (a bad rule, missing TLS options) is one error naming it, at once."""
    def check(connect: Connect) -> bool:
        status, body = admin_get(connect, url)
        if status != 200:
            return False
        seen = {item["name"]: item for item in json.loads(body)}
        broken = {name: seen[f"{name}@file"].get("error") for name in names
                  if seen.get(f"{name}@file", {}).get("status") == "disabled"}
        if broken:
            raise ProcessFailed(f"controller (traefik) refused routers of its configuration: {broken}")
        return all(seen.get(f"{name}@file", {}).get("status") == "enabled" for name in names)
    return check
