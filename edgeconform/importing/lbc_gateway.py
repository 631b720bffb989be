"""The AWS Load Balancer Controller's Gateway API -> the load balancer's fields: a Gateway of a GatewayClass whose
controllerName is ``gateway.k8s.aws/nlb`` or ``gateway.k8s.aws/alb``, its LoadBalancerConfiguration (certificates,
security policy, attributes), its routes (TCPRoute, HTTPRoute: the Service they forward to, or an HTTPS redirect)
and the TargetGroupConfiguration of that Service (target type, target-group attributes, health checks)
[LBC-GW][LBC-GW-LBCFG][LBC-GW-TGCFG]. The eks target's lbc-gateway mode writes these (clusters/eks/gateway.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import load_balancers
from .common import attached_listeners
from .creators import Creating, LbcConfig
from .documents import Document
from .reading import Reading
from .service import _bool, _int

CLASSES = {"gateway.k8s.aws/nlb": "nlb", "gateway.k8s.aws/alb": "alb"}
PROTOCOLS = {"TCP": "TCP", "TLS": "TLS", "HTTP": "HTTP", "HTTPS": "HTTPS"}
LB_ATTRIBUTES = {"routing.http.xff_header_processing.mode": "xff", "idle_timeout.timeout_seconds": "idle_timeout"}
NO_FIELD = {"sourceRanges", "loadBalancerName", "tags", "loadBalancerSubnets", "securityGroups"}


@dataclass
class GatewayLB:
    """What an LBC Gateway says, in the shape of a load-balancer Service (service.ServiceLB)."""

    doc: Document
    model: str
    lb: dict[str, Any] = field(default_factory=dict)
    arns: list[str] = field(default_factory=list)
    # per listener: (index, public port, protocol, the backend Service's targetPort, or None: the listener redirects)
    ports: list[tuple[int, int, str, Any]] = field(default_factory=list)
    idle_timeouts: dict[int, int] = field(default_factory=dict)
    etp: str = "Cluster"
    hostnames: list[str] = field(default_factory=list)
    backend: Document | None = None  # the Service the routes forward to (selects the controller's pods)
    port_index: dict[int, int] = field(default_factory=dict)  # listener index -> index in the Service's ports
    backend_name: str | None = None  # the Service the routes name, when it is not among the inputs
    created_by: str = "lbc"


def classes(docs: list[Document]) -> dict[str, Document]:
    return {doc.name: doc for doc in docs if doc.kind == "GatewayClass"
            and doc.spec.get("controllerName") in CLASSES}


def is_lbc_gateway(doc: Document, known: dict[str, Document]) -> bool:
    return doc.kind == "Gateway" and doc.spec.get("gatewayClassName") in known


def backends(docs: list[Document], gateways: list[Document]) -> list[Document]:
    names = {(route.namespace, ref.get("name")) for route in _routes(docs, gateways)
             for rule in route.spec.get("rules") or [] for ref in (rule or {}).get("backendRefs") or []}
    return [doc for doc in docs if doc.kind == "Service" and (doc.namespace, doc.name) in names]


def _routes(docs: list[Document], gateways: list[Document]) -> list[Document]:
    names = {(gw.namespace, gw.name) for gw in gateways}
    return [doc for doc in docs if doc.kind in ("TCPRoute", "TLSRoute", "HTTPRoute") and any(
        (ref.get("namespace") or doc.namespace, ref.get("name")) in names for ref in doc.spec.get("parentRefs") or [])]


def read(doc: Document, docs: list[Document], r: Reading, known: dict[str, Document],
         lbc: LbcConfig | None = None) -> GatewayLB:
    klass = known[doc.spec["gatewayClassName"]]
    model = CLASSES[klass.spec["controllerName"]]
    out = GatewayLB(doc, model)
    creating = Creating("lbc", lbc or LbcConfig())
    out.lb["created_by"] = "lbc"
    r.model = model
    r.use(doc, klass)
    r.cite("load_balancer.model", klass, "spec", "controllerName", keys=("LBC-GW",))
    r.cite("load_balancer.created_by", klass, "spec", "controllerName", keys=("LBC-GW",))
    config = _configuration(doc, docs)
    r.use(config)
    routes = _routes(docs, [doc])
    r.use(*routes)
    listeners = doc.spec.get("listeners") or []
    forwards: dict[int, tuple[Document, int, Any]] = {}  # listener -> (route, rule index, backend port)
    redirects: dict[int, tuple[Document, int]] = {}
    for route in routes:
        attached = attached_listeners(route, doc)  # a redirect applies to these listeners alone
        for i, host in enumerate(route.spec.get("hostnames") or []):
            if host not in out.hostnames:
                out.hostnames.append(host)
                r.cite("hostnames", route, "spec", "hostnames", i)
        for j, rule in enumerate(route.spec.get("rules") or []):
            redirect = next((f for f in (rule or {}).get("filters") or [] if f.get("type") == "RequestRedirect"), None)
            refs = (rule or {}).get("backendRefs") or []
            for index in attached:
                if redirect is not None and (redirect.get("requestRedirect") or {}).get("scheme") == "https":
                    redirects[index] = (route, j)
                elif refs:
                    forwards.setdefault(index, (route, j, refs[0].get("port")))
    service = next(iter(backends(docs, [doc])), None)
    out.backend = service
    r.use(service)
    if service is None and forwards:
        route, j, _ = next(iter(forwards.values()))
        out.backend_name = str(((route.spec["rules"][j] or {}).get("backendRefs") or [{}])[0].get("name"))
    service_ports = (service.spec.get("ports") or []) if service is not None else []
    for i, item in enumerate(listeners):
        protocol = PROTOCOLS.get(str(item.get("protocol", "")).upper())
        if protocol is None:
            raise doc.fail(f"listener protocol {item.get('protocol')!r}: TCP, TLS, HTTP or HTTPS", "spec", "listeners",
                           i, "protocol")
        port = _int(doc, item.get("port"), "spec", "listeners", i, "port", what="port number")
        r.cite("load_balancer.listeners", doc, "spec", "listeners", i, keys=("LBC-GW",))
        target: Any = None
        if i in forwards and service is None:  # the routes' Service is not given: the application's (none)
            route, j, backend_port = forwards[i]
            r.cite("load_balancer.listeners", route, "spec", "rules", j, "backendRefs")
            target = backend_port
        elif i in forwards:
            assert service is not None
            route, j, backend_port = forwards[i]
            r.cite("load_balancer.listeners", route, "spec", "rules", j, "backendRefs")
            index = next((k for k, sp in enumerate(service_ports) if sp.get("port") == backend_port), None)
            if index is None:
                raise route.fail(f"port {backend_port} is not a port of {service.describe()}", "spec", "rules", j,
                                 "backendRefs")
            out.port_index[i] = index
            target = service_ports[index].get("targetPort", backend_port)
        elif i not in redirects:
            raise doc.fail("no route forwards this listener's traffic or redirects it", "spec", "listeners", i)
        out.ports.append((i, port, protocol, target))
    if redirects:
        out.lb["ssl_redirect"] = True
        for route, j in redirects.values():
            r.cite("load_balancer.ssl_redirect", route, "spec", "rules", j, "filters", keys=("LBC-GW-L7",))
    if config is not None:
        _configuration_fields(config, out, r)
    if service is not None:
        _target_group(docs, service, out, r)
    if service is not None and ("spec", "externalTrafficPolicy") in service.lines:
        out.etp = str(service.spec["externalTrafficPolicy"])
        r.cite("kubernetes.external_traffic_policy", service, "spec", "externalTrafficPolicy", keys=("K8S-ETP",))
    else:
        r.cite("kubernetes.external_traffic_policy", keys=("K8S-ETP",))
    if "target_type" not in out.lb:
        out.lb["target_type"] = creating.default("target_type", model, r, "load_balancer.target_type")
        r.cite("load_balancer.target_type", keys=("LBC-GW-TGCFG",))
    if "tls_policy" not in out.lb and any(protocol in ("TLS", "HTTPS") for _, _, protocol, _ in out.ports):
        out.lb["tls_policy"] = creating.default("tls_policy", model, r, "load_balancer.tls_policy")
    if "scheme" not in out.lb:
        out.lb["scheme"] = creating.default("scheme", model, r, "load_balancer.scheme")
    if load_balancers.get(model).has("security_groups") and "security_groups" not in out.lb:
        default = creating.default("security_groups", model, r, "load_balancer.security_groups")
        if default is not None:
            out.lb["security_groups"] = str(default).lower() != "false"
    return out


def _configuration(doc: Document, docs: list[Document]) -> Document | None:
    ref = ((doc.spec.get("infrastructure") or {}).get("parametersRef") or {})
    if ref.get("kind") != "LoadBalancerConfiguration":
        return None
    found = next((d for d in docs if d.kind == "LoadBalancerConfiguration" and d.name == ref.get("name")
                  and d.namespace == doc.namespace), None)
    if found is None:
        raise doc.fail(f"LoadBalancerConfiguration {ref.get('name')!r} is not among the inputs: give its manifest too",
                       "spec", "infrastructure", "parametersRef")
    return found


def _configuration_fields(config: Document, out: GatewayLB, r: Reading) -> None:
    model = load_balancers.get(out.model)
    policies = {}
    for i, item in enumerate(config.spec.get("listenerConfigurations") or []):
        where = ("spec", "listenerConfigurations", i)
        protocol, _, port = str(item.get("protocolPort", "")).partition(":")
        if item.get("defaultCertificate"):
            arns = [str(item["defaultCertificate"]), *map(str, item.get("certificates") or [])]
            if out.arns and out.arns != arns:
                raise config.fail("listeners with different certificates: edgeconform models one certificate list per "
                                  "load balancer", *where)
            out.arns = arns
            r.cite("load_balancer.certificates", config, *where, "defaultCertificate", keys=("LBC-GW-LBCFG",))
        if item.get("sslPolicy"):
            if item["sslPolicy"] not in model.tls_policies:
                raise config.fail(f"{model.article} has no security policy {item['sslPolicy']!r}", *where, "sslPolicy")
            policies[str(item["sslPolicy"])] = i
            r.cite("load_balancer.tls_policy", config, *where, "sslPolicy", keys=("LBC-GW-LBCFG",))
        for j, attribute in enumerate(item.get("listenerAttributes") or []):
            if attribute.get("key") == "tcp.idle_timeout.seconds" and protocol == "TCP" and port.isdigit():
                out.idle_timeouts[int(port)] = _int(config, attribute.get("value"), *where, "listenerAttributes", j)
                r.cite("load_balancer.idle_timeout", config, *where, "listenerAttributes", j, keys=("LBC-GW-LBCFG",))
            else:
                r.unknown(config, f"listenerAttributes: {attribute.get('key')}", attribute.get("value"),
                          *where, "listenerAttributes", j)
        for key, value in item.items():
            if key not in ("protocolPort", "defaultCertificate", "certificates", "sslPolicy", "listenerAttributes"):
                r.unknown(config, f"listenerConfigurations.{key}", value, *where, key)
    if len(policies) > 1:
        raise config.fail(f"listeners with different security policies {sorted(policies)}: one per load balancer",
                          "spec", "listenerConfigurations", max(policies.values()), "sslPolicy")
    if policies:
        out.lb["tls_policy"] = next(iter(policies))
    for i, attribute in enumerate(config.spec.get("loadBalancerAttributes") or []):
        key, value, where = attribute.get("key"), attribute.get("value"), ("spec", "loadBalancerAttributes", i)
        name = LB_ATTRIBUTES.get(key)
        if name == "xff":
            out.lb["xff"] = str(value)
        elif name == "idle_timeout":
            out.lb["idle_timeout"] = _int(config, value, *where)
        else:
            r.unknown(config, f"loadBalancerAttributes: {key}", value, *where)
            continue
        r.cite(f"load_balancer.{name}", config, *where, keys=("LBC-GW-LBCFG",))
    if config.spec.get("scheme"):
        if config.spec["scheme"] not in ("internet-facing", "internal"):
            raise config.fail(f"{config.spec['scheme']!r} is not internet-facing or internal", "spec", "scheme")
        out.lb["scheme"] = str(config.spec["scheme"])
        r.cite("load_balancer.scheme", config, "spec", "scheme", keys=("LBC-GW-LBCFG",))
    if config.spec.get("ipAddressType"):
        out.lb["ip_address_type"] = str(config.spec["ipAddressType"])
        r.cite("load_balancer.ip_address_type", config, "spec", "ipAddressType", keys=("LBC-GW-LBCFG",))
    for key, value in config.spec.items():
        if key not in NO_FIELD and key not in ("listenerConfigurations", "loadBalancerAttributes", "ipAddressType",
                                               "scheme"):
            r.unknown(config, f"spec.{key}", value, "spec", key)


def _target_group(docs: list[Document], service: Document, out: GatewayLB, r: Reading) -> None:
    found = next((d for d in docs if d.kind == "TargetGroupConfiguration" and d.namespace == service.namespace
                  and (d.spec.get("targetReference") or {}).get("name") == service.name), None)
    if found is None:
        return
    r.use(found)
    base = ("spec", "defaultConfiguration")
    conf = found.get(*base) or {}
    if conf.get("targetType"):
        out.lb["target_type"] = str(conf["targetType"])
        r.cite("load_balancer.target_type", found, *base, "targetType", keys=("LBC-GW-TGCFG",))
    for i, attribute in enumerate(conf.get("targetGroupAttributes") or []):
        key, value, where = attribute.get("key"), attribute.get("value"), (*base, "targetGroupAttributes", i)
        nlb_attributes = load_balancers.get(out.model).preserves_client_ip_attribute  # an NLB target group's
        if key == "preserve_client_ip.enabled" and nlb_attributes:
            out.lb["client_ip_preservation"] = _bool(found, value, *where)
            r.cite("load_balancer.client_ip_preservation", found, *where, keys=("LBC-GW-TGCFG", "NLB-TGA"))
        elif key == "proxy_protocol_v2.enabled" and nlb_attributes:
            if _bool(found, value, *where):
                out.lb["proxy_protocol"] = "v2"
                r.cite("load_balancer.proxy_protocol", found, *where, keys=("LBC-GW-TGCFG", "NLB-TG23"))
        else:
            r.unknown(found, f"targetGroupAttributes: {key}", value, *where)
    check = conf.get("healthCheckConfig") or {}
    health: dict[str, Any] = {}
    for key, value in check.items():
        where = (*base, "healthCheckConfig", key)
        if key == "healthCheckPath":
            health["path"] = str(value)
        elif key == "healthCheckProtocol" and str(value).upper() in ("TCP", "HTTP"):
            health["protocol"] = str(value).upper()
        elif key == "healthCheckPort" and value == "traffic-port":
            health["port"] = "traffic-port"
        elif key == "matcher" and isinstance(value, dict) and value.get("httpCode"):
            health["success_codes"] = str(value["httpCode"])
        else:
            r.unknown(found, f"healthCheckConfig.{key}", value, *where)
            continue
        r.cite("load_balancer.health_check", found, *where, keys=("LBC-GW-TGCFG",))
    if health:
        out.lb["health_check"] = health
    for key, value in conf.items():
        if key not in ("targetType", "targetGroupAttributes", "healthCheckConfig", "protocol"):
            r.unknown(found, f"defaultConfiguration.{key}", value, *base, key)
