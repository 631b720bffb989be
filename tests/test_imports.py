"""The package's shape, checked from its source: no import cycles, pytest only at the edge, suites on the public API.

Imports are read with ``ast`` (nothing is imported), including imports inside functions and under
``if TYPE_CHECKING:``: a lazy import or a type hint that closes a cycle is still a cycle in the design (a reader
going top-down meets the module twice).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "edgeconform"
# The only pytest-facing modules of the package.
PYTEST_EDGE = {"edgeconform.plugin", "edgeconform.hookspecs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


@cache
def imports(path: Path) -> frozenset[str]:
    """The modules ``path`` imports: package modules by full name, third-party ones by their top-level name (read
    once per file for every test of this module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return frozenset(imports_in(path.read_text(), package, modules()))


def imports_in(source: str, package: str, known: dict[str, Path]) -> set[str]:
    """The modules ``source`` imports, relative imports read from ``package``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):  # every node, those inside functions and `if TYPE_CHECKING:` too
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:  # `from . import x`: x may be a submodule
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


@cache
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports(path) if m in known and m != name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return found


def test_every_import_of_the_package_names_a_module_that_exists():
    known = modules()
    missing = {f"{name}: {m}" for name, path in known.items() for m in imports(path)
               if m.startswith("edgeconform") and m not in known}
    assert not missing, f"imports of modules that do not exist: {sorted(missing)}"


def test_the_package_has_no_import_cycle():
    found = cycles(graph())
    assert not found, "import cycles (each line: modules that import each other, directly or not):\n" + "\n".join(
        " <-> ".join(component) for component in found)


def test_the_cycle_check_finds_a_cycle():
    # the check itself can fail: a two-module and a three-module cycle, and a chain that is not one
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}) == [["a", "b"], ["c", "d", "e"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_an_import_for_type_hints_only_counts():
    # a type hint back from report.changes to report.model (which reads changes) would close a cycle
    source = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .model import Result\n"
    assert "edgeconform.report.model" in imports_in(source, "edgeconform.report", modules())
    assert cycles({**graph(), "edgeconform.report.changes": {"edgeconform.report.model"}})


def test_a_package_init_importing_its_modules_is_not_a_cycle_with_them():
    # behaviours/__init__ imports behaviours.client_ip, which imports behaviours.base (not the package)
    edges = graph()
    assert "edgeconform.behaviours.client_ip" in edges["edgeconform.behaviours"]
    assert "edgeconform.behaviours" not in edges["edgeconform.behaviours.client_ip"]


def test_pytest_is_imported_only_at_the_edge():
    known = modules()
    users = {name for name, path in known.items()
             if any(m == "pytest" or m.startswith(("pytest.", "_pytest")) for m in imports(path))}
    assert users == PYTEST_EDGE, (f"library modules import pytest: {sorted(users - PYTEST_EDGE)}; only "
                                  f"{sorted(PYTEST_EDGE)} may (targets plug in through edgeconform.hookspecs)")


def test_behaviours_and_verdicts_read_no_controller_registry():
    """Compares and verdicts read the edge's ControllerInfo (edge.controller); a rule, which has no edge, asks only
    for the documented semantics of the controller its topology names (controllers.semantics_of). So adding a
    controller touches none of them."""
    readers = {name: path for name, path in modules().items()
               if name.startswith(("edgeconform.behaviours", "edgeconform.probing")) or name == "edgeconform.verdicts"}
    found = {}
    for name, path in readers.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
                if base.startswith("edgeconform.controllers"):
                    found[name] = found.get(name, set()) | {alias.name for alias in node.names}
            elif isinstance(node, ast.Import) and any(a.name.startswith("edgeconform.controllers") for a in node.names):
                found[name] = found.get(name, set()) | {"*"}
    beyond = {name: names for name, names in found.items() if names != {"semantics_of"}}
    assert not beyond, f"modules that look controllers up (read edge.controller instead): {beyond}"
    assert "edgeconform.verdicts" not in found


@pytest.mark.parametrize("suite", sorted((REPO / "suites").glob("test_*.py")), ids=lambda p: p.name)
def test_suites_use_only_the_public_api(suite):
    import edgeconform

    tree = ast.parse(suite.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("edgeconform.") for a in node.names), ast.unparse(node)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("edgeconform"):
            assert node.module == "edgeconform", f"{suite.name}: {ast.unparse(node)} reaches past the public API"
            missing = [a.name for a in node.names if a.name not in edgeconform.__all__]
            assert not missing, f"{suite.name} imports {missing}, which edgeconform.__all__ does not declare"


def test_every_public_name_resolves():
    import edgeconform

    for name in edgeconform.__all__:
        assert getattr(edgeconform, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'internal_thing'"):
        edgeconform.internal_thing  # noqa: B018


def test_the_network_guard_refuses_an_address_outside_loopback_from_this_namespace():
    import socket

    from tests.netguard import LeftTheMachine

    with socket.socket() as sock, pytest.raises(LeftTheMachine, match="refused: a test connects to 10.0.1.17"):
        sock.connect(("10.0.1.17", 443))
    with socket.socket() as sock:  # loopback is ours
        assert sock.connect_ex(("127.0.0.1", 9)) != 0 or True
