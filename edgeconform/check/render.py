"""check's terminal view: the matrix (a row per behaviour, a column per edge: it fits 100 columns), then each
failure once with every cell it breaks, its diagnosis, the lines of the user's files it rests on, and the fix."""

from __future__ import annotations

import io

from ..report.escaping import terminal as escape  # names and lines from the user's files: text, not markup
from ..report.model import Report, Result
from ..report.text import cell_name, explanation

WIDTH = 100
LIKELY = " — likely: "  # how a failure's diagnosis names its likely cause (edgeconform.report.collect)
STYLE = {"pass": "green", "limited": "yellow", "fail": "bold red", "error": "bold red", "skip": "dim", "n/a": "dim"}


def render(report: Report, width: int = WIDTH, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False)
    ran = ", ".join(f"{c.name} {c.version or ''}".strip() for run in report.runs for c in run.controllers)
    table = Table()
    table.add_column("behaviour", no_wrap=True)
    for t in report.topologies:
        table.add_column(escape(t.name), overflow="fold")
    for behaviour in report.behaviours:
        row = [escape(behaviour)]
        for t in report.topologies:
            cell = report.cell(t.name, behaviour)
            row.append("-" if cell is None else f"[{STYLE.get(cell.verdict, '')}]{escape(cell.text)}[/]")
        table.add_row(*row)
    console.print(table)
    console.print(escape(f"target: local ({ran})" if ran else "target: local"))
    for kind, results in (("FAIL", [r for r in report.results if r.verdict == "fail"]),
                          ("ERROR", [r for r in report.results if r.verdict == "error"])):
        for topology, likely, group in _grouped(results):
            cells = ", ".join(cell_name(r) for r in group)
            many = f"{len(group)} cells: " if len(group) > 1 else ""
            console.print(f"[bold red]{kind}[/] {escape(topology)} · {many}{escape(cells)}", soft_wrap=True)
            for r in group:
                seen = explanation(r).partition(LIKELY)[0]
                console.print(f"  {escape(cell_name(r))}: {escape(seen)}", soft_wrap=True)
            if likely:
                console.print(f"  [bold]likely[/]: {escape(likely)}", soft_wrap=True)
            inputs = group[0].inputs
            if inputs is not None and inputs.lines:
                console.print("  in your files:")
                for line in inputs.lines:
                    where = f"{line.file}:{line.line}" if line.file else "not set:"
                    says = f"  ({line.says})" if line.says else ""
                    console.print(f"    {escape(where)}  {escape(line.text)}[dim]{escape(says)}[/]", soft_wrap=True)
            for fix in inputs.fixes if inputs is not None else ():
                console.print(f"  fix: {escape(fix)}", soft_wrap=True)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items())
    console.print(f"edgeconform check: {len(report.topologies)} edge(s), {len(report.results)} results: {counts}")
    return console.file.getvalue()


def _grouped(results: list[Result]) -> list[tuple[str, str, list[Result]]]:
    """Failures of one edge with the same diagnosis and the same lines: said once (a PROXY mismatch breaks every
    cell the same way)."""
    out: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        lines = r.inputs.model_dump_json() if r.inputs is not None else ""
        out.setdefault((r.topology, explanation(r).partition(LIKELY)[2], lines), []).append(r)
    return [(topology, text, group) for (topology, text, _), group in out.items()]
