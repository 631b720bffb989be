"""Helm values -> the objects their chart renders for the edge, each key cited at its values line.

A values file is recognised by its shape (``recognise``): ingress-nginx's ``controller:``, Traefik's ``ports:`` /
``service:``, the AWS Load Balancer Controller's ``clusterName`` and defaults, Envoy Gateway's
``config.envoyGateway``, Istio's gateway chart; a Terraform helm_release names its chart outright. Each chart's
renderer writes what its templates write for the objects import reads (the controller's Service with its
annotations and ports, its ConfigMap, its Deployment's arguments, the LBC's Deployment and IngressClass), from the
user's values over the chart's defaults (charts.yaml). Every rendered key that came from a value points at that
value's file and line (``Document.files``/``lines``); a values key no renderer uses is listed as read but not
understood; keys a chart does not read at all are said so. Where the real ``helm`` can render the chart
(edgeconform.importing.formats.helm), that is preferred and this is not used.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..documents import Document, Path_, _dotted

CHARTS_FILE = Path(__file__).with_name("charts.yaml")


@cache
def charts() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(CHARTS_FILE.read_text())["charts"]


def chart_named(name: str) -> str | None:
    """The chart key of charts.yaml for a chart's name (a helm_release's ``chart``, possibly repo/name)."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return next((key for key, spec in charts().items() if base in spec["names"]), None)


# --- recognising a values file by its shape ------------------------------------------------------------------------
def recognise(data: Any) -> str | None:
    """The chart a values document belongs to, by its keys (None: not one import reads)."""
    if not isinstance(data, dict) or "kind" in data or "apiVersion" in data:
        return None
    controller = data.get("controller")
    if isinstance(controller, dict) and set(controller) & {"service", "config", "extraArgs", "kind", "image",
                                                          "ingressClassResource", "admissionWebhooks",
                                                          "containerPort", "ingressClass"}:
        return "ingress-nginx"
    if isinstance((data.get("config") or {}), dict) and isinstance((data.get("config") or {}).get("envoyGateway"),
                                                                    dict):
        return "gateway-helm"
    if "clusterName" in data or set(data) & {"defaultSSLPolicy", "defaultTargetType", "enableServiceMutatorWebhook",
                                             "ingressClassParams", "defaultLoadBalancerScheme"}:
        return "aws-load-balancer-controller"
    if _istio(data):
        return "istio-gateway"
    ports = data.get("ports")
    if isinstance(ports, dict) and any(isinstance(v, dict) and set(v) & {"port", "exposedPort", "expose"}
                                       for v in ports.values()):
        return "traefik"
    if set(data) & {"additionalArguments", "globalArguments", "ingressRoute", "providers"}:
        return "traefik"
    service = data.get("service")
    if isinstance(service, dict) and isinstance(service.get("annotations"), dict) and set(data) <= {"service"}:
        return "traefik"  # the chart's "Install on AWS" values: service.annotations alone
    return None


def _istio(data: dict[str, Any]) -> bool:
    root = data.get("gateway") if isinstance(data.get("gateway"), dict) else data
    service = root.get("service") if isinstance(root.get("service"), dict) else {}
    annotations = service.get("annotations") if isinstance(service.get("annotations"), dict) else {}
    labels = root.get("labels") if isinstance(root.get("labels"), dict) else {}
    return (any(str(k).startswith(("proxy.istio.io/", "networking.istio.io/")) for k in annotations)
            or "istio" in labels or "networkGateway" in root)


# --- values with their origins ---------------------------------------------------------------------------------------
def merged(layers: list[Document]) -> Document:
    """Several values sources as Helm merges them (later over earlier, maps deeply), each key keeping its origin."""
    first = layers[0]
    out = Document(first.file, {}, {}, first.start)
    for layer in layers:
        _merge_into(out, layer, (), layer.data if isinstance(layer.data, dict) else {})
    return out


def _merge_into(out: Document, layer: Document, path: Path_, data: dict[str, Any]) -> None:
    node = out.data
    for part in path:
        node = node[part]
    for key, value in data.items():
        here = path + (key,)
        if isinstance(value, dict) and isinstance(node.get(key), dict):
            _record(out, layer, here)
            _merge_into(out, layer, here, value)
            continue
        node[key] = copy.deepcopy(value)
        for sub in [p for p in out.lines if p[:len(here)] == here]:
            out.lines.pop(sub, None)
            out.files.pop(sub, None)
        for sub, line in layer.lines.items():
            if sub[:len(here)] == here:
                out.lines[sub] = line
                out.files[sub] = layer.file_at(*sub)


