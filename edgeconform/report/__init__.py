"""Conformance reports: the run record (model), its JSON form and schema, Markdown, HTML, a Gateway API-style
ConformanceReport, merging runs, and what changed between runs (changes: merge's drift, compare's changes).

    write(report, DIR)   DIR/report.json, DIR/report.md, DIR/report.html, and for one run
                         DIR/conformance-report.yaml (edgeconform.report.conformance)
    load(PATH)           a report.json (or a directory holding one) back into a Report
"""

from __future__ import annotations

from pathlib import Path

from .jsonfile import ReportError, load, to_json
from .model import Report

FILES = ("report.json", "report.md", "report.html")

__all__ = ["FILES", "Report", "ReportError", "load", "to_json", "write"]


def write(report: Report, directory: Path) -> list[Path]:
    """Write the three renderings of one report into ``directory`` (created if missing), and for the report of one
    run its Gateway API-style ConformanceReport (one per controller)."""
    from . import conformance, html, markdown

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    texts = {"report.json": to_json(report), "report.md": markdown.render(report), "report.html": html.render(report)}
    written = []
    for name in FILES:
        path = directory / name
        path.write_text(texts[name], encoding="utf-8")
        written.append(path)
    if len(report.runs) == 1:
        written += conformance.write(report, directory)
    return written
