"""``edgeconform report merge DIR... -o OUT``: reports of several runs (shards, or local and EKS) as one matrix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="report_command", required=True)
    merge = sub.add_parser("merge", help="merge reports (shards, or local and EKS runs) into one matrix; cells the "
                                         "runs disagree on are marked as drift")
    merge.add_argument("inputs", nargs="+", metavar="DIR", help="a --report directory, or its report.json")
    merge.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="directory for the merged report.json, report.md, report.html")
    merge.add_argument("--fail-on-drift", action="store_true", help="exit 1 when any cell drifts")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .. import report
    from ..report.collect import render
    from ..report.merge import merge
    from ..untrusted import clean, clean_lines

    try:
        reports = [report.load(path) for path in args.inputs]
    except report.ReportError as exc:
        print(f"edgeconform: {clean_lines(exc)}", file=sys.stderr)
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


COMMAND = Command("report", "conformance reports written by `pytest suites --report DIR`", arguments, run)
