"""``edgeconform import PATH...`` (or ``--kubeconfig FILE``, read-only): an edge's manifests -> a topology file with
each field's manifest line (edgeconform.importing). Exit status 2 on unusable input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import _inputs as inputs
from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    inputs.arguments(parser, several_edges=False)
    parser.add_argument("-o", "--output", metavar="FILE", help="the topology file to write (default: stdout)")
    parser.add_argument("--name", help="the topology's name (default: the load balancer object's)")


def run(args: argparse.Namespace) -> int:
    from .. import findings, importing
    from ..importing import cluster
    from ..untrusted import clean, clean_lines

    def fail(message: str) -> int:
        print(f"edgeconform import: {clean_lines(message)}", file=sys.stderr)
        return 2

    try:
        given = inputs.read(args)
    except inputs.InputError as exc:
        return fail(str(exc))
    acm, fills = given.acm_certs, given.fills
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        return fail(f"-o {output}: is a folder; give the topology file to write")
    try:
        if args.kubeconfig:
            snapshot = (output.with_suffix(".manifests.yaml") if output is not None
                        else Path("edgeconform-import.manifests.yaml"))
            docs = cluster.read(args.kubeconfig, snapshot, context=args.context, namespace=args.namespace)
            print(f"edgeconform import: the objects read from the cluster are in {snapshot}", file=sys.stderr)
            result = importing.from_documents(docs, [str(snapshot)], output=output, name=args.name, acm_certs=acm,
                                              hostnames=args.hostname, edge=args.edge)
        else:
            result = importing.from_paths(args.paths, output=output, name=args.name, acm_certs=acm,
                                          hostnames=args.hostname, edge=args.edge, fills=fills)
    except importing.ImportFailed as exc:
        return fail(str(exc))
    text = importing.render(result)
    for finding in findings.findings(result.topology):  # what the settings imply, before anything runs
        label = "finding" if finding.kind == "mistake" else "note"
        print(f"{label}: {clean(finding)}", file=sys.stderr)
    for warning in result.record["warnings"]:
        print(f"warning: {clean(warning)}", file=sys.stderr)
    if result.record["not_understood"]:
        print(f"edgeconform import: {len(result.record['not_understood'])} key(s) read but not understood: listed "
              "under imported.not_understood", file=sys.stderr)
    if output is None:
        print(text, end="")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"edgeconform import: wrote topology {result.name} to {output}", file=sys.stderr)
    return 0


COMMAND = Command(
    "import", "Kubernetes manifests (or a cluster, read-only) -> a topology file (exit 2 on unusable input)",
    arguments, run,
    description="Read an edge's manifests (a Service of type LoadBalancer or an ALB Ingress, and the ingress "
                "controller's own configuration) and write the topology they make, each field citing the manifest "
                "line it came from; what was read but not understood is listed under imported:. Helm values files, "
                "Kustomize folders and Terraform are read too (docs/import.md); template placeholders are named "
                "with their file and line, and --set KEY=VALUE fills them.")
