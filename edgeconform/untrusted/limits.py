"""The limits of the reading layer, its refusal, and input quoted safely in messages."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ENVIRONMENT = "EDGECONFORM_LIMITS"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 8 * MIB
    folder_bytes: int = 32 * MIB
    files: int = 500
    documents: int = 1000
    nodes: int = 500_000
    depth: int = 64
    alias_nodes: int = 10_000


class Refused(Exception):
    """An input edgeconform will not read. ``str()``: one line, ``FILE[:LINE]: what; how to proceed``."""

    def __init__(self, file: str | Path, reason: str, line: int | None = None):
        self.file, self.line, self.reason = str(file), line, clean(reason)
        super().__init__(f"{clean(self.file)}{f':{line}' if line else ''}: {self.reason}")


def limits() -> Limits:
    """The limits in force: the defaults, or what EDGECONFORM_LIMITS raises (``name=number,...``)."""
    given = os.environ.get(ENVIRONMENT, "").strip()
    if not given:
        return Limits()
    known = {f.name for f in fields(Limits)}
    values: dict[str, int] = {}
    for item in given.split(","):
        name, _, number = item.partition("=")
        name = name.strip()
        if name not in known or not number.strip().isdecimal():
            raise Refused(ENVIRONMENT, f"{item.strip()!r} is not NAME=NUMBER with NAME one of "
                                       f"{', '.join(sorted(known))}")
        values[name] = int(number)
    return replace(Limits(), **values)


def clean(text: str, limit: int = 2000) -> str:
    """``text`` safe to print on one terminal line: control and format characters (escape sequences, bidi
    overrides) written as escapes, and at most ``limit`` characters (the middle cut)."""
    out = "".join(_escape(ch) if _unsafe(ch) else ch for ch in str(text))
    if len(out) > limit:
        keep = limit // 2
        out = f"{out[:keep]}…({len(out) - 2 * keep} characters cut)…{out[-keep:]}"
    return out


def clean_lines(message: object) -> str:
    """An error's message as it is printed: each of its lines (one per problem) safe on a terminal."""
    return "\n".join(clean(line) for line in str(message).splitlines())


def shown(value: Any, limit: int = 80) -> str:
    """A value quoted in a message: its repr, at most ``limit`` characters."""
    if isinstance(value, (dict, list)):
        text = f"a {'mapping' if isinstance(value, dict) else 'list'} of {len(value)}"
    else:
        text = repr(value)
    return clean(text if len(text) <= limit else f"{text[:limit]}…({len(text)} characters)")


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != "\t"


def _escape(ch: str) -> str:
    return {"\n": "\\n", "\r": "\\r"}.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
