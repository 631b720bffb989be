"""Reading manifests: every YAML document of the files and folders given, with the line each key is on.

PyYAML's composer gives every node its position; the documents are built from the same nodes, so a value read
from a document can always be cited as ``PATH:LINE`` (the line of its key). Helm-rendered output (several
documents, ``---`` separators, ``# Source:`` comments) and ``List`` objects are read like plain files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUFFIXES = (".yaml", ".yml", ".json")


class ImportFailed(Exception):
    """Input that import cannot use: one line naming the file, the object (kind namespace/name) and the field."""

    def __init__(self, message: str, *, file: str = "", obj: str = "", field: str = "", line: int | None = None):
        self.file, self.obj, self.field, self.line = file, obj, field, line
        where = [f"{file}:{line}" if file and line else file, obj, f"field {field}" if field else ""]
        prefix = ": ".join(part for part in where if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


Path_ = tuple[Any, ...]  # a key path inside a document: ("metadata", "annotations", "service.beta...")


@dataclass
class Document:
    """One YAML document: its data and where each of its keys is (1-based lines)."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    start: int = 1
    built_by: str = ""  # a Service no manifest holds, made from the object that has a controller build it
    # keys whose line is in another file than ``file`` (an object given twice: the later file's keys)
    files: dict[Path_, Path] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "")) if isinstance(self.data, dict) else ""

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", "")) if isinstance(self.data, dict) else ""

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def annotations(self) -> dict[str, Any]:
        found = self.metadata.get("annotations")
        return found if isinstance(found, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        found = self.metadata.get("labels")
        return found if isinstance(found, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        found = self.data.get("spec") if isinstance(self.data, dict) else None
        return found if isinstance(found, dict) else {}

    def describe(self) -> str:
        """As messages and the imported record name it: "Service ingress-nginx/name", or the file's document."""
        if not self.kind:
            return f"document at line {self.start}"
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"

    def file_at(self, *path: Any) -> Path:
        """The file the key at ``path`` (or its nearest ancestor with a line) is written in."""
        if self.files:
            for end in range(len(path), 0, -1):
                if path[:end] in self.lines:
                    return self.files.get(path[:end], self.file)
        return self.file

    def line(self, *path: Any) -> int:
        """The line of the key at ``path`` (or of its nearest ancestor that has one)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.start

    def get(self, *path: Any, default: Any = None) -> Any:
        node = self.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return default
        return node

    def fail(self, message: str, *path: Any) -> ImportFailed:
        """The error for a value at ``path`` of this document."""
        return ImportFailed(message, file=str(self.file_at(*path)), obj=self.describe(), field=_dotted(path),
                            line=self.line(*path) if path else self.start)


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files of ``paths`` (a folder: its .yaml/.yml/.json files, recursively, in name order)."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                raise ImportFailed(f"no {', '.join(SUFFIXES)} files in this folder", file=str(path))
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise ImportFailed("no such file or folder", file=str(path))
    return out


def load(paths: Iterable[str | Path]) -> list[Document]:
    """Every non-empty document of the files, List objects unpacked into their items."""
    docs: list[Document] = []
    for path in files(paths):
        docs += load_text(path, _read(path))
    return docs


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ImportFailed("not a UTF-8 text file", file=str(path)) from None
    except OSError as exc:
        raise ImportFailed(f"cannot read: {exc.strerror}", file=str(path)) from None


def load_text(path: Path, text: str) -> list[Document]:
    loader = yaml.SafeLoader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            if data is None:
                continue
            lines: dict[Path_, int] = {}
            _walk(node, (), lines)
            doc = Document(path, data, lines, node.start_mark.line + 1)
            docs += _unpack(doc)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportFailed(f"not valid YAML: {problem}" + (f" (column {mark.column + 1})" if mark else ""),
                           file=str(path), line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    for doc in docs:
        if doc.kind and not isinstance(doc.data.get("metadata", {}), dict):
            raise doc.fail("metadata must be a mapping", "metadata")
    return docs


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            if key == "<<":  # a merge key: its values belong to this mapping
                _walk(value_node, path, lines)
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines)


def _unpack(doc: Document) -> list[Document]:
    """A ``kind: List`` (kubectl get -o yaml) as its items, each keeping its lines."""
    if doc.kind != "List" or not isinstance(doc.data.get("items"), list):
        return [doc]
    out = []
    for i, item in enumerate(doc.data["items"]):
        prefix = ("items", i)
        lines = {key[2:]: line for key, line in doc.lines.items() if key[:2] == prefix and len(key) > 2}
        out.append(Document(doc.file, item, lines, doc.lines.get(prefix, doc.start)))
    return out
