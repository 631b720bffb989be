"""``edgeconform import PATH...`` (or ``--kubeconfig FILE``, read-only): an edge's manifests -> a topology file with
each field's manifest line (edgeconform.importing). Exit status 2 on unusable input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="YAML files or folders (Helm output too), Helm values files, Kustomize folders, Terraform "
                             "(.tf) files or modules, templates")
    parser.add_argument("-o", "--output", metavar="FILE", help="the topology file to write (default: stdout)")
    parser.add_argument("--name", help="the topology's name (default: the load balancer object's)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="read the edge from this cluster (read-only)")
    parser.add_argument("--context", help="the kubeconfig context (default: its current one)")
    parser.add_argument("--namespace", help="read this namespace only (default: every namespace)")
    parser.add_argument("--acm-cert", action="append", default=[], metavar="NAME=ARN",
                        help="the certificate name an ACM ARN stands for (as plan takes it); repeatable")
    parser.add_argument("--hostname", action="append", default=[], metavar="NAME",
                        help="the edge's hostnames, where the manifests name none; repeatable")
    parser.add_argument("--edge", metavar="'KIND NS/NAME'",
                        help="the load balancer to import where the inputs hold several (a whole cluster's objects): "
                             "its Service, Ingress or Gateway, e.g. 'Service ingress-nginx/ingress-nginx-controller'")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="fills",
                        help="fill a template placeholder of the inputs: KEY is its name ({{ .Cluster }}: .Cluster, "
                             "${cert_arn}: cert_arn, $INBOUND_CIDRS: INBOUND_CIDRS, var.x for Terraform's) or its "
                             "whole text (XXX.XXX.XXX/XX); repeatable")


def run(args: argparse.Namespace) -> int:
    from .. import findings, importing
    from ..importing import cluster
    from ..untrusted import clean, clean_lines

    def fail(message: str) -> int:
        print(f"edgeconform import: {clean_lines(message)}", file=sys.stderr)
        return 2

    acm: dict[str, str] = {}
    for item in args.acm_cert:
        name, sep, arn = item.partition("=")
        if not sep or not name or not arn:
            return fail(f"--acm-cert {item!r}: give NAME=ARN")
        acm[name] = arn
    fills: dict[str, str] = {}
    for item in args.fills:
        key, sep, value = item.partition("=")
        if not sep or not key:
            return fail(f"--set {item!r}: give KEY=VALUE (KEY: a placeholder's name, e.g. INBOUND_CIDRS)")
        fills[key] = value
    if fills and args.kubeconfig:
        return fail("--set fills the placeholders of files: a cluster's objects have none")
    if bool(args.paths) == bool(args.kubeconfig):
        return fail("give manifest files or folders, or --kubeconfig FILE (not both)")
    if (args.context or args.namespace) and not args.kubeconfig:
        return fail("--context and --namespace read a cluster: give --kubeconfig too")
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