def _record(out: Document, layer: Document, path: Path_) -> None:
    if path not in out.lines and path in layer.lines:
        out.lines[path] = layer.lines[path]
        out.files[path] = layer.file_at(*path)


# --- what a renderer writes ------------------------------------------------------------------------------------------
@dataclass
class Built:
    """An object being rendered: its data, and for each key the values key it came from."""

    data: dict[str, Any]
    values: Document
    lines: dict[Path_, int] = field(default_factory=dict)
    files: dict[Path_, Path] = field(default_factory=dict)

    def put(self, path: Path_, value: Any, source: Path_ | None = None) -> None:
        node = self.data
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        node[path[-1]] = value
        if source is not None and self.values.lines:
            file, line = self.values.where(*source)
            self.lines[path] = line
            self.files[path] = file

    def document(self, start: int) -> Document:
        return Document(self.values.file, self.data, self.lines, start, files=self.files)


@dataclass
class Render:
    """One chart's values over its defaults: what its renderer reads, what it used, what it said."""

    key: str
    values: Document  # the user's values (with their lines)
    release: str
    namespace: str
    used: set[Path_] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    unknown: list[tuple[Path_, Any]] = field(default_factory=list)  # read, and not something the chart renders
    defaulted: list[Document] = field(default_factory=list)  # the values name none of its keys: the chart's default

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def spec(self) -> dict[str, Any]:
        return charts()[self.key]

    def given(self, *path: Any) -> bool:
        return _has(self.values.data, path)

    def get(self, *path: Any, default: Any = None) -> Any:
        """The value at ``path``: the user's (marked used) over the chart's default."""
        if _has(self.values.data, path):
            self.used.add(tuple(path))
            return _at(self.values.data, path)
        if _has(self.spec["defaults"], path):
            return copy.deepcopy(_at(self.spec["defaults"], path))
        return default

    def merged(self, *path: Any) -> dict[str, Any]:
        """A mapping at ``path``: the chart's default with the user's over it (deeply), the user's marked used."""
        base = copy.deepcopy(_at(self.spec["defaults"], path)) if _has(self.spec["defaults"], path) else {}
        mine = _at(self.values.data, path) if _has(self.values.data, path) else {}
        if _has(self.values.data, path):
            self.used.add(tuple(path))
        return _deep(base if isinstance(base, dict) else {}, mine if isinstance(mine, dict) else {})

    def new(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Built:
        meta: dict[str, Any] = {"name": name}
        if namespace is not None:
            meta["namespace"] = namespace
        return Built({"apiVersion": api_version, "kind": kind, "metadata": meta}, self.values)

    def line(self, *path: Any) -> int:
        return self.values.where(*path)[1] if self.values.lines else 1

    def fullname(self, chart: str) -> str:
        """Helm's usual ``<chart>.fullname``: fullnameOverride, else the release name if it holds the chart's name,
        else release-name."""
        override = self.get("fullnameOverride")
        if override:
            return str(override)[:63].rstrip("-")
        name = str(self.get("nameOverride") or chart)
        return (self.release if name in self.release else f"{self.release}-{name}")[:63].rstrip("-")

    def unused(self) -> list[tuple[Path_, Any]]:
        """The values keys no renderer read: the shallowest key whose subtree nothing used."""
        out: list[tuple[Path_, Any]] = []

        def walk(node: Any, path: Path_) -> None:
            if any(path[:n] in self.used for n in range(1, len(path) + 1)):
                return
            below = [u for u in self.used if u[:len(path)] == path and len(u) > len(path)]
            if path and not below:
                out.append((path, node))
                return
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, path + (key,))

        walk(self.values.data, ())
        return out


