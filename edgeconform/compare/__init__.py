"""``edgeconform compare``: run every behaviour before and after a change of the edge, and report what changes.

    migration = compare("before.yaml", "after.yaml", controllers=[], directory=Path("migration"))
    migration.regressed      # True: some cell regressed (the CLI exits 1)

1. sides.plan: what each side runs (topology files, FILE:NAME, catalog names; one or two controllers) and how
   the topologies pair up; any mistake is one CompareError before anything is built;
2. run.run: both sides at once, each a pytest run of the suites with --report DIR/before, DIR/after (so each side
   also has its report.md/html and conformance-report.yaml);
3. the change model (edgeconform.report.changes, which ``report merge`` reads drift from) compares each pair's
   cells: verdicts and facts; advice.hints names the settings responsible in each side's vocabulary;
4. the migration report: DIR/migration.json (schema: edgeconform/report/migration.schema.json), migration.md,
   migration.html (edgeconform.report.migration, .markdown, .html).

The ``import`` command (manifests -> topology file) writes the topology files this reads; see docs/migration.md for
what it must produce.
"""

from __future__ import annotations

import io
from pathlib import Path

from .. import __version__
from .. import behaviours as registry
from ..report import migration as model
from ..report.changes import changes as cell_changes
from ..report.model import Report, Source, iso, order_behaviours
from ..report.scale import RANK
from ..report.text import explanation, plain_expectation
from ..sources import ALL_KEYS
from . import advice, run, sides
from .sides import CompareError, Plan

__all__ = ["CompareError", "FILES", "Unchanged", "compare", "render", "write"]

FILES = ("migration.json", "migration.md", "migration.html")
LIKELY = " — likely: "  # how a failure's diagnosis names its likely cause (edgeconform.report.collect.summary)


class Unchanged:
    """Nothing changes at the edge: both sides amount to the same topologies, so nothing was run."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def sentence(self) -> str:
        return (f"nothing changes at the edge: {self.plan.before.spec.text} and {self.plan.after.spec.text} amount to "
                f"the same {'topology' if len(self.plan.pairs) == 1 else 'topologies'} "
                f"({', '.join(p.name for p in self.plan.pairs)}; only where each setting was read differs, if "
                "anything), under the same controller: nothing to run, no regression")

    def markdown(self) -> str:
        from ..report.escaping import md

        return f"# edgeconform migration report\n\n**no change at the edge**: {md(self.sentence())}\n"


def compare(before: str, after: str | None, controllers: list[str], directory: Path,
            pytest_args: list[str] | None = None, *, progress=None) -> model.MigrationReport | Unchanged:
    """Plan, run both sides into ``directory``, and build the migration report (not yet written); Unchanged, with
    nothing run, when both sides amount to the same edge."""
    directory = Path(directory).resolve()
    plan = sides.plan(before, after, controllers, directory)
    if plan.unchanged:
        return Unchanged(plan)
    outcomes = run.run([plan.before, plan.after], directory, list(pytest_args or []), progress=progress)
    return build(plan, *outcomes, directory=directory)


def build(plan: Plan, before: run.SideRun, after: run.SideRun, directory: Path) -> model.MigrationReport:
    """The migration report of two finished runs of ``plan``."""
    relabelled = []
    for pair in plan.pairs:
        relabelled += [r.model_copy(update={"topology": pair.name, "run": "before"})
                       for r in before.report.results if r.topology == pair.before]
        relabelled += [r.model_copy(update={"topology": pair.name, "run": "after"})
                       for r in after.report.results if r.topology == pair.after]
    behaviours = order_behaviours([*before.report.behaviours, *after.report.behaviours], list(registry.NAMES))
    matrix = cell_changes(relabelled, order=["before", "after"])
    rows = {pair.name: i for i, pair in enumerate(plan.pairs)}
    columns = {b: i for i, b in enumerate(behaviours)}
    matrix.sort(key=lambda c: (rows[c.row], columns.get(c.behaviour, len(columns)), c.variant))
    pairs = {pair.name: pair for pair in plan.pairs}
    changed = []
    for change in matrix:
        if change.kind == "same":
            continue
        pair = pairs[change.row]
        old, new = plan.before.topologies[pair.before], plan.after.topologies[pair.after]
        changed.append(model.CellChange(
            **change.model_dump(), summary=_summary(change),
            explanations={label: _explain(report, topology, change)
                          for label, report, topology in (("before", before.report, pair.before),
                                                          ("after", after.report, pair.after))},
            hints=[model.Hint(field=h.field, before=h.before, after=h.after, text=h.text, finding=h.finding,
                              sources=[Source(key=k, url=ALL_KEYS.get(k)) for k in h.sources])
                   for h in advice.hints(change.behaviour, change.variant, old, new)]))
    changed.sort(key=lambda c: model.KIND_ORDER.index(c.kind))  # stable: matrix order within a kind
    summary = {kind: sum(1 for c in matrix if c.kind == kind) for kind in model.KIND_ORDER}
    return model.MigrationReport(
        generated_at=iso(), harness_version=__version__, shape=plan.shape, regressed=summary["regression"] > 0,
        summary=summary, behaviours=behaviours, changes=changed, matrix=matrix,
        pairs=[model.Pair(name=p.name, before=p.before, after=p.after,
                          settings=_setting_diffs(plan.before.topologies[p.before], plan.after.topologies[p.after]))
               for p in plan.pairs],
        before=_side(before, directory), after=_side(after, directory))


def write(migration: model.MigrationReport | Unchanged, directory: Path) -> list[Path]:
    """DIR/migration.json, migration.md, migration.html (nothing ran: migration.md alone, saying so)."""
    from ..report import html, markdown

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(migration, Unchanged):
        (directory / "migration.md").write_text(migration.markdown(), encoding="utf-8")
        return [directory / "migration.md"]
    texts = {"migration.json": migration.model_dump_json(indent=2) + "\n",
             "migration.md": markdown.render_migration(migration),
             "migration.html": html.render_migration(migration)}
    written = []
    for name in FILES:
        (directory / name).write_text(texts[name], encoding="utf-8")
        written.append(directory / name)
    return written


def _side(outcome: run.SideRun, directory: Path) -> model.SideRecord:
    side, report = outcome.side, outcome.report
    directory = Path(directory).resolve()
    ran = report.runs[0]
    return model.SideRecord(label=side.label, spec=side.spec.text, controller=side.controller,
                            controllers=ran.controllers or ([ran.controller] if ran.controller else []),
                            topology_files=side.files, directory=str(outcome.directory.relative_to(directory)),
                            exit_status=outcome.exit_status, imported=side.imported, report=report)


def _setting_diffs(before, after) -> list[model.SettingDiff]:
    old, new = advice.settings(before), advice.settings(after)
    diffs = [model.SettingDiff(field=f, before=old[f], after=new[f]) for f in old if old[f] != new.get(f)]
    if before.controller.kind != after.controller.kind:
        diffs.insert(0, model.SettingDiff(field="controller.kind", before=before.controller.kind,
                                          after=after.controller.kind))
    return diffs


def _summary(change) -> str:
    moved = [fact for fact in change.facts if fact.effect != "info"]
    verdicts = change.verdicts()
    return verdicts + (f"; {moved[0].sentence()}" if moved else "")


def _explain(report: Report, topology: str, change) -> str:
    """The run's words for the cell: what it documents when it passed, else its limitation or failure."""
    found = [r for r in report.results if r.topology == topology and r.behaviour == change.behaviour
             and r.variant == change.variant]
    if not found:
        return "not measured"
    r = max(found, key=lambda r: RANK.get(r.verdict, 0))
    if r.verdict == "pass":
        return plain_expectation(r) or "pass"
    return explanation(r) or (r.message.splitlines()[0] if r.message else r.verdict)


