"""The ``edgeconform`` command: one module per command (edgeconform.cli.command says where they come from).

    edgeconform list [--topology-file FILE] [--json]   the catalog with each topology's expectations
    edgeconform up NAME [--topology-file FILE]         build one topology locally, print one JSON line,
                                                       stay up until SIGINT/SIGTERM, then tear it down (local target)
    edgeconform report merge DIR... -o OUT             merge --report directories into one matrix (drift marked)
    edgeconform compare BEFORE [AFTER] [--report DIR] [--controller A [--controller B]] [-- PYTEST ARGS]
                                                       run every behaviour before and after a change of the edge,
                                                       report what changes; exit 1 when a behaviour regresses
    edgeconform import PATH... [-o FILE] [--name NAME]  manifests (files, folders) -> a topology file with each
    edgeconform import --kubeconfig FILE [-o FILE]     field's manifest line; or read-only from a cluster
    edgeconform manifests NAME [--controller C]        the Kubernetes objects a real cluster gets for NAME
    edgeconform plan --target eks --topology NAME      every object an eks run would create (eks target)
    edgeconform cleanup --target eks --kubeconfig FILE remove what an interrupted eks run left behind (eks target)
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from .command import Command, registry

__all__ = ["Command", "main"]


def main(argv: list[str] | None = None) -> int:
    from .. import catalog
    from ..untrusted import clean_lines

    commands = registry()
    parser = argparse.ArgumentParser(prog="edgeconform", description="Ingress edge conformance for Kubernetes on AWS")
    parser.add_argument("--version", action="version", version=f"edgeconform {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in commands.values():
        command.arguments(sub.add_parser(command.name, help=command.help, description=command.description,
                                         epilog=command.epilog))

    argv = sys.argv[1:] if argv is None else list(argv)
    passthrough: list[str] = []
    if argv and argv[0] in commands and commands[argv[0]].passthrough and "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    args.passthrough = passthrough
    try:
        return commands[args.command].run(args)
    except catalog.TopologyError as exc:
        print(f"edgeconform: {clean_lines(exc)}", file=sys.stderr)
        return 2
