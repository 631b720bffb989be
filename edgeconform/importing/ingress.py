"""An ALB Ingress -> the load balancer's fields: an Ingress of an IngressClass the AWS Load Balancer Controller (or
EKS Auto Mode) owns, with ``alb.ingress.kubernetes.io/*`` annotations and, if given, the class's
IngressClassParams [LBC-IA].

The Ingress's backend is the controller's Service (a NodePort Service for instance targets, any Service for ip
targets): the port it names decides which controller port the ALB's listeners land on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import load_balancers
from .documents import Document
from .reading import Reading
from .service import _bool, _int, _pairs

PREFIX = "alb.ingress.kubernetes.io/"
ALB_CONTROLLERS = {"ingress.k8s.aws/alb": ("LBC-IA",), "eks.amazonaws.com/alb": ("EKS-AUTO-ALB",)}
NO_FIELD = {"scheme", "inbound-cidrs", "subnets", "group.name", "group.order", "tags", "security-groups",
            "manage-backend-security-group-rules", "load-balancer-name"}
ATTRIBUTES = {  # load-balancer-attributes key -> load_balancer field [ALB-ATTR][ALB-XFH][ALB-HOST][ALB-IT]
    "routing.http.xff_header_processing.mode": "xff",
    "idle_timeout.timeout_seconds": "idle_timeout",
    "routing.http.xff_client_port.enabled": "xff_client_port",
    "routing.http.preserve_host_header.enabled": "preserve_host_header",
}


@dataclass
class IngressLB:
    doc: Document
    lb: dict[str, Any] = field(default_factory=dict)
    arns: list[str] = field(default_factory=list)
    listeners: list[tuple[int, str]] = field(default_factory=list)  # (port, HTTP/HTTPS)
    backend_protocol: str = "HTTP"
    backend: tuple[str, Any] | None = None  # (Service name, port number or name) of the first rule's backend
    hostnames: list[str] = field(default_factory=list)


def alb_classes(docs: list[Document]) -> dict[str, Document]:
    """IngressClass name -> the IngressClass, for the classes the LBC or EKS Auto Mode owns."""
    return {doc.name: doc for doc in docs if doc.kind == "IngressClass"
            and doc.spec.get("controller") in ALB_CONTROLLERS}


def is_alb(doc: Document, classes: dict[str, Document]) -> bool:
    if doc.kind != "Ingress":
        return False
    name = doc.spec.get("ingressClassName") or doc.annotations.get("kubernetes.io/ingress.class")
    return name in classes or (name == "alb" and not classes) or (name is None and any(
        str(key).startswith(PREFIX) for key in doc.annotations))


def read(doc: Document, r: Reading, classes: dict[str, Document], params: dict[str, Document]) -> IngressLB:
    out = IngressLB(doc)
    lb = out.lb
    r.model = "alb"
    own = {str(k)[len(PREFIX):]: str(v) for k, v in doc.annotations.items() if str(k).startswith(PREFIX)}
    name = doc.spec.get("ingressClassName") or doc.annotations.get("kubernetes.io/ingress.class")
    path = ("spec", "ingressClassName") if doc.spec.get("ingressClassName") else \
        ("metadata", "annotations", "kubernetes.io/ingress.class")
    r.cite("load_balancer.model", doc, *path, keys=("LBC-IA",))
    klass = classes.get(name)
    if klass is not None:
        r.cite("load_balancer.model", klass, "spec", "controller",
               keys=ALB_CONTROLLERS[klass.spec["controller"]])
    p = _params(klass, params)
    r.use(doc, klass, p)
    where = lambda key: ("metadata", "annotations", PREFIX + key)  # noqa: E731

    target = own.get("target-type", "instance")
    if target not in ("instance", "ip"):
        raise doc.fail(f"{target!r} is not a target type (instance or ip)", *where("target-type"))
    lb["target_type"] = target
    r.cite("load_balancer.target_type", doc, *(where("target-type") if "target-type" in own else ()),
           keys=("LBC-IA",))

    if "certificate-arn" in own:
        out.arns = [arn.strip() for arn in own["certificate-arn"].split(",") if arn.strip()]
        r.annotation("load_balancer.certificates", doc, PREFIX + "certificate-arn", ("LBC-IA",))
    elif p is not None and (p.spec.get("certificateArn") or p.spec.get("certificateARNs")):
        key = "certificateArn" if p.spec.get("certificateArn") else "certificateARNs"  # the LBC's, Auto Mode's
        out.arns = [str(arn) for arn in p.spec[key]]
        r.cite("load_balancer.certificates", p, "spec", key, keys=("LBC-IA", "EKS-AUTO-ALB"))
    if "listen-ports" in own:
        try:
            listen = json.loads(own["listen-ports"])
            pairs = [(int(port), str(proto).upper()) for item in listen for proto, port in item.items()]
        except (ValueError, AttributeError, TypeError):
            raise doc.fail(f"{own['listen-ports']!r} is not a JSON list like [{{\"HTTP\": 80}}, {{\"HTTPS\": 443}}]",
                           *where("listen-ports")) from None
        r.annotation("load_balancer.listeners", doc, PREFIX + "listen-ports", ("LBC-IA", "ALB-L"))
    else:  # the LBC's default: HTTP:80, or HTTPS:443 when a certificate is set [LBC-IA]
        pairs = [(443, "HTTPS")] if out.arns else [(80, "HTTP")]
        r.cite("load_balancer.listeners", keys=("LBC-IA",))
    for port, proto in pairs:
        if proto not in ("HTTP", "HTTPS"):
            raise doc.fail(f"listener protocol {proto}: an ALB has HTTP and HTTPS listeners", *where("listen-ports"))
    out.listeners = pairs
    backend = own.get("backend-protocol", "HTTP").upper()
    if backend not in ("HTTP", "HTTPS"):
        raise doc.fail(f"{backend!r} is not HTTP or HTTPS", *where("backend-protocol"))
    out.backend_protocol = backend
    if "backend-protocol" in own:
        r.annotation("load_balancer.listeners", doc, PREFIX + "backend-protocol", ("LBC-IA",))

    policy = _annotation_or_params(r, doc, own, p, "ssl-policy", "sslPolicy", "load_balancer.tls_policy")
    if policy:
        if policy not in load_balancers.get("alb").tls_policies:
            raise doc.fail(f"an ALB has no security policy {policy!r}", *where("ssl-policy"))
        lb["tls_policy"] = policy
    if "ssl-redirect" in own:
        https = [port for port, proto in pairs if proto == "HTTPS"]
        if not own["ssl-redirect"].isdigit() or int(own["ssl-redirect"]) not in https:
            raise doc.fail(f"ssl-redirect {own['ssl-redirect']!r} must name an HTTPS listener port ({https or 'none'})",
                           *where("ssl-redirect"))
        lb["ssl_redirect"] = True
        r.annotation("load_balancer.ssl_redirect", doc, PREFIX + "ssl-redirect", ("LBC-IA", "ALB-L23"))

    attributes = _pairs(doc, own.get("load-balancer-attributes"), PREFIX + "load-balancer-attributes")
    from_params = {}
    if p is not None:
        for i, item in enumerate(p.spec.get("loadBalancerAttributes") or []):
            from_params[str(item.get("key"))] = (str(item.get("value")), i)
    for key, value in {**{k: v for k, (v, _) in from_params.items()}, **attributes}.items():
        in_params = key not in attributes
        at = (p, ("spec", "loadBalancerAttributes", from_params[key][1])) if in_params else \
            (doc, where("load-balancer-attributes"))
        if key not in ATTRIBUTES:
            r.unknown(at[0], f"{PREFIX}load-balancer-attributes: {key}", value, *at[1])
            continue
        name = ATTRIBUTES[key]
        if name == "xff":
            if value not in ("append", "preserve", "remove"):
                raise at[0].fail(f"{key}={value}: append, preserve or remove", *at[1])
            lb["xff"] = value
        elif name == "idle_timeout":
            lb["idle_timeout"] = _int(at[0], value, *at[1])
        else:
            lb[name] = _bool(at[0], value, *at[1])
        r.cite(f"load_balancer.{name}", at[0], *at[1], keys=("LBC-IA", "ALB-ATTR"))

    ip_type = _annotation_or_params(r, doc, own, p, "ip-address-type", "ipAddressType",
                                    "load_balancer.ip_address_type")
    if ip_type:
        if ip_type not in ("ipv4", "dualstack"):
            raise doc.fail(f"{ip_type!r} is not ipv4 or dualstack", *where("ip-address-type"))
        lb["ip_address_type"] = ip_type
    if "mutual-authentication" in own:
        lb["mutual_tls"] = _mutual_tls(doc, own["mutual-authentication"], where("mutual-authentication"))
        r.annotation("load_balancer.mutual_tls", doc, PREFIX + "mutual-authentication", ("LBC-IA", "ALB-MTLS"))
    check: dict[str, Any] = {}
    for key, name in (("healthcheck-path", "path"), ("success-codes", "success_codes"),
                      ("healthcheck-protocol", "protocol"), ("healthcheck-port", "port")):
        if key not in own:
            continue
        value = own[key]
        if (name == "protocol" and value.upper() != "HTTP") or (name == "port" and value != "traffic-port"):
            r.unknown(doc, PREFIX + key, value, *where(key))  # HTTPS checks, a fixed port: not modelled
            continue
        check[name] = value.upper() if name == "protocol" else value
        r.annotation("load_balancer.health_check", doc, PREFIX + key, ("LBC-IA", "ELB-MATCHER"))
    if check:
        lb["health_check"] = check
    read_here = {"target-type", "certificate-arn", "listen-ports", "backend-protocol", "ssl-policy", "ssl-redirect",
                 "load-balancer-attributes", "ip-address-type", "mutual-authentication", "healthcheck-path",
                 "success-codes", "healthcheck-protocol", "healthcheck-port"}
    for key, value in own.items():
        if key not in read_here and key not in NO_FIELD:
            r.unknown(doc, PREFIX + key, value, *where(key))
    if p is not None:
        for key, value in p.spec.items():
            if key not in ("certificateArn", "certificateARNs", "sslPolicy", "loadBalancerAttributes", "ipAddressType",
                           "scheme",
                           "group", "subnets", "inboundCIDRs", "tags", "loadBalancerName"):
                r.unknown(p, f"spec.{key}", value, "spec", key)

    for i, rule in enumerate(doc.spec.get("rules") or []):
        host = rule.get("host") if isinstance(rule, dict) else None
        if host and host not in out.hostnames:
            out.hostnames.append(host)
            r.cite("hostnames", doc, "spec", "rules", i, "host")
        for j, item in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
            service = ((item or {}).get("backend") or {}).get("service") or {}
            if out.backend is None and service.get("name"):
                port = service.get("port") or {}
                out.backend = (service["name"], port.get("number", port.get("name")))
                r.cite("load_balancer.listeners", doc, "spec", "rules", i, "http", "paths", j, "backend")
    default = (doc.spec.get("defaultBackend") or {}).get("service") or {}
    if out.backend is None and default.get("name"):
        port = default.get("port") or {}
        out.backend = (default["name"], port.get("number", port.get("name")))
        r.cite("load_balancer.listeners", doc, "spec", "defaultBackend")
    if out.backend is None:
        raise doc.fail("no backend Service: the ALB forwards to the controller's Service, named in a rule's "
                       "backend or spec.defaultBackend", "spec", "rules")
    return out


def _params(klass: Document | None, params: dict[str, Document]) -> Document | None:
    ref = (klass.spec.get("parameters") or {}) if klass is not None else {}
    if ref.get("kind") != "IngressClassParams":
        return None
    found = params.get(str(ref.get("name")))
    if found is None and klass is not None:
        raise klass.fail(f"IngressClassParams {ref.get('name')!r} is not among the inputs: give its manifest too",
                         "spec", "parameters", "name")
    return found


def _mutual_tls(doc: Document, text: str, where: tuple[Any, ...]) -> str:
    """mutual-authentication: [{"port": 443, "mode": "off|passthrough|verify", ...}] [LBC-IA][ALB-MTLS]."""
    try:
        modes = {str(item.get("mode", "off")) for item in json.loads(text)}
    except (ValueError, AttributeError, TypeError):
        raise doc.fail(f"{text!r} is not a JSON list of {{port, mode}}", *where) from None
    modes.discard("off")
    if len(modes) > 1:
        raise doc.fail(f"listeners with modes {sorted(modes)}: edgeconform models one mutual TLS mode per ALB", *where)
    mode = modes.pop() if modes else "off"
    if mode not in ("off", "passthrough", "verify"):
        raise doc.fail(f"mode {mode!r}: off, passthrough or verify", *where)
    return mode


def _annotation_or_params(r: Reading, doc: Document, own: dict[str, str], params: Document | None, annotation: str,
                          params_key: str, field: str) -> str | None:
    """A setting the Ingress's annotation gives, else its IngressClassParams' spec (the annotation wins), cited
    where it was read; None: neither gives it."""
    if own.get(annotation):
        r.annotation(field, doc, PREFIX + annotation, ("LBC-IA",))
        return own[annotation]
    value = params.spec.get(params_key) if params is not None else None
    if value:
        r.cite(field, params, "spec", params_key, keys=("LBC-IA",))
    return value
