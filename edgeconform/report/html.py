"""report.html: one self-contained page (inline CSS and script, nothing fetched) with the colour-coded matrix.
Everything it shows from its inputs is escaped (Jinja's autoescape; a source links to the address this version knows
for its key, never to one a report carries; ids of plain characters: edgeconform.report.escaping).

Each cell is a link to its detail section (observation, expectation, sources). CSS ``:target`` shows the
section the address names, so the page works from disk even without JavaScript; a few lines of inline script
show a clicked cell's section in place, without jumping away from the matrix.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jinja2

from . import escaping
from .model import Report
from .text import cell_name, notes, plain_expectation

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(cell_name=cell_name, plain_expectation=plain_expectation, notes=notes, cell_id=cell_id,
                       topology_id=topology_id, change_id=change_id, change_kind=change_kind)
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=False)
    env.globals["source_url"] = escaping.source_url  # a source's address as this version knows it, never a report's
    return env


def cell_id(topology: str, behaviour: str) -> str:
    return escaping.html_id("cell", topology, behaviour)  # names from a report: the page's script selects by id


def topology_id(topology: str) -> str:
    return escaping.html_id("topology", topology)


def change_id(row: str, behaviour: str) -> str:
    return "change-" + re.sub(r"[^A-Za-z0-9_-]+", "-", f"{row}--{behaviour}")


def change_kind(cells) -> str:
    """The kind a matrix cell of a comparison shows: its worst change (regression first)."""
    from .migration import KIND_ORDER

    return next((kind for kind in KIND_ORDER if any(c.kind == kind for c in cells)), "same")


def render(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(report=report)


def render_migration(migration) -> str:
    """migration.html: compare's page, self-contained like report.html."""
    return _environment().get_template("migration.html.j2").render(m=migration)
