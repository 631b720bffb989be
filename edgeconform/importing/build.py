"""Manifests -> one topology entry: find the edge's load balancer and what its targets are (a controller, or the
application itself), read both, resolve where each listener lands, and check the result with the catalog's own
loader (so what import writes, --topology-file reads). The load balancer's readers are this package's; each
controller's is its package's importer (edgeconform.controllers.importers()).

Which controller: the one whose pods the load balancer's Service (or the ALB's or Gateway's backend Service)
selects -- a workload among the inputs running its image, or its pods' labels -- else the one whose configuration
is among the inputs, else the application (controller ``none``, the importer asked last). A controller import
recognises but edgeconform does not run is refused in one line naming it and the load balancer found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import catalog, controllers, load_balancers
from ..load_balancers import creators as creator_table
from ..topology import Topology
from . import creators, ingress, lbc_gateway, resolve, service
from .common import PORT_NAMES, ControllerRead, EdgeInputs, Importer
from .documents import Document, ImportFailed, check_shapes
from .reading import Reading
from .recognised import Recognised, containers, selected

ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/(?P<id>[0-9A-Za-z-]+)$")


@dataclass
class Imported:
    """One import: the topology entry as written, its ``imported:`` record, and the checked topology."""

    name: str
    entry: dict[str, Any]
    record: dict[str, Any]
    topology: Topology
    inputs: list[str] = field(default_factory=list)


@dataclass
class Edge:
    """The object that asks AWS for the load balancer (an IngressGroup: its Ingresses, the first leading)."""

    doc: Document
    members: list[Document] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.doc.kind

    def describe(self) -> str:
        if len(self.members) > 1:
            return f"{self.doc.describe()} (IngressGroup of {len(self.members)} Ingresses)"
        return self.doc.describe()


def topology(docs: list[Document], base: Path, *, inputs: list[str], name: str | None = None,
             acm_certs: dict[str, str] | None = None, hostnames: list[str] | None = None,
             origin: str | None = None, edge: str | None = None) -> Imported:
    """``base``: the folder the topology file goes to (manifest references are relative to it); ``acm_certs``:
    certificate name -> ACM ARN, read backwards; ``hostnames``: used when the manifests name none; ``edge``: which
    load balancer, when the inputs hold several ("Service ns/name", "Ingress ns/name", "Gateway ns/name")."""
    r = Reading(base)
    docs = resolve.repeated(docs, r)
    try:
        check_shapes(docs)
    except ImportFailed as exc:
        raise exc.finding(_found_anyway(docs, edge, inputs)) from None
    lbc = creators.lbc_config(docs, r)
    classes = ingress.alb_classes(docs)
    params = {doc.name: doc for doc in docs if doc.kind == "IngressClassParams"}
    gateway_classes = lbc_gateway.classes(docs)
    edges = _edges(docs, classes, params, gateway_classes, edge, inputs)
    importers = controllers.importers()
    chosen = edges[0] if edges else None
    try:
        kind = _controller(docs, chosen, importers)
    except ImportFailed as exc:
        raise exc.finding(f"{chosen.describe()}, whose controller is in question" if chosen else "") from None
    importer = importers[kind]
    if importer.refusal is not None:
        raise _refused(importer, docs, chosen, lbc)
    try:
        return _read(docs, r, chosen, importer, kind, lbc, classes, params, gateway_classes, inputs=inputs, name=name,
                     acm_certs=acm_certs, hostnames=hostnames, origin=origin, base=base)
    except ImportFailed as exc:
        raise exc.finding(_found(r, chosen, kind)) from None


def _read(docs: list[Document], r: Reading, chosen: Edge | None, importer: Importer, kind: str,
          lbc: creators.LbcConfig, classes: dict[str, Document], params: dict[str, Document],
          gateway_classes: dict[str, Document], *, inputs: list[str], name: str | None,
          acm_certs: dict[str, str] | None, hostnames: list[str] | None, origin: str | None,
          base: Path) -> Imported:
    albs = [doc for e in ([chosen] if chosen is not None and chosen.kind == "Ingress" else [])
            for doc in e.members]
    context = EdgeInputs(albs, backends=_selecting(docs, chosen))
    # the controller's configuration first where it builds the load balancer's Service (Envoy Gateway)
    ctl: ControllerRead | None = importer.read(docs, r, context) if importer.builds_load_balancer else None
    if chosen is None and ctl is not None and ctl.load_balancer is not None:
        chosen = Edge(ctl.load_balancer, [ctl.load_balancer])
    if chosen is None:
        raise ImportFailed("no load balancer among the inputs: give the Service of type LoadBalancer (NLB, Classic "
                           "ELB), the ALB Ingress, the AWS Load Balancer Controller's Gateway, or Envoy Gateway's "
                           "EnvoyProxy", file=", ".join(inputs))
    edge = chosen.doc
    if edge.kind == "Service":
        lb_read: Any = service.read(edge, r, lbc)
    elif edge.kind == "Gateway":
        lb_read = lbc_gateway.read(edge, docs, r, gateway_classes, lbc)
    else:
        lb_read = ingress.read_group(chosen.members, docs, r, classes, params, lbc)
    if edge.kind in ("Ingress", "Gateway"):
        r.hostnames += [h for h in lb_read.hostnames if h not in r.hostnames]

    if ctl is None:
        context.reached = lambda ports: set(_targets(edge, lb_read, ports, docs, kind, None, r).values())
        ctl = importer.read(docs, r, context)
    targets = _targets(edge, lb_read, ctl.ports, docs, kind, ctl, r)

    lb: dict[str, Any] = {"model": lb_read.model if edge.kind != "Ingress" else "alb"}
    if edge.kind in ("Service", "Gateway"):
        lb["listeners"] = [{"port": port, "protocol": protocol, "target": targets[i],
                            **({"idle_timeout": lb_read.idle_timeouts[port]} if port in lb_read.idle_timeouts else {})}
                           for i, port, protocol, _ in sorted(lb_read.ports, key=lambda item: item[1])]
        etp = lb_read.etp
    else:
        lb["listeners"] = [{"port": port, "protocol": protocol, "target": targets[0]}
                           for port, protocol in sorted(lb_read.listeners)]
        etp = _backend_etp(docs, edge, lb_read, r)
    _cleartext_into_tls(lb["listeners"], edge, r)
    for host in ctl.hostnames:
        if host not in r.hostnames:
            r.hostnames.append(host)
    names = list(dict.fromkeys(r.hostnames))  # an ALB Ingress and the controller's routes name the same hosts
    if not names and hostnames:
        names = list(hostnames)
        r.warn(f"the manifests name no hostname: {', '.join(names)} as given (--hostname)")
    if lb_read.arns:
        lb["certificates"] = _certificate_names(lb_read.arns, acm_certs or {}, names, r)
    elif getattr(lb_read, "discovered", None):
        lb["certificates"] = list(lb_read.discovered)
    if not names:
        named = [c for c in [*lb.get("certificates", []), *ctl.certificates] if not c.startswith("*")]
        if named:
            names = list(dict.fromkeys(named))
            r.warn(f"no route names a hostname: the certificates' names are taken ({', '.join(names)})")
        else:
            names = [resolve.default_hostname(edge.name)]
            r.warn(f"the manifests name no hostname (no Ingress rule host, route hostname, Host or certificate): "
                   f"{names[0]} is made up from {edge.describe()}'s name; give the real one with --hostname")
    lb.update(lb_read.lb)
    creator = creator_table.get(lb["created_by"]) if lb.get("created_by") else None
    for field_name in ("tls_policy", "scheme"):  # a default no page confirms: a claim edgeconform list shows
        default = creator.defaults.get(field_name) if creator else None
        if field_name in lb and default and default.unverified and _defaulted(r, field_name):
            lb.setdefault("unverified", {})[f"{field_name} {lb[field_name]}"] = default.unverified

    block: dict[str, Any] = {"kind": ctl.kind}
    settled = importer.settle(ctl, lb, r)  # the listeners are known: the controller's reader has its say
    if settled is not None:
        block.update(settled)
    elif ctl.settings is not None and controllers.controller_class(ctl.kind).settings_model is not None:
        block["settings"] = ctl.settings
    else:
        block.update(ctl.abstract)
    if not ctl.certificates and any(item["target"] == "https" for item in lb["listeners"]):
        # TLS reaches the controller (or the application), whose certificates are not among the inputs: one per
        # hostname, so that the topology (which needs them) can be built and the SNI cells say what that would be
        ctl.certificates = list(names)
        who = "the application" if ctl.application else ctl.kind
        r.warn(f"TLS reaches {who} but no certificate of it is among the inputs: one per hostname assumed "
               f"({', '.join(names)}); give its TLS Secrets (or the objects naming them) to read them")
    if ctl.certificates:
        block["certificates"] = ctl.certificates
    r.use(*_backends(docs, albs))
    _unused(docs, r)
    entry = {"description": _description(chosen, ctl, docs), "hostnames": names, "load_balancer": lb,
             "kubernetes": {"external_traffic_policy": etp}, "controller": block,
             "sources": {k: v for k, v in r.sources.items() if v}}
    # named after the edge's first hostname, so the imports of one edge before and after a migration pair up
    topology_name = name or _name(names[0].lstrip("*.").split(".")[0] if names else edge.name)
    record = {"inputs": list(inputs), "not_understood": r.not_understood, "warnings": r.warnings}
    try:
        catalog.ImportRecord.model_validate(record)
        checked = catalog.parse({**entry, "name": topology_name, "origin": origin or str(base / "imported.yaml")},
                                path=origin or "<import>")
    except catalog.TopologyError as exc:
        file, line = _manifest_line(r, exc.problems[0].field or "", base)
        raise ImportFailed(f"the manifests make a topology edgeconform cannot use: {exc}", obj=edge.describe(),
                           file=file or str(edge.file), line=line) from None
    return Imported(topology_name, entry, record, checked, list(inputs))


def _manifest_line(r: Reading, field_path: str, base: Path) -> tuple[str, int | None]:
    """The manifest file and line a topology field was read from (the catalog's loader names ``hostnames.1``; the
    field's sources cite each value's line in order), so that the refusal names it (and import can tell a
    placeholder it cannot use there, to leave out: edgeconform.importing.from_paths)."""
    parts = field_path.split(".")
    for end in range(len(parts), 0, -1):
        refs = [catalog.MANIFEST_REF.match(ref) for ref in r.sources.get(".".join(parts[:end]), [])]
        refs = [ref for ref in refs if ref]
        if refs:
            index = int(parts[end]) if end < len(parts) and parts[end].isdigit() else 0
            ref = refs[index] if index < len(refs) else refs[0]
            return str((base / ref["path"]).resolve()), int(ref["line"])
    return "", None


MANY = 10  # objects of one kind in one file no reader looked at, beyond which they are listed as a count


def _unused(docs: list[Document], r: Reading) -> None:
    """Whole objects no reader looked at: listed, not dropped; a cluster's many of one kind in one file (its Pods,
    RoleBindings) as one entry with their count and the first one's line."""
    groups: dict[tuple[Path, str], list[Document]] = {}
    for doc in docs:
        if id(doc) not in r.used:
            groups.setdefault((doc.file, doc.kind), []).append(doc)
    for (_, kind), found in groups.items():
        if len(found) > MANY and kind:
            r.unknown(found[0], "(objects)", len(found))
            r.not_understood[-1]["object"] = f"{len(found)} {kind} objects, the first {found[0].describe()}"
        else:
            for doc in found:
                r.unknown(doc, "(object)", doc.kind or "YAML document")


