"""A Service of type LoadBalancer -> the load balancer's fields: an NLB (AWS Load Balancer Controller, EKS Auto
Mode, or the legacy in-tree NLB) or a Classic ELB (the legacy provider) [LBC-SA][CPA].

Which reconciler reads the Service decides how its annotations read (aws-lb-facts.md §4): the LBC takes
``aws-load-balancer-type: external`` / ``nlb-ip`` or a ``loadBalancerClass`` it owns; the legacy provider takes the
rest (``type: nlb`` for its NLB, nothing for a Classic ELB).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import load_balancers
from .documents import Document
from .reading import Reading

PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
# loadBalancerClass -> who builds the NLB: the LBC's own class, and EKS Auto Mode's [LBC-SA][EKS-AUTO-NLB]
NLB_CLASSES = {"service.k8s.aws/nlb": "LBC", "eks.amazonaws.com/nlb": "EKS Auto Mode"}
# Annotations understood that set no topology field: who may reach the load balancer, and where it lives.
NO_FIELD = {"scheme", "internal", "subnets", "name", "additional-resource-tags", "security-groups",
            "manage-backend-security-group-rules", "source-ranges"}


@dataclass
class ServiceLB:
    """What a load-balancer Service says, before the controller behind it is known."""

    doc: Document
    model: str
    lb: dict[str, Any] = field(default_factory=dict)  # load_balancer fields except listeners and certificates
    arns: list[str] = field(default_factory=list)  # ssl-cert, in order (the first is the default)
    # per Service port: (index in spec.ports, public port, protocol, targetPort as written)
    ports: list[tuple[int, int, str, Any]] = field(default_factory=list)
    idle_timeouts: dict[int, int] = field(default_factory=dict)  # NLB TCP listener port -> seconds
    etp: str = "Cluster"


def is_load_balancer(doc: Document) -> bool:
    return doc.kind == "Service" and doc.spec.get("type") == "LoadBalancer"


def read(doc: Document, r: Reading) -> ServiceLB:
    a = {str(k): v for k, v in doc.annotations.items()}
    own = {key[len(PREFIX):]: str(value) for key, value in a.items() if key.startswith(PREFIX)}
    for key, value in a.items():
        if key.startswith("service.beta.kubernetes.io/") and not key.startswith(PREFIX):
            r.unknown(doc, key, value, "metadata", "annotations", key)
    cls = doc.spec.get("loadBalancerClass")
    kind = own.get("type")
    if cls is not None and cls not in NLB_CLASSES:
        raise doc.fail(f"loadBalancerClass {cls!r} is not one AWS builds an NLB for ({', '.join(NLB_CLASSES)}); "
                       "edgeconform imports AWS load balancers only", "spec", "loadBalancerClass")
    if kind is not None and kind not in ("external", "nlb-ip", "nlb"):
        raise doc.fail(f"aws-load-balancer-type {kind!r}: the AWS Load Balancer Controller reads external or nlb-ip, "
                       "the legacy provider nlb", "metadata", "annotations", PREFIX + "type")
    if cls is not None and kind == "nlb":
        raise doc.fail(f"aws-load-balancer-type nlb is the legacy provider's, but loadBalancerClass {cls} gives the "
                       "Service to the AWS Load Balancer Controller: the two conflict",
                       "metadata", "annotations", PREFIX + "type")
    lbc = cls is not None or kind in ("external", "nlb-ip")
    model = "nlb" if lbc or kind == "nlb" else "clb"
    out = ServiceLB(doc, model)
    r.model = model
    r.use(doc)
    if cls is not None:
        r.cite("load_balancer.model", doc, "spec", "loadBalancerClass",
               keys=("LBC-SA",) if NLB_CLASSES[cls] == "LBC" else ("EKS-AUTO-NLB",))
    if kind is not None:
        r.annotation("load_balancer.model", doc, PREFIX + "type", ("LBC-SA", "CPA"))
    if model == "clb" and kind is None and cls is None:
        r.cite("load_balancer.model", doc, "spec", "type", keys=("CPA", "CLB-L"))
    lb = out.lb

    # target type: the LBC's nlb-target-type (instance by default; nlb-ip means ip); the legacy provider registers
    # instances only [LBC-SA][CPA]
    if kind == "nlb-ip":
        lb["target_type"] = "ip"
        r.annotation("load_balancer.target_type", doc, PREFIX + "type", ("LBC-SA",))
    if "nlb-target-type" in own:
        value = own["nlb-target-type"]
        if value not in ("instance", "ip"):
            raise doc.fail(f"{value!r} is not a target type (instance or ip)", "metadata", "annotations",
                           PREFIX + "nlb-target-type")
        if kind == "nlb-ip" and value != "ip":
            raise doc.fail("aws-load-balancer-type nlb-ip means ip targets, and nlb-target-type says "
                           f"{value}: the annotations conflict", "metadata", "annotations", PREFIX + "nlb-target-type")
        if not lbc:
            r.unknown(doc, PREFIX + "nlb-target-type", value, "metadata", "annotations", PREFIX + "nlb-target-type")
        else:
            lb["target_type"] = value
            r.annotation("load_balancer.target_type", doc, PREFIX + "nlb-target-type", ("LBC-SA",))
    if "target_type" not in lb:
        lb["target_type"] = "instance"
        r.cite("load_balancer.target_type", keys=("LBC-SA",) if lbc else ("CPA",))

    # target-group attributes [LBC-SA][NLB-TGA]
    attributes = _pairs(doc, own.get("target-group-attributes"), PREFIX + "target-group-attributes") \
        if "target-group-attributes" in own else {}
    for key, value in attributes.items():
        where = ("metadata", "annotations", PREFIX + "target-group-attributes")
        if model != "nlb":
            r.unknown(doc, f"{PREFIX}target-group-attributes: {key}", value, *where)
        elif key == "preserve_client_ip.enabled":
            lb["client_ip_preservation"] = _bool(doc, value, *where)
            r.annotation("load_balancer.client_ip_preservation", doc, PREFIX + "target-group-attributes",
                         ("LBC-SA", "NLB-TGA"))
        elif key == "proxy_protocol_v2.enabled":
            if _bool(doc, value, *where):
                lb["proxy_protocol"] = "v2"
                r.annotation("load_balancer.proxy_protocol", doc, PREFIX + "target-group-attributes",
                             ("LBC-SA", "NLB-TG23"))
        elif key == "proxy_protocol_v2.client_to_server.header_placement":
            lb["proxy_protocol_placement"] = value
            r.annotation("load_balancer.proxy_protocol_placement", doc, PREFIX + "target-group-attributes",
                         ("LBC-SA", "NLB-TG23"))
        else:
            r.unknown(doc, f"{PREFIX}target-group-attributes: {key}", value, *where)

    if "proxy-protocol" in own:
        where = ("metadata", "annotations", PREFIX + "proxy-protocol")
        if own["proxy-protocol"] != "*":
            raise doc.fail(f"{own['proxy-protocol']!r}: the only value is '*' (every target group / instance port)",
                           *where)
        version = "v2" if model == "nlb" else "v1"  # an NLB sends v2 [NLB-TG23], a Classic ELB v1 [CLB-PP]
        if attributes.get("proxy_protocol_v2.enabled") == "false":
            raise doc.fail("proxy-protocol '*' turns PROXY v2 on and target-group-attributes turns it off "
                           "(proxy_protocol_v2.enabled=false): the annotations conflict", *where)
        lb["proxy_protocol"] = version
        r.annotation("load_balancer.proxy_protocol", doc, PREFIX + "proxy-protocol",
                     ("LBC-SA", "NLB-TG23") if model == "nlb" else ("CPA", "CLB-PP"))

    # TLS at the load balancer: ssl-cert (ARNs, the first the default), ssl-ports ('*' when absent) [LBC-SA][CPA]
    if "ssl-cert" in own:
        out.arns = [arn.strip() for arn in own["ssl-cert"].split(",") if arn.strip()]
        r.annotation("load_balancer.certificates", doc, PREFIX + "ssl-cert", ("LBC-SA", "CPA"))
    ssl_ports = [p.strip() for p in own.get("ssl-ports", "*").split(",") if p.strip()]
    backend = own.get("backend-protocol", "tcp").lower()
    if backend not in ("tcp", "ssl", "http", "https"):
        raise doc.fail(f"backend-protocol {backend!r}: one of tcp, ssl, http, https", "metadata", "annotations",
                       PREFIX + "backend-protocol")
    if model == "nlb" and backend in ("http", "https"):
        raise doc.fail(f"backend-protocol {backend} makes HTTP listeners, which an NLB does not have "
                       "(the legacy provider's Classic ELB does)", "metadata", "annotations",
                       PREFIX + "backend-protocol")
    if backend in ("ssl", "https") and out.arns:
        raise doc.fail(f"backend-protocol {backend} re-encrypts to the controller's TLS port; edgeconform models TLS "
                       "that ends at the load balancer and reaches the controller in plaintext (tcp / http)",
                       "metadata", "annotations", PREFIX + "backend-protocol")
    l7 = model == "clb" and backend in ("http", "https")
    for i, item in enumerate(doc.spec.get("ports") or []):
        if not isinstance(item, dict) or "port" not in item:
            raise doc.fail("a port needs port:", "spec", "ports", i)
        if str(item.get("protocol", "TCP")).upper() != "TCP":
            raise doc.fail(f"protocol {item.get('protocol')}: edgeconform models TCP listeners (HTTP, TLS on top)",
                           "spec", "ports", i, "protocol")
        port = int(item["port"])
        tls = bool(out.arns) and ("*" in ssl_ports or str(port) in ssl_ports or str(item.get("name")) in ssl_ports)
        if model == "nlb":
            protocol = "TLS" if tls else "TCP"
        elif l7:
            protocol = "HTTPS" if tls else "HTTP"
        else:
            protocol = "SSL" if tls else "TCP"
        out.ports.append((i, port, protocol, item.get("targetPort", port)))
        if ("spec", "ports", i) in doc.lines:  # (a Service Envoy Gateway builds has its ports elsewhere)
            r.cite("load_balancer.listeners", doc, "spec", "ports", i, keys=("LBC-SA",) if lbc else ("CPA",))
    if not out.ports:
        raise doc.fail("a load-balancer Service needs at least one port", "spec", "ports")
    for key in ("ssl-ports", "backend-protocol"):
        if key in own:
            r.annotation("load_balancer.listeners", doc, PREFIX + key, ("LBC-SA", "CPA"))

    if "ssl-negotiation-policy" in own:
        name = own["ssl-negotiation-policy"]
        if name not in load_balancers.get(model).tls_policies:
            raise doc.fail(f"{load_balancers.get(model).article} has no security policy {name!r}", "metadata",
                           "annotations", PREFIX + "ssl-negotiation-policy")
        lb["tls_policy"] = name
        r.annotation("load_balancer.tls_policy", doc, PREFIX + "ssl-negotiation-policy", ("LBC-SA", "CPA"))

    if "ip-address-type" in own and lbc:
        value = own["ip-address-type"]
        if value not in ("ipv4", "dualstack"):
            raise doc.fail(f"{value!r} is not ipv4 or dualstack", "metadata", "annotations", PREFIX + "ip-address-type")
        lb["ip_address_type"] = value
        r.annotation("load_balancer.ip_address_type", doc, PREFIX + "ip-address-type", ("LBC-SA",))
    if "disable-nlb-sg" in own and lbc:
        lb["security_groups"] = not _bool(doc, own["disable-nlb-sg"], "metadata", "annotations",
                                          PREFIX + "disable-nlb-sg")
        r.annotation("load_balancer.security_groups", doc, PREFIX + "disable-nlb-sg", ("LBC-SA", "LBC-NLB"))
    if "connection-idle-timeout" in own and model == "clb":
        lb["idle_timeout"] = _int(doc, own["connection-idle-timeout"], "metadata", "annotations",
                                  PREFIX + "connection-idle-timeout")
        r.annotation("load_balancer.idle_timeout", doc, PREFIX + "connection-idle-timeout", ("CPA", "CLB-IT"))
    _health_check(doc, own, lb, r, lbc)

    for key, value in own.items():
        where = ("metadata", "annotations", PREFIX + key)
        if key.startswith("listener-attributes.") and lbc:
            protocol, _, port = key.removeprefix("listener-attributes.").partition("-")
            attrs = _pairs(doc, value, PREFIX + key)
            for name, setting in attrs.items():
                if protocol == "TCP" and port.isdigit() and name == "tcp.idle_timeout.seconds":
                    out.idle_timeouts[int(port)] = _int(doc, setting, *where)
                    r.annotation("load_balancer.idle_timeout", doc, PREFIX + key, ("LBC-SA", "NLB-IT"))
                else:
                    r.unknown(doc, f"{PREFIX}{key}: {name}", setting, *where)
        elif key in NO_FIELD or key in _READ:
            continue
        elif key in ("nlb-target-type", "target-group-attributes", "ip-address-type", "disable-nlb-sg") and not lbc:
            r.unknown(doc, PREFIX + key, value, *where)  # an LBC annotation the legacy provider ignores
        elif key == "connection-idle-timeout" and model != "clb":
            r.unknown(doc, PREFIX + key, value, *where)
        elif key not in _HANDLED:
            r.unknown(doc, PREFIX + key, value, *where)

    etp = doc.spec.get("externalTrafficPolicy", "Cluster")
    if etp not in ("Cluster", "Local"):
        raise doc.fail(f"{etp!r} is not Cluster or Local", "spec", "externalTrafficPolicy")
    out.etp = etp
    if ("spec", "externalTrafficPolicy") in doc.lines:
        r.cite("kubernetes.external_traffic_policy", doc, "spec", "externalTrafficPolicy", keys=("K8S-ETP",))
    else:  # the default: Cluster for a Service, Local for the one Envoy Gateway builds [EG-SVC]
        r.cite("kubernetes.external_traffic_policy", keys=("EG-SVC",) if doc.built_by else ("K8S-ETP",))
    if "client_ip_preservation" not in lb and model == "nlb":
        r.cite("load_balancer.client_ip_preservation", keys=("NLB-TGA",))  # the AWS default for the target type
    return out


_READ = {"type", "proxy-protocol", "ssl-cert", "ssl-ports", "backend-protocol", "ssl-negotiation-policy",
         "healthcheck-protocol", "healthcheck-path", "healthcheck-port", "healthcheck-success-codes"}
_HANDLED = {"nlb-target-type", "target-group-attributes", "ip-address-type", "disable-nlb-sg",
            "connection-idle-timeout"}


def _health_check(doc: Document, own: dict[str, str], lb: dict[str, Any], r: Reading, lbc: bool) -> None:
    """The LBC's healthcheck-* annotations [LBC-SA] (the legacy provider's differ: not understood)."""
    check: dict[str, Any] = {}
    for key in ("healthcheck-protocol", "healthcheck-path", "healthcheck-port", "healthcheck-success-codes"):
        if key not in own:
            continue
        where = ("metadata", "annotations", PREFIX + key)
        value = own[key]
        if not lbc:
            r.unknown(doc, PREFIX + key, value, *where)
            continue
        if key == "healthcheck-protocol" and value.upper() in ("TCP", "HTTP"):
            check["protocol"] = value.upper()
        elif key == "healthcheck-path":
            check["path"] = value
        elif key == "healthcheck-port" and value == "traffic-port":
            check["port"] = "traffic-port"
        elif key == "healthcheck-success-codes":
            check["success_codes"] = value
        else:
            r.unknown(doc, PREFIX + key, value, *where)
            continue
        r.annotation("load_balancer.health_check", doc, PREFIX + key, ("LBC-SA",))
    if check:
        lb["health_check"] = check


def _pairs(doc: Document, text: str | None, key: str) -> dict[str, str]:
    """``a=b,c=d`` (target-group and listener attributes)."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise doc.fail(f"{item.strip()!r} is not key=value", "metadata", "annotations", key)
        name = name.strip()
        if name in out and out[name] != value.strip():
            raise doc.fail(f"{name} is given twice, {out[name]} and {value.strip()}: the values conflict",
                           "metadata", "annotations", key)
        out[name] = value.strip()
    return out


def _bool(doc: Document, value: Any, *path: Any) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise doc.fail(f"{value!r} is not true or false", *path)
    return text == "true"


def _int(doc: Document, value: Any, *path: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise doc.fail(f"{value!r} is not a whole number of seconds", *path) from None
