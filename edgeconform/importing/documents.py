"""Documents: one YAML document with the line each key is on, and import's error.

The reading layer (edgeconform.untrusted) gives every node its position; the documents are built from the same
nodes, so a value read from a document can always be cited as ``PATH:LINE`` (the line of its key). Helm-rendered
output (several documents, ``---`` separators, ``# Source:`` comments) and ``List`` objects are read like plain
files. Which files are read, and how each kind of input becomes documents, is edgeconform.importing.formats's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import untrusted
from . import shapes



class ImportFailed(Exception):
    """Input that import cannot use: one line naming the file, the object (kind namespace/name) and the field, and
    (``found``) what import did find: the load balancer and the controller."""

    def __init__(self, message: str, *, file: str = "", obj: str = "", field: str = "", line: int | None = None,
                 found: str = ""):
        self.file, self.obj, self.field, self.line = file, obj, field, line
        self.message, self.found = message, found
        where = [f"{file}:{line}" if file and line else file, obj, f"field {field}" if field else ""]
        prefix = ": ".join(part for part in where if part)
        text = untrusted.clean(f"{prefix}: {message}" if prefix else message)
        super().__init__(f"{text} (found: {found})" if found else text)

    def finding(self, found: str) -> ImportFailed:
        """The same error, saying what import found (once: the first ``found`` stays)."""
        if self.found or not found:
            return self
        if getattr(self, "problems", None):  # several problems, one line each: the last says it
            out = ImportFailed.several(self.problems)
            out.found = found
            out.args = (f"{out.args[0]} (found: {found})",)
            return out
        return ImportFailed(self.message, file=self.file, obj=self.obj, field=self.field, line=self.line, found=found)

    @classmethod
    def several(cls, problems: list[ImportFailed], shown: int = 50) -> ImportFailed:
        """Every problem of the input, one line each (at most ``shown``, then how many more)."""
        first = problems[0]
        lines = [str(p) for p in problems[:shown]]
        if len(problems) > shown:
            lines.append(f"... and {len(problems) - shown} more problems in {first.file}")
        out = cls("", file=first.file, obj=first.obj, field=first.field, line=first.line, found=first.found)
        out.args = ("\n".join(lines),)
        out.problems = problems
        return out


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

    def where(self, *path: Any) -> tuple[Path, int]:
        """The file and line of the key at ``path`` (or of its nearest ancestor that has one)."""
        return self.file_at(*path), self.line(*path)

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


def nodes(data: Any) -> Iterator[tuple[Path_, Any]]:
    """Every key and list item of ``data`` with its path, each before what it holds (``data`` itself first, at
    ``()``), in the order they are written."""
    pending: list[tuple[Path_, Any]] = [((), data)]
    while pending:
        path, node = pending.pop()
        yield path, node
        if isinstance(node, dict):
            pending += [(path + (key,), value) for key, value in reversed(list(node.items()))]
        elif isinstance(node, list):
            pending += [(path + (i,), value) for i, value in reversed(list(enumerate(node)))]


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text(path: Path) -> str:
    """A file's text, through the reading layer (edgeconform.untrusted: a regular file, its size, UTF-8, no NUL)."""
    try:
        return untrusted.read_text(path)
    except untrusted.Refused as exc:
        raise refused(exc) from None


def read_files(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None, *, names: tuple[str, ...] = (),
               recursive: bool = True) -> list[Path]:
    """The files of ``paths`` import may read (untrusted.files: within the limits, symlinks inside their folder)."""
    try:
        return untrusted.files(paths, suffixes, names=names, recursive=recursive)
    except untrusted.Refused as exc:
        raise refused(exc) from None


def load_text(path: Path, text: str, budget: untrusted.Budget | None = None) -> list[Document]:
    """The documents of one file's text, List objects unpacked into their items (their shapes are import's to check:
    check_shapes). ``budget``: what the command read before (documents and nodes count across every file)."""
    try:
        parsed = untrusted.yaml_documents(path, text, budget)
    except untrusted.Refused as exc:
        raise refused(exc) from None
    docs: list[Document] = []
    for item in parsed:
        docs += _unpack(Document(path, item.data, item.lines, item.start))
    return docs


def check_shapes(docs: list[Document]) -> None:
    """ImportFailed naming every field of the wrong shape among ``docs`` (importing.shapes): import checks every
    document it reads (from files, a cluster, a values file, Kustomize, a merge of fragments) before any reader runs,
    so that the refusal can say which load balancer and controller it found."""
    wrong = [doc.fail(problem, *where) for doc in docs for where, problem in shapes.problems(doc.data)]
    if wrong:
        raise ImportFailed.several(wrong)


def refused(exc: untrusted.Refused) -> ImportFailed:
    """The reading layer's refusal as import's error (one line: the file, the line, the limit and what to do)."""
    return ImportFailed(exc.reason, file=exc.file, line=exc.line)


def _unpack(doc: Document) -> list[Document]:
    """A ``kind: List`` (kubectl get -o yaml) as its items, each keeping its lines."""
    if doc.kind != "List" or not isinstance(doc.data.get("items"), list):
        return [doc]
    per_item: dict[int, dict[Path_, int]] = {}
    for key, line in doc.lines.items():  # one pass: a List of thousands of items is read in linear time
        if len(key) > 2 and key[0] == "items":
            per_item.setdefault(key[1], {})[key[2:]] = line
    return [Document(doc.file, item, per_item.get(i, {}), doc.lines.get(("items", i), doc.start))
            for i, item in enumerate(doc.data["items"])]
