"""report.json: writing a report, and reading one back with an error that names the file and the problem."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .. import untrusted
from .model import FORMAT, FORMAT_VERSION, Report

SHOWN = 50  # problems named, at most
# What the renderings read of a topology record's free-form fields and derived facts (edgeconform.untrusted.shapes)
SHAPE = {"topologies": [{"fields": {"load_balancer": untrusted.Required({
    "model": untrusted.Required(untrusted.SCALAR), "proxy_protocol": untrusted.Required(untrusted.SCALAR)})},
    "derived": {"layer": untrusted.Required(untrusted.SCALAR),
                "tls_terminates_at": untrusted.Required(untrusted.SCALAR)}}]}


class ReportError(Exception):
    """A report that cannot be read; the message names the file, what is wrong and what to give instead (a report
    with several wrong fields: one line each)."""


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


def load(path: str | Path) -> Report:
    """A report from ``path``: a report.json, or a directory written by ``pytest --report DIR``. It is read through
    the reading layer (edgeconform.untrusted: a regular file, bounded in size and depth; a directory's report.json
    may not be a symlink out of it), and every field of the wrong shape is named."""
    path = Path(path)
    hint = "give a directory written by `pytest suites --report DIR`, or its report.json"
    try:
        file = untrusted.member(path, "report.json") if path.is_dir() else path
    except untrusted.Refused as exc:
        raise ReportError(str(exc)) from None
    if not file.exists() and not file.is_symlink():
        where = f"{path} has no report.json" if path.is_dir() else f"{path}: no such file"
        raise ReportError(f"{where}: {hint}")
    try:
        document = untrusted.load_json(file, what="report")
    except untrusted.Refused as exc:
        raise ReportError(f"{exc}; {hint}" if exc.reason.startswith("not JSON") else str(exc)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReportError(f"{file}: not an edgeconform report (no \"format\": \"{FORMAT}\"); {hint}")
    if document.get("format_version") != FORMAT_VERSION:
        raise ReportError(f"{file}: format_version {untrusted.shown(document.get('format_version'))}; this "
                          f"edgeconform reads version {FORMAT_VERSION}: re-run the suites with this version, or merge "
                          "with the version that wrote it")
    try:
        loaded = Report.model_validate(document)
    except ValidationError as exc:
        errors = [(".".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()]
    else:  # the free-form parts of a topology's record the renderings read (hypothesis: a report without
        # derived.layer crashed report.html)
        errors = [(".".join(map(str, where)), problem) for where, problem in untrusted.shape_problems(document, SHAPE)]
    if errors:
        lines = [untrusted.clean(f"{file}: field {where}: {problem}") for where, problem in errors[:SHOWN]]
        if len(errors) > SHOWN:
            lines.append(f"{file}: ... and {len(errors) - SHOWN} more problems")
        lines[-1] += " (the format: edgeconform/report/report.schema.json)"
        raise ReportError("\n".join(lines))
    return loaded