def render(migration: model.MigrationReport, width: int = 120, color: bool = False) -> str:
    """The terminal view: every change (regressions first) with its settings responsible, then the matrix."""
    from rich.console import Console
    from rich.table import Table

    from ..report.escaping import terminal as escape  # names and values from the topology files: text, not markup

    console = Console(file=io.StringIO(), width=width, color_system="standard" if color else None,
                      force_terminal=color)
    style = {"regression": "bold red", "change": "magenta", "improvement": "green"}
    likely: dict[str, None] = {}
    for change in migration.changes:
        console.print(f"[{style[change.kind]}]{change.kind.upper()}[/] {escape(change.row)} · {escape(change.cell)}: "
                      f"{escape(change.summary)}", highlight=False, soft_wrap=True)
        seen, _, cause = change.explanations.get("after", "").partition(LIKELY)
        if change.kind != "improvement" and seen:
            console.print(f"  after: {escape(seen)}", highlight=False, soft_wrap=True)
        if cause and change.kind == "regression":
            likely[cause] = None
    # One line per setting responsible, with the cells it explains: a mistake that breaks every cell is said once.
    responsible: dict[str, list[str]] = {}
    for change in migration.changes:
        for hint in change.hints if change.kind != "improvement" else ():
            cites = "".join(f"[{s.key}]" for s in hint.sources)
            responsible.setdefault(f"{hint.text} {cites}".strip(), []).append(change.cell)
    counted = [c for c in migration.changes if c.kind != "improvement"]
    for text, cells in responsible.items():
        which = (f"all {len(cells)} changes" if len(cells) == len(counted) > 1
                 else ", ".join(dict.fromkeys(cells)))
        console.print(f"[bold]responsible[/] for {escape(which)}: {escape(text)}", highlight=False, soft_wrap=True)
    for cause in likely:
        console.print(f"[bold]likely[/]: {escape(cause)}", highlight=False, soft_wrap=True)
    table = Table(caption=escape(f"before: {migration.before.spec} ({_ran(migration.before)}) · after: "
                                 f"{migration.after.spec} ({_ran(migration.after)})"), caption_justify="left")
    table.add_column("before -> after", no_wrap=True)
    for behaviour in migration.behaviours:
        table.add_column(escape(behaviour))
    for pair in migration.pairs:
        row = [escape(pair.name)]
        for behaviour in migration.behaviours:
            cells = migration.cells(pair.name, behaviour)
            worst = next((k for k in model.KIND_ORDER if any(c.kind == k for c in cells)), "same")
            text = migration.cell_text(pair, behaviour)
            row.append(f"[{style[worst]}]{escape(text)}[/]" if worst in style else escape(text))
        table.add_row(*row)
    console.print(table)
    counts = ", ".join(f"{n} {kind}{'s' if n != 1 and kind != 'same' else ''}"
                       for kind, n in migration.summary.items())
    console.print(f"edgeconform compare: {counts}", highlight=False)
    return console.file.getvalue()


def _ran(side: model.SideRecord) -> str:
    return ", ".join(f"{c.name} {c.version or ''}".strip() for c in side.controllers) or side.controller
