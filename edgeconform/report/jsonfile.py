"""report.json: writing a report, and reading one back with an error that names the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from .model import FORMAT, FORMAT_VERSION, Report


class ReportError(Exception):
    """A report that cannot be read; the message names the file, what is wrong and what to give instead."""


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


def load(path: str | Path) -> Report:
    """A report from ``path``: a report.json, or a directory written by ``pytest --report DIR``."""
    path = Path(path)
    file = path / "report.json" if path.is_dir() else path
    hint = "give a directory written by `pytest suites --report DIR`, or its report.json"
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = f"{path} has no report.json" if path.is_dir() else f"{path}: no such file"
        raise ReportError(f"{where}: {hint}") from None
    except OSError as exc:
        raise ReportError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{file}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); {hint}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReportError(f"{file}: not an edgeconform report (no \"format\": \"{FORMAT}\"); {hint}")
    if document.get("format_version") != FORMAT_VERSION:
        raise ReportError(f"{file}: format_version {document.get('format_version')!r}; this edgeconform reads "
                          f"version {FORMAT_VERSION}: re-run the suites with this version, or merge with the version "
                          "that wrote it")
    try:
        return Report.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ReportError(f"{file}: field {where}: {first['msg']} ({exc.error_count()} problem(s) in all; "
                          "the format is edgeconform/report/report.schema.json)") from None