def _has(data: Any, path: tuple | list) -> bool:
    node = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _at(data: Any, path: tuple | list) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _deep(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _string(value: Any) -> str:
    """A value as Helm's ``quote`` writes it into an annotation or ConfigMap (true -> "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# --- the charts ------------------------------------------------------------------------------------------------------
NGINX_IMAGE = "registry.k8s.io/ingress-nginx/controller"


def ingress_nginx(r: Render) -> None:
    """kubernetes/ingress-nginx's chart: controller-service.yaml (annotations quoted), controller-configmap.yaml
    (controller.config), controller-deployment.yaml's arguments (controller.extraArgs)."""
    full = r.fullname("ingress-nginx")
    name = f"{full}-controller"
    selector = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": r.release,
                "app.kubernetes.io/component": "controller"}
    svc = ("controller", "service")
    if r.get(*svc, "enabled") and r.get(*svc, "external", "enabled"):
        s = r.new("v1", "Service", name, r.namespace)
        _annotations(r, s, (*svc, "annotations"))
        s.put(("spec", "type"), r.get(*svc, "type"), (*svc, "type"))
        for key in ("externalTrafficPolicy", "loadBalancerClass", "loadBalancerSourceRanges", "ipFamilyPolicy",
                    "ipFamilies", "healthCheckNodePort"):
            value = r.get(*svc, key)
            if value not in (None, "", []):
                s.put(("spec", key), value, (*svc, key))
        ports = []
        for kind in ("http", "https"):
            enable = "enableHttp" if kind == "http" else "enableHttps"
            if not r.get(*svc, enable):
                continue
            i = len(ports)
            ports.append({"name": kind, "port": _port(r.get(*svc, "ports", kind)), "protocol": "TCP",
                          "targetPort": _port(r.get(*svc, "targetPorts", kind))})
            s.put(("spec", "ports", i, "port"), ports[i]["port"], (*svc, "ports", kind))
            s.put(("spec", "ports", i, "targetPort"), ports[i]["targetPort"], (*svc, "targetPorts", kind))
        s.data["spec"]["ports"] = ports
        s.data["spec"]["selector"] = dict(selector)
        for key in ("tcp", "udp"):
            for port, target in (r.get(key) or {}).items():
                r.warn(f"Helm values {key}.{port} ({r.values.file.name}:{r.line(key, port)}): the chart adds a "
                            f"{key.upper()} port {port} to the Service, to {target}: a stream outside the HTTP edge, "
                            "not imported")
        r.documents.append(s.document(r.line(*svc)))
        if not r.given(*svc):
            r.defaulted.append(r.documents[-1])
    cm = r.new("v1", "ConfigMap", name, r.namespace)
    cm.data["data"] = {}
    for key, value in (r.get("controller", "config") or {}).items():
        cm.put(("data", str(key)), _string(value), ("controller", "config", key))
    r.documents.append(cm.document(r.line("controller", "config") if r.given("controller", "config") else 1))
    kind = "DaemonSet" if r.get("controller", "kind") == "DaemonSet" else "Deployment"
    d = r.new("apps/v1", kind, name, r.namespace)
    args = ["/nginx-ingress-controller", f"--publish-service=$(POD_NAMESPACE)/{name}",
            "--controller-class=k8s.io/ingress-nginx", f"--ingress-class={r.get('controller', 'ingressClass')}",
            f"--configmap=$(POD_NAMESPACE)/{name}"]
    extra = r.get("controller", "extraArgs") or {}
    container = {"name": "controller", "image": NGINX_IMAGE, "args": args,
                 "ports": [{"name": k, "containerPort": _port(v), "protocol": "TCP"}
                           for k, v in (r.get("controller", "containerPort") or {}).items()]}
    d.put(("spec",), {"selector": {"matchLabels": selector},
                      "template": {"metadata": {"labels": dict(selector)}, "spec": {"containers": [container]}}})
    root = ("spec", "template", "spec", "containers", 0, "args")
    for key, value in extra.items():
        args.append(f"--{key}" if value in ("", None) else f"--{key}={value}")
        d.put((*root, len(args) - 1), args[-1], ("controller", "extraArgs", key))
    r.documents.append(d.document(r.line("controller") if r.given("controller") else 1))


