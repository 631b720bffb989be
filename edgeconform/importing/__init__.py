"""``edgeconform import``: Kubernetes manifests (files, folders, or a cluster read through a kubeconfig) -> a topology
file in the catalog's format, each field citing the manifest line it came from.

    documents   YAML files and folders -> documents with the line of every key
    resolve     what a person would resolve: an object given twice (the later wins), a made-up hostname
    creators    which component creates the load balancer (the LBC, the in-tree provider, Auto Mode) and its
                defaults; the LBC's own configuration when its Deployment is among the inputs
    service     a Service of type LoadBalancer -> an NLB or Classic ELB (AWS annotations)
    ingress     an ALB Ingress (+ IngressClass, IngressClassParams; an IngressGroup's Ingresses) -> an ALB
    lbc_gateway the AWS Load Balancer Controller's Gateway API (Gateway and its configuration) -> an NLB or ALB
    recognised  controllers import knows but edgeconform does not run: named in a one-line refusal
    common      what a controller's reader is (Importer) and returns (ControllerRead); each controller package has
                its own (edgeconform/controllers/<name>/importer.py): its objects -> its controller block, checked by
                its plug-in's settings model
    build       the two put together (the controller's reader asked through edgeconform.controllers.importers()) and
                checked by the catalog's loader
    cluster     the same kinds listed from a cluster (read-only), as documents

What the readers do not understand is listed in the file's ``imported:`` record, never dropped; documented
defaults assumed for a missing object are its warnings. Input import cannot use raises ImportFailed: one line
naming the file, the object and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .build import Imported, topology
from .documents import Document, ImportFailed, load

HEADER = """\
# Written by `edgeconform import` from Kubernetes manifests. Every field cites, under `sources:`, the manifest
# line it was read from (PATH:LINE, relative to this file) and the documentation it rests on; `imported:` lists
# what was read but not understood and the defaults assumed. Review it, then run it:
#   pytest suites --topology-file THIS_FILE
"""


def from_paths(paths: Iterable[str | Path], *, output: str | Path | None = None, name: str | None = None,
               acm_certs: dict[str, str] | None = None, hostnames: list[str] | None = None,
               edge: str | None = None) -> Imported:
    """Import the manifests in ``paths`` (files or folders); ``output``: where the topology file will be written
    (manifest references are relative to its folder; None: the current folder); ``edge``: which load balancer,
    where the inputs hold several ("Service ns/name")."""
    given = [str(p) for p in paths]
    docs = load(given)
    return from_documents(docs, given, output=output, name=name, acm_certs=acm_certs, hostnames=hostnames, edge=edge)


def from_documents(docs: list[Document], inputs: list[str], *, output: str | Path | None = None,
                   name: str | None = None, acm_certs: dict[str, str] | None = None,
                   hostnames: list[str] | None = None, edge: str | None = None) -> Imported:
    base = Path(output).resolve().parent if output else Path.cwd()
    origin = str(Path(output)) if output else None
    return topology(docs, base, inputs=inputs, name=name, acm_certs=acm_certs, hostnames=hostnames, origin=origin,
                    edge=edge)


def render(result: Imported) -> str:
    """The topology file: the entry, and the ``imported:`` record."""
    document: dict[str, Any] = {"version": 1, "topologies": {result.name: result.entry}, "imported": result.record}
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=True)


__all__ = ["Document", "ImportFailed", "Imported", "from_documents", "from_paths", "load", "render"]
