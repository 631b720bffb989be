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
from .creators import Creating, LbcConfig
from .documents import Document
from .reading import Reading
from .service import _bool, _int, _pairs

PREFIX = "alb.ingress.kubernetes.io/"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
ALB_CONTROLLERS = {"ingress.k8s.aws/alb": ("LBC-IA",), "eks.amazonaws.com/alb": ("EKS-AUTO-ALB",)}
CREATED_BY = {"ingress.k8s.aws/alb": "lbc", "eks.amazonaws.com/alb": "auto-mode"}
NO_FIELD = {"inbound-cidrs", "subnets", "group.name", "group.order", "tags", "security-groups",
            "manage-backend-security-group-rules", "load-balancer-name", "backend-protocol-version"}
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
    created_by: str = "lbc"
    discovered: list[str] = field(default_factory=list)  # certificate names found by host (no certificate-arn)


def alb_classes(docs: list[Document]) -> dict[str, Document]:
    """IngressClass name -> the IngressClass, for the classes the LBC or EKS Auto Mode owns."""
    return {doc.name: doc for doc in docs if doc.kind == "IngressClass"
            and doc.spec.get("controller") in ALB_CONTROLLERS}


def is_alb(doc: Document, classes: dict[str, Document]) -> bool:
    if doc.kind != "Ingress":
        return False
    name = doc.spec.get("ingressClassName") or doc.annotations.get(CLASS_ANNOTATION)
    return name in classes or (name == "alb" and not classes) or (name is None and any(
        str(key).startswith(PREFIX) for key in doc.annotations))


def group_of(doc: Document, classes: dict[str, Document], params: dict[str, Document]) -> str | None:
    """The IngressGroup an ALB Ingress belongs to (its group.name annotation, else its IngressClassParams'
    group.name): the Ingresses of one group make one ALB [LBC-IA]. None: an ALB of its own."""
    name = doc.annotations.get(PREFIX + "group.name")
    if name:
        return str(name)
    klass = classes.get(doc.spec.get("ingressClassName") or doc.annotations.get(CLASS_ANNOTATION))
    ref = (klass.spec.get("parameters") or {}) if klass is not None else {}
    found = params.get(str(ref.get("name"))) if ref.get("kind") == "IngressClassParams" else None
    group = ((found.spec.get("group") or {}).get("name")) if found is not None else None
    return str(group) if group else None


def order_of(doc: Document) -> tuple[int, str, str]:
    """Where an Ingress stands in its group: group.order, then namespace/name [LBC-IA]."""
    try:
        order = int(str(doc.annotations.get(PREFIX + "group.order", 0)))
    except ValueError:
        raise doc.fail(f"{doc.annotations.get(PREFIX + 'group.order')!r} is not a whole number", "metadata",
                       "annotations", PREFIX + "group.order") from None
    return order, doc.namespace, doc.name


def creator_of(doc: Document, classes: dict[str, Document]) -> str:
    """Who builds an ALB Ingress's ALB: its IngressClass's controller (the LBC's, or Auto Mode's); without one among
    the inputs, the LBC (its chart makes the class ``alb``) [LBC-IA][EKS-AUTO-ALB]."""
    klass = classes.get(doc.spec.get("ingressClassName") or doc.annotations.get(CLASS_ANNOTATION))
    return CREATED_BY[klass.spec["controller"]] if klass is not None else "lbc"


def read_group(members: list[Document], docs: list[Document], r: Reading, classes: dict[str, Document],
               params: dict[str, Document], lbc: LbcConfig | None = None) -> IngressLB:
    """The ALB of an IngressGroup: its Ingresses in group order, the first one's settings for what the topology
    models once (its target group: the first rule's backend, target type, health check), listeners, certificates
    and hostnames of all of them; a load-balancer setting two members give differently is an error (the LBC refuses
    such a group too) [LBC-IA]."""
    members = sorted(members, key=order_of)
    out = read(members[0], r, classes, params, lbc)
    if len(members) == 1:
        return out
    r.warn(f"IngressGroup {group_of(members[0], classes, params)}: {', '.join(m.describe() for m in members)} make "
           f"one ALB (the LBC merges a group's Ingresses); the first, {members[0].describe()}, gives its target "
           "group [LBC-IA]")
    for doc in members[1:]:
        other = read(doc, r, classes, params, lbc)
        for port, proto in other.listeners:
            mine = dict(out.listeners)
            if port in mine and mine[port] != proto:
                raise doc.fail(f"listener {port} is {proto} here and {mine[port]} in {members[0].describe()}: one "
                               "ALB cannot have both", "metadata", "annotations", PREFIX + "listen-ports")
            if port not in mine:
                out.listeners.append((port, proto))
        out.arns += [arn for arn in other.arns if arn not in out.arns]
        out.hostnames += [host for host in other.hostnames if host not in out.hostnames]
        for key, value in other.lb.items():
            if key in TARGET_GROUP:
                if out.lb.get(key) != value:
                    r.warn(f"{doc.describe()}: its target group's {key} is {value!r} ({members[0].describe()}'s: "
                           f"{out.lb.get(key)!r}); the topology models one target group, the first's")
            elif key in out.lb and out.lb[key] != value:
                raise doc.fail(f"{key} is {value!r} here and {out.lb[key]!r} in {members[0].describe()}: the "
                               "Ingresses of one group must agree on the load balancer's settings", "metadata",
                               "annotations")
            else:
                out.lb.setdefault(key, value)
    return out


