"""ingress-nginx: its ConfigMap's keys as the topology's ``controller.settings`` (checked by the plug-in's
``Settings``), hostnames and certificates from its Ingresses, the default certificate from the Deployment's
``--default-ssl-certificate`` [NGX-CM][NGX-CFG]. Behind an NLB that ends TLS and sends PROXY v2, with
force-ssl-redirect, the block is written as the port split instead (``port_split``)."""

from __future__ import annotations

import re
from typing import Any

from ...importing.common import (ControllerRead, EdgeInputs, Importer, name_for_secret, read_ingress_rules, secrets,
                                 validate)
from ...importing.documents import Document
from ...importing.reading import Reading
from .cluster import CONTAINER_PORTS, NAME, NAMESPACE, POD_SELECTOR
from .settings import SOURCE_TAG, Settings, to_abstract

CONTROLLER = "k8s.io/ingress-nginx"  # its IngressClass's spec.controller
# a server block of the http-snippet that listens on a port and only redirects to https: the port it listens on
SNIPPET_REDIRECT = re.compile(r"server\s*\{[^{}]*?listen\s+(\d+)[^;{}]*;[^{}]*?return\s+30[1278]\s+https://[^{}]*\}",
                              re.S)
# ConfigMap key -> the abstract field it decides (settings.to_abstract), for the port split
SPLIT_FIELDS = {"use-proxy-protocol": "proxy_protocol", "force-ssl-redirect": "cleartext", "ssl-redirect": "cleartext",
                "http-redirect-code": "redirect_code", "ssl-protocols": "tls_min_version",
                "use-forwarded-headers": "trusted_cidrs", "enable-real-ip": "trusted_cidrs",
                "proxy-real-ip-cidr": "trusted_cidrs", "forwarded-for-header": "trusted_cidrs"}


