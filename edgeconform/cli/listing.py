"""``edgeconform list``: the topology catalog with each topology's expectations, findings and unverified claims
(the module is not named list.py: a submodule becomes a name of its package, and would hide the builtin there)."""

from __future__ import annotations

import argparse
import json

from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    from .. import controllers

    parser.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--controller", default=controllers.DEFAULT, choices=controllers.names(),
                        help="the controller that runs topologies whose block names none (default: envoy)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from ..report.escaping import terminal as escape  # what the files say: text, never markup or control codes
    from rich.table import Table

    from .. import behaviours, catalog, controllers, findings, sources

    topologies = {name: controllers.bind(t, args.controller) for name, t in catalog.load(args.topology_file).items()}
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
        console.print("\n".join(escape(line) for line in edge_words(t).splitlines()), style="cyan")
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


def edge_words(t) -> str:
    """The edge in two lines: the load balancer's listeners and settings, then the controller's trust settings."""
    listeners = ", ".join(f"{item.port}/{item.protocol}->{item.target}" for item in t.lb.listeners)
    from ..controllers import semantics_of

    app = semantics_of(t).straight_to_app
    at = "application" if app and t.tls_terminates_at == "controller" else t.tls_terminates_at
    parts = [f"  {t.lb.model.upper()} {listeners}", f"TLS at {at or '-'}"]
    if t.lb.proxy_protocol:
        parts.append(f"PROXY {t.lb.proxy_protocol}")
    if t.xff_mode:
        parts.append(f"XFF {t.xff_mode}")
    if t.lb_model.preserves_client_ip_attribute:
        parts.append(f"{t.lb.target_type} targets, preservation {'on' if t.preserves_client_ip else 'off'}")
    parts.append(f"eTP {t.kubernetes.external_traffic_policy}")
    ctl = t.controller
    lb_line = " · ".join(parts)
    if app:
        return f"{lb_line}\n  controller: none, the load balancer's targets are the application (what arrives is reported)"
    return (f"{lb_line}\n  controller: PROXY {'expected' if ctl.proxy_protocol else 'not expected'}, "
            f"{ctl.trusted_hops} trusted hop(s), cleartext {ctl.cleartext} ({ctl.redirect_code})")


COMMAND = Command("list", "the topology catalog with each topology's expectations", arguments, run)
