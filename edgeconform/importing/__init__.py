"""``edgeconform import``: Kubernetes manifests (files, folders, or a cluster read through a kubeconfig) -> a topology
file in the catalog's format, each field citing the manifest line it came from.

    documents   YAML files and folders -> documents with the line of every key
    formats     what is not plain manifests -> documents with lines in the user's files: Helm values (by their
                chart's shape, or helm template), Kustomize folders, Terraform, template placeholders (--set)
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

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from . import formats
from .formats.placeholders import drop
from .build import Imported, topology
from .documents import Document, ImportFailed

HEADER = """\
# Written by `edgeconform import` from Kubernetes manifests. Every field cites, under `sources:`, the manifest
# line it was read from (PATH:LINE, relative to this file) and the documentation it rests on; `imported:` lists
# what was read but not understood and the defaults assumed. Review it, then run it:
#   pytest suites --topology-file THIS_FILE
"""


def load(paths: Iterable[str | Path], *, fills: dict[str, str] | None = None) -> list[Document]:
    """The documents of ``paths``: manifests, and what edgeconform.importing.formats makes of values files, Kustomize
    folders, Terraform and templates (``fills``: --set KEY=VALUE for their placeholders)."""
    return formats.load(paths, fills=fills).documents


def from_paths(paths: Iterable[str | Path], *, output: str | Path | None = None, name: str | None = None,
               acm_certs: dict[str, str] | None = None, hostnames: list[str] | None = None,
               edge: str | None = None, fills: dict[str, str] | None = None) -> Imported:
    """Import the manifests in ``paths`` (files or folders, and the formats edgeconform.importing.formats reads);
    ``output``: where the topology file will be written (manifest references are relative to its folder; None: the
    current folder); ``edge``: which load balancer, where the inputs hold several ("Service ns/name"); ``fills``:
    values for template placeholders (--set KEY=VALUE).

    A placeholder left unfilled stays in its value; where a reader cannot use such a value (a CIDR written
    XXX.XXX.XXX/XX), the key is left out, as if not given, with a warning naming it, and the import goes on. A
    refusal names the placeholders the inputs hold."""
    given = [str(p) for p in paths]
    loaded = formats.load(given, fills=fills)
    left_out: list[str] = []
    refused: ImportFailed | None = None
    for _ in range(len(loaded.at) + 1):
        try:
            result = from_documents(loaded.documents, given, output=output, name=name, acm_certs=acm_certs,
                                    hostnames=hostnames, edge=edge)
            break
        except ImportFailed as exc:
            refused = exc
            spot = _unusable_placeholder(loaded, exc)
            if spot is None or not drop(spot[1], spot[2]):
                raise _with_placeholders(exc, loaded) from None
            item = spot[0]
            reason = (exc.message or str(exc)).splitlines()[0].rsplit(": ", 1)[-1]  # the problem, not what was found
            left_out.append(f"{item.file}:{item.line}: {item.where}: {item.value!r} is a placeholder import cannot "
                            f"use here ({reason}): left out, so its default applies; fill it with --set "
                            f"'{item.name}=VALUE'")
    else:  # every placeholder left out and still refused
        assert refused is not None
        raise _with_placeholders(refused, loaded) from None
    base = Path(output).resolve().parent if output else Path.cwd()
    record = result.record
    record["warnings"] = list(dict.fromkeys([*loaded.warnings, *left_out, *record["warnings"]]))
    record["not_understood"] = [*record["not_understood"], *(
        {**item, "file": Path(os.path.relpath(Path(item["file"]).resolve(), base.resolve())).as_posix(),
         "value": item["value"] if isinstance(item["value"], (str, int, float, bool)) or item["value"] is None
         else yaml.safe_dump(item["value"], default_flow_style=True, width=1000).strip()}
        for item in loaded.unused)]
    if loaded.renderings:
        record["rendered"] = loaded.renderings
    return result


def _unusable_placeholder(loaded: formats.Loaded, exc: ImportFailed):
    """The placeholder a refusal is about (the refusal names its file and line), if it is one."""
    if not exc.file or exc.line is None:
        return None
    for item, doc, path in loaded.at:
        if path and Path(item.file).resolve() == Path(exc.file).resolve() and item.line == exc.line:
            return item, doc, path
    return None


def _with_placeholders(exc: ImportFailed, loaded: formats.Loaded) -> ImportFailed:
    said = formats.summary(loaded)
    if not said:
        return exc
    out = ImportFailed(f"{exc}; {said}")
    out.file, out.obj, out.field, out.line = exc.file, exc.obj, exc.field, exc.line
    return out


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