def _defaulted(r: Reading, field_name: str) -> bool:
    """Whether a load_balancer field was filled in by a default (no manifest line cites it)."""
    return not any(catalog.MANIFEST_REF.match(ref) for ref in r.sources.get(f"load_balancer.{field_name}", []))


def _edges(docs: list[Document], classes: dict[str, Document], params: dict[str, Document],
           gateway_classes: dict[str, Document], wanted: str | None, inputs: list[str]) -> list[Edge]:
    """The objects that ask AWS for a load balancer (an IngressGroup's Ingresses as one); with ``wanted``, that one.
    More than one and none wanted: one error naming them."""
    out: list[Edge] = [Edge(doc, [doc]) for doc in docs if service.is_load_balancer(doc)]
    groups: dict[str, Edge] = {}
    for doc in docs:
        if not ingress.is_alb(doc, classes):
            continue
        group = ingress.group_of(doc, classes, params)
        if group is not None and group in groups:
            groups[group].members.append(doc)
            if ingress.order_of(doc) < ingress.order_of(groups[group].doc):
                groups[group].doc = doc
            continue
        found = Edge(doc, [doc])
        out.append(found)
        if group is not None:
            groups[group] = found
    out += [Edge(doc, [doc]) for doc in docs if lbc_gateway.is_lbc_gateway(doc, gateway_classes)]
    if wanted:
        picked = [e for e in out if wanted in (e.doc.describe(), e.doc.describe().replace(" ", "/"),
                                                f"{e.doc.namespace}/{e.doc.name}", e.doc.name)]
        if not picked:
            known = "; ".join(e.doc.describe() for e in out) or "none"
            raise ImportFailed(f"--edge {wanted}: no such load balancer object among the inputs (they hold: {known})",
                               file=", ".join(inputs))
        return picked[:1]
    if len(out) > 1:
        first, second = out[0], out[1]
        more = f" and {len(out) - 2} more" if len(out) > 2 else ""
        raise second.doc.fail(f"a second load balancer (the first: {first.describe()} in {first.doc.file.name}{more})"
                              f": import one edge at a time, naming it with --edge '{second.doc.describe()}'")
    return out


