"""Wording shared by the Markdown and HTML renderings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .model import Report, Result

_CITES = re.compile(r"(\s*\[[^\]]+\])+\s*$")


def cell_name(r: Result) -> str:
    return f"{r.behaviour}[{r.variant}]" if r.variant else r.behaviour


def plain_expectation(r: Result) -> str:
    """The expectation's words without the trailing [KEY] citations and without the 'limited: ' prefix."""
    if r.expectation is None:
        return ""
    text = _CITES.sub("", r.expectation.text)
    return text.split(": ", 1)[1] if text.startswith(("works: ", "limited: ", "n/a: ")) else text


def explanation(r: Result) -> str:
    """Why a cell is limited (the documented limitation) or what a failure saw and likely means."""
    if r.verdict == "limited" and r.expectation is not None and r.expectation.outcome == "limited":
        return plain_expectation(r)
    first = next((line for line in r.message.splitlines() if line.strip()), "")
    return r.diagnosis or first.removeprefix(f"{r.topology} · {cell_name(r)}: ")


@dataclass
class Note:
    """One explanation of a limited or failed cell, with every target that showed it."""

    result: Result
    text: str
    targets: list[str]


def notes(report: Report) -> list[Note]:
    """The limited and failed cells, in matrix order; the same finding on several targets is one note."""
    found: dict[tuple, Note] = {}
    for r in report.attention():
        text = explanation(r)
        key = (r.topology, r.behaviour, r.variant, r.verdict, text)
        if key in found:
            found[key].targets.append(r.target)
        else:
            found[key] = Note(r, text, [r.target])
    return list(found.values())


def source_links(r: Result, link: Callable[[str, str | None], str]) -> str:
    if r.expectation is None:
        return ""
    return ", ".join(link(s.key, s.url) for s in r.expectation.sources)
