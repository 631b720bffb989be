"""``edgeconform compare BEFORE [AFTER]``: every behaviour on the edge before and after a change, and what changed
(edgeconform.compare). Exit status: 0 no regression, 1 a behaviour regressed, 2 unusable input."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ..interrupts import interrupting
from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", metavar="BEFORE",
                        help="a topology file, FILE:NAME, a catalog topology name, a folder or file of manifests "
                             "(imported), or REV:PATH: a git revision of one (origin/main:deploy/edge, read as data)")
    parser.add_argument("after", metavar="AFTER", nargs="?",
                        help="the same, after the change (omit it to run BEFORE under two --controller)")
    parser.add_argument("--controller", action="append", default=[], metavar="NAME",
                        help="once: the controller of both sides; twice: before's, then after's (default: envoy, "
                             "or what a topology names in controller.kind)")
    parser.add_argument("--report", metavar="DIR",
                        help="write migration.json, migration.md, migration.html and each side's report "
                             "(before/, after/) to DIR (default: shown on the terminal only)")


def run(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from rich.console import Console

    from .. import compare
    from ..untrusted import clean, clean_lines

    def say(line: str) -> None:
        print(f"edgeconform compare: {clean(line)}", file=sys.stderr, flush=True)

    out = Path(args.report) if args.report else None
    if out is not None and out.exists() and not out.is_dir():
        print(f"edgeconform: --report {out}: is a file; give a directory (it is created if missing)", file=sys.stderr)
        return 2
    work = out or Path(tempfile.mkdtemp(prefix="edgeconform-compare-"))
    try:
        with interrupting(signal.SIGTERM):  # a cancelled job stops both runs, which tear down
            migration = compare.compare(args.before, args.after, args.controller, work, args.passthrough, progress=say)
            written = compare.write(migration, out) if out is not None else []
    except compare.CompareError as exc:
        print(f"edgeconform compare: {clean_lines(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edgeconform compare: interrupted; both runs were stopped", file=sys.stderr)
        return 130
    finally:
        if out is None:
            shutil.rmtree(work, ignore_errors=True)
    if isinstance(migration, compare.Unchanged):
        print(f"edgeconform compare: {clean(migration.sentence())}")
        if written:
            print(f"edgeconform compare: {', '.join(str(p) for p in written)}")
        return 0
    console = Console(highlight=False)
    print(compare.render(migration, width=console.width, color=console.is_terminal), end="")
    if written:
        print(f"edgeconform compare: {', '.join(str(p) for p in written)}")
    return 1 if migration.regressed else 0


COMMAND = Command(
    "compare", "build both edges locally, run every behaviour, report what changes (exit 1 on a regression)",
    arguments, run, passthrough=True,
    description="Run every behaviour on the edge before and after a change (its controller, its load balancer, or "
                "both) and report each cell that changes, with the setting responsible. Exit status: 0 no regression, "
                "1 a behaviour regressed, 2 unusable input.",
    epilog="pytest arguments go after --, e.g. edgeconform compare before.yaml after.yaml -- -m security -n 2")