def _controller(docs: list[Document], edge: Edge | None, importers: dict[str, Importer]) -> str:
    """Which controller runs the edge: the one whose pods the load balancer's Service (or its backend Service)
    selects -- a workload among the inputs running its image, else its pods' labels --, else the one whose
    configuration is among the inputs, else the application (the fallback importer)."""
    asked = {kind: importer for kind, importer in importers.items() if not importer.fallback}
    fallback = next((kind for kind, importer in importers.items() if importer.fallback), None)
    configured = [kind for kind, importer in asked.items() if importer.evidence(docs)]
    chosen_by: tuple[str, Document] | None = None
    application: Document | None = None
    for doc in _selecting(docs, edge):
        labels = doc.spec.get("selector") or {}
        if not isinstance(labels, dict) or not labels:
            continue
        pods = selected(docs, doc)
        images = [str(c.get("image", "")) for w in pods for _, c in containers(w)]
        chosen = next((kind for kind, importer in asked.items() if any(importer.runs(i) for i in images)), None)
        chosen = chosen or next((kind for kind, importer in asked.items() if importer.selects(labels)), None)
        if chosen is not None:
            chosen_by = (chosen, doc)
        elif pods:
            application = doc  # its pods are among the inputs, and they run no controller edgeconform knows
    if chosen_by is not None:
        kind, doc = chosen_by
        if configured and kind not in configured:
            first = asked[configured[0]].evidence(docs)[0]
            raise doc.fail(f"selects {kind}'s pods, but the controller objects among the inputs are "
                           f"{configured[0]}'s ({first.describe()} in {first.file.name}): they conflict",
                           "spec", "selector")
        return kind
    if application is not None and fallback is not None:
        return fallback
    if len(configured) > 1:
        first, second = (asked[kind].evidence(docs)[0] for kind in configured[:2])
        raise second.fail(f"{configured[1]}'s configuration, and {configured[0]}'s too ({first.describe()} in "
                          f"{first.file.name}): objects of two controllers among the inputs; import one controller's "
                          "edge at a time", *asked[configured[1]].where(second))
    if configured:
        return configured[0]
    if fallback is not None and edge is not None:
        return fallback
    raise ImportFailed("no load balancer among the inputs: give the Service of type LoadBalancer (NLB, Classic ELB), "
                       "the ALB Ingress, the AWS Load Balancer Controller's Gateway, or Envoy Gateway's EnvoyProxy")


