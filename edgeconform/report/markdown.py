"""report.md: the matrix as a Markdown table, then a short explanation per limited or failed cell.

Meant to be pasted into a design review: the table answers "what does this edge do", the notes say why a cell
is limited (with its sources) or what a failure saw and what is likely misconfigured.
"""

from __future__ import annotations

from .model import Report
from .text import Note, cell_name, notes, run_line, source_links


def render(report: Report) -> str:
    lines = ["# edgeconform conformance report", ""]
    for run in report.runs:
        lines.append(f"- {run_line(run)}")
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items())
    lines += [f"- {len(report.results)} results: {counts}", ""]
    lines += _table(report)
    lines += ["", "pass: works as documented · limited: the documented limitation was observed · "
                  "fail: the observation contradicts the expectation · error: the edge or the test broke · "
                  "skip: not measurable on this target · n/a: nothing to measure"
                  + (" · ≠: the runs disagree (drift)" if report.drift() else ""), ""]
    drift = report.drift()
    if drift:
        lines += ["## Drift: cells the runs disagree on", ""]
        for cell in drift:
            lines.append(f"- **{cell.topology} · {cell.behaviour}**: "
                         + ", ".join(f"{target} says {verdict}" for target, verdict in cell.by_target.items()))
        lines.append("")
    found = notes(report)
    if found:
        lines += ["## Limited and failed cells", ""]
        lines += [_note(report, note) for note in found]
        lines.append("")
    if report.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report.warnings] + [""]
    return "\n".join(lines)


def _table(report: Report) -> list[str]:
    header = ["topology", *report.behaviours]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for t in report.topologies:
        row = [f"`{t.name}`"]
        for behaviour in report.behaviours:
            cell = report.cell(t.name, behaviour)
            if cell is None:
                row.append("-")
                continue
            text = _escape(cell.text)
            if cell.verdict in ("fail", "error"):
                text = f"**{text}**"
            row.append(text + (" ≠" if cell.drift else ""))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _note(report: Report, note: Note) -> str:
    r = note.result
    on = f" on {', '.join(note.targets)}" if len(report.targets) > 1 else ""
    links = source_links(r, lambda key, url: f"[{key}]({url})" if url else key)
    return f"- **{r.topology} · {cell_name(r)}**{on}: {r.verdict}: {_escape(note.text)}" + \
        (f" (sources: {links})" if links else "")


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
