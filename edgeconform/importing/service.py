"""A Service of type LoadBalancer -> the load balancer's fields: an NLB (AWS Load Balancer Controller, EKS Auto
Mode, or the legacy in-tree provider) or a Classic ELB (the legacy provider) [LBC-SA][CPA].

Which component takes the Service decides how its annotations read (docs/defaults.md, catalog/creators.yaml): its
loadBalancerClass (the LBC's, Auto Mode's); without one, the LBC takes ``aws-load-balancer-type: nlb-ip``, or
``external`` with a target type [LBC-SVCSUP], and the in-tree provider the rest (``nlb``: its NLB; anything else: a
Classic ELB) [CPA-EXT] -- unless the LBC's Service webhook runs (the LBC's Deployment is among the inputs, its
chart's default), which gives every new class-less Service the LBC's class [LBC-MUT]. An annotation the component
does not read on that load balancer is ignored as it ignores it, with a note; the fields nothing names take the
component's defaults, each cited (the LBC's own settings where its Deployment says them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import load_balancers
from .creators import Creating, LbcConfig
from .documents import Document
from .reading import Reading

PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
# loadBalancerClass -> the component that builds its NLB: the LBC's own class, and EKS Auto Mode's
NLB_CLASSES = {"service.k8s.aws/nlb": "lbc", "eks.amazonaws.com/nlb": "auto-mode"}
# Annotations understood that set no topology field: who may reach the load balancer, and where it lives.
NO_FIELD = {"subnets", "name", "additional-resource-tags", "security-groups", "manage-backend-security-group-rules",
            "source-ranges", "eip-allocations", "private-ipv4-addresses", "security-group-prefix-lists"}


@dataclass
class ServiceLB:
    """What a load-balancer Service says, before the controller behind it is known."""

    doc: Document
    model: str
    created_by: str = "lbc"
    lb: dict[str, Any] = field(default_factory=dict)  # load_balancer fields except listeners and certificates
    arns: list[str] = field(default_factory=list)  # ssl-cert, in order (the first is the default)
    # per Service port: (index in spec.ports, public port, protocol, targetPort as written)
    ports: list[tuple[int, int, str, Any]] = field(default_factory=list)
    idle_timeouts: dict[int, int] = field(default_factory=dict)  # NLB TCP listener port -> seconds
    etp: str = "Cluster"


def is_load_balancer(doc: Document) -> bool:
    return doc.kind == "Service" and doc.spec.get("type") == "LoadBalancer"


@dataclass(frozen=True)
class Identified:
    """Who builds a load-balancer Service, and what: the component, the model, and why (said in the record)."""

    created_by: str
    model: str
    why: str
    cite: tuple[tuple[Any, ...], tuple[str, ...]]  # the Service's field that decides it, and the sources


def identify(doc: Document, lbc: LbcConfig) -> Identified:
    """The component that builds this Service's load balancer, and which model (ImportFailed for a class no AWS
    component owns)."""
    a = doc.annotations
    cls = doc.spec.get("loadBalancerClass")
    kind = a.get(PREFIX + "type")
    kind = str(kind).strip().lower() if kind is not None else None
    target = str(a.get(PREFIX + "nlb-target-type", "")).strip()
    if cls is not None:
        if cls not in NLB_CLASSES:
            raise doc.fail(f"loadBalancerClass {cls!r} is not one AWS builds a load balancer for "
                           f"({', '.join(NLB_CLASSES)}): edgeconform imports AWS load balancers only",
                           "spec", "loadBalancerClass")
        creator = NLB_CLASSES[cls]
        keys = ("LBC-SA", "LBC-SVCSUP") if creator == "lbc" else ("EKS-AUTO-NLB",)
        return Identified(creator, "nlb", f"loadBalancerClass {cls}", (("spec", "loadBalancerClass"), keys))
    where = ("metadata", "annotations", PREFIX + "type")
    if kind == "nlb-ip" or (kind == "external" and target in ("ip", "instance")):
        return Identified("lbc", "nlb", f"aws-load-balancer-type {kind}" + (" with a target type" if target else ""),
                          (where, ("LBC-SA", "LBC-SVCSUP")))
    if lbc.takes_classless:
        said = "its webhook configuration" if lbc.webhook else "its Deployment (its chart turns the webhook on)"
        return Identified("lbc", "nlb", f"the AWS Load Balancer Controller's Service webhook ({said} is among the "
                          "inputs) gives a new Service without loadBalancerClass the class service.k8s.aws/nlb",
                          (where if kind else ("spec", "type"), ("LBC-MUT", "LBC-HELM")))
    if kind == "external":
        return Identified("lbc", "nlb", "aws-load-balancer-type external without a target type: only the AWS Load "
                          "Balancer Controller's Service webhook (on by default since v2.5.0) makes it reconcile "
                          "such a Service, by giving it its class", (where, ("LBC-SVCSUP", "LBC-MUT")))
    if kind == "nlb":
        return Identified("in-tree", "nlb", "aws-load-balancer-type nlb without loadBalancerClass, and no AWS Load "
                          "Balancer Controller among the inputs (its Service webhook would give the Service to it)",
                          (where, ("CPA-EXT", "CPA", "LBC-MUT")))
    how = "no aws-load-balancer-type" if kind is None else f"aws-load-balancer-type {kind!r} (not nlb)"
    return Identified("in-tree", "clb", f"{how} and no loadBalancerClass: the legacy provider's Classic ELB",
                      (where if kind else ("spec", "type"), ("CPA-EXT", "CPA", "CLB-L")))


def read(doc: Document, r: Reading, lbc: LbcConfig | None = None) -> ServiceLB:
    lbc = lbc or LbcConfig()
    who = identify(doc, lbc)
    creating = Creating(who.created_by, lbc)
    creator = creating.creator
    model = load_balancers.get(who.model)
    out = ServiceLB(doc, who.model, who.created_by)
    r.model = who.model
    r.use(doc)
    lb = out.lb
    lb["created_by"] = who.created_by
    path, keys = who.cite
    r.cite("load_balancer.model", doc, *path, keys=keys)
    r.cite("load_balancer.created_by", doc, *path, keys=keys)
    if not (who.created_by == "lbc" and path[-1] == "loadBalancerClass"):
        r.warn(f"{doc.describe()}: {model.title} created by {creator.title}: {who.why}")
    kind = doc.annotations.get(PREFIX + "type")
    if "loadBalancerClass" in doc.spec and kind is not None and str(kind) not in ("external", "nlb-ip"):
        r.warn(f"{PREFIX}type: {kind!r} ({r.ref(doc, 'metadata', 'annotations', PREFIX + 'type')}) is not read: "
               f"loadBalancerClass gives the Service to {creator.title} [LBC-SVCSUP][CPA-EXT]")

    # What the component reads: the rest is ignored as it ignores it, with a note
    own: dict[str, str] = {}
    for key, value in doc.annotations.items():
        key = str(key)
        if not key.startswith("service.beta.kubernetes.io/"):
            continue
        ignored = creator.ignored(who.model, key, str(value))
        if ignored is not None:
            r.warn(f"{key}: {value!r} ({r.ref(doc, 'metadata', 'annotations', key)}) is not read by {creator.title} "
                   f"on {model.article}: ignored, as it ignores it ({ignored.why}) "
                   f"{''.join(f'[{k}]' for k in ignored.sources)}")
        elif key.startswith(PREFIX):
            own[key[len(PREFIX):]] = str(value)
        elif key != SOURCE_RANGES:
            r.unknown(doc, key, value, "metadata", "annotations", key)
    where = lambda key: ("metadata", "annotations", PREFIX + key)  # noqa: E731
    lbc_reads = who.created_by != "in-tree"  # the LBC's annotation set (Auto Mode reads the LBC's)

    # target type: the LBC's nlb-target-type (nlb-ip means ip); the in-tree provider registers instances only
    if own.get("type") == "nlb-ip":
        lb["target_type"] = "ip"
        r.annotation("load_balancer.target_type", doc, PREFIX + "type", ("LBC-SA",))
    if "nlb-target-type" in own:
        value = own["nlb-target-type"]
        if value not in ("instance", "ip"):
            raise doc.fail(f"{value!r} is not a target type (instance or ip)", *where("nlb-target-type"))
        if lb.get("target_type", value) != value:
            raise doc.fail("aws-load-balancer-type nlb-ip means ip targets, and nlb-target-type says "
                           f"{value}: the annotations conflict", *where("nlb-target-type"))
        lb["target_type"] = value
        r.annotation("load_balancer.target_type", doc, PREFIX + "nlb-target-type", ("LBC-SA",))
    if "target_type" not in lb:
        lb["target_type"] = creating.default("target_type", who.model, r, "load_balancer.target_type")

    # target-group attributes [LBC-SA][NLB-TGA]
    attributes = _pairs(doc, own.get("target-group-attributes"), PREFIX + "target-group-attributes") \
        if "target-group-attributes" in own else {}
    for key, value in attributes.items():
        at = where("target-group-attributes")
        if not model.preserves_client_ip_attribute:
            r.unknown(doc, f"{PREFIX}target-group-attributes: {key}", value, *at)
        elif key == "preserve_client_ip.enabled":
            lb["client_ip_preservation"] = _bool(doc, value, *at)
            r.annotation("load_balancer.client_ip_preservation", doc, PREFIX + "target-group-attributes",
                         ("LBC-SA", "NLB-TGA"))
        elif key == "proxy_protocol_v2.enabled":
            if _bool(doc, value, *at):
                lb["proxy_protocol"] = "v2"
                r.annotation("load_balancer.proxy_protocol", doc, PREFIX + "target-group-attributes",
                             ("LBC-SA", "NLB-TG23"))
        elif key == "proxy_protocol_v2.client_to_server.header_placement":
            lb["proxy_protocol_placement"] = value
            r.annotation("load_balancer.proxy_protocol_placement", doc, PREFIX + "target-group-attributes",
                         ("LBC-SA", "NLB-TG23"))
        else:
            r.unknown(doc, f"{PREFIX}target-group-attributes: {key}", value, *at)

    if "proxy-protocol" in own:
        if own["proxy-protocol"] != "*":
            raise doc.fail(f"{own['proxy-protocol']!r}: the only value is '*' (every target group / instance port)",
                           *where("proxy-protocol"))
        if attributes.get("proxy_protocol_v2.enabled") == "false":
            raise doc.fail("proxy-protocol '*' turns PROXY v2 on and target-group-attributes turns it off "
                           "(proxy_protocol_v2.enabled=false): the annotations conflict", *where("proxy-protocol"))
        lb["proxy_protocol"] = model.proxy_protocol  # an NLB sends v2 [NLB-TG23], a Classic ELB v1 [CLB-PP]
        r.annotation("load_balancer.proxy_protocol", doc, PREFIX + "proxy-protocol",
                     ("LBC-SA", *model.cite("proxy")) if lbc_reads else ("CPA", *model.cite("proxy")))

    # TLS at the load balancer: ssl-cert (ARNs, the first the default), ssl-ports ('*' when absent) [LBC-SA][CPA]
    if "ssl-cert" in own:
        out.arns = [arn.strip() for arn in own["ssl-cert"].split(",") if arn.strip()]
        r.annotation("load_balancer.certificates", doc, PREFIX + "ssl-cert", ("LBC-SA", "CPA"))
    ssl_ports = [p.strip() for p in own.get("ssl-ports", "*").split(",") if p.strip()]
    backend = own.get("backend-protocol", "tcp").lower()
    if backend not in ("tcp", "ssl", "http", "https"):
        raise doc.fail(f"backend-protocol {backend!r}: one of tcp, ssl, http, https", *where("backend-protocol"))
    if backend in ("ssl", "https") and out.arns:
        raise doc.fail(f"backend-protocol {backend} re-encrypts to the target's TLS port; edgeconform models TLS "
                       "that ends at the load balancer and reaches its targets in plaintext (tcp / http)",
                       *where("backend-protocol"))
    l7 = "l7" in model.layers and backend in ("http", "https")  # the Classic ELB's HTTP/HTTPS listeners [CPA]
    tls_l4 = next(iter(sorted(model.protocols & {"TLS", "SSL"})), "TCP")  # an NLB's TLS, a Classic ELB's SSL
    for i, item in enumerate(doc.spec.get("ports") or []):
        if not isinstance(item, dict) or "port" not in item:
            raise doc.fail("a port needs port:", "spec", "ports", i)
        if str(item.get("protocol", "TCP")).upper() != "TCP":
            raise doc.fail(f"protocol {item.get('protocol')}: edgeconform models TCP listeners (HTTP, TLS on top)",
                           "spec", "ports", i, "protocol")
        port = _int(doc, item["port"], "spec", "ports", i, "port", what="port number")
        tls = bool(out.arns) and ("*" in ssl_ports or str(port) in ssl_ports or str(item.get("name")) in ssl_ports)
        protocol = ("HTTPS" if tls else "HTTP") if l7 else (tls_l4 if tls else "TCP")
        out.ports.append((i, port, protocol, item.get("targetPort", port)))
        if ("spec", "ports", i) in doc.lines:  # (a Service Envoy Gateway builds has its ports elsewhere)
            r.cite("load_balancer.listeners", doc, "spec", "ports", i, keys=("LBC-SA",) if lbc_reads else ("CPA",))
    if not out.ports:
        raise doc.fail("a load-balancer Service needs at least one port", "spec", "ports")
    out.ports.sort(key=lambda item: item[1])  # in port order, as the topology lists them
    if lb.get("proxy_protocol") and l7 and "proxy-protocol" in own:
        # the creating component applies the policy to HTTP back ends too; what the load balancer then sends there
        # is a claim no AWS page confirms: stated in the topology (edgeconform list shows it), as the stand-in does
        claim = model.l7_proxy_claim
        if not claim:
            raise doc.fail(f"proxy-protocol '*' with HTTP/HTTPS listeners: {model.article} sends no PROXY header "
                           f"there {''.join(f'[{k}]' for k in model.cite('proxy'))}", *where("proxy-protocol"))
        lb.setdefault("unverified", {})[load_balancers.L7_PROXY_CLAIM] = claim
        r.cite("load_balancer.proxy_protocol", doc, "metadata", "annotations", PREFIX + "proxy-protocol",
               keys=model.cite("l7_proxy"))
        r.warn(f"{doc.describe()}: proxy-protocol '*' with HTTP/HTTPS listeners (backend-protocol {backend}): "
               f"PROXY v1 on their back-end connections, UNVERIFIED ({claim})")
    for key in ("ssl-ports", "backend-protocol"):
        if key in own:
            r.annotation("load_balancer.listeners", doc, PREFIX + key, ("LBC-SA", "CPA"))

    terminates = any(protocol in ("TLS", "SSL", "HTTPS") for _, _, protocol, _ in out.ports)
    if "ssl-negotiation-policy" in own:
        name = own["ssl-negotiation-policy"]
        if name not in model.tls_policies:
            raise doc.fail(f"{model.article} has no security policy {name!r}", *where("ssl-negotiation-policy"))
        lb["tls_policy"] = name
        r.annotation("load_balancer.tls_policy", doc, PREFIX + "ssl-negotiation-policy", ("LBC-SA", "CPA"))
    elif terminates:
        lb["tls_policy"] = creating.default("tls_policy", who.model, r, "load_balancer.tls_policy")
    _scheme(doc, own, lb, r, creating, who.model)

    if "ip-address-type" in own and model.has("dualstack"):
        value = own["ip-address-type"]
        if value not in ("ipv4", "dualstack"):
            raise doc.fail(f"{value!r} is not ipv4 or dualstack", *where("ip-address-type"))
        lb["ip_address_type"] = value
        r.annotation("load_balancer.ip_address_type", doc, PREFIX + "ip-address-type", ("LBC-SA",))
    if model.has("security_groups"):
        if "disable-nlb-sg" in own:
            lb["security_groups"] = not _bool(doc, own["disable-nlb-sg"], *where("disable-nlb-sg"))
            r.annotation("load_balancer.security_groups", doc, PREFIX + "disable-nlb-sg", ("LBC-SA", "LBC-NLB"))
        else:
            default = creating.default("security_groups", who.model, r, "load_balancer.security_groups")
            if default is not None:
                lb["security_groups"] = str(default).lower() != "false"
    if "connection-idle-timeout" in own:
        lb["idle_timeout"] = _int(doc, own["connection-idle-timeout"], *where("connection-idle-timeout"))
        r.annotation("load_balancer.idle_timeout", doc, PREFIX + "connection-idle-timeout", ("CPA", "CLB-IT"))
    _health_check(doc, own, lb, r, lbc_reads)

    for key, value in own.items():
        if key.startswith("listener-attributes."):
            protocol, _, port = key.removeprefix("listener-attributes.").partition("-")
            for name, setting in _pairs(doc, value, PREFIX + key).items():
                if protocol == "TCP" and port.isdigit() and name == "tcp.idle_timeout.seconds":
                    out.idle_timeouts[int(port)] = _int(doc, setting, *where(key))
                    r.annotation("load_balancer.idle_timeout", doc, PREFIX + key, ("LBC-SA", "NLB-IT"))
                else:
                    r.unknown(doc, f"{PREFIX}{key}: {name}", setting, *where(key))
        elif key in _MODEL_ATTRIBUTE and not model.has(_MODEL_ATTRIBUTE[key]):
            r.unknown(doc, PREFIX + key, value, *where(key))
        elif key not in NO_FIELD and key not in _READ:
            r.unknown(doc, PREFIX + key, value, *where(key))

    etp = doc.spec.get("externalTrafficPolicy", "Cluster")
    if etp not in ("Cluster", "Local"):
        raise doc.fail(f"{etp!r} is not Cluster or Local", "spec", "externalTrafficPolicy")
    out.etp = etp
    if ("spec", "externalTrafficPolicy") in doc.lines:
        r.cite("kubernetes.external_traffic_policy", doc, "spec", "externalTrafficPolicy", keys=("K8S-ETP",))
    else:  # the default: Cluster for a Service, Local for the one Envoy Gateway builds [EG-SVC]
        r.cite("kubernetes.external_traffic_policy", keys=("EG-SVC",) if doc.built_by else ("K8S-ETP",))
    if "client_ip_preservation" not in lb and model.preserves_client_ip_attribute:
        r.cite("load_balancer.client_ip_preservation", keys=("NLB-TGA",))  # the AWS default for the target type
    return out


_MODEL_ATTRIBUTE = {"ip-address-type": "dualstack", "disable-nlb-sg": "security_groups"}
_READ = {"type", "proxy-protocol", "ssl-cert", "ssl-ports", "backend-protocol", "ssl-negotiation-policy",
         "healthcheck-protocol", "healthcheck-path", "healthcheck-port", "healthcheck-success-codes",
         "nlb-target-type", "target-group-attributes", "ip-address-type", "disable-nlb-sg", "connection-idle-timeout",
         "scheme", "internal"}


def _scheme(doc: Document, own: dict[str, str], lb: dict[str, Any], r: Reading, creating: Creating,
            model: str) -> None:
    """aws-load-balancer-scheme (the LBC's), else aws-load-balancer-internal (both read it: the in-tree provider as
    internal for any value but "false", the LBC as a boolean), else the component's default [LBC-SVCLB][CPA]."""
    if "scheme" in own:
        value = own["scheme"]
        if value not in ("internet-facing", "internal"):
            raise doc.fail(f"{value!r} is not internet-facing or internal", "metadata", "annotations",
                           PREFIX + "scheme")
        lb["scheme"] = value
        r.annotation("load_balancer.scheme", doc, PREFIX + "scheme", ("LBC-SA", "LBC-SVCLB"))
    elif "internal" in own:
        value = own["internal"].strip().lower()
        if creating.name != "in-tree" and value not in ("true", "false"):
            raise doc.fail(f"{own['internal']!r} is not true or false", "metadata", "annotations", PREFIX + "internal")
        lb["scheme"] = "internet-facing" if value == "false" else "internal"
        r.annotation("load_balancer.scheme", doc, PREFIX + "internal", ("CPA", "LBC-SVCLB"))
    else:
        lb["scheme"] = creating.default("scheme", model, r, "load_balancer.scheme")


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


def _int(doc: Document, value: Any, *path: Any, what: str = "whole number of seconds") -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise doc.fail(f"{value!r} is not a {what}", *path) from None
