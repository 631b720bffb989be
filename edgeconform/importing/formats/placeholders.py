"""Template placeholders: values a person fills before applying the files, found where import reads them.

Five spellings are recognised, each the way tools and guides write them:
  ``{{ X }}``      Go templates (Helm, Plural, gomplate) and guides' prose ("{{ tls certificate ARN }}")
  ``${X}``         Terraform's templatefile and interpolation, envsubst
  ``$X``           envsubst with an upper-case name (``$INBOUND_CIDRS``); lower-case ``$x`` is nginx's own variables
  ``<X Y>``        a guide's "<my cert arn>" (words with a space, dash or underscore, or an upper-case NAME)
  ``XXX...``       a value whose digits or letters are runs of X ("XXX.XXX.XXX/XX", an ARN with XXXXXXXX)

``{{ }}`` breaks YAML, so a file's text is prepared before it is parsed: a ``{{ }}`` inside a value becomes a marker
that is turned back into the placeholder's own text once the document is built, and a line holding only a template
action (``{{- if ... }}``, ``{{- end }}``) is blanked (its lines read as if the condition held). The others are
valid YAML and are found in the built documents' strings. ``--set KEY=VALUE`` fills every placeholder whose name
(``.Cluster``, ``acm_certificate_arn``, ``INBOUND_CIDRS``, ``my cert arn``) or whole text is KEY, in the text,
before anything is parsed, as templatefile or envsubst would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GO = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
BRACED = re.compile(r"(?<![$\\])\$\{([^{}]+)\}")
ENV = re.compile(r"(?<![$\\\w])\$([A-Z_][A-Z0-9_]*)\b")
ANGLE = re.compile(r"<([A-Za-z][A-Za-z0-9_.-]*(?:[ _-][A-Za-z0-9_.-]+)+|[A-Z][A-Z0-9_]*)>")
X_RUN = re.compile(r"(?<![A-Za-z0-9])X{2,}(?![A-Za-z0-9])")
ACTION = re.compile(r"^\s*\{\{-?\s*(if|else|end|range|with|define|block|template|include|/\*)\b.*\}\}\s*$")
QUIET_ACTIONS = ("end", "else")  # closing a block: nothing to fill
MARK = "zzedgeconformph{}zz"
MARKS = re.compile(r"zzedgeconformph(\d+)zz")


@dataclass(frozen=True)
class Placeholder:
    """One placeholder where it was found: its text as written, the name ``--set`` fills it by, and where."""

    text: str
    name: str
    file: Path
    line: int
    where: str = ""  # the object and field ("Service ui/ui-nlb: field metadata.annotations...."), when known
    value: str = ""  # the whole value that holds it
    action: bool = False  # a template action line ({{- if ... }}): read as if it held, nothing to fill
    path: tuple = ()  # the key path of the value in its document


WEAK = (BRACED, ENV)  # also a shell's or a script's own syntax: named only where import reads the object
HINTS = ("{{", "$", "<", "XX")


def tokens(text: str, weak: bool = True) -> Iterator[tuple[str, str]]:
    """(text, name) of every placeholder in a string, in order (``weak``: ${X} and $X too)."""
    if not any(hint in text for hint in HINTS):
        return
    found: list[tuple[int, str, str]] = []
    for pattern in (GO, BRACED, ENV, ANGLE):
        if pattern in WEAK and not weak:
            continue
        found += [(m.start(), m.group(0), m.group(1).strip()) for m in pattern.finditer(text)]
    if X_RUN.search(text):
        found.append((0, text, text))
    for _, whole, name in sorted(found):
        yield whole, name


def fill(text: str, fills: dict[str, str], used: set[str]) -> str:
    """``text`` with the placeholders ``fills`` names replaced by their values (the keys used added to ``used``)."""
    if not fills:
        return text
    for key, value in fills.items():
        if X_RUN.search(key) and key in text:  # an X placeholder is named by its whole text
            text = text.replace(key, value)
            used.add(key)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        for key in (name, match.group(0)):
            if key in fills:
                used.add(key)
                return fills[key]
        return match.group(0)

    for pattern in (GO, BRACED, ENV, ANGLE):
        text = pattern.sub(replace, text)
    return text


@dataclass
class Prepared:
    """A YAML text ready to parse: the markers that stand for ``{{ }}`` placeholders, and the action lines."""

    text: str
    marks: list[str]
    actions: list[Placeholder]


def prepare(path: Path, text: str) -> Prepared:
    """``{{ }}`` made parseable: an action line blanked, a placeholder inside a value replaced by a marker."""
    if "{{" not in text:
        return Prepared(text, [], [])
    marks: list[str] = []
    actions: list[Placeholder] = []
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        body, comment = _split_comment(line)
        if ACTION.match(body):
            stripped = body.strip()
            name = GO.match(stripped).group(1) if GO.match(stripped) else stripped
            actions.append(Placeholder(stripped, name, path, number, action=True))
            out.append("#" + line)
            continue

        def mark(match: re.Match[str]) -> str:
            marks.append(match.group(0))
            return MARK.format(len(marks) - 1)

        out.append(GO.sub(mark, body) + comment)
    return Prepared("\n".join(out), marks, actions)


def _split_comment(line: str) -> tuple[str, str]:
    """A YAML line's content and its comment (a ``#`` at the start or after a space, outside quotes)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"" and (i == 0 or line[i - 1] in " :[{,-"):
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def restore(data: Any, marks: list[str]) -> Any:
    """The document's data with each marker back to the placeholder it stands for."""
    if not marks:
        return data
    if isinstance(data, str):
        return MARKS.sub(lambda m: marks[int(m.group(1))], data)
    if isinstance(data, dict):
        return {restore(k, marks): restore(v, marks) for k, v in data.items()}
    if isinstance(data, list):
        return [restore(v, marks) for v in data]
    return data


def restore_lines(lines: dict[tuple, int], marks: list[str]) -> dict[tuple, int]:
    if not marks:
        return lines
    return {tuple(restore(part, marks) for part in key): line for key, line in lines.items()}


def find(doc: Any, weak: bool = True) -> list[Placeholder]:
    """Every placeholder in a document's strings (keys and values), with its file, line, object and field;
    ``weak``: ${X} and $X too (a shell's or a script's syntax in objects import does not read)."""
    from ..documents import _dotted, nodes

    out: list[Placeholder] = []

    def seen(text: str, path: tuple) -> None:
        for whole, name in tokens(text, weak):
            file, line = doc.where(*path)
            what = doc.describe() if doc.kind else "values"
            place = f"{what}: field {_dotted(path)}" if path else what
            out.append(Placeholder(whole, name, file, line, place, text, path=path))

    for path, node in nodes(doc.data):
        if path and isinstance(path[-1], str):  # a mapping's key (a list's items are numbered)
            seen(path[-1], path)
        if isinstance(node, str):
            seen(node, path)
    return out


def drop(doc: Any, path: tuple) -> bool:
    """Remove the key at ``path`` from the document's data (a placeholder import could not use)."""
    node = doc.data
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else (node[part] if isinstance(node, list)
                                                               and isinstance(part, int) and part < len(node) else None)
        if node is None:
            return False
    if isinstance(node, dict) and path[-1] in node:
        del node[path[-1]]
        return True
    return False
