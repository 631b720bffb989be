"""What Traefik is given on both places, besides its entry points: a router per hostname and a catch-all per entry
point, the settings' middlewares and a headers middleware per port kind stating what Traefik can state (its headers
carry no variables), and the TLS options. local.py writes them as the file provider's dynamic configuration,
cluster.py as its CRDs."""

from __future__ import annotations

import re
from typing import Any

from ... import headers
from ...kube import manifests
from ...topology import Topology
from .settings import TraefikSettings

# what TLS routers state (Traefik cannot put the version in a header; the router only matches TLS connections)
TLS_STATED = "TLS (Traefik states no version)"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "any"


def routers(t: Topology, settings: TraefikSettings, eps: dict[str, str]) -> list[dict[str, Any]]:
    """One router per hostname (Host rule) and a catch-all per entry point, each through the entry point's
    conclusion middleware to the echo backend; TLS on the https port."""
    out = []
    for name, kind in eps.items():
        ep_tls = settings.entry_point(name).http.tls
        tls = {"options": ep_tls.options} if kind == "https" and ep_tls and ep_tls.options else ({} if kind == "https" else None)
        rules = [(f"{name}-{_slug(host)}", f"Host(`{host}`)", 0) for host in t.hostnames]
        rules.append((f"{name}-any", "PathPrefix(`/`)", 1))
        for router, rule, priority in rules:
            out.append({"name": router, "rule": rule, "entry_point": name, "kind": kind, "priority": priority,
                        "tls": tls, "middleware": f"edgeconform-{kind}"})
    return out


def middlewares(t: Topology, settings: TraefikSettings, eps: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The settings' middlewares, and per port kind the headers that state what Traefik can state."""
    out = {name: mw.model_dump(exclude_defaults=False, exclude_none=True)
           for name, mw in settings.http.middlewares.items()}
    for kind in dict.fromkeys(eps.values()):
        stated = {headers.PORT: kind, headers.TLS: TLS_STATED if kind == "https" else "",
                  headers.CLIENT: "", headers.PEER: "", headers.SNI: ""}  # "": removed, so no client can forge one
        out[f"edgeconform-{kind}"] = {"headers": {"customRequestHeaders": stated}}
    return out


def default_secret(t: Topology) -> str | None:
    if t.tls_terminates_at != "controller" or not t.controller.certificates:
        return None
    return manifests.secret_name(t.controller.certificates[0])