TARGET_GROUP = ("target_type", "health_check")  # per Ingress (its target group), not the ALB's


def read(doc: Document, r: Reading, classes: dict[str, Document], params: dict[str, Document],
         lbc: LbcConfig | None = None) -> IngressLB:
    out = IngressLB(doc)
    lb = out.lb
    r.model = "alb"
    name = doc.spec.get("ingressClassName") or doc.annotations.get(CLASS_ANNOTATION)
    path = ("spec", "ingressClassName") if doc.spec.get("ingressClassName") else \
        ("metadata", "annotations", CLASS_ANNOTATION)
    klass = classes.get(name)
    out.created_by = creator_of(doc, classes)
    creating = Creating(out.created_by, lbc or LbcConfig())
    creator = creating.creator
    lb["created_by"] = out.created_by
    r.cite("load_balancer.model", doc, *path, keys=("LBC-IA",))
    if klass is not None:
        keys = ALB_CONTROLLERS[klass.spec["controller"]]
        r.cite("load_balancer.model", klass, "spec", "controller", keys=keys)
        r.cite("load_balancer.created_by", klass, "spec", "controller", keys=keys)
    else:
        r.cite("load_balancer.created_by", doc, *path, keys=("LBC-IA",))
    own: dict[str, str] = {}
    for key, value in doc.annotations.items():
        ignored = creator.ignored("alb", str(key), str(value))
        if ignored is not None:
            r.warn(f"{key}: {value!r} ({r.ref(doc, 'metadata', 'annotations', key)}) is not read by {creator.title}: "
                   f"ignored, as it ignores it ({ignored.why}) {''.join(f'[{k}]' for k in ignored.sources)}")
        elif str(key).startswith(PREFIX):
            own[str(key)[len(PREFIX):]] = str(value)
    p = _params(klass, params)
    r.use(doc, klass, p)
    where = lambda key: ("metadata", "annotations", PREFIX + key)  # noqa: E731

    if "target-type" in own:
        target = own["target-type"]
        if target not in ("instance", "ip"):
            raise doc.fail(f"{target!r} is not a target type (instance or ip)", *where("target-type"))
        r.cite("load_balancer.target_type", doc, *where("target-type"), keys=("LBC-IA",))
    else:
        target = creating.default("target_type", "alb", r, "load_balancer.target_type")
    lb["target_type"] = target

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
        tls_hosts = [h for t in doc.spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []]
        pairs = [(443, "HTTPS")] if out.arns or tls_hosts else [(80, "HTTP")]
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
    elif any(proto == "HTTPS" for _, proto in pairs):
        lb["tls_policy"] = creating.default("tls_policy", "alb", r, "load_balancer.tls_policy")
    scheme = _annotation_or_params(r, doc, own, p, "scheme", "scheme", "load_balancer.scheme")
    if scheme and scheme not in ("internet-facing", "internal"):
        raise doc.fail(f"{scheme!r} is not internet-facing or internal", *where("scheme"))
    lb["scheme"] = scheme or creating.default("scheme", "alb", r, "load_balancer.scheme")
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
                 "success-codes", "healthcheck-protocol", "healthcheck-port", "scheme"}
    for key, value in own.items():
        if key not in read_here and key not in NO_FIELD:
            r.unknown(doc, PREFIX + key, value, *where(key))
    if p is not None:
        for key, value in p.spec.items():
            if key not in ("certificateArn", "certificateARNs", "sslPolicy", "loadBalancerAttributes", "ipAddressType",
                           "scheme", "group", "subnets", "inboundCIDRs", "tags", "loadBalancerName"):
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
    if any(proto == "HTTPS" for _, proto in pairs) and not out.arns:
        # certificate discovery: the LBC finds ACM certificates for the rules' and tls hosts [LBC-CERTDISC]
        hosts = [h for t in doc.spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []]
        hosts += [h for h in out.hostnames if h not in hosts]
        if not hosts:
            raise doc.fail("an HTTPS listener and neither certificate-arn nor a host to discover a certificate for "
                           "(the LBC would not build it)", *where("certificate-arn"))
        out.discovered = hosts
        r.cite("load_balancer.certificates", doc, "spec", "rules", keys=("LBC-CERTDISC",))
        r.warn(f"{doc.describe()}: no certificate-arn: the LBC discovers ACM certificates by host "
               f"({', '.join(hosts)}) [LBC-CERTDISC]")
    if "backend-protocol-version" in own and own["backend-protocol-version"].upper() == "GRPC":
        r.warn(f"{doc.describe()}: backend-protocol-version GRPC: the LBC's health check is then /AWS.ALB/healthcheck "
               "expecting gRPC code 12, which the topology cannot state; it is written as HTTP [LBC-INGDEF]")
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
