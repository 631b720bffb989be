"""Manifests -> one topology entry: find the edge's load balancer and controller, read both, resolve where each
listener lands, and check the result with the catalog's own loader (so what import writes, --topology-file
reads). The load balancer's readers are this package's; each controller's is its package's importer
(edgeconform.controllers.importers())."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import catalog, controllers
from ..topology import Topology
from . import ingress, lbc_gateway, service
from .common import PORT_NAMES, ControllerRead, EdgeInputs, Importer
from .documents import Document, ImportFailed
from .reading import Reading

ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/(?P<id>[0-9A-Za-z-]+)$")


@dataclass
class Imported:
    """One import: the topology entry as written, its ``imported:`` record, and the checked topology."""

    name: str
    entry: dict[str, Any]
    record: dict[str, Any]
    topology: Topology
    inputs: list[str] = field(default_factory=list)


def topology(docs: list[Document], base: Path, *, inputs: list[str], name: str | None = None,
             acm_certs: dict[str, str] | None = None, hostnames: list[str] | None = None,
             origin: str | None = None) -> Imported:
    """``base``: the folder the topology file goes to (manifest references are relative to it); ``acm_certs``:
    certificate name -> ACM ARN, read backwards; ``hostnames``: used when the manifests name none."""
    r = Reading(base)
    classes = ingress.alb_classes(docs)
    params = {doc.name: doc for doc in docs if doc.kind == "IngressClassParams"}
    services = [doc for doc in docs if service.is_load_balancer(doc)]
    albs = [doc for doc in docs if ingress.is_alb(doc, classes)]
    gateway_classes = lbc_gateway.classes(docs)
    gateways = [doc for doc in docs if lbc_gateway.is_lbc_gateway(doc, gateway_classes)]
    importers = controllers.importers()
    kind = _controller(docs, [*services, *lbc_gateway.backends(docs, gateways)], albs, importers)
    importer = importers[kind]
    context = EdgeInputs(albs)

    # the controller's configuration first where it builds the load balancer's Service (Envoy Gateway)
    ctl: ControllerRead | None = importer.read(docs, r, context) if importer.builds_load_balancer else None
    if ctl is not None and ctl.load_balancer is not None and not services:
        services = [ctl.load_balancer]
    edges = [*services, *albs, *gateways]
    if not edges:
        raise ImportFailed("no load balancer among the inputs: give the Service of type LoadBalancer (NLB, Classic "
                           "ELB), the ALB Ingress, or Envoy Gateway's EnvoyProxy",
                           file=", ".join(inputs))
    if len(edges) > 1:
        raise edges[1].fail(f"a second load balancer (the first: {edges[0].describe()} in {edges[0].file}): import "
                            "one edge at a time")
    edge = edges[0]
    if edge.kind == "Service":
        lb_read = service.read(edge, r)
    elif edge.kind == "Gateway":
        lb_read = lbc_gateway.read(edge, docs, r, gateway_classes)
    else:
        lb_read = ingress.read(edge, r, classes, params)
    if edge.kind in ("Ingress", "Gateway"):
        r.hostnames += [h for h in lb_read.hostnames if h not in r.hostnames]

    if ctl is None:
        context.reached = lambda ports: set(_targets(edge, lb_read, ports, docs, kind).values())
        ctl = importer.read(docs, r, context)
    targets = _targets(edge, lb_read, ctl.ports, docs, kind)

    lb: dict[str, Any] = {"model": "alb" if edge.kind == "Ingress" else lb_read.model}
    if edge.kind in ("Service", "Gateway"):
        lb["listeners"] = [{"port": port, "protocol": protocol, "target": targets[i],
                            **({"idle_timeout": lb_read.idle_timeouts[port]} if port in lb_read.idle_timeouts else {})}
                           for i, port, protocol, _ in lb_read.ports]
        etp = lb_read.etp
    else:
        lb["listeners"] = [{"port": port, "protocol": protocol, "target": targets[0]}
                           for port, protocol in lb_read.listeners]
        etp = _backend_etp(docs, edge, lb_read, r)
    for host in ctl.hostnames:
        if host not in r.hostnames:
            r.hostnames.append(host)
    names = list(dict.fromkeys(r.hostnames))  # an ALB Ingress and the controller's routes name the same hosts
    if not names and hostnames:
        names = list(hostnames)
        r.warn(f"the manifests name no hostname: {', '.join(names)} as given (--hostname)")
    if lb_read.arns:
        lb["certificates"] = _certificate_names(lb_read.arns, acm_certs or {}, names, r)
    if not names:
        named = [c for c in [*lb.get("certificates", []), *ctl.certificates] if not c.startswith("*")]
        if not named:
            raise ImportFailed("the manifests name no hostname (no Ingress rule host, HTTPRoute hostname, Host or "
                               "certificate): give them with --hostname", obj=edge.describe(), file=str(edge.file))
        names = list(dict.fromkeys(named))
        r.warn(f"no route names a hostname: the certificates' names are taken ({', '.join(names)})")
    lb.update(lb_read.lb)

    block: dict[str, Any] = {"kind": ctl.kind}
    settled = importer.settle(ctl, lb, r)  # the listeners are known: the controller's reader has its say
    if settled is not None:
        block.update(settled)
    elif ctl.settings is not None and controllers.controller_class(ctl.kind).settings_model is not None:
        block["settings"] = ctl.settings
    else:
        block.update(ctl.abstract)
    if not ctl.certificates and any(item["target"] == "https" for item in lb["listeners"]):
        # TLS reaches the controller, whose certificates are not among the inputs: one per hostname, so that the
        # topology (which needs them) can be built and the SNI cells say what that would look like
        ctl.certificates = list(names)
        r.warn(f"TLS reaches {ctl.kind} but no certificate of it is among the inputs: one per hostname assumed "
               f"({', '.join(names)}); give its TLS Secrets (or the objects naming them) to read them")
    if ctl.certificates:
        block["certificates"] = ctl.certificates
    r.use(*_backends(docs, albs))
    for doc in docs:  # whole objects no reader looked at: listed, not dropped
        if id(doc) not in r.used:
            r.unknown(doc, "(object)", doc.kind or "YAML document")
    entry = {"description": _description(edge, ctl, docs), "hostnames": names, "load_balancer": lb,
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
        raise ImportFailed(f"the manifests make a topology edgeconform cannot use: {exc}",
                           obj=edge.describe(), file=str(edge.file)) from None
    return Imported(topology_name, entry, record, checked, list(inputs))


def _controller(docs: list[Document], services: list[Document], albs: list[Document],
                importers: dict[str, Importer]) -> str:
    """Which controller runs the edge: its own objects among the inputs, else the one the Service selects."""
    configured = [kind for kind, importer in importers.items() if importer.evidence(docs)]
    selecting = [doc for doc in services] + _backends(docs, albs)
    selected = None
    for doc in selecting:
        labels = doc.spec.get("selector") or {}
        chosen = next((kind for kind, importer in importers.items() if importer.selects(labels)), None)
        if chosen is not None:
            selected = (chosen, doc)
    if len(configured) > 1:
        first, second = (importers[kind].evidence(docs)[0] for kind in configured[:2])
        raise second.fail(f"{configured[1]}'s configuration, and {configured[0]}'s too ({first.describe()} in "
                          f"{first.file}): objects of two controllers among the inputs; import one controller's "
                          "edge at a time")
    if configured:
        if selected and selected[0] != configured[0]:
            raise selected[1].fail(f"selects {selected[0]}'s pods, but the controller objects among the inputs are "
                                   f"{configured[0]}'s: they conflict", "spec", "selector")
        return configured[0]
    if selected:
        return selected[0]
    where = selecting[0] if selecting else None
    supported = ", ".join(importers)
    if where is not None:
        raise where.fail(f"selects no controller edgeconform imports (supported: {supported}), and no such "
                         "controller's configuration is among the inputs", "spec", "selector")
    raise ImportFailed(f"no controller among the inputs (supported: {supported})")


def _backends(docs: list[Document], albs: list[Document]) -> list[Document]:
    out = []
    for alb in albs:
        names = {((p.get("backend") or {}).get("service") or {}).get("name")
                 for rule in alb.spec.get("rules") or [] for p in ((rule or {}).get("http") or {}).get("paths") or []}
        names.add(((alb.spec.get("defaultBackend") or {}).get("service") or {}).get("name"))
        out += [doc for doc in docs if doc.kind == "Service" and doc.name in names and doc.namespace == alb.namespace]
    return out


def _targets(edge: Document, lb_read: Any, ports: dict[Any, str], docs: list[Document], kind: str) -> dict[int, str]:
    """Service port index (for an Ingress: 0) -> the controller port kind the listener lands on."""
    def resolve(value: Any, doc: Document, *path: Any) -> str:
        if value in ports:
            return ports[value]
        if isinstance(value, str) and value.isdigit() and int(value) in ports:
            return ports[int(value)]
        if isinstance(value, str) and value in PORT_NAMES:
            return PORT_NAMES[value]
        known = ", ".join(f"{k} {v}" for k, v in ports.items())
        raise doc.fail(f"{value!r} is none of {kind}'s ports ({known})", *path)

    if edge.kind == "Service":
        return {i: resolve(target, edge, "spec", "ports", i, "targetPort") for i, _, _, target in lb_read.ports}
    if edge.kind == "Gateway":  # through the Service its routes forward to; a listener that redirects: the same
        backend = lb_read.backend
        out = {i: resolve(target, backend, "spec", "ports", lb_read.port_index[i], "targetPort")
               for i, _, _, target in lb_read.ports if target is not None}
        forwarded = next(iter(out.values()), "http")
        return {i: out.get(i, forwarded) for i, _, _, _ in lb_read.ports}
    name, port = lb_read.backend
    backend = next((doc for doc in _backends(docs, [edge]) if doc.name == name), None)
    if backend is None:
        target = "https" if lb_read.backend_protocol == "HTTPS" else "http"
        return {0: target}
    for i, item in enumerate(backend.spec.get("ports") or []):
        if port in (item.get("port"), item.get("name")):
            target = resolve(item.get("targetPort", item.get("port")), backend, "spec", "ports", i, "targetPort")
            if (target == "https") != (lb_read.backend_protocol == "HTTPS"):
                raise edge.fail(f"backend-protocol {lb_read.backend_protocol} but the backend port lands on the "
                                f"controller's {target} port: they conflict", "metadata", "annotations",
                                ingress.PREFIX + "backend-protocol")
            return {0: target}
    raise edge.fail(f"the backend port {port!r} is not a port of {backend.describe()}", "spec", "rules")


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
            domain = hostnames[0].split(".", 1)[1] if hostnames and "." in hostnames[0] else "example.test"
            name = candidates[0] if candidates else f"*.{domain}"
            r.warn(f"certificate {arn} is taken to cover {name}; pass --acm-cert NAME={arn} to name it")
        if name not in out:
            out.append(name)
    return out


def _description(edge: Document, ctl: ControllerRead, docs: list[Document]) -> str:
    mine = sorted({doc.describe() for doc in docs if doc.kind and doc is not edge and doc.kind != "Secret"})
    shown = ", ".join(mine[:6]) + (f" and {len(mine) - 6} more" if len(mine) > 6 else "")
    return (f"Imported from {edge.describe()} ({edge.file.name})"
            + (f" with {shown}" if shown else "") + f"; controller {ctl.kind}"
            + ("" if ctl.found else " (its configuration not among the inputs: documented defaults)") + ".")


def _name(text: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return slug.removeprefix("edgeconform-") or "imported"
