"""The ``edgeconform`` command.

    edgeconform list [--topology-file FILE] [--json]   the catalog with each topology's expectations
    edgeconform up NAME [--topology-file FILE]         build one topology locally, print one JSON line,
                                                       stay up until SIGINT/SIGTERM, then tear it down
    edgeconform report merge DIR... -o OUT             merge --report directories into one matrix (drift marked)
    edgeconform compare BEFORE [AFTER] [--report DIR] [--controller A [--controller B]] [-- PYTEST ARGS]
                                                       run every behaviour before and after a change of the edge,
                                                       report what changes; exit 1 when a behaviour regresses
    edgeconform import PATH... [-o FILE] [--name NAME]  manifests (files, folders) -> a topology file with each
    edgeconform import --kubeconfig FILE [-o FILE]     field's manifest line; or read-only from a cluster
    edgeconform manifests NAME [--controller C]        the Kubernetes objects a real cluster gets for NAME
    edgeconform plan --target eks --topology NAME      every object an eks run would create (edgeconform/eks/cli.py)
    edgeconform cleanup --target eks --kubeconfig FILE remove what an interrupted eks run left behind
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__, behaviours, catalog, controllers, findings, sources
from .binaries import MissingBinary
from .report.escaping import terminal as escape  # what the files say: text, never markup or control codes
from .supervisor import ProcessFailed
from .targets import TargetUnavailable
from .targets.eks import cli as eks_cli
from .targets.local.addresses import AddressBusy
from .untrusted import clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgeconform", description="Ingress edge conformance for Kubernetes on AWS")
    parser.add_argument("--version", action="version", version=f"edgeconform {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="the topology catalog with each topology's expectations")
    listing.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--controller", default=controllers.DEFAULT, choices=controllers.names(),
                         help="the controller that runs topologies whose block names none (default: envoy)")

    up = sub.add_parser("up", help="build one topology on the local target and keep it up until Ctrl-C/SIGTERM")
    up.add_argument("name", metavar="NAME")
    up.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    up.add_argument("--controller", default="envoy", choices=controllers.for_place("local"),
                    help="the ingress controller (default: envoy)")
    up.add_argument("--loopback", action="store_true",
                    help="build it on a loopback slot of this machine instead of a network namespace of its own, "
                         "so curl reaches it directly (NLB client-IP preservation then needs root)")

    report = sub.add_parser("report", help="conformance reports written by `pytest suites --report DIR`")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    merge = report_sub.add_parser("merge", help="merge reports (shards, or local and EKS runs) into one matrix; "
                                                "cells the runs disagree on are marked as drift")
    merge.add_argument("inputs", nargs="+", metavar="DIR", help="a --report directory, or its report.json")
    merge.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="directory for the merged report.json, report.md, report.html")
    merge.add_argument("--fail-on-drift", action="store_true", help="exit 1 when any cell drifts")
    comparing = sub.add_parser(
        "compare", help="build both edges locally, run every behaviour, report what changes (exit 1 on a regression)",
        description="Run every behaviour on the edge before and after a change (its controller, its load balancer, "
                    "or both) and report each cell that changes, with the setting responsible. Exit status: 0 no "
                    "regression, 1 a behaviour regressed, 2 unusable input.",
        epilog="pytest arguments go after --, e.g. edgeconform compare before.yaml after.yaml -- -m security -n 2")
    comparing.add_argument("before", metavar="BEFORE", help="a topology file, FILE:NAME, or a catalog topology name")
    comparing.add_argument("after", metavar="AFTER", nargs="?",
                           help="the same, after the change (omit it to run BEFORE under two --controller)")
    comparing.add_argument("--controller", action="append", default=[], metavar="NAME",
                           help="once: the controller of both sides; twice: before's, then after's (default: envoy, "
                                "or what a topology names in controller.kind)")
    comparing.add_argument("--report", metavar="DIR",
                           help="write migration.json, migration.md, migration.html and each side's report "
                                "(before/, after/) to DIR (default: shown on the terminal only)")
    importing = sub.add_parser(
        "import", help="Kubernetes manifests (or a cluster, read-only) -> a topology file (exit 2 on unusable input)",
        description="Read an edge's manifests (a Service of type LoadBalancer or an ALB Ingress, and the ingress "
                    "controller's own configuration) and write the topology they make, each field citing the "
                    "manifest line it came from; what was read but not understood is listed under imported:.")
    importing.add_argument("paths", nargs="*", metavar="PATH", help="YAML files or folders (Helm output too)")
    importing.add_argument("-o", "--output", metavar="FILE", help="the topology file to write (default: stdout)")
    importing.add_argument("--name", help="the topology's name (default: the load balancer object's)")
    importing.add_argument("--kubeconfig", metavar="FILE", help="read the edge from this cluster (read-only)")
    importing.add_argument("--context", help="the kubeconfig context (default: its current one)")
    importing.add_argument("--namespace", help="read this namespace only (default: every namespace)")
    importing.add_argument("--acm-cert", action="append", default=[], metavar="NAME=ARN",
                           help="the certificate name an ACM ARN stands for (as plan takes it); repeatable")
    importing.add_argument("--hostname", action="append", default=[], metavar="NAME",
                           help="the edge's hostnames, where the manifests name none; repeatable")
    shown = sub.add_parser("manifests", help="print the Kubernetes objects a real cluster (kind, EKS) gets for one "
                                             "topology: echo backend, controller resources (Secrets elided)")
    shown.add_argument("name", metavar="NAME")
    shown.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    shown.add_argument("--controller", default="emissary", choices=controllers.for_place("cluster"))
    shown.add_argument("--lb-address", default="172.18.0.100", metavar="IP",
                       help="the load balancer's address the controller trusts (on kind: the stand-in's)")
    eks_cli.add_commands(sub)

    argv = sys.argv[1:] if argv is None else list(argv)
    passthrough: list[str] = []
    if argv and argv[0] == "compare" and "--" in argv:  # what follows -- is the suites' pytest arguments
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    if args.command in eks_cli.COMMANDS:
        return eks_cli.run(args)
    try:
        if args.command == "list":
            return cmd_list(args)
        if args.command == "report":
            return cmd_report_merge(args)
        if args.command == "compare":
            return cmd_compare(args, passthrough)
        if args.command == "import":
            return cmd_import(args)
        if args.command == "manifests":
            from .kube.show import cmd_manifests
            return cmd_manifests(_load(args.topology_file), args.name, args.controller, args.lb_address)
        return cmd_up(args)
    except catalog.TopologyError as exc:
        print(f"edgeconform: {_lines(exc)}", file=sys.stderr)
        return 2


def _load(files: list[str]) -> dict:
    return catalog.load(files)


def cmd_list(args: argparse.Namespace) -> int:
    topologies = {name: t.with_controller(args.controller) for name, t in _load(args.topology_file).items()}
    if args.json:
        out = []
        for t in topologies.values():
            out.append({
                "name": t.name, "description": t.description, "origin": t.origin,
                "topology": t.model_dump(exclude={"origin"}),
                "derived": {"layer": t.layer, "tls_terminates_at": t.tls_terminates_at,
                            "preserves_client_ip": t.preserves_client_ip, "node_snat": t.node_snat},
                "expectations": [{"behaviour": str(e.behaviour), "variant": e.variant, "outcome": e.outcome,
                                  "summary": e.summary, "reason": e.reason, "sources": list(e.sources)}
                                 for e in behaviours.for_topology(t)],
                "findings": [{"code": f.code, "kind": f.kind, "message": f.message, "sources": list(f.sources)}
                             for f in findings.findings(t)],
                "unverified": dict(t.lb.unverified),
            })
        print(json.dumps(out, indent=2))
        return 0
    console = Console(highlight=False)
    style = {"works": "green", "limited": "yellow", "n/a": "dim"}
    for t in topologies.values():
        console.print(f"[bold]{escape(t.name)}[/]  [dim]{escape(t.origin)}[/]")
        console.print(escape(_edge_words(t)), style="cyan")
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for e in behaviours.for_topology(t):
            text = e.summary if e.outcome == "works" else e.reason
            cites = sources.cite(e.sources)
            table.add_row(escape(f"  {e.cell}"), f"[{style[e.outcome]}]{e.outcome}[/]", f"{escape(text)} [dim]{escape(cites)}[/]")
        for finding in findings.findings(t):
            colour, label = ("red", "finding") if finding.kind == "mistake" else ("yellow", "note")
            table.add_row(f"  [{colour}]{label}[/]", f"[{colour}]{finding.code}[/]",
                          f"{escape(finding.message)} [dim]{escape(sources.cite(finding.sources))}[/]")
        for claim, rests_on in t.lb.unverified.items():
            table.add_row("  [yellow]claim[/]", "[yellow]UNVERIFIED[/]", escape(f"{claim}: {rests_on}"))
        console.print(table)
        console.print()
    return 0


def _edge_words(t) -> str:
    listeners = ", ".join(f"{item.port}/{item.protocol}->{item.target}" for item in t.lb.listeners)
    parts = [f"  {t.lb.model.upper()} {listeners}", f"TLS at {t.tls_terminates_at or '-'}"]
    if t.lb.proxy_protocol:
        parts.append(f"PROXY {t.lb.proxy_protocol}")
    if t.xff_mode:
        parts.append(f"XFF {t.xff_mode}")
    if t.lb_model.preserves_client_ip_attribute:
        parts.append(f"{t.lb.target_type} targets, preservation {'on' if t.preserves_client_ip else 'off'}")
    parts.append(f"eTP {t.kubernetes.external_traffic_policy}")
    ctl = t.controller
    lb_line = " · ".join(parts)
    return (f"{lb_line}\n  controller: PROXY {'expected' if ctl.proxy_protocol else 'not expected'}, "
            f"{ctl.trusted_hops} trusted hop(s), cleartext {ctl.cleartext} ({ctl.redirect_code})")


def cmd_up(args: argparse.Namespace) -> int:
    from .targets.local import LocalTarget

    topologies = _load(args.topology_file)
    if args.name not in topologies:
        print(f"edgeconform: unknown topology {args.name!r}; known: {', '.join(topologies)}", file=sys.stderr)
        return 2
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    # Block the stop signals while building, so a Ctrl-C during start-up still tears everything down.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        edge = LocalTarget(args.controller, isolation="loopback" if args.loopback else None, standby=False).build(
            topologies[args.name])
    except (AddressBusy, MissingBinary, ProcessFailed, TargetUnavailable) as exc:
        print(f"edgeconform: cannot build {args.name}: {exc}", file=sys.stderr)
        return 1
    try:
        print(edge.to_json(), flush=True)
        received = signal.sigwait(stop_signals)
        print(f"edgeconform: {signal.Signals(received).name} received, tearing down {args.name}", file=sys.stderr)
    finally:
        edge.close()
    return 0


def cmd_report_merge(args: argparse.Namespace) -> int:
    from . import report
    from .report.collect import render
    from .report.merge import merge

    try:
        reports = [report.load(path) for path in args.inputs]
    except report.ReportError as exc:
        print(f"edgeconform: {_lines(exc)}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        print(f"edgeconform: -o {out}: is a file; give a directory (it is created if missing)", file=sys.stderr)
        return 2
    merged = merge(reports)
    written = report.write(merged, out)
    console = Console(highlight=False)
    print(render(merged, width=console.width, color=console.is_terminal), end="")
    for warning in merged.warnings:
        print(f"warning: {clean(warning)}", file=sys.stderr)
    print(f"edgeconform report: {', '.join(str(p) for p in written)}")
    return 1 if args.fail_on_drift and merged.drift() else 0


def cmd_compare(args: argparse.Namespace, pytest_args: list[str]) -> int:
    import shutil
    import tempfile

    from . import compare

    out = Path(args.report) if args.report else None
    if out is not None and out.exists() and not out.is_dir():
        print(f"edgeconform: --report {out}: is a file; give a directory (it is created if missing)", file=sys.stderr)
        return 2
    work = out or Path(tempfile.mkdtemp(prefix="edgeconform-compare-"))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a cancelled job stops both runs, which tear down
    try:
        migration = compare.compare(args.before, args.after, args.controller, work, pytest_args)
        written = compare.write(migration, out) if out is not None else []
    except compare.CompareError as exc:
        print(f"edgeconform compare: {_lines(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edgeconform compare: interrupted; both runs were stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if out is None:
            shutil.rmtree(work, ignore_errors=True)
    console = Console(highlight=False)
    print(compare.render(migration, width=console.width, color=console.is_terminal), end="")
    if written:
        print(f"edgeconform compare: {', '.join(str(p) for p in written)}")
    return 1 if migration.regressed else 0


def cmd_import(args: argparse.Namespace) -> int:
    from . import importing
    from .importing import cluster

    def fail(message: str) -> int:
        print(f"edgeconform import: {_lines(message)}", file=sys.stderr)
        return 2

    acm: dict[str, str] = {}
    for item in args.acm_cert:
        name, sep, arn = item.partition("=")
        if not sep or not name or not arn:
            return fail(f"--acm-cert {item!r}: give NAME=ARN")
        acm[name] = arn
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
                                              hostnames=args.hostname)
        else:
            result = importing.from_paths(args.paths, output=output, name=args.name, acm_certs=acm,
                                          hostnames=args.hostname)
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


def _lines(message: object) -> str:
    """An error's message as it is printed: each of its lines (one per problem) safe on a terminal."""
    return "\n".join(clean(line) for line in str(message).splitlines())


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
