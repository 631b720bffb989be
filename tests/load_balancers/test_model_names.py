"""Outside a model's own package, code asks the model for a fact (a field of LoadBalancerModel, its annotation set's
data, the topology's layer), never which model it is: adding a model then changes no branch elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

from edgeconform import load_balancers

REPO = Path(__file__).resolve().parents[2]
NAMES = set(load_balancers.NAMES)
# Comparisons left to replace: path prefix -> how many (none left).
PENDING: dict[str, int] = {}


def comparisons(source: str) -> list[int]:
    """Lines that compare something named *model* with a model's name, or pick from a dict keyed by the names."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = [s for s in sides if "model" in ast.unparse(s)]
            constants = {s.value for s in sides if isinstance(s, ast.Constant)}
            for s in sides:
                if isinstance(s, (ast.Tuple, ast.Set, ast.List)):
                    constants |= {e.value for e in s.elts if isinstance(e, ast.Constant)}
            if named and constants & NAMES:
                lines.append(node.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):
            keys = {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
            if len(keys & NAMES) >= 2:
                lines.append(node.lineno)
    return lines


def test_the_check_finds_a_comparison():
    assert comparisons('if t.lb.model == "alb":\n    pass\n') == [1]
    assert comparisons('x = {"nlb": 1, "alb": 2}[t.lb.model]\n') == [1]
    assert comparisons('if model.name not in ("nlb", "alb"):\n    pass\n') == [1]
    assert comparisons('if t.layer == "l7":\n    pass\n') == []


def test_no_code_outside_the_model_packages_asks_which_model_it_is():
    found: dict[str, list[int]] = {}
    for path in sorted((REPO / "edgeconform").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if path.parent.parent == REPO / "edgeconform" / "load_balancers" and path.parent.name in NAMES:
            continue  # the model's own package
        lines = comparisons(path.read_text())
        if lines:
            found[relative] = lines
    pending = {prefix: sum(len(v) for k, v in found.items() if k.startswith(prefix)) for prefix in PENDING}
    rest = {k: v for k, v in found.items() if not k.startswith(tuple(PENDING))}
    assert not rest, f"branches on a model's name (make it a field of the model): {rest}"
    assert all(pending[prefix] <= PENDING[prefix] for prefix in PENDING), (pending, found)
