"""YAML and JSON within the limits: documents, nodes and depth counted while composing, aliases by the nodes they
add (a "billion laughs" file is refused before anything is expanded), and the line of every key of a document."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.resolver import Resolver

from .files import read_text
from .limits import ENVIRONMENT, Limits, Refused, limits, shown

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
        return Refused(self.path, f"{what} (or raise the limit: {ENVIRONMENT}={limit}=N)",
                       line=event.start_mark.line + 1)

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

    def construct_object(self, node, deep=False):
        """PyYAML's safe constructors fail on some tagged values with Python's own errors (``!!float ""``,
        ``!!bool foo``, ``!!timestamp x``, a 5,000-digit int, a 13th month): a YAML error at the node instead."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError):
            raise ConstructorError(None, None, f"cannot read {shown(node.value)} as {node.tag.rpartition(':')[2]}",
                                   node.start_mark) from None

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