class IngressNginxImporter(Importer):
    kind = NAME
    images = ("ingress-nginx/controller", "nginx-ingress-controller")
    cluster_kinds = (("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"))
    app_name = POD_SELECTOR["app.kubernetes.io/name"]

    def evidence(self, docs: list[Document]) -> list[Document]:
        return configmaps(docs)

    def keeps(self, doc: Document, docs: list[Document]) -> bool:
        """Its ConfigMap (the one its Deployment's --configmap names, else one named like its own), and its
        Deployment (or DaemonSet)."""
        if doc.kind == "ConfigMap":
            return any(doc is mine for mine in configmaps(docs))
        containers = doc.get("spec", "template", "spec", "containers", default=[]) or []
        return any("ingress-nginx" in str(c.get("image", "")) or "nginx-ingress-controller" in " ".join(
            map(str, c.get("args") or [])) for c in containers if isinstance(c, dict))

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        return read(docs, r, edge.albs)

    def settle(self, ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> dict[str, Any] | None:
        return port_split(ctl, lb, r) or no_tls_host(ctl, lb, r)


def configmap_name(docs: list[Document]) -> tuple[str, str] | None:
    """The ConfigMap the Deployment's --configmap names (namespace, name), if a Deployment is given."""
    for doc in docs:
        for arg in _args(doc):
            if arg.startswith("--configmap="):
                ns, _, name = arg.split("=", 1)[1].replace("$(POD_NAMESPACE)", doc.namespace).rpartition("/")
                return ns or doc.namespace, name
    return None


def _args(doc: Document) -> list[str]:
    if doc.kind not in ("Deployment", "DaemonSet"):
        return []
    containers = doc.get("spec", "template", "spec", "containers", default=[]) or []
    return [str(arg) for c in containers if isinstance(c, dict) for arg in (c.get("args") or [])]


def configmaps(docs: list[Document]) -> list[Document]:
    named = configmap_name(docs)
    return [doc for doc in docs if doc.kind == "ConfigMap" and (
        (doc.namespace, doc.name) == named if named else doc.name.endswith("ingress-nginx-controller"))]


def read(docs: list[Document], r: Reading, alb_ingresses: list[Document]) -> ControllerRead:
    out = ControllerRead(NAME, settings={})
    found = configmaps(docs)
    if len(found) > 1:
        raise found[1].fail(f"a second ingress-nginx ConfigMap (the first: {found[0].describe()} in "
                            f"{found[0].file}): import one controller's edge at a time")
    model = Settings
    aliases = {f.alias for f in model.model_fields.values()}
    if found:
        cm = found[0]
        r.use(cm)
        out.found = True
        data = cm.data.get("data") or {}
        settings = {}
        for key, value in data.items():
            if key in aliases:
                settings[key] = value
                r.cite(f"controller.settings.{key}", cm, "data", key, keys=("NGX-CM",))
            else:
                r.unknown(cm, key, value, "data", key)
        validate(cm, model, settings, ("data",))
        out.settings = settings
        controller_ns = cm.namespace
    else:
        r.warn("no ingress-nginx ConfigMap among the inputs: the controller's documented defaults are assumed "
               f"(release {SOURCE_TAG}) [NGX-CFG]")
        r.cite("controller.settings", keys=("NGX-CFG",))
        controller_ns = NAMESPACE
    # what the load balancer's Service may name as its target ports: the controller's, and a server of its
    # http-snippet that only redirects to https (the NGX-AWS port split: "listen 2443; return 308 https://...")
    out.ports = {number: kind for kind, number in CONTAINER_PORTS.items()}
    if found:
        for port in SNIPPET_REDIRECT.findall(str((found[0].data.get("data") or {}).get("http-snippet", ""))):
            out.ports[int(port)] = "redirect"
            r.cite("load_balancer.listeners", found[0], "data", "http-snippet", keys=("NGX-AWS",))

    # its Ingresses: those of its class, or of a class no IngressClass among the inputs gives another controller
    others = {doc.name for doc in docs if doc.kind == "IngressClass" and doc.spec.get("controller") != CONTROLLER}
    ingresses = [doc for doc in docs if doc.kind == "Ingress" and doc not in alb_ingresses
                 and (doc.spec.get("ingressClassName") or doc.annotations.get("kubernetes.io/ingress.class"))
                 not in others]
    r.use(*ingresses, *(doc for doc in docs if _args(doc)))
    default = _default_certificate(docs, r, controller_ns, ingresses)
    names: list[str] = []
    for ing in ingresses:
        read_ingress_rules(ing, out, r, "nginx.ingress.kubernetes.io/")  # per-Ingress overrides: not modelled
    if default:
        names.append(name_for_secret(docs, r, *default[0], "controller.certificates", []))
        r.cite("controller.certificates", default[1], *default[2])
    for ing in ingresses:
        for i, tls in enumerate(ing.spec.get("tls") or []):
            if not isinstance(tls, dict) or not tls.get("secretName"):
                continue
            hosts = [str(h) for h in tls.get("hosts") or []]
            name = name_for_secret(docs, r, ing.namespace, tls["secretName"], "controller.certificates", hosts)
            r.cite("controller.certificates", ing, "spec", "tls", i)
            if name not in names:
                names.append(name)
    out.certificates = names
    out.extra["ingress_tls"] = any(isinstance(tls, dict) and tls.get("hosts") for ing in ingresses
                                   for tls in ing.spec.get("tls") or [])
    return out


def _default_certificate(docs, r, controller_ns, ingresses):
    """((namespace, name), document, path) of the default certificate's Secret: the Deployment's
    --default-ssl-certificate, else the one TLS Secret of the controller's namespace no Ingress names."""
    for doc in docs:
        for i, arg in enumerate(_args(doc)):
            if arg.startswith("--default-ssl-certificate="):
                ns, _, name = arg.split("=", 1)[1].replace("$(POD_NAMESPACE)", doc.namespace).rpartition("/")
                path = _arg_path(doc, arg)
                return (ns or doc.namespace, name), doc, path
    named = {(ing.namespace, tls.get("secretName")) for ing in ingresses for tls in ing.spec.get("tls") or []
             if isinstance(tls, dict)}
    loose = [key for key, doc in secrets(docs).items() if key[0] == controller_ns and key not in named
             and doc.data.get("type") == "kubernetes.io/tls"]
    if len(loose) == 1:
        doc = secrets(docs)[loose[0]]
        r.use(doc)
        return loose[0], doc, ("metadata", "name")
    return None


def _arg_path(doc: Document, arg: str) -> tuple:
    for c, container in enumerate(doc.get("spec", "template", "spec", "containers", default=[]) or []):
        for a, value in enumerate(container.get("args") or []):
            if value == arg:
                return ("spec", "template", "spec", "containers", c, "args", a)
    return ()


def port_split(ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> dict[str, Any] | None:
    """ingress-nginx behind an NLB that ends TLS and sends PROXY v2, with force-ssl-redirect: the controller takes
    the scheme from the PROXY header's destination port, so only what arrived on the cleartext port is redirected
    [NGX-LUA][NGX-AWS]. Its settings alone would read as "redirect everything"; in abstract terms this is the port
    split (docs/migration.md): the cleartext listener lands on a port that redirects, the controller serves the
    rest. The block is then written in those terms, the trust model derived by the plug-in."""
    if ctl.settings is None or lb.get("proxy_protocol") != "v2":
        return None
    s = Settings.model_validate(ctl.settings)
    listeners = lb["listeners"]
    clear = [item for item in listeners if item["protocol"] == "TCP" and item["target"] == "http"]
    ended = [item for item in listeners if item["protocol"] == "TLS" and item["target"] == "http"]
    if not (s.on("use-proxy-protocol") and s.on("force-ssl-redirect") and clear and ended):
        return None
    for item in clear:
        item["target"] = "redirect"
    # force-ssl-redirect decides alone here, so the plug-in's reading needs no topology
    block = {**to_abstract(s, None), "cleartext": "serve"}  # type: ignore[arg-type]
    for field in ("cleartext", "proxy_protocol"):
        r.cite(f"controller.{field}", keys=("NGX-AWS", "NGX-LUA"))
    _as_abstract(ctl.settings, r, "the port split below")
    r.cite("load_balancer.listeners", keys=("NGX-AWS",))
    r.warn("ingress-nginx with use-proxy-protocol and force-ssl-redirect behind a TLS listener of the NLB redirects "
           "by the PROXY header's destination port: written as the port split (cleartext listener -> redirect, "
           "cleartext: serve), its ConfigMap keys as abstract fields [NGX-AWS]")
    return block


def no_tls_host(ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> dict[str, Any] | None:
    """ingress-nginx's ssl-redirect (on by default) redirects the hosts of Ingresses that have a tls section, and
    only those [NGX-CM]; force-ssl-redirect redirects every host. Where TLS reaches the controller but no Ingress
    among the inputs has a tls section, cleartext is served: the plug-in would read the certificates that TLS needs as
    an Ingress's tls, so the block is written in abstract terms, cleartext: serve."""
    if ctl.settings is None or ctl.extra.get("ingress_tls") or not any(
            item["target"] == "https" for item in lb["listeners"]):
        return None
    s = Settings.model_validate(ctl.settings)
    if not s.on("ssl-redirect") or s.on("force-ssl-redirect"):
        return None
    block = to_abstract(Settings.model_validate({**ctl.settings, "ssl-redirect": "false"}), None)  # type: ignore
    r.cite("controller.cleartext", keys=("NGX-CM",))
    _as_abstract(ctl.settings, r, "its block")
    r.warn("ingress-nginx: no Ingress among the inputs has a tls section, so ssl-redirect (on by default) redirects "
           "no host and cleartext is served (force-ssl-redirect would redirect every host): written in abstract "
           "terms, cleartext: serve [NGX-CM]")
    return block


def _as_abstract(settings: dict[str, Any], r: Reading, what: str) -> None:
    """The ConfigMap lines now cite the abstract field they became; keys the abstract block has no field for are
    said."""
    for key, field in SPLIT_FIELDS.items():
        for ref in r.sources.pop(f"controller.settings.{key}", []):
            entries = r.sources.setdefault(f"controller.{field}", [])
            if ref not in entries:
                entries.append(ref)
    lost = sorted(key for key in settings if key not in SPLIT_FIELDS and key != "compute-full-forwarded-for")
    for key in lost:
        r.sources.pop(f"controller.settings.{key}", None)
    r.sources.pop("controller.settings.compute-full-forwarded-for", None)  # the abstract block's append, always on
    if lost:
        r.warn(f"the abstract block has no field for the ConfigMap keys {', '.join(lost)}: they are not in the "
               f"topology ({what} is written in abstract terms)")
