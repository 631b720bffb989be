"""Reading files edgeconform did not write: manifests and chart output, topology files, reports to merge,
kubeconfigs. Every command reads them through here first, so one hostile file is refused the same way
everywhere, before anything else looks at it:

- a file must be a regular file (not a FIFO or a device) of at most ``file_bytes``; a folder may hold at most
  ``files`` such files and ``folder_bytes`` bytes; a symlink in a folder may not lead out of it, nor in a loop;
- text must be UTF-8 without NUL bytes;
- YAML may hold at most ``documents`` documents and ``nodes`` nodes (counted across the files one command reads),
  nest collections at most ``depth`` deep, and its aliases may add at most ``alias_nodes`` nodes: a "billion laughs" file is refused while it is composed, before anything is
  expanded (each alias adds the size of the node it names, counted once per node); an alias inside the collection
  it names is refused too. JSON is held to the same depth.

A refusal is a Refused: one line naming the file, the line where known, what was hit and how to proceed. The
entry points turn it into their own error (TopologyError, ImportFailed, ReportError), so every command exits 2.
The limits sit far above any real input (the deepest CRD we know nests 35 deep, the largest chart output is
4 MB); ``EDGECONFORM_LIMITS="file_bytes=33554432,depth=100"`` raises them for an unusual input that is trusted.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.resolver import Resolver

try:  # libyaml's parser: fast, and iterative (its composer is not used: see _Loader)
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - a PyYAML built without libyaml: PyYAML's own parser
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

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
            raise Refused(ENVIRONMENT, f"{item.strip()!r} is not NAME=NUMBER with NAME one of {', '.join(sorted(known))}")
        values[name] = int(number)
    return replace(Limits(), **values)


# --- messages -------------------------------------------------------------------------------------------------
def clean(text: str, limit: int = 2000) -> str:
    """``text`` safe to print on one terminal line: control and format characters (escape sequences, bidi
    overrides) written as escapes, and at most ``limit`` characters (the middle cut)."""
    out = "".join(_escape(ch) if _unsafe(ch) else ch for ch in str(text))
    if len(out) > limit:
        keep = limit // 2
        out = f"{out[:keep]}…({len(out) - 2 * keep} characters cut)…{out[-keep:]}"
    return out


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


# --- files and folders ----------------------------------------------------------------------------------------
def files(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """The files of ``paths``: a file as given; a folder's files ending in ``suffixes``, recursively, in name order.
    A symlink inside a folder is followed while it stays inside that folder; one that leads out of it, into a
    folder that holds it, or in a loop is refused. A file reached twice is read once."""
    lim = limits()
    out: list[Path] = []
    seen: set[Path] = set()
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_symlink():
            _target(path, required=True)
        if path.is_dir():
            found = _walk(path, suffixes, lim)
            if not found:
                raise Refused(path, f"no {', '.join(suffixes)} files in this folder")
        elif path.exists():
            found = [path]
        else:
            raise Refused(path, "no such file or folder")
        for item in found:
            real = item.resolve()
            if real in seen:
                continue
            seen.add(real)
            total += _regular(item).st_size
            out.append(item)
            if len(out) > lim.files:
                raise _too_many(path, lim)
            if total > lim.folder_bytes:
                raise Refused(path, f"more than {lim.folder_bytes // MIB} MB in all to read: give the folder that "
                                    "holds the manifests of this edge only (or raise the limit: "
                                    f"{ENVIRONMENT}=folder_bytes=N)")
    return out


def _too_many(path: Path, lim: Limits) -> Refused:
    return Refused(path, f"more than {lim.files} files to read: give the folder that holds the manifests of this "
                         f"edge only (or raise the limit: {ENVIRONMENT}=files=N)")


def _walk(folder: Path, suffixes: tuple[str, ...], lim: Limits) -> list[Path]:
    root = folder.resolve()
    found: list[Path] = []
    pending = [folder]
    visited = {root}
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            raise Refused(current, f"cannot read this folder: {exc.strerror}") from None
        for entry in entries:
            path = Path(entry.path)
            wanted = path.suffix in suffixes
            if entry.is_symlink():
                target = _target(path, required=wanted)
                if target is None or not (wanted or target.is_dir()):
                    continue  # a file edgeconform does not read, wherever it leads
                if target != root and root not in target.parents:
                    raise Refused(path, f"a symlink that leads out of {folder} (to {target}): edgeconform reads only "
                                        "what is inside the folder it is given; copy the file in, or give it by its "
                                        "own path")
                if target.is_dir():
                    holder = path.parent.resolve()
                    if target == holder or target in holder.parents:
                        raise Refused(path, f"a symlink to {target}, a folder that holds it (a loop): remove it")
                    if target not in visited:  # a folder of the tree reached twice is walked once
                        visited.add(target)
                        pending.append(path)
                    continue
                found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                real = path.resolve()
                if real not in visited:
                    visited.add(real)
                    pending.append(path)
            elif wanted and entry.is_file(follow_symlinks=False):
                found.append(path)
            if len(found) > lim.files:
                raise _too_many(folder, lim)
    return sorted(found)


def member(folder: str | Path, name: str) -> Path:
    """The file ``name`` of ``folder`` (a report directory's report.json): a symlink there must stay inside it."""
    folder = Path(folder)
    path = folder / name
    if path.is_symlink():
        target = _target(path, required=True)
        root = folder.resolve()
        if root not in target.parents:
            raise Refused(path, f"a symlink that leads out of {folder} (to {target}): give the file itself")
    return path


def _target(link: Path, *, required: bool) -> Path | None:
    """Where a symlink leads (None: nowhere, when it need not). A loop is refused, and a dangling link that is
    ``required``."""
    try:
        return link.resolve(strict=True)
    except RuntimeError:  # Python before 3.13: a loop
        raise Refused(link, "a symlink in a loop: remove it") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(link, "a symlink in a loop: remove it") from None
        if required:
            raise Refused(link, f"a symlink to {os.readlink(link)}, which does not exist") from None
        return None


def _regular(path: Path) -> os.stat_result:
    try:
        found = path.stat()
    except RuntimeError:
        raise Refused(path, "a symlink in a loop: remove it") from None
    except OSError as exc:
        raise Refused(path, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file (a FIFO, socket or device)"
        raise Refused(path, f"{kind}: give a file")
    return found


def read_bytes(path: str | Path, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``file_bytes`` (never more is read: a file that grows, or a device
    behind a symlink, is cut off and refused)."""
    path = Path(path)
    lim = limits()
    _regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Refused(path, f"cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # replaced since it was looked at
            raise Refused(path, "not a regular file (a FIFO, socket or device): give a file")
        data = f.read(lim.file_bytes + 1)
    if len(data) > lim.file_bytes:
        raise Refused(path, f"larger than {lim.file_bytes // MIB} MB: no {what} edgeconform reads is this large; "
                            f"give the {what} itself (or raise the limit: {ENVIRONMENT}=file_bytes=N)")
    return data


def read_text(path: str | Path, *, what: str = "file") -> str:
    """A file's text: UTF-8, no NUL byte, within the size limit."""
    return decode(read_bytes(path, what=what), path)


def decode(data: bytes, path: str | Path) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Refused(path, "a NUL byte: this is a binary file, not text", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save it as UTF-8", line=line) from None


# --- YAML -----------------------------------------------------------------------------------------------------
@dataclass
class Parsed:
    """One YAML document: its data, the 1-based line of each of its keys and list items (by path, as
    ``("spec", "ports", 0)``), and its first line."""

    data: Any
    lines: dict[tuple[Any, ...], int]
    start: int


class Budget:
    """What one command has read so far: its documents and YAML nodes count against the limits together, across
    every file it reads."""

    def __init__(self, lim: Limits | None = None):
        self.limits = lim or limits()
        self.documents = 0
        self.nodes = 0


class _Loader(Composer, _Parser, SafeConstructor, Resolver):
    """PyYAML's safe loader with libyaml's parser and PyYAML's own composer, which here counts as it goes: the
    nodes, the depth of collections, and the nodes each alias adds (the size of the node it names, computed once
    per node). (libyaml's composer is recursive C: a deep enough file would overflow its stack.)"""

    def __init__(self, text: str, path: str | Path, budget: Budget):
        _Parser.__init__(self, text)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        Composer.__init__(self)
        self.path, self.budget, self.limits = path, budget, budget.limits
        self.depth = 0
        self.added = 0
        self.open: set[str] = set()  # anchors of the collections being composed
        self.sizes: dict[int, int] = {}

    def refuse(self, event, what: str, limit: str) -> Refused:
        return Refused(self.path, f"{what} (or raise the limit: {ENVIRONMENT}={limit}=N)", line=event.start_mark.line + 1)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self.open:
                raise Refused(self.path, f"the alias *{event.anchor} is inside the collection it names (a recursive "
                                         "structure): write the value out", line=event.start_mark.line + 1)
            if event.anchor in self.anchors:
                self.added += self._size(self.anchors[event.anchor])
                if self.added > self.limits.alias_nodes:
                    raise self.refuse(event, f"YAML aliases expand to more than {self.limits.alias_nodes} nodes (an "
                                             "alias bomb?): write the repeated values out", "alias_nodes")
            return super().compose_node(parent, index)
        self.budget.nodes += 1
        if self.budget.nodes > self.limits.nodes:
            raise self.refuse(event, f"more than {self.limits.nodes} YAML nodes in all: give the manifests of this "
                                     "edge only", "nodes")
        if not isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > self.limits.depth:
            raise self.refuse(event, f"collections nested more than {self.limits.depth} deep: no manifest or topology "
                                     "is this deep", "depth")
        if event.anchor:
            self.open.add(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open.discard(event.anchor)

    def _size(self, node: yaml.Node) -> int:
        key = id(node)
        if key not in self.sizes:
            if isinstance(node, yaml.SequenceNode):
                self.sizes[key] = 1 + sum(self._size(item) for item in node.value)
            elif isinstance(node, yaml.MappingNode):
                self.sizes[key] = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
            else:
                self.sizes[key] = 1
        return self.sizes[key]


def yaml_documents(path: str | Path, text: str | None = None, budget: Budget | None = None) -> list[Parsed]:
    """Every non-empty document of a YAML file (``text``: its text, when already read; ``budget``: what the
    command read before, when it reads several files)."""
    budget = budget or Budget()
    if text is None:
        text = read_text(path)
    loader = _Loader(text, path, budget)
    out: list[Parsed] = []
    try:
        while loader.check_node():
            budget.documents += 1
            if budget.documents > budget.limits.documents:
                raise loader.refuse(loader.peek_event(), f"more than {budget.limits.documents} YAML documents in "
                                                         "all: give the manifests of this edge only", "documents")
            node = loader.get_node()
            data = loader.construct_document(node)
            if data is not None:
                out.append(Parsed(data, key_lines(node), node.start_mark.line + 1))
    except yaml.YAMLError as exc:
        raise _not_valid(path, text, exc) from None
    finally:
        loader.dispose()
    return out


def yaml_document(path: str | Path, text: str | None = None) -> Parsed | None:
    """The one document of a YAML file (a topology file, a kubeconfig); None when it is empty."""
    docs = yaml_documents(path, text)
    if len(docs) > 1:
        raise Refused(path, "more than one YAML document (a '---' line): this file holds one", line=docs[1].start)
    return docs[0] if docs else None


def _not_valid(path: str | Path, text: str, exc: yaml.YAMLError) -> Refused:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 1 if mark is not None else None
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML does not allow
    if line is None and isinstance(position, int):
        line = text.count("\n", 0, position) + 1
    column = f" (column {mark.column + 1})" if mark is not None else ""
    if "maximum nesting depth" in problem:  # libyaml's own bound on flow collections, above ours
        return Refused(path, f"collections nested more than {limits().depth} deep: no manifest or topology is this "
                             "deep", line=line)
    return Refused(path, f"not valid YAML: {problem}{column}", line=line)


def key_lines(node: yaml.Node) -> dict[tuple[Any, ...], int]:
    """The 1-based line of every key and list item of a document, by its path (``("spec", "ports", 0)``)."""
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines)
    return lines


def _lines(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            if key == "<<":  # a merge key: its values belong to this mapping
                _lines(value_node, path, lines)
                continue
            if not isinstance(key, str):  # a collection as a key: the constructor refused it already
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            _lines(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _lines(item, path + (i,), lines)


# --- JSON -----------------------------------------------------------------------------------------------------
def json_loads(text: str, path: str | Path) -> Any:
    """JSON held to the YAML limits' depth."""
    lim = limits()
    try:
        data = json.loads(text)
    except RecursionError:
        raise Refused(path, f"JSON nested more than {lim.depth} deep: give the file edgeconform wrote") from None
    except json.JSONDecodeError as exc:
        raise Refused(path, f"not JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    except ValueError:  # Python reads no integer of more than sys.get_int_max_str_digits() digits
        raise Refused(path, f"not JSON edgeconform reads: a number of more than {sys.get_int_max_str_digits()} "
                            "digits") from None
    if _depth(data) > lim.depth:
        raise Refused(path, f"JSON nested more than {lim.depth} deep: give the file edgeconform wrote")
    return data


def _depth(data: Any) -> int:
    deepest, pending = 0, [(data, 0)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, (dict, list)):
            level += 1
            deepest = max(deepest, level)
            pending += [(item, level) for item in (value.values() if isinstance(value, dict) else value)]
    return deepest


def load_json(path: str | Path, *, what: str = "file") -> Any:
    return json_loads(read_text(path, what=what), path)


__all__ = ["Budget", "Limits", "Parsed", "Refused", "clean", "decode", "files", "json_loads", "key_lines", "limits",
           "member",
           "load_json", "read_bytes", "read_text", "shown", "yaml_document", "yaml_documents"]
