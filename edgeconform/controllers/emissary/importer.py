"""Emissary-ingress: its Listeners, Hosts, TLSContexts and Module -> the abstract controller block (its plug-in has
no settings of its own) [EMS-MOD]. The table in settings.py, read backwards:

- Listener protocolStack with PROXY -> proxy_protocol; l7Depth (else Module xff_num_trusted_hops) -> trusted_hops
- securityModel INSECURE -> the redirect-only port; a TLS protocolStack -> the https port; else the http port
- the Hosts the other Listeners bind: requestPolicy.insecure.action Redirect/Route -> cleartext redirect/serve
- TLSContext min_tls_version -> tls_min_version; Hosts' tlsSecret -> certificates (the Host "*" first)
- redirect_code: 301, Emissary's fixed code (REDIRECT_CODE): no manifest says otherwise
"""

from __future__ import annotations

from typing import Any

from ...importing.common import ControllerRead, EdgeInputs, Importer, name_for_secret
from ...importing.documents import Document, ImportFailed, check_shapes, load_text
from ...importing.reading import Reading
from .cluster import CONTAINER_PORTS, NAME, POD_SELECTOR
from .settings import REDIRECT_CODE
from .settings import TLS_VERSIONS as WRITTEN

GROUP = "getambassador.io/"
# Emissary 1.x (Ambassador): its configuration as YAML in this annotation of a Service [EMS-MOD][EMS-AWS]
ANNOTATION = "getambassador.io/config"
API_1X = ("getambassador.io/v0", "getambassador.io/v1", "getambassador.io/v2")
TLS_VERSIONS = {value: key for key, value in WRITTEN.items()}
MODULE_KEYS = {"use_remote_address", "diagnostics", "xff_num_trusted_hops", "use_proxy_proto"}


class EmissaryImporter(Importer):
    kind = NAME
    cluster_kinds = tuple(("getambassador.io/v3alpha1", kind)
                          for kind in ("Listener", "Host", "TLSContext", "Module", "Mapping"))
    app_name = POD_SELECTOR["app.kubernetes.io/name"]

    images = ("emissary-ingress/emissary", "datawire/emissary", "datawire/ambassador", "datawire/aes")

    def evidence(self, docs: list[Document]) -> list[Document]:
        return [doc for doc in docs if doc.api_version.startswith(GROUP)
                or (doc.kind == "Service" and ANNOTATION in doc.annotations)]

    def where(self, doc: Document) -> tuple[Any, ...]:
        return ("metadata", "annotations", ANNOTATION) if doc.kind == "Service" else ("apiVersion",)

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        return read(docs, r)


