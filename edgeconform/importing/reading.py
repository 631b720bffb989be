"""What an import collects while it reads: where each field came from, what it did not understand, warnings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .. import assets
from ..untrusted import clean
from .documents import Document


@cache
def annotation_sources() -> dict[tuple[str, str], tuple[str, ...]]:
    """(model, annotation key) -> the documentation keys clusters/eks/annotations.yaml cites for it (the eks
    target's data: one table of what each AWS annotation means, read both ways)."""
    data = yaml.safe_load(assets.path("clusters/eks/annotations.yaml").read_text())
    return {(model, entry["key"]): tuple(entry["sources"]) for model, entries in data["annotations"].items()
            for entry in entries}


@dataclass
class Reading:
    """The import's notebook. ``base``: the folder the topology file is written to (manifest references are
    relative to it)."""

    base: Path
    sources: dict[str, list[str]] = field(default_factory=dict)
    not_understood: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hostnames: list[str] = field(default_factory=list)  # as found so far (names certificates guessed from Secrets)
    model: str = ""  # the load balancer's model, once known (which annotation table applies)
    used: set[int] = field(default_factory=set)  # the documents some reader read (id)
    _paths: dict[Path, str] = field(default_factory=dict, repr=False)

    def use(self, *docs: Document | None) -> None:
        self.used.update(id(doc) for doc in docs if doc is not None)

    def ref(self, doc: Document, *path: Any) -> str:
        return f"{self._relative(doc.file_at(*path))}:{doc.line(*path)}"

    def _relative(self, file: Path) -> str:
        """``file`` relative to ``base``, as a reference writes it (each file resolved once: a cluster's objects
        cite a few files thousands of times)."""
        found = self._paths.get(file)
        if found is None:
            base = self._paths.setdefault(self.base, self.base.resolve().as_posix())
            found = self._paths[file] = Path(os.path.relpath(file.resolve(), base)).as_posix()
        return str(found)

    def cite(self, field_path: str, doc: Document | None = None, *path: Any, keys: tuple[str, ...] = ()) -> None:
        """``field_path`` came from ``doc`` at ``path`` (a manifest line), and rests on ``keys`` (documentation)."""
        entries = self.sources.setdefault(field_path, [])
        for key in keys:
            if key not in entries:
                entries.append(key)
        if doc is not None:
            ref = self.ref(doc, *path)
            if ref not in entries:
                entries.append(ref)

    def annotation(self, field_path: str, doc: Document, key: str, fallback: tuple[str, ...] = ()) -> None:
        """A field read from an annotation: its line, and the sources the annotation table gives for it."""
        self.cite(field_path, doc, "metadata", "annotations", key,
                  keys=annotation_sources().get((self.model, key), fallback) or fallback)

    def unknown(self, doc: Document, key: str, value: Any, *path: Any) -> None:
        """Read, not understood: kept in the imported record (never dropped silently), as text a reviewer can read
        (control and bidi characters as escapes, a long value cut: untrusted.clean)."""
        shown = value if isinstance(value, (int, float, bool)) or value is None else clean(
            value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True, width=1000).strip())
        self.not_understood.append({"file": self.ref(doc, *path).rpartition(":")[0], "line": doc.line(*path),
                                    "object": clean(doc.describe()), "key": clean(str(key)), "value": shown})

    def warn(self, message: str) -> None:
        message = clean(message)  # it may quote the manifests
        if message not in self.warnings:
            self.warnings.append(message)