def _selecting(docs: list[Document], edge: Edge | None) -> list[Document]:
    """The Services whose pods are the load balancer's targets: the load-balancer Service, or the backends of the
    ALB's Ingresses and of the Gateway's routes."""
    if edge is None:
        return []
    if edge.kind == "Service":
        return [edge.doc]
    if edge.kind == "Gateway":
        return lbc_gateway.backends(docs, [edge.doc])
    return _backends(docs, edge.members)


def _refused(importer: Importer, docs: list[Document], edge: Edge | None, lbc: creators.LbcConfig) -> ImportFailed:
    """The one line for a controller import recognises but edgeconform does not run: where it was known (file, line,
    object, field), and the load balancer found in front of it."""
    title = controllers.controller_class(importer.kind).title
    evidence = importer.evidence(docs)
    lb_doc = edge.doc if edge is not None else (importer.load_balancer(docs) if isinstance(importer, Recognised)
                                               else None)
    lb = _describe_load_balancer(lb_doc, lbc) if lb_doc is not None else "no load balancer among the inputs"
    keys = "".join(f"[{k}]" for k in getattr(getattr(importer, "marks", None), "sources", ()))
    message = f"{title}{' ' + keys if keys else ''} behind {lb}: {importer.refusal}"
    if evidence:
        return evidence[0].fail(message, *importer.where(evidence[0]))
    if edge is not None:
        return edge.doc.fail(message, "spec", "selector")
    return ImportFailed(message)


