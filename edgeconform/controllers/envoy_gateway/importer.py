"""Envoy Gateway: a Gateway (of a GatewayClass Envoy Gateway controls), its HTTPRoutes and ClientTrafficPolicy ->
the topology's ``controller.settings`` in the plug-in's vocabulary [EG-CTP][GW-REDIRECT]. Envoy Gateway builds
the load balancer's Service itself, from the EnvoyProxy the GatewayClass references: its ``envoyService``
annotations are read as a Service's (edgeconform.importing.service), its ports are the Gateway listeners'.
"""

from __future__ import annotations

from typing import Any

from ...importing.common import ControllerRead, EdgeInputs, Importer, attached_listeners, name_for_secret, validate
from ...importing.documents import Document
from ...importing.reading import Reading
from .cluster import CONTAINER_PORTS, POD_SELECTOR
from .resources import CONTROLLER_NAME
from .settings import NAME, ClientTrafficPolicySpec, Settings

CTP_FIELDS = set(ClientTrafficPolicySpec.model_fields)


class EnvoyGatewayImporter(Importer):
    kind = NAME
    cluster_kinds = (("gateway.networking.k8s.io/v1", "GatewayClass"), ("gateway.networking.k8s.io/v1", "Gateway"),
                     ("gateway.networking.k8s.io/v1", "HTTPRoute"),
                     ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"),
                     ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"))
    builds_load_balancer = True  # the EnvoyProxy says how its Service is made
    app_name = POD_SELECTOR["app.kubernetes.io/name"]

    def evidence(self, docs: list[Document]) -> list[Document]:
        return [doc for doc in docs if doc.api_version.startswith("gateway.envoyproxy.io/") or (
            doc.kind == "GatewayClass" and doc.spec.get("controllerName") == CONTROLLER_NAME)]

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        return read(docs, r)


def gateways(docs: list[Document]) -> list[Document]:
    classes = {doc.name for doc in docs if doc.kind == "GatewayClass"
               and doc.spec.get("controllerName") == CONTROLLER_NAME}
    return [doc for doc in docs if doc.kind == "Gateway" and (doc.spec.get("gatewayClassName") in classes
                                                              or not classes)]


def listener_kinds(gateway: Document, routes: list[Document]) -> dict[str, str]:
    """Listener name -> the controller port kind it is, from its protocol and what its routes do, never from its
    name: HTTPS (or TLS) -> https; HTTP -> http, except that an HTTP listener whose attached rules all redirect to
    https, beside another HTTP listener that serves and redirects nothing, is the port split's redirect port (a port whose only job is to
    redirect) [GW-LISTENER][GW-REDIRECT]."""
    listeners = [item if isinstance(item, dict) else {} for item in gateway.spec.get("listeners") or []]
    names = [str(item.get("name")) for item in listeners]
    rules: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for route in routes:
        for i in attached_listeners(route, gateway):
            rules[names[i]] += [rule for rule in route.spec.get("rules") or [] if isinstance(rule, dict)]
    out = {name: "https" if str(item.get("protocol", "")).upper() in ("HTTPS", "TLS") else "http"
           for item, name in zip(listeners, names)}
    only_redirect = [name for name in names if out[name] == "http" and rules[name]
                     and all(_redirects_to_https(rule) and not rule.get("backendRefs") for rule in rules[name])]
    serving = [name for name in names if out[name] == "http" and any(rule.get("backendRefs") for rule in rules[name])
               and not any(_redirects_to_https(rule) for rule in rules[name])]
    if serving:
        for name in only_redirect:  # beside a cleartext listener that serves: the port split's redirect port
            out[name] = "redirect"
    return out


def _redirects_to_https(rule: dict[str, Any]) -> bool:
    return any(f.get("type") == "RequestRedirect" and (f.get("requestRedirect") or {}).get("scheme") == "https"
               for f in rule.get("filters") or [] if isinstance(f, dict))


def read(docs: list[Document], r: Reading) -> ControllerRead:
    out = ControllerRead(NAME, settings={})
    found = gateways(docs)
    if len(found) > 1:
        raise found[1].fail(f"a second Gateway (the first: {found[0].describe()}): import one edge at a time")
    gateway = found[0] if found else None
    r.use(gateway, *(doc for doc in docs if doc.kind in ("GatewayClass", "HTTPRoute", "ClientTrafficPolicy")))
    out.found = gateway is not None
    kinds: dict[str, str] = {}  # listener name -> port kind
    for route in (doc for doc in docs if doc.kind == "HTTPRoute"):  # first: certificate names may need the domain
        for i, host in enumerate(route.spec.get("hostnames") or []):
            if host not in out.hostnames:
                out.hostnames.append(host)
                r.hostnames.append(host)
                r.cite("hostnames", route, "spec", "hostnames", i)
    if gateway is not None:
        by_name = listener_kinds(gateway, [doc for doc in docs if doc.kind == "HTTPRoute"])
        for i, listener in enumerate(gateway.spec.get("listeners") or []):
            kind = by_name[str(listener.get("name"))]
            kinds[str(listener.get("name"))] = kind
            if not isinstance(listener.get("port"), int):
                raise gateway.fail("a listener needs its port (a whole number)", "spec", "listeners", i, "port")
            out.ports[int(listener["port"])] = kind
            if kind == "https":
                refs = ((listener.get("tls") or {}).get("certificateRefs") or [])
                for j, ref in enumerate(refs):
                    name = name_for_secret(docs, r, ref.get("namespace") or gateway.namespace, str(ref.get("name")),
                                           "controller.certificates", [])
                    r.cite("controller.certificates", gateway, "spec", "listeners", i, "tls", "certificateRefs", j,
                           keys=("EG-CTP",) if j == 0 else ())
                    if name not in out.certificates:
                        out.certificates.append(name)
        out.load_balancer = _envoy_service(docs, gateway, r, by_name)
    else:
        r.warn("no Envoy Gateway Gateway among the inputs: Envoy Gateway's documented defaults are assumed [EG-CTP]")
    settings: dict[str, Any] = {}
    policies = [doc for doc in docs if doc.kind == "ClientTrafficPolicy"]
    if len(policies) > 1:
        raise policies[1].fail(f"a second ClientTrafficPolicy (the first: {policies[0].describe()}): edgeconform's "
                               "model has one per edge")
    if policies:
        ctp = policies[0]
        kept = {}
        for key, value in ctp.spec.items():
            if key in CTP_FIELDS:
                kept[key] = value
                r.cite(f"controller.settings.clientTrafficPolicy.{key}", ctp, "spec", key, keys=("EG-CTP",))
            elif key not in ("targetRefs", "targetRef", "targetSelectors"):
                r.unknown(ctp, f"spec.{key}", value, "spec", key)
        settings["clientTrafficPolicy"] = kept
        validate(ctp, Settings, {"clientTrafficPolicy": kept}, ("spec",))
    redirects: dict[str, Any] = {}
    names = [str(item.get("name")) for item in (gateway.spec.get("listeners") or [])] if gateway is not None else []
    for route in (doc for doc in docs if doc.kind == "HTTPRoute"):
        # a redirect applies to the listeners its route attaches to (sectionName, port, hostname), and no other
        attached = list(dict.fromkeys(kinds[names[i]] for i in attached_listeners(route, gateway))) \
            if gateway is not None else []
        for i, rule in enumerate(route.spec.get("rules") or []):
            filters = [f for f in (rule or {}).get("filters") or [] if f.get("type") == "RequestRedirect"]
            if not filters:
                continue
            if not attached:  # its Gateway is not among the inputs (or none of its listeners takes it)
                r.warn(f"{route.describe()} ({route.file.name}:{route.line('spec', 'rules', i)}) redirects, but attaches "
                       "to no listener of a Gateway among the inputs: its redirect applies to none; give its Gateway")
                continue
            written = {"filters": filters[:1]}
            if rule.get("matches"):
                written["matches"] = rule["matches"]
            for kind in attached:
                if kind in redirects and redirects[kind] != written:
                    raise route.fail(f"a second redirect rule for the {kind} listener, unlike the first: one redirect "
                                     "per listener", "spec", "rules", i)
                redirects[kind] = written
                r.cite("controller.settings.redirects", route, "spec", "rules", i, "filters", keys=("GW-REDIRECT",))
    redirects.pop("https", None)  # a redirect on the TLS listener is not the cleartext redirect
    if redirects:
        settings["redirects"] = redirects
    if policies or redirects:  # a problem is named on the policy, else the Gateway, else a route (no Gateway given)
        routes = [doc for doc in docs if doc.kind == "HTTPRoute"]
        validate(policies[0] if policies else gateway or routes[0], Settings, settings, ())
    out.settings = settings
    if not out.ports:
        out.ports = {number: kind for kind, number in CONTAINER_PORTS.items()}
    return out


def _envoy_service(docs: list[Document], gateway: Document, r: Reading, kinds: dict[str, str]) -> Document | None:
    """The Service Envoy Gateway will create for the Gateway, as a Document whose lines are the EnvoyProxy's."""
    classes = {doc.name: doc for doc in docs if doc.kind == "GatewayClass"}
    klass = classes.get(str(gateway.spec.get("gatewayClassName")))
    refs = [((klass.spec.get("parametersRef") or {}) if klass else {}),
            ((gateway.spec.get("infrastructure") or {}).get("parametersRef") or {})]
    proxies = {doc.name: doc for doc in docs if doc.kind == "EnvoyProxy"}
    proxy = next((proxies[ref["name"]] for ref in refs[::-1] if ref.get("kind") == "EnvoyProxy"
                  and ref.get("name") in proxies), None)
    if proxy is None:
        return None
    r.use(proxy)
    root = ("spec", "provider", "kubernetes", "envoyService")
    service = proxy.get(*root) or {}
    data = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": proxy.name, "namespace": proxy.namespace,
                         "annotations": dict(service.get("annotations") or {})},
            "spec": {"type": service.get("type", "LoadBalancer"),
                     "externalTrafficPolicy": service.get("externalTrafficPolicy", "Local"),
                     "ports": [{"port": int(item.get("port") or 0), "targetPort": kinds[str(item.get("name"))]}
                               for item in gateway.spec.get("listeners") or []]}}
    if service.get("loadBalancerClass"):
        data["spec"]["loadBalancerClass"] = service["loadBalancerClass"]
    lines = {}
    for key, line in proxy.lines.items():
        if key[:len(root)] == root and len(key) > len(root):
            rest = key[len(root):]
            lines[("metadata",) + rest if rest[0] == "annotations" else ("spec",) + rest] = line
    return Document(proxy.file, data, lines, proxy.start, built_by=proxy.describe())
