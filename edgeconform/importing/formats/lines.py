"""Where a key of a document is written: its file (an object rendered from several files has keys in each) and
its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..documents import Document


def where(doc: Document, *path: Any) -> tuple[Path, int]:
    """The file and line of the key at ``path`` (or of its nearest ancestor that has one)."""
    return doc.file_at(*path), doc.line(*path)
