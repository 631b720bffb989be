"""The local target's command: ``edgeconform up NAME`` builds one topology, prints one JSON line (its endpoints, CA,
roles and the ``enter`` prefix that reaches it), stays up until SIGINT/SIGTERM, then tears it down."""

from __future__ import annotations

import argparse
import signal
import sys

from ...cli.command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    from ... import controllers

    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    parser.add_argument("--controller", default="envoy", choices=controllers.for_place("local"),
                        help="the ingress controller (default: envoy)")
    parser.add_argument("--loopback", action="store_true",
                        help="build it on a loopback slot of this machine instead of a network namespace of its own, "
                             "so curl reaches it directly (NLB client-IP preservation then needs root)")


def run(args: argparse.Namespace) -> int:
    from ... import catalog
    from ...binaries import MissingBinary
    from ...supervisor import ProcessFailed
    from ..base import TargetUnavailable
    from . import LocalTarget
    from .addresses import AddressBusy

    topologies = catalog.load(args.topology_file)
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


COMMANDS = (Command("up", "build one topology on the local target and keep it up until Ctrl-C/SIGTERM", arguments,
                    run),)
