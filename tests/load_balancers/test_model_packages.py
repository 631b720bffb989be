"""Each load-balancer model is one package: its MODEL and its stand-in (``standin``: render and listening), which
edgeconform.load_balancers.standins only dispatches to."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from edgeconform import catalog, load_balancers
from edgeconform.load_balancers import standins

PACKAGE = Path(load_balancers.__file__).parent


@pytest.mark.parametrize("name", load_balancers.NAMES)
def test_a_model_package_renders_its_own_standin(name):
    module = importlib.import_module(f"{load_balancers.PACKAGES[name]}.standin")
    assert callable(module.render) and callable(module.listening)
    assert Path(module.__file__).parent == PACKAGE / name


def test_the_dispatch_names_no_model():
    source = (PACKAGE / "standins.py").read_text()
    names = {node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)}
    assert not names & set(load_balancers.NAMES), "standins.py only dispatches: no model is named there"


def test_only_the_nlb_brings_a_helper(tmp_path):
    book = standins.AddressBook(lb_bind="127.0.0.1", lb_source="127.0.0.1", lb_admin_port=1, listener_ports={80: 8080,
                                443: 8443}, targets={"http": ("127.0.0.2", 1), "https": ("127.0.0.2", 2),
                                                      "redirect": ("127.0.0.2", 3)},
                                https_port=None, relay_ports={80: 9500, 443: 9501, "healthz": 9502})
    for name, t in catalog.load().items():
        listens = standins.listening(t, book)
        if t.lb.model == "nlb" and t.lb.proxy_protocol == "v2":
            assert ("PROXY v2 writer (80)", ("127.0.0.1", 9500)) in listens, name
        else:
            assert listens == [], name
