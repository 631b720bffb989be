"""Traefik: its entry points (the static configuration, or the Helm chart's ``ports.<name>``), redirectScheme
Middlewares and TLSOptions -> the topology's ``controller.settings`` in the plug-in's vocabulary
(``TraefikSettings``) [TRAEFIK-EP]. Hostnames from IngressRoutes' Host rules and Ingresses; the default
certificate from the TLSStore ``default``.
"""

from __future__ import annotations

import re
from typing import Any

from ...importing.common import ControllerRead, EdgeInputs, Importer, name_for_secret, read_ingress_rules, validate
from ...importing.documents import Document
from ...importing.reading import Reading
from ...topology import Topology
from .cluster import CONTAINER_PORTS, NAME, POD_SELECTOR
from .settings import TraefikSettings, entry_points

GROUPS = ("traefik.io/", "traefik.containo.us/")
# Helm chart keys of ports.<name> that say where the entry point is, not how it behaves
PORT_KEYS = {"port", "exposedPort", "expose", "protocol", "containerPort", "hostPort", "nodePort", "targetPort", "tls"}
ENTRY_KEYS = {"proxyProtocol", "forwardedHeaders", "http", "address"}
HOST_RULE = re.compile(r"Host\(`([^`]+)`\)")


def values_documents(docs: list[Document]) -> list[Document]:
    """Helm values (a ``ports:`` mapping of entry points) or a static configuration (``entryPoints:``)."""
    return [doc for doc in docs if not doc.kind and isinstance(doc.data, dict)
            and (isinstance(doc.data.get("entryPoints"), dict) or _is_values(doc.data))]


def _is_values(data: dict[str, Any]) -> bool:
    ports = data.get("ports")
    return isinstance(ports, dict) and any(isinstance(v, dict) and ("port" in v or "exposedPort" in v)
                                           for v in ports.values())


