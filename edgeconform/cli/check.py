"""``edgeconform check PATH...``: import a team's manifests, run every behaviour and the security suite on the local
target with the controller they name, print the matrix and each failure in the words of their files
(edgeconform.check). Exit status: 0 every cell as documented, 1 a cell failed, 2 unusable input or an edge that
cannot be built here."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..interrupts import interrupting
from . import _inputs as inputs
from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    inputs.arguments(parser, several_edges=True)
    parser.add_argument("--report", metavar="DIR",
                        help="write report.json, report.md, report.html, junit.xml and the imported topology "
                             "(edge.yaml) to DIR (default: shown on the terminal only)")


def run(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from rich.console import Console

    from .. import check
    from ..check import render
    from ..untrusted import clean, clean_lines

    def fail(message: str) -> int:
        print(f"edgeconform check: {clean_lines(message)}", file=sys.stderr)
        return 2

    try:
        given = inputs.read(args)
    except inputs.InputError as exc:
        return fail(str(exc))
    out = Path(args.report) if args.report else None
    if out is not None and out.exists() and not out.is_dir():
        return fail(f"--report {out}: is a file; give a directory (it is created if missing)")
    work = out or Path(tempfile.mkdtemp(prefix="edgeconform-check-"))
    made = out is not None and not out.exists()

    def say(line: str) -> None:
        print(f"edgeconform check: {clean(line)}", file=sys.stderr, flush=True)

    try:
        with interrupting(signal.SIGTERM):  # a cancelled job stops the run, which tears down
            prepared = check.prepare(args.paths, work, edges=args.edge, fills=given.fills,
                                     kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace,
                                     acm_certs=given.acm_certs, hostnames=args.hostname)
            for imported in prepared.imported:
                t = prepared.topologies[imported.name]
                say(f"{imported.name}: {t.lb_title} in front of {t.controller.kind or 'envoy'}, imported from "
                    f"{', '.join(prepared.inputs)}")
                for warning in imported.record["warnings"]:
                    print(f"warning: {clean(warning)}", file=sys.stderr)
            checked = check.check(prepared, work, args.passthrough, progress=say)
    except check.CheckError as exc:
        if made:
            shutil.rmtree(work, ignore_errors=True)
        return fail(str(exc))
    except KeyboardInterrupt:
        print("edgeconform check: interrupted; the run was stopped", file=sys.stderr)
        return 130
    finally:
        if out is None:
            shutil.rmtree(work, ignore_errors=True)
    console = Console(highlight=False)
    print(render.render(checked.report, width=min(console.width, render.WIDTH), color=console.is_terminal), end="")
    if out is not None:
        print(f"edgeconform check: report in {out}/ (report.md, report.html, report.json, junit.xml; the imported "
              f"topology: {out}/{check.TOPOLOGY_FILE})")
    return 1 if checked.failed else 0


COMMAND = Command(
    "check", "import your manifests, run every behaviour on this machine, say each failure in your files' words "
             "(exit 1 on a failure)",
    arguments, run, passthrough=True,
    description="Import an edge from your manifests (files, folders, Helm values, Kustomize, Terraform, or a cluster "
                "read-only), build it on this machine with the controller they name, run every behaviour and the "
                "security suite, and print the matrix and each failure with the annotation, ConfigMap key or CRD "
                "field responsible and its file:line. Exit status: 0 every cell as documented, 1 a cell failed, 2 "
                "unusable input or an edge that cannot be built here.",
    epilog="pytest arguments go after --, e.g. edgeconform check k8s/edge/ -- -m 'not websocket'")