def _describe_load_balancer(doc: Document, lbc: creators.LbcConfig) -> str:
    """"an NLB created by the AWS Load Balancer Controller (Service ns/name, ip targets)", as well as the object
    says it; never an error (what cannot be read is left out)."""
    where = doc.describe() if not doc.built_by else f"the Service {doc.built_by} makes"
    try:
        if doc.kind == "Service":
            who = service.identify(doc, lbc)
            model = load_balancers.get(who.model)
            return f"{model.article} created by {creator_table.get(who.created_by).title} ({where})"
        if doc.kind == "Ingress":
            return f"an ALB ({where})"
        if doc.kind == "Gateway":
            return f"an AWS Load Balancer Controller Gateway ({where})"
    except ImportFailed:
        pass
    return f"a load balancer ({where})"


def _found_anyway(docs: list[Document], wanted: str | None, inputs: list[str]) -> str:
    """What import finds among documents one of which has a wrong shape, as far as it can tell (for the message)."""
    try:
        classes = ingress.alb_classes(docs)
        params = {doc.name: doc for doc in docs if doc.kind == "IngressClassParams"}
        edges = _edges(docs, classes, params, lbc_gateway.classes(docs), wanted, inputs)
        edge = edges[0] if edges else None
        kind = _controller(docs, edge, controllers.importers())
    except Exception:  # the wrong shape stops the search too: say nothing rather than a guess
        return ""
    return _found_words(edge.describe() if edge is not None else None, kind)


def _found(r: Reading, edge: Edge | None, kind: str) -> str:
    """What an error says import did find: the load balancer (its model, once read), and the controller behind it."""
    model = load_balancers.MODELS.get(r.model)
    if edge is None:
        return _found_words(None, kind)
    return _found_words(f"{model.article} ({edge.describe()})" if model else edge.describe(), kind)


def _found_words(lb: str | None, kind: str) -> str:
    """"found: ..." of every refusal: the load balancer and what is behind it (the application, or a controller)."""
    if lb is None:
        return f"controller {kind}, no load balancer"
    behind = "the application (controller none)" if kind == "none" else f"controller {kind}"
    return f"{lb} in front of {behind}"


def _backends(docs: list[Document], albs: list[Document]) -> list[Document]:
    out = []
    for alb in albs:
        names = {((p.get("backend") or {}).get("service") or {}).get("name")
                 for rule in alb.spec.get("rules") or [] for p in ((rule or {}).get("http") or {}).get("paths") or []}
        names.add(((alb.spec.get("defaultBackend") or {}).get("service") or {}).get("name"))
        out += [doc for doc in docs if doc.kind == "Service" and doc.name in names and doc.namespace == alb.namespace]
    return out


def _targets(edge: Document, lb_read: Any, ports: dict[Any, str], docs: list[Document], kind: str,
             ctl: ControllerRead | None, r: Reading) -> dict[int, str]:
    """Service port index (for an Ingress: 0) -> the controller port kind the listener lands on."""
    application = ctl is not None and ctl.application

    def resolve_port(value: Any, doc: Document, *path: Any) -> str:
        if value in ports:
            return ports[value]
        if isinstance(value, str) and value.isdigit() and int(value) in ports:
            return ports[int(value)]
        if application:
            return "http"  # the application's own port (it has none that only redirects): what the LB sends
        if isinstance(value, str) and value in PORT_NAMES:
            return PORT_NAMES[value]
        known = ", ".join(f"{k} {v}" for k, v in ports.items())
        raise doc.fail(f"{value!r} is none of {kind}'s ports ({known})", *path)

    if edge.kind == "Service":
        return {i: resolve_port(target, edge, "spec", "ports", i, "targetPort") for i, _, _, target in lb_read.ports}
    if edge.kind == "Gateway":  # through the Service its routes forward to; a listener that redirects: the same
        backend = lb_read.backend
        if backend is None:  # the routes' Service is not among the inputs: the application's port
            out = {i: "http" for i, _, _, target in lb_read.ports if target is not None}
        else:
            out = {i: resolve_port(target, backend, "spec", "ports", lb_read.port_index[i], "targetPort")
                   for i, _, _, target in lb_read.ports if target is not None}
        forwarded = next(iter(out.values()), "http")
        return {i: out.get(i, forwarded) for i, _, _, _ in lb_read.ports}
    name, port = lb_read.backend
    if application:  # the ALB's target group speaks its backend protocol to the application
        return {0: "https" if lb_read.backend_protocol == "HTTPS" else "http"}
    backend = next((doc for doc in _backends(docs, [edge]) if doc.name == name), None)
    if backend is None:
        target = "https" if lb_read.backend_protocol == "HTTPS" else "http"
        return {0: target}
    for i, item in enumerate(backend.spec.get("ports") or []):
        if port in (item.get("port"), item.get("name")):
            target = resolve_port(item.get("targetPort", item.get("port")), backend, "spec", "ports", i,
                                  "targetPort")
            if (target == "https") != (lb_read.backend_protocol == "HTTPS"):
                raise edge.fail(f"backend-protocol {lb_read.backend_protocol} but the backend port lands on the "
                                f"controller's {target} port: they conflict", "metadata", "annotations",
                                ingress.PREFIX + "backend-protocol")
            return {0: target}
    raise edge.fail(f"the backend port {port!r} is not a port of {backend.describe()}", "spec", "rules")