def read(docs: list[Document], r: Reading) -> ControllerRead:
    out = ControllerRead(NAME)
    mine = [doc for doc in docs if doc.api_version.startswith(GROUP)]
    # Emissary 1.x's Modules: as objects (a Service's annotation expanded before import reads, or given so), else
    # read here from the annotation itself
    modules_1x = [doc for doc in mine if doc.kind == "Module" and doc.api_version in API_1X] or annotation_modules(docs)
    out.found = bool(mine or modules_1x)
    r.use(*mine)  # Mappings too: routes, which the edge's behaviours do not depend on
    block: dict[str, Any] = {"redirect_code": REDIRECT_CODE}
    r.cite("controller.redirect_code", keys=("EMS-MOD",))
    if modules_1x and not any(doc.kind in ("Listener", "Host") for doc in mine):
        return _modules_1x(modules_1x, out, block, r)
    listeners = [doc for doc in mine if doc.kind == "Listener"]
    hosts = [doc for doc in mine if doc.kind == "Host"]
    proxy: dict[bool, Document] = {}
    depth: dict[int, Document] = {}
    redirect_groups: list[dict[str, Any]] = []
    for doc in listeners:
        stack = [str(item).upper() for item in doc.spec.get("protocolStack") or []]
        protocol = str(doc.spec.get("protocol", "")).upper()
        has_proxy = "PROXY" in stack or protocol.endswith("PROXY")
        proxy.setdefault(has_proxy, doc)
        r.cite("controller.proxy_protocol", doc, "spec", "protocolStack" if stack else "protocol", keys=("EMS-MOD",))
        if "l7Depth" in doc.spec:
            depth.setdefault(int(doc.spec["l7Depth"]), doc)
            r.cite("controller.trusted_hops", doc, "spec", "l7Depth", keys=("EMS-MOD",))
        model = str(doc.spec.get("securityModel", "XFP")).upper()
        kind = "redirect" if model == "INSECURE" else "https" if ("TLS" in stack or protocol.startswith("HTTPS")) \
            else "http"
        if "port" in doc.spec:
            out.ports[int(doc.spec["port"])] = kind
        if kind == "redirect":
            redirect_groups.append(((doc.spec.get("hostBinding") or {}).get("selector") or {}).get("matchLabels") or {})
        for key, value in doc.spec.items():
            if key not in ("port", "protocolStack", "protocol", "securityModel", "l7Depth", "statsPrefix",
                           "hostBinding"):
                r.unknown(doc, f"spec.{key}", value, "spec", key)
    if len(proxy) > 1:
        raise proxy[False].fail(f"this Listener expects no PROXY header and {proxy[True].describe()} does: the load "
                                "balancer sends it to every port or to none", "spec", "protocolStack")
    if len(depth) > 1:
        values = sorted(depth)
        raise depth[values[-1]].fail(f"l7Depth {values[-1]} here and {values[0]} on {depth[values[0]].describe()}: "
                                     "edgeconform's trust model is one per controller", "spec", "l7Depth")
    if proxy:
        block["proxy_protocol"] = next(iter(proxy))
    if depth:
        block["trusted_hops"] = next(iter(depth))
    for doc in mine:
        if doc.kind == "Module":
            config = doc.spec.get("config") or {}
            for key, value in config.items():
                where = ("spec", "config", key)
                if key == "xff_num_trusted_hops" and not depth:
                    block["trusted_hops"] = int(value)
                    r.cite("controller.trusted_hops", doc, *where, keys=("EMS-MOD",))
                elif key == "use_proxy_proto" and not proxy:
                    block["proxy_protocol"] = bool(value)
                    r.cite("controller.proxy_protocol", doc, *where, keys=("EMS-MOD",))
                elif key not in MODULE_KEYS:
                    r.unknown(doc, f"spec.config.{key}", value, *where)
    main = [doc for doc in hosts if not any(group and all(doc.labels.get(k) == v for k, v in group.items())
                                            for group in redirect_groups)]
    actions: dict[str, Document] = {}
    for doc in main:
        action = str(((doc.spec.get("requestPolicy") or {}).get("insecure") or {}).get("action", "Redirect"))
        actions.setdefault(action, doc)
        r.cite("controller.cleartext", doc, *(("spec", "requestPolicy", "insecure", "action")
                                              if doc.get("spec", "requestPolicy") else ("spec",)), keys=("EMS-MOD",))
        hostname = str(doc.spec.get("hostname", "*"))
        if hostname != "*" and hostname not in out.hostnames:
            out.hostnames.append(hostname)
            r.hostnames.append(hostname)
            r.cite("hostnames", doc, "spec", "hostname")
    for action, doc in actions.items():  # each action known first: a conflict names two known ones
        if action not in ("Redirect", "Route"):
            raise doc.fail(f"insecure action {action!r}: Redirect or Route (Reject is not modelled)",
                           "spec", "requestPolicy", "insecure", "action")
    if len(actions) > 1:
        raise actions["Route"].fail(f"insecure action Route here and Redirect on {actions['Redirect'].describe()}: "
                                    "one cleartext policy per edge", "spec", "requestPolicy", "insecure", "action")
    if actions:
        action = next(iter(actions))
        block["cleartext"] = "redirect" if action == "Redirect" else "serve"
    ordered = sorted(main, key=lambda doc: doc.spec.get("hostname", "*") != "*")  # the Host "*" is the default
    for doc in ordered:
        secret = (doc.spec.get("tlsSecret") or {}).get("name")
        if secret:
            hostname = str(doc.spec.get("hostname", "*"))
            name = name_for_secret(docs, r, doc.namespace, secret, "controller.certificates",
                                   [hostname] if hostname != "*" else [])
            r.cite("controller.certificates", doc, "spec", "tlsSecret")
            if name not in out.certificates:
                out.certificates.append(name)
    versions = {}
    for doc in mine:
        if doc.kind == "TLSContext" and doc.spec.get("min_tls_version"):
            value = str(doc.spec["min_tls_version"])
            if value not in TLS_VERSIONS:
                raise doc.fail(f"{value!r} is not one of {', '.join(TLS_VERSIONS)}", "spec", "min_tls_version")
            versions.setdefault(TLS_VERSIONS[value], doc)
            r.cite("controller.tls_min_version", doc, "spec", "min_tls_version", keys=("EMS-MOD",))
    if len(versions) > 1:
        raise list(versions.values())[1].fail("TLSContexts with different min_tls_version: one per edge", "spec",
                                              "min_tls_version")
    if versions:
        block["tls_min_version"] = next(iter(versions))
    if not out.found:
        r.warn("no Emissary Listener, Host or Module among the inputs: Emissary's documented defaults are assumed "
               "(no PROXY, no trusted hops, cleartext redirected with 301) [EMS-MOD]")
    if not out.ports:
        out.ports = {number: kind for kind, number in CONTAINER_PORTS.items()}
    out.abstract = block
    return out


