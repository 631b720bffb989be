"""What a person reading the manifests would resolve, import resolves too, and says so (a warning in the record):

- the same object given twice (a base and an overlay's patch, a manifest and its later copy): the later one wins.
  A complete later object replaces the earlier, as ``kubectl apply`` of it would; a fragment (it lacks top-level
  keys the earlier has: a strategic-merge patch such as ``metadata`` + one annotation) is merged over it key by key,
  lists replaced, as the patch would be. Every key keeps the file and line it was read from.
- no hostname anywhere: one is made up from the load balancer's object name, with a warning (never a refusal).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .documents import Document, Path_
from .reading import Reading

DOMAIN = "example.test"  # a made-up hostname's domain (RFC 6761: .test is never a real name)


def identity(doc: Document) -> tuple[str, str, str, str] | None:
    """What makes two documents the same object: its API group, kind, namespace and name (None: not an object)."""
    if not doc.kind or not doc.name:
        return None
    group = doc.api_version.rpartition("/")[0]
    return group, doc.kind, doc.namespace, doc.name


def repeated(docs: list[Document], r: Reading) -> list[Document]:
    """``docs`` with each object given more than once resolved to one document (at the first one's place), the later
    winning; a warning names the object, both places and how they were combined."""
    first: dict[tuple[str, str, str, str], int] = {}
    out: list[Document] = []
    for doc in docs:
        key = identity(doc)
        if key is None:
            out.append(doc)
            continue
        if key not in first:
            first[key] = len(out)
            out.append(doc)
            continue
        earlier = out[first[key]]
        combined, how = combine(earlier, doc)
        out[first[key]] = combined
        r.warn(f"{doc.describe()} is given twice ({_place(earlier)}, then {_place(doc)}): the later one wins, "
               f"{how}")
    return out


def combine(earlier: Document, later: Document) -> tuple[Document, str]:
    """The object as applying ``later`` after ``earlier`` leaves it, and how (for the warning)."""
    missing = [key for key in earlier.data if key not in later.data and key != "status"]
    if not missing:
        return later, "replacing the earlier whole (as kubectl apply of a complete object does)"
    data = _merge(earlier.data, later.data)
    lines: dict[Path_, int] = {}
    files = dict(earlier.files)
    for path, line in earlier.lines.items():
        lines[path] = line
        files[path] = earlier.file_at(*path)
    for path, line in later.lines.items():
        lines[path] = line
        files[path] = later.file_at(*path)
    for path in [p for p in lines if _replaced(p, later.data)]:  # a list the later replaced: drop the earlier items
        if path not in later.lines:
            lines.pop(path)
            files.pop(path, None)
    files = {path: file for path, file in files.items() if file != earlier.file}
    merged = Document(earlier.file, data, lines, earlier.start, earlier.built_by, files)
    return merged, (f"merged over the earlier key by key (it lacks {', '.join(map(str, missing))}: a patch, as an "
                    "overlay applies it)")


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def _replaced(path: Path_, later: Any) -> bool:
    """Whether ``path`` lies inside a list that ``later`` gives (so the earlier list's items are gone)."""
    node = later
    for part in path:
        if isinstance(node, list):
            return True
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return False


def _place(doc: Document) -> str:
    return f"{doc.file.name}:{doc.start}"


def default_hostname(name: str) -> str:
    """A hostname made up from an object's name: ``ui-nlb`` -> ``ui-nlb.example.test``."""
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "edge"
    return f"{slug}.{DOMAIN}"


__all__ = ["DOMAIN", "combine", "default_hostname", "identity", "repeated"]