def _cleartext_into_tls(listeners: list[dict[str, Any]], edge: Document, r: Reading) -> None:
    """A listener that ends TLS at the load balancer sends cleartext on (a TCP target group); landing on a port that
    expects TLS, nothing works over it as written. The topology models no such listener: it is imported as landing
    on the cleartext port the rest of the configuration implies, and the mismatch is said."""
    for item in listeners:
        if item["protocol"] in ("TLS", "SSL", "HTTPS") and item["target"] == "https":
            item["target"] = "http"
            r.warn(f"{edge.describe()}: listener {item['port']} ends TLS at the load balancer and sends cleartext to "
                   "a port that expects TLS, so HTTPS fails there as written; imported as landing on the cleartext "
                   "(http) port -- make the Service's targetPort the http port, or stop TLS at the load balancer")


def _backend_etp(docs: list[Document], edge: Document, lb_read: Any, r: Reading) -> str:
    backend = next((doc for doc in _backends(docs, [edge]) if doc.name == lb_read.backend[0]), None)
    if backend is None:
        r.warn(f"the ALB's backend Service {lb_read.backend[0]} is not among the inputs: externalTrafficPolicy "
               "Cluster (the Kubernetes default) is assumed")
        r.cite("kubernetes.external_traffic_policy", keys=("K8S-ETP",))
        return "Cluster"
    r.cite("kubernetes.external_traffic_policy", backend, "spec", "externalTrafficPolicy", keys=("K8S-ETP",))
    return str(backend.spec.get("externalTrafficPolicy", "Cluster"))


def _certificate_names(arns: list[str], acm: dict[str, str], hostnames: list[str], r: Reading) -> list[str]:
    """ACM ARNs -> certificate names, deliberately: the local target issues test certificates by name, and an ARN
    does not say which name it covers without asking AWS. ``--acm-cert NAME=ARN`` (as plan takes it) maps an ARN
    back; an ARN without one is taken to cover the i-th hostname (the last for the rest, then a wildcard over
    their domain), with a warning."""
    by_arn = {arn: name for name, arn in acm.items()}
    out: list[str] = []
    for i, arn in enumerate(arns):
        if arn in by_arn:
            name = by_arn[arn]
        else:
            if not ARN.match(arn):
                r.warn(f"{arn!r} does not look like an ACM certificate ARN")
            candidates = [h for h in hostnames if h not in out]
            domain = hostnames[0].split(".", 1)[1] if hostnames and "." in hostnames[0] else resolve.DOMAIN
            name = candidates[0] if candidates else f"*.{domain}"
            r.warn(f"certificate {arn} is taken to cover {name}; pass --acm-cert NAME={arn} to name it")
        if name not in out:
            out.append(name)
    return out


def _description(edge: Edge, ctl: ControllerRead, docs: list[Document]) -> str:
    mine = sorted({doc.describe() for doc in docs if doc.kind and doc is not edge.doc and doc.kind != "Secret"})
    shown = ", ".join(mine[:6]) + (f" and {len(mine) - 6} more" if len(mine) > 6 else "")
    behind = "; the application straight behind it (controller none)" if ctl.application else \
        f"; controller {ctl.kind}" + ("" if ctl.found else " (its configuration not among the inputs: documented "
                                                             "defaults)")
    return f"Imported from {edge.describe()} ({edge.doc.file.name})" + (f" with {shown}" if shown else "") + \
        behind + "."


def _name(text: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return slug.removeprefix("edgeconform-") or "imported"