def bitnami_nginx(r: Render) -> None:
    """Bitnami's nginx-ingress-controller chart: its Service from the top-level ``service.*`` keys, its ConfigMap
    from ``config``, the controller's arguments (``--configmap``, ``extraArgs``)."""
    full = r.fullname("nginx-ingress-controller")
    selector = {"app.kubernetes.io/name": "nginx-ingress-controller", "app.kubernetes.io/instance": r.release,
                "app.kubernetes.io/component": "controller"}
    if r.given("controller"):
        r.warnings.append(f"Helm values controller.* ({r.values.file.name}:{r.line('controller')}): Bitnami's "
                          "nginx-ingress-controller chart reads no controller: key (that is the kubernetes/"
                          "ingress-nginx chart's); its Service is service.*, so these keys change nothing")
    s = r.new("v1", "Service", full, r.namespace)
    _annotations(r, s, ("service", "annotations"))
    s.put(("spec", "type"), r.get("service", "type"), ("service", "type"))
    for key in ("externalTrafficPolicy", "loadBalancerSourceRanges", "loadBalancerClass"):
        if r.get("service", key) not in (None, "", []):
            s.put(("spec", key), r.get("service", key), ("service", key))
    ports = []
    for kind in ("http", "https"):
        i = len(ports)
        ports.append({"name": kind, "port": _port(r.get("service", "ports", kind)), "protocol": "TCP",
                      "targetPort": _port(r.get("service", "targetPorts", kind))})
        s.put(("spec", "ports", i, "port"), ports[i]["port"], ("service", "ports", kind))
    s.data["spec"]["ports"] = ports
    s.data["spec"]["selector"] = selector
    r.documents.append(s.document(r.line("service") if r.given("service") else 1))
    cm = r.new("v1", "ConfigMap", full, r.namespace)
    cm.data["data"] = {}
    for key, value in (r.get("config") or {}).items():
        cm.put(("data", str(key)), _string(value), ("config", key))
    r.documents.append(cm.document(r.line("config") if r.given("config") else 1))
    d = r.new("apps/v1", "Deployment", full, r.namespace)
    args = ["/nginx-ingress-controller", f"--configmap={r.namespace}/{full}", f"--publish-service={r.namespace}/{full}"]
    for key, value in (r.get("extraArgs") or {}).items():
        args.append(f"--{key}" if value in ("", None) else f"--{key}={value}")
    container = {"name": "controller", "image": "docker.io/bitnami/nginx-ingress-controller", "args": args,
                 "ports": [{"name": k, "containerPort": _port(v), "protocol": "TCP"}
                           for k, v in (r.get("containerPorts") or {}).items()]}
    d.put(("spec",), {"selector": {"matchLabels": selector},
                      "template": {"metadata": {"labels": dict(selector)}, "spec": {"containers": [container]}}})
    r.documents.append(d.document(1))


TRAEFIK_ENTRY = {"proxyprotocol": "proxyProtocol", "forwardedheaders": "forwardedHeaders", "http": "http",
                 "redirections": "redirections", "entrypoint": "entryPoint", "trustedips": "trustedIPs",
                 "insecure": "insecure", "to": "to", "scheme": "scheme", "permanent": "permanent",
                 "middlewares": "middlewares", "tls": "tls", "options": "options"}