def annotation_modules(docs: list[Document]) -> list[Document]:
    """The Modules of Emissary 1.x's ``getambassador.io/config`` annotations, as documents whose lines are the
    annotation's lines in its file (a literal block: one line for one)."""
    out = []
    for doc in docs:
        if doc.kind != "Service" or ANNOTATION not in doc.annotations:
            continue
        at = ("metadata", "annotations", ANNOTATION)
        try:
            embedded = load_text(doc.file, str(doc.annotations[ANNOTATION]))
        except ImportFailed as exc:
            raise doc.fail(f"its YAML does not parse: {exc.message}", *at) from None
        shift = doc.line(*at)
        for item in embedded:
            item.lines = {path: line + shift for path, line in item.lines.items()}
            item.start += shift
        modules = [item for item in embedded if item.kind == "Module"]
        check_shapes(modules)  # read after import's own check of the inputs
        out += modules
    return out


def _modules_1x(modules: list[Document], out: ControllerRead, block: dict[str, Any], r: Reading) -> ControllerRead:
    """Emissary 1.x's Modules [EMS-MOD][EMS-AWS]: ``ambassador`` (use_proxy_proto; use_remote_address false makes
    Envoy take the client from the X-Forwarded-For entry the load balancer appended and keep its
    X-Forwarded-Proto, one trusted hop [ENVOY-H]; xff_num_trusted_hops; x_forwarded_proto_redirect) and ``tls``
    (server.enabled: the TLS port 8443; redirect_cleartext_from: a port that only redirects)."""
    ports = {8080: "http"}
    remote = True
    hops = 0
    for doc in modules:
        as_object = isinstance(doc.data.get("spec"), dict)  # metadata.name and spec.config, or 1.x's own layout
        name = doc.name if as_object else str(doc.data.get("name", ""))
        base = ("spec", "config") if as_object else ("config",)
        config = doc.get(*base, default={}) or {}
        for key, value in config.items():
            where = (*base, key)
            if name == "ambassador" and key == "use_proxy_proto":
                block["proxy_protocol"] = bool(value)
                r.cite("controller.proxy_protocol", doc, *where, keys=("EMS-MOD",))
            elif name == "ambassador" and key == "use_remote_address":
                remote = bool(value)
                r.cite("controller.trusted_hops", doc, *where, keys=("EMS-MOD", "ENVOY-H"))
            elif name == "ambassador" and key == "xff_num_trusted_hops":
                hops = int(value)
                r.cite("controller.trusted_hops", doc, *where, keys=("EMS-MOD",))
            elif name == "ambassador" and key == "x_forwarded_proto_redirect":
                block["cleartext"] = "redirect" if value else "serve"
                r.cite("controller.cleartext", doc, *where, keys=("EMS-MOD",))
            elif name == "tls" and key == "server":
                if (value or {}).get("enabled"):
                    ports[8443] = "https"
                for item, setting in (value or {}).items():
                    if item == "redirect_cleartext_from":
                        ports[int(setting)] = "redirect"
                        r.cite("controller.cleartext", doc, *where, item, keys=("EMS-MOD", "EMS-AWS"))
                    elif item != "enabled":
                        r.unknown(doc, f"tls.server.{item}", setting, *where, item)
            elif name == "tls" and key == "redirect_cleartext_from":
                ports[int(value)] = "redirect"
                r.cite("controller.cleartext", doc, *where, keys=("EMS-MOD", "EMS-AWS"))
            else:
                r.unknown(doc, f"{name}.{key}", value, *where)
    block["trusted_hops"] = hops + (0 if remote else 1)
    block.setdefault("cleartext", "serve")  # 1.x redirects only where a Module says so
    out.ports = ports
    out.abstract = block
    return out
