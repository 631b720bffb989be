"""The shape a reader expects of the fields it reads, checked before it reads them: every field of the wrong shape
is named (its path and what it should be), never a reader's AttributeError.

A shape is written like the data it describes: a dict is a mapping with those keys (other keys are the reader's
business), ``[shape]`` a list of that shape, ``Each(shape)`` a mapping of any keys to that shape,
``Required(shape)`` a key that must be there, ``IfMapping(shape)`` a value read only when it is a mapping (else the
reader passes it by), a tuple either shape. Leaves: ``str``, ``int`` (a whole number, not true/false), ``bool``,
``SCALAR`` (any single value a reader turns into a string), ``ANY``. A null stands for a missing key (as in
Kubernetes), except where a whole number is meant or a required key's value cannot be null (a mapping, a string);
a list's item is never null.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from .limits import shown


class _Leaf:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


SCALAR = _Leaf("a single value")
ANY = _Leaf("anything")


@dataclass(frozen=True)
class Each:
    shape: Any


@dataclass(frozen=True)
class Required:
    shape: Any


@dataclass(frozen=True)
class IfMapping:
    """A value that is read only when it is a mapping (else the reader passes it by): checked only then."""

    shape: Any


_SCALARS = (str, int, float, bool, datetime.date, bytes)


def shape_problems(data: Any, shape: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, what is wrong) for every field of ``data`` that does not have its ``shape``."""
    found: list[tuple[tuple[Any, ...], str]] = []
    _check(data, shape, (), found)
    return found


def _check(value: Any, shape: Any, path: tuple[Any, ...], found: list, item: bool = False) -> None:
    """``item``: a list's item, which a null does not stand in for (hypothesis: a null hostname and a null Gateway
    listener crashed import)."""
    required = isinstance(shape, Required)
    if required:
        shape = shape.shape
    if isinstance(shape, IfMapping):
        if not isinstance(value, dict):
            return
        shape = shape.shape
    if value is None and required and (isinstance(shape, (dict, list, Each)) or not _leaf(None, shape)):
        found.append((path, "is missing (null)"))  # hypothesis: a null load_balancer of a report crashed report.html
        return
    if value is None and shape is not int and not item:
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            found.append((path, f"must be a mapping (got {shown(value)})"))
            return
        for key, inner in shape.items():
            if key in value:
                _check(value[key], inner, path + (key,), found)
            elif isinstance(inner, Required):
                found.append((path + (key,), "is missing"))
    elif isinstance(shape, list):
        if not isinstance(value, list):
            found.append((path, f"must be a list (got {shown(value)})"))
            return
        for i, entry in enumerate(value):
            _check(entry, shape[0], path + (i,), found, item=True)
    elif isinstance(shape, Each):
        if not isinstance(value, dict):
            found.append((path, f"must be a mapping (got {shown(value)})"))
            return
        for key, item in value.items():
            _check(item, shape.shape, path + (key,), found)
    elif not _leaf(value, shape):
        wanted = " or ".join(_words(s) for s in (shape if isinstance(shape, tuple) else (shape,)))
        found.append((path, f"must be {wanted} (got {shown(value)})" + (": quote it" if str in (
            shape if isinstance(shape, tuple) else (shape,)) and isinstance(value, _SCALARS) else "")))


def _leaf(value: Any, shape: Any) -> bool:
    if isinstance(shape, tuple):
        return any(_leaf(value, s) for s in shape)
    if shape is ANY:
        return True
    if shape is SCALAR:
        return value is None or isinstance(value, _SCALARS)
    if shape is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, shape)


def _words(shape: Any) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false"}.get(shape, repr(shape))