def traefik(r: Render) -> None:
    """traefik/traefik-helm-chart: the Service (_service.tpl: each exposed ``ports.<name>`` as exposedPort ->
    targetPort <name>), and the entry points its Deployment's arguments make (``--entryPoints.<name>.address``
    from ``ports.<name>.port``, its settings, ``additionalArguments``), as the chart's ``ports:`` keys."""
    full = r.fullname("traefik")
    selector = {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": f"{r.release}-{r.namespace}"}
    ports = r.merged("ports")
    for name in ports:
        if r.given("ports", name):
            r.used.add(("ports", name))
    # what the Traefik importer reads: the chart's ports.<name> (the entry points its Deployment's arguments make),
    # the chart's defaults filled in, settings from additionalArguments and the older redirectTo written as the
    # chart's current keys
    static = Built({"ports": {}}, r.values)
    if r.get("service", "enabled") is not False:
        s = r.new("v1", "Service", full, r.namespace)
        _annotations(r, s, ("service", "annotations"))
        s.put(("spec", "type"), r.get("service", "type") or "LoadBalancer", ("service", "type"))
        for key in ("loadBalancerClass", "loadBalancerSourceRanges", "externalIPs", "ipFamilyPolicy", "ipFamilies"):
            if r.get("service", key) not in (None, "", []):
                s.put(("spec", key), r.get("service", key), ("service", key))
        for key, value in (r.get("service", "spec") or {}).items():
            s.put(("spec", key), value, ("service", "spec", key))
        out = []
        for name, config in ports.items():
            if not isinstance(config, dict) or not _exposed(config.get("expose")):
                continue
            port = config.get("exposedPort") or config.get("port")
            item = {"port": _port(port), "name": name.lower(), "targetPort": config.get("targetPort") or name.lower(),
                    "protocol": config.get("protocol") or "TCP"}
            i = len(out)
            out.append(item)
            s.put(("spec", "ports", i, "port"), item["port"],
                  ("ports", name, "exposedPort") if r.given("ports", name, "exposedPort") else ("ports", name))
        s.data["spec"]["ports"] = out
        s.data["spec"]["selector"] = selector
        r.get("service", "single")
        if out:  # no port exposed: no Service (Kubernetes takes none without ports)
            r.documents.append(s.document(r.line("service") if r.given("service") else 1))
            if not r.given("service"):
                r.defaulted.append(r.documents[-1])
    for name, config in ports.items():
        if not isinstance(config, dict) or config.get("port") is None:
            continue
        if not r.given("ports", name) and name not in ("web", "websecure"):
            continue  # the chart's own unexposed ports (dashboard, metrics): not the edge's
        entry = {key: config[key] for key in ("port", "exposedPort", "expose", "protocol") if key in config}
        static.put(("ports", name), entry, ("ports", name))
        for key in ("proxyProtocol", "forwardedHeaders"):
            if config.get(key):
                static.put(("ports", name, key), config[key], ("ports", name, key))
        if isinstance(config.get("http"), dict):
            static.put(("ports", name, "http"), copy.deepcopy(config["http"]), ("ports", name, "http"))
        target = config.get("redirectTo") or (config.get("redirections") or {}).get("entryPoint")
        if target:  # chart 2x-2y: redirectTo (a name, then {port: name}); later: redirections.entryPoint
            to = target.get("to") or target.get("port") if isinstance(target, dict) else target
            redirect = {"to": to, "scheme": (target.get("scheme") if isinstance(target, dict) else None) or "https",
                        "permanent": target.get("permanent", True) if isinstance(target, dict) else True}
            key = "redirectTo" if config.get("redirectTo") else "redirections"
            static.put(("ports", name, "http", "redirections"), {"entryPoint": redirect}, ("ports", name, key))
        tls = config.get("tls")
        if isinstance(tls, dict) and r.given("ports", name, "tls"):  # whether it ends TLS, where the values say
            static.put(("ports", name, "tls"), copy.deepcopy(tls), ("ports", name, "tls"))  # (the importer's default)
            if tls.get("enabled") and tls.get("options"):
                static.put(("ports", name, "http", "tls"), {"options": tls["options"]}, ("ports", name, "tls"))
    for i, arg in enumerate(r.get("additionalArguments") or []):
        if not _entry_point_arg(static, str(arg), ("additionalArguments", i)):
            r.unknown.append((("additionalArguments", i), arg))
    r.documents.append(static.document(r.line("ports") if r.given("ports") else 1))


def _entry_point_arg(static: Built, arg: str, source: Path_) -> bool:
    """``--entrypoints.<name>.<setting>=<value>`` (Traefik's static configuration on its command line, whose keys
    are case-insensitive) into that entry point's ports.<name> settings; False for any other argument."""
    match = re.match(r"^--entry[pP]oints\.([^.=]+)\.([^=]+)(?:=(.*))?$", arg, re.IGNORECASE)
    if not match:
        return False
    name, setting, value = match.group(1), match.group(2), match.group(3)
    parts = [TRAEFIK_ENTRY.get(p.lower(), p) for p in setting.split(".")]
    if parts[0] not in ("proxyProtocol", "forwardedHeaders", "http"):
        return False
    parsed: Any = True if value is None else value
    if parts[-1] == "trustedIPs":
        parsed = [item.strip() for item in str(value).split(",") if item.strip()]
    elif isinstance(parsed, str) and parsed.lower() in ("true", "false"):
        parsed = parsed.lower() == "true"
    node = static.data["ports"].setdefault(name, {})
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parsed
    file, line = static.values.where(*source) if static.values.lines else (static.values.file, 1)
    static.lines[("ports", name, *parts)] = line
    static.files[("ports", name, *parts)] = file
    return True


def _exposed(expose: Any) -> bool:
    if isinstance(expose, dict):
        return bool(expose.get("default"))
    return bool(expose)


LBC_ARGS = {"clusterName": "cluster-name", "ingressClass": "ingress-class", "region": "aws-region",
            "vpcId": "aws-vpc-id", "defaultSSLPolicy": "default-ssl-policy", "defaultTargetType": "default-target-type",
            "defaultLoadBalancerScheme": "default-load-balancer-scheme", "loadBalancerClass": "load-balancer-class",
            "enableBackendSecurityGroup": "enable-backend-security-group", "backendSecurityGroup":
            "backend-security-group", "disableIngressClassAnnotation": "disable-ingress-class-annotation",
            "disableIngressGroupNameAnnotation": "disable-ingress-group-name-annotation",
            "watchNamespace": "watch-namespace", "enableManageBackendSecurityGroupRules":
            "enable-manage-backend-security-group-rules"}
LBC_IMAGE = "public.ecr.aws/eks/aws-load-balancer-controller"


def lbc(r: Render) -> None:
    """The AWS Load Balancer Controller's chart (helm/aws-load-balancer-controller/templates/deployment.yaml): its
    Deployment's arguments from the values that set them (--default-ssl-policy, --default-target-type, ...), the
    IngressClass (and IngressClassParams) it creates, the Service mutating webhook when enabled (webhook.yaml)."""
    name = r.fullname("aws-load-balancer-controller")
    d = r.new("apps/v1", "Deployment", name, r.namespace)
    args: list[str] = []
    sources: list[Path_ | None] = []
    for key, flag in LBC_ARGS.items():
        value = r.get(key)
        if value in (None, ""):
            continue
        args.append(f"--{flag}={_string(value)}")
        sources.append((key,) if r.given(key) else None)
    gates = r.get("controllerConfig", "featureGates") or {}
    if gates:
        args.append("--feature-gates=" + ",".join(f"{k}={_string(v)}" for k, v in gates.items()))
        sources.append(("controllerConfig", "featureGates"))
    container = {"name": "aws-load-balancer-controller", "image": LBC_IMAGE, "args": args}
    d.put(("spec",), {"template": {"spec": {"containers": [container]}}})
    for i, source in enumerate(sources):
        if source is not None:
            d.put(("spec", "template", "spec", "containers", 0, "args", i), args[i], source)
    r.documents.append(d.document(1))
    if r.get("createIngressClassResource"):
        klass = r.new("networking.k8s.io/v1", "IngressClass", str(r.get("ingressClass")))
        klass.put(("spec", "controller"), "ingress.k8s.aws/alb")
        params = r.get("ingressClassParams") or {}
        if params.get("create") and params.get("spec"):
            pname = params.get("name") or str(r.get("ingressClass"))
            p = r.new("elbv2.k8s.aws/v1beta1", "IngressClassParams", pname)
            p.put(("spec",), params["spec"], ("ingressClassParams", "spec"))
            r.documents.append(p.document(r.line("ingressClassParams")))
            klass.put(("spec", "parameters"), {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams",
                                               "name": pname}, ("ingressClassParams",))
        r.documents.append(klass.document(r.line("ingressClass") if r.given("ingressClass") else 1))
    if r.get("enableServiceMutatorWebhook"):
        w = r.new("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "aws-load-balancer-webhook")
        w.put(("webhooks",), [{"name": "mservice.elbv2.k8s.aws", "rules": [
            {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["services"]}]}],
              ("enableServiceMutatorWebhook",) if r.given("enableServiceMutatorWebhook") else None)
        r.documents.append(w.document(1))


def envoy_gateway(r: Render) -> None:
    """Envoy Gateway's chart (charts/gateway-helm): config.envoyGateway becomes the EnvoyGateway configuration
    (templates/envoy-gateway-config.yaml); its ``envoyProxy`` is the default EnvoyProxy every Gateway without its own
    gets (api/v1alpha1/envoygateway_types.go), rendered as that EnvoyProxy."""
    proxy = r.get("config", "envoyGateway", "envoyProxy")
    r.get("config", "envoyGateway", "gateway")
    if isinstance(proxy, dict):
        p = r.new("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy", "envoy-gateway-default", r.namespace)
        _copy(p, ("spec",), proxy, ("config", "envoyGateway", "envoyProxy"))
        r.documents.append(p.document(r.line("config", "envoyGateway", "envoyProxy")))
        r.warnings.append(f"Envoy Gateway's Helm values config.envoyGateway.envoyProxy ({r.values.file.name}:"
                          f"{r.line('config', 'envoyGateway', 'envoyProxy')}): the default EnvoyProxy of every Gateway "
                          "that names none, read as EnvoyProxy envoy-gateway-default")


def istio_gateway(r: Render) -> None:
    """Istio's gateway chart (manifests/charts/gateway): a Service of type LoadBalancer named after the release,
    selecting the gateway's pods by their ``app``/``istio`` labels, with ``service.annotations`` and
    ``service.ports`` (default: status-port 15021, http2 80, https 443). As a dependency it is ``gateway:``."""
    root: tuple = ("gateway",) if r.given("gateway") else ()
    name = r.release
    labels = {"app": name, "istio": name.removeprefix("istio-")}
    labels.update(r.get(*root, "labels") or {})
    s = r.new("v1", "Service", name, r.namespace)
    s.put(("metadata", "labels"), dict(labels))
    _annotations(r, s, (*root, "service", "annotations"))
    s.put(("spec", "type"), r.get(*root, "service", "type") or r.spec["defaults"]["service"]["type"],
          (*root, "service", "type"))
    ports = r.get(*root, "service", "ports") or r.spec["defaults"]["service"]["ports"]
    s.put(("spec", "ports"), copy.deepcopy(ports), (*root, "service", "ports"))
    if r.get(*root, "service", "externalTrafficPolicy"):
        s.put(("spec", "externalTrafficPolicy"), r.get(*root, "service", "externalTrafficPolicy"),
              (*root, "service", "externalTrafficPolicy"))
    s.put(("spec", "selector"), dict(labels))
    r.documents.append(s.document(r.line(*root, "service") if r.given(*root, "service") else 1))
    d = r.new("apps/v1", "Deployment", name, r.namespace)
    d.put(("spec",), {"selector": {"matchLabels": dict(labels)}, "template": {
        "metadata": {"labels": {**labels, "sidecar.istio.io/inject": "true"},
                     "annotations": {"inject.istio.io/templates": "gateway"}},
        "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}})
    r.documents.append(d.document(r.line(*root) if root else 1))


def _annotations(r: Render, built: Built, path: Path_) -> None:
    annotations = r.get(*path) or {}
    built.data["metadata"]["annotations"] = {}
    for key, value in annotations.items():
        built.put(("metadata", "annotations", str(key)), _string(value), (*path, key))


def _copy(built: Built, at: Path_, value: Any, source: Path_) -> None:
    """``value`` placed at ``at`` with every key inside it cited at its own values line."""
    built.put(at, copy.deepcopy(value), source)
    if isinstance(value, dict):
        for key, item in value.items():
            _copy_lines(built, (*at, key), item, (*source, key))


def _copy_lines(built: Built, at: Path_, value: Any, source: Path_) -> None:
    if built.values.lines:
        file, line = built.values.where(*source)
        built.lines[at], built.files[at] = line, file
    if isinstance(value, dict):
        for key, item in value.items():
            _copy_lines(built, (*at, key), item, (*source, key))


def _port(value: Any) -> Any:
    """A port as the chart writes it: a number stays a number ("8080" too), a name stays a name."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


RENDERERS = {"ingress_nginx": ingress_nginx, "bitnami_nginx": bitnami_nginx, "traefik": traefik, "lbc": lbc,
             "envoy_gateway": envoy_gateway, "istio_gateway": istio_gateway}


@dataclass
class Rendered:
    chart: str
    documents: list[Document]
    warnings: list[str]
    unused: list[tuple[Path_, Any]]
    values: Document
    defaulted: list[Document] = field(default_factory=list)  # made by the chart's defaults alone (its Service)


def render(key: str, values: Document, release: str | None = None, namespace: str | None = None) -> Rendered:
    """The objects chart ``key`` renders from ``values`` (a Document of values, lines kept)."""
    spec = charts()[key]
    r = Render(key, values, release or spec["release"]["name"], namespace or spec["release"]["namespace"])
    RENDERERS[spec["renderer"]](r)
    return Rendered(key, r.documents, r.warnings, r.unused() + r.unknown, values, r.defaulted)


def describe_key(path: Path_) -> str:
    return _dotted(path)
