"""report.md: the matrix as a Markdown table, then a short explanation per limited or failed cell.

Meant to be pasted into a design review or a pull request's summary: the table answers "what does this edge do",
the notes say why a cell is limited (with its sources) or what a failure saw and what is likely misconfigured.
Everything quoted from the inputs is shown as text, never as Markdown (edgeconform.report.escaping).
"""

from __future__ import annotations

from .escaping import md, md_code, md_source, md_spans
from .model import Report, Run
from .text import Note, cell_name, notes, source_links


def render(report: Report) -> str:
    lines = ["# edgeconform conformance report", ""]
    for run in report.runs:
        lines.append(f"- {_run_line(run)}")
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
            lines.append(f"- **{md(cell.topology)} · {md(cell.behaviour)}**: "
                         + ", ".join(f"{md(target)} says {verdict}" for target, verdict in cell.by_target.items()))
        lines.append("")
    found = notes(report)
    if found:
        lines += ["## Limited and failed cells", ""]
        lines += [_note(report, note) for note in found]
        lines.append("")
    if report.warnings:
        lines += ["## Warnings", ""] + [f"- {md(w, start=True)}" for w in report.warnings] + [""]
    return "\n".join(lines)


def _table(report: Report) -> list[str]:
    header = ["topology", *(md(b) for b in report.behaviours)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for t in report.topologies:
        row = [md_code(t.name, table=True)]
        for behaviour in report.behaviours:
            cell = report.cell(t.name, behaviour)
            if cell is None:
                row.append("-")
                continue
            text = md(cell.text)
            if cell.verdict in ("fail", "error"):
                text = f"**{text}**"
            row.append(text + (" ≠" if cell.drift else ""))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _note(report: Report, note: Note) -> str:
    r = note.result
    on = f" on {', '.join(md(t) for t in note.targets)}" if len(report.targets) > 1 else ""
    links = source_links(r, md_source)
    return f"- **{md(r.topology)} · {md(cell_name(r))}**{on}: {r.verdict}: {md(note.text)}" + \
        (f" (sources: {links})" if links else "") + "".join(f"\n  - {item}" for item in inputs(r))


def inputs(r) -> list[str]:
    """A failure in the words of the user's files (edgeconform check): each line where it is, then the fixes."""
    if r.inputs is None:
        return []
    out = []
    for line in r.inputs.lines:
        where = md_code(f"{line.file}:{line.line}") if line.file else "not in your files"
        out.append(f"{where} {md_code(line.text)}" + (f" ({md(line.says)})" if line.says else ""))
    return out + [f"fix: {md_spans(fix)}" for fix in r.inputs.fixes]


def _run_line(run: Run) -> str:
    controller = "controller unknown"
    if run.controller:
        version = f" {md(run.controller.version)}" if run.controller.version else ""
        controller = f"controller {md(run.controller.name)}{version}"
    return (f"target **{md(run.target)}** · {controller} · edgeconform {md(run.harness_version)} · started "
            f"{md(run.started_at)} · {run.seconds:.1f} s" + (f" · run {md_code(run.id)}" if run.id != run.target
                                                               else ""))


def render_migration(migration) -> str:
    """migration.md, as a pull request's summary shows it: the verdict, a table of the changes (regressions first,
    each with its first setting responsible), then the details folded in <details>: every change with what the after
    run saw and every setting responsible, the two matrices side by side (each cell before -> after); the settings
    that differ, and both runs."""
    lines = ["# edgeconform migration report", ""]
    counts = migration.summary
    verdict = (f"**{counts['regression']} regression(s)**: compare exits 1" if migration.regressed
               else "**no regression**")
    lines += [f"{verdict} · {counts['change']} change(s) · {counts['improvement']} improvement(s) · "
              f"{counts['same']} cell(s) the same", ""]
    for side in (migration.before, migration.after):
        ran = ", ".join(f"{c.name} {c.version or ''}".strip() for c in side.controllers) or side.controller
        lines.append(f"- {side.label}: {md_code(side.spec)} · controller {md(ran)} · report: "
                     f"[{md(side.directory)}/report.md]({side.directory}/report.md)")  # its own folder's name
    lines.append("")
    if migration.changes:  # the table of changes first (what a reviewer reads), the details below, folded
        lines += ["| | pair | cell | before -> after | responsible |", "|---|---|---|---|---|"]
        for change in migration.changes:
            first = change.hints[0].text if change.hints else ""
            kind = f"**{change.kind}**" if change.kind == "regression" else change.kind
            lines.append(f"| {kind} | {md_code(change.row, table=True)} | {md(change.cell)} | {md(change.verdicts())} "
                         f"| {md_spans(first).replace('|', chr(92) + '|') if first else '-'} |")
        lines.append("")
    titles = {"regression": "Regressions", "change": "Changes", "improvement": "Improvements"}
    for kind, title in titles.items():
        found = migration.of_kind(kind)
        if not found:
            continue
        lines += [f"## {title}", "", f"<details><summary>{len(found)} {kind}(s): what the after run saw, the settings "
                                     "responsible</summary>", ""]
        for change in found:
            lines.append(f"- **{md(change.row)} · {md(change.cell)}**: {md(change.summary)}")
            after = change.explanations.get("after", "")
            if kind != "improvement" and after:
                lines.append(f"  - after: {md(after)}")
            for hint in change.hints:
                links = ", ".join(md_source(s.key) for s in hint.sources)
                lines.append(f"  - responsible: {md_spans(hint.text)}" + (f" (sources: {links})" if links else ""))
        lines += ["", "</details>", ""]
    lines += ["## The two matrices (before -> after)", "", "<details><summary>every cell of both runs</summary>", ""]
    header = ["before -> after", *(md(b) for b in migration.behaviours)]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for pair in migration.pairs:
        row = [md_code(pair.name, table=True)]
        for behaviour in migration.behaviours:
            cells = migration.cells(pair.name, behaviour)
            text = md(migration.cell_text(pair, behaviour))
            row.append(f"**{text}**" if any(c.kind == "regression" for c in cells) else text)
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "A cell shows one verdict when both runs agree, `before -> after` where they differ; bold: a "
                  "regression.", "", "</details>", ""]
    differing = [(pair, s) for pair in migration.pairs for s in pair.settings]
    if differing:
        lines += ["## Settings that differ", "", "| pair | setting | before | after |", "|---|---|---|---|"]
        lines += [f"| {md_code(pair.name, table=True)} | {md_code(s.field, table=True)} | {md(_value(s.before))} "
                  f"| {md(_value(s.after))} |" for pair, s in differing]
        lines.append("")
    for side in (migration.before, migration.after):
        if side.imported and side.imported.not_understood:
            lines += [f"## Read but not understood ({side.label})", ""]
            lines += [f"- {md_code(n.file + (f':{n.line}' if n.line else ''))} {md(n.object)}: {md_code(n.key)}"
                      for n in side.imported.not_understood]
            lines.append("")
    return "\n".join(lines)


def _value(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
