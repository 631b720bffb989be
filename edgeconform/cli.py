"""The ``edgeconform`` command.

    edgeconform list [--topology-file FILE] [--json]   the catalog with each topology's expectations
    edgeconform up NAME [--topology-file FILE]         build one topology locally, print one JSON line,
                                                       stay up until SIGINT/SIGTERM, then tear it down
    edgeconform report merge DIR... -o OUT             merge --report directories into one matrix (drift marked)
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
from rich.markup import escape
from rich.table import Table

from . import __version__, behaviours, catalog, controllers, findings, sources
from .binaries import MissingBinary
from .supervisor import ProcessFailed
from .targets import TargetUnavailable
from .targets.eks import cli as eks_cli
from .targets.local.addresses import AddressBusy


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
    shown = sub.add_parser("manifests", help="print the Kubernetes objects a real cluster (kind, EKS) gets for one "
                                             "topology: echo backend, controller resources (Secrets elided)")
    shown.add_argument("name", metavar="NAME")
    shown.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    shown.add_argument("--controller", default="emissary", choices=controllers.for_place("cluster"))
    shown.add_argument("--lb-address", default="172.18.0.100", metavar="IP",
                       help="the load balancer's address the controller trusts (on kind: the stand-in's)")
    eks_cli.add_commands(sub)

    args = parser.parse_args(argv)
    if args.command in eks_cli.COMMANDS:
        return eks_cli.run(args)
    try:
        if args.command == "list":
            return cmd_list(args)
        if args.command == "report":
            return cmd_report_merge(args)
        if args.command == "manifests":
            from .kube.show import cmd_manifests
            return cmd_manifests(_load(args.topology_file), args.name, args.controller, args.lb_address)
        return cmd_up(args)
    except catalog.TopologyError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
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
                "findings": [{"code": f.code, "message": f.message, "sources": list(f.sources)}
                             for f in findings.findings(t)],
            })
        print(json.dumps(out, indent=2))
        return 0
    console = Console(highlight=False)
    style = {"works": "green", "limited": "yellow", "n/a": "dim"}
    for t in topologies.values():
        console.print(f"[bold]{t.name}[/]  [dim]{escape(t.origin)}[/]")
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
            table.add_row("  [red]finding[/]", f"[red]{finding.code}[/]", escape(finding.message))
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
        print(f"edgeconform: {exc}", file=sys.stderr)
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
        print(f"warning: {warning}", file=sys.stderr)
    print(f"edgeconform report: {', '.join(str(p) for p in written)}")
    return 1 if args.fail_on_drift and merged.drift() else 0


if __name__ == "__main__":
    sys.exit(main())