class TraefikImporter(Importer):
    kind = NAME
    cluster_kinds = tuple(("traefik.io/v1alpha1", kind) for kind in ("Middleware", "TLSOption", "TLSStore",
                                                                     "IngressRoute"))
    app_name = POD_SELECTOR["app.kubernetes.io/name"]

    def evidence(self, docs: list[Document]) -> list[Document]:
        return values_documents(docs) + [doc for doc in docs if doc.api_version.startswith(GROUPS)]

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        assert edge.reached is not None  # read once the load balancer is
        reached = edge.reached({number: kind for kind, number in CONTAINER_PORTS.items()})
        return read(docs, r, reached, edge.albs)

    def settle(self, ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> None:
        name_entry_points(ctl, lb, r)


def read(docs: list[Document], r: Reading, reached: set[str], alb_ingresses: list[Document]) -> ControllerRead:
    """``reached``: the controller port kinds the load balancer's listeners land on (entry points that receive
    none of them are not part of this edge)."""
    out = ControllerRead(NAME, settings={})
    found = values_documents(docs)
    crds = [doc for doc in docs if doc.api_version.startswith(GROUPS)]
    out.found = bool(found)
    r.use(*found, *(doc for doc in crds if doc.kind in ("Middleware", "TLSOption", "TLSStore", "IngressRoute")))
    if len(found) > 1:
        raise found[1].fail(f"a second Traefik configuration (the first: {found[0].file}): give one values file or "
                            "static configuration")
    entry_points: dict[str, dict[str, Any]] = {}
    where: dict[str, tuple[Document, tuple]] = {}
    if found:
        doc = found[0]
        static = "entryPoints" in doc.data
        block = doc.data["entryPoints"] if static else doc.data["ports"]
        root = ("entryPoints",) if static else ("ports",)
        for key, value in doc.data.items():
            if key not in ("entryPoints", "ports"):
                r.unknown(doc, key, value, key)
        for name, ep in block.items():
            if not isinstance(ep, dict):
                continue
            kind = _kind_of(name, ep, static)
            if kind is None or kind not in reached:
                r.warn(f"Traefik entry point {name} receives none of the load balancer's listeners: not part of "
                       "this edge")
                continue
            out.ports[name] = kind
            if ep.get("port") is not None:
                out.ports[int(ep["port"])] = kind
            entry: dict[str, Any] = {}
            for key, setting in ep.items():
                path = (*root, name, key)
                if key in ("proxyProtocol", "forwardedHeaders"):
                    entry[key] = setting
                    r.cite(f"controller.settings.entryPoints.{name}.{key}", doc, *path, keys=("TRAEFIK-EP",))
                elif key == "http":
                    entry["http"] = _http(doc, r, setting or {}, path, name, static)
                elif key not in PORT_KEYS and not (static and key == "address"):
                    r.unknown(doc, f"{'.'.join(map(str, root))}.{name}.{key}", setting, *path)
            entry_points[name] = entry
            where[name] = (doc, (*root, name))
    else:
        r.warn("no Traefik values or static configuration among the inputs: Traefik's documented defaults are "
               "assumed (no PROXY, no trusted forwarders, no redirect) [TRAEFIK-EP]")
        r.cite("controller.settings", keys=("TRAEFIK-EP",))
    if not out.ports:
        out.ports = {number: kind for kind, number in CONTAINER_PORTS.items()}
    middlewares: dict[str, Any] = {}
    options: dict[str, Any] = {}
    default_secret = None
    for doc in crds:
        if doc.kind == "Middleware":
            if "redirectScheme" in doc.spec:
                middlewares[doc.name] = {"redirectScheme": doc.spec["redirectScheme"]}
                r.cite("controller.settings.http.middlewares", doc, "spec", "redirectScheme", keys=("TRAEFIK-EP",))
            else:
                r.unknown(doc, "spec", doc.spec, "spec")
        elif doc.kind == "TLSOption":
            kept = {k: v for k, v in doc.spec.items() if k in ("minVersion", "maxVersion")}
            options[doc.name] = kept
            r.cite("controller.settings.tls.options", doc, "spec", keys=("TRAEFIK-EP",))
            for key, value in doc.spec.items():
                if key not in kept:
                    r.unknown(doc, f"spec.{key}", value, "spec", key)
        elif doc.kind == "TLSStore" and doc.name == "default":
            default_secret = ((doc.spec.get("defaultCertificate") or {}).get("secretName"), doc)
        elif doc.kind == "IngressRoute":
            for i, route in enumerate(doc.spec.get("routes") or []):
                for host in HOST_RULE.findall(str((route or {}).get("match", ""))):
                    if host not in out.hostnames:
                        out.hostnames.append(host)
                        r.hostnames.append(host)
                        r.cite("hostnames", doc, "spec", "routes", i, "match")
    for ing in (doc for doc in docs if doc.kind == "Ingress" and doc not in alb_ingresses):
        r.use(ing)
        read_ingress_rules(ing, out, r, "traefik.ingress.kubernetes.io/")  # per-router settings: not modelled
    for name, entry in entry_points.items():  # a middleware named on an entry point: by its CRD name
        for i, ref in enumerate((entry.get("http") or {}).get("middlewares") or []):
            entry["http"]["middlewares"][i] = _middleware_name(ref, middlewares)
    settings: dict[str, Any] = {"entryPoints": entry_points}
    used = {m for e in entry_points.values() for m in (e.get("http") or {}).get("middlewares") or []}
    if middlewares:
        settings["http"] = {"middlewares": {k: v for k, v in middlewares.items() if k in used or not used}}
    if options:
        settings["tls"] = {"options": options}
    doc = found[0] if found else (crds[0] if crds else None)
    if doc is not None:
        validate(doc, TraefikSettings, settings, ())
    out.settings = settings
    if default_secret and default_secret[0]:
        store = default_secret[1]
        out.certificates.append(name_for_secret(docs, r, store.namespace, default_secret[0], "controller.certificates",
                                                []))
        r.cite("controller.certificates", store, "spec", "defaultCertificate")
        for i, item in enumerate(store.spec.get("certificates") or []):
            secret = (item or {}).get("secretName")
            if secret:
                name = name_for_secret(docs, r, store.namespace, secret, "controller.certificates", [])
                if name not in out.certificates:
                    out.certificates.append(name)
    return out


def _kind_of(name: str, ep: dict[str, Any], static: bool) -> str | None:
    """The controller port kind an entry point is, from what it does: whether its settings terminate TLS (the
    static configuration's ``http.tls``, the Helm chart's ``tls.enabled``), else the container port edgeconform's own
    chart values give it (its redirect port too), else the chart's defaults (TLS on for ``websecure`` only)
    [TRAEFIK-EP][TRAEFIK-HELM]. ``websecure`` with ``tls.enabled: false`` is a cleartext (http) entry point."""
    port = ep.get("port")
    if port is None and static:
        match = re.search(r":(\d+)", str(ep.get("address", "")))
        port = int(match.group(1)) if match else None
    said = _tls_said(ep, static)
    if said is not None:
        return "https" if said else "http"
    by_port = {number: kind for kind, number in CONTAINER_PORTS.items()}
    if port is not None and int(port) in by_port:
        return by_port[int(port)]
    return "https" if name == "websecure" and not static else "http"  # the chart turns TLS on for websecure


def _tls_said(ep: dict[str, Any], static: bool) -> bool | None:
    """Whether an entry point's own settings say it terminates TLS: the static configuration's ``http.tls``, the
    chart's ``tls.enabled``; None: they do not say."""
    if static:
        return True if isinstance(ep.get("http"), dict) and ep["http"].get("tls") is not None else None
    tls = ep.get("tls")
    return bool(tls.get("enabled")) if isinstance(tls, dict) and "enabled" in tls else None


def _http(doc: Document, r: Reading, http: dict[str, Any], path: tuple, name: str, static: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in http.items():
        at = (*path, key)
        if key == "redirections":
            out["redirections"] = value
            r.cite(f"controller.settings.entryPoints.{name}.http.redirections", doc, *at, keys=("TRAEFIK-EP",))
        elif key == "middlewares":
            out["middlewares"] = [str(m) for m in value or []]
            r.cite(f"controller.settings.entryPoints.{name}.http.middlewares", doc, *at, keys=("TRAEFIK-EP",))
        elif key == "tls":
            tls = value or {}
            if tls.get("options"):
                out["tls"] = {"options": tls["options"]}
            for k, v in tls.items():
                if k not in ("options", "enabled"):
                    r.unknown(doc, f"{name}.http.tls.{k}", v, *at, k)
        else:
            r.unknown(doc, f"{name}.http.{key}", value, *at)
    return out


def _middleware_name(ref: str, middlewares: dict[str, Any]) -> str:
    """A reference as the chart writes it, ``<namespace>-<name>@kubernetescrd``, as the CRD's own name."""
    base = ref.split("@", 1)[0]
    if base in middlewares:
        return base
    for name in middlewares:
        if base.endswith(f"-{name}"):
            return name
    return base


def name_entry_points(ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> None:
    """Traefik's plug-in knows an entry point by the listener that reaches it (the chart's convention: the cleartext
    listener's is web, the HTTPS listener's websecure); entry points named otherwise are renamed to it, by the
    controller port they listen on, with a warning."""
    shape = Topology.model_validate({"name": "x", "hostnames": ["x"], "load_balancer": {
        "model": lb["model"], "listeners": [{k: v for k, v in item.items() if k != "idle_timeout"}
                                            for item in lb["listeners"]]}})
    wanted = {kind: name for name, kind in entry_points(shape).items()}
    entries = (ctl.settings or {}).get("entryPoints") or {}
    renamed = {}
    for name, entry in entries.items():
        kind = ctl.ports.get(name)
        target = wanted.get(kind, name) if kind else name
        if target != name:
            r.warn(f"Traefik entry point {name} is where the load balancer's {kind} traffic lands: named {target}, "
                   "as the plug-in (and the Helm chart's Service) name it")
        renamed[target] = entry
    if entries:
        ctl.settings["entryPoints"] = renamed
