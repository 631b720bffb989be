"""Where the commands of ``edgeconform`` come from: one module each in edgeconform/cli/, the targets' own (their
TargetSpec names the module), and other packages' entry points; the parser and the dispatch follow from them."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from edgeconform import cli, targets
from edgeconform.cli import command
from edgeconform.cli.command import Command


def test_each_module_of_cli_is_a_command():
    here = Path(command.__file__).parent
    modules = {p.stem for p in here.glob("*.py") if not p.stem.startswith("_") and p.stem != "command"}
    assert {"listing", "report", "compare", "import_", "manifests"} <= modules
    for name in modules:  # a module there that defines no command fails here
        assert command.of_module(f"edgeconform.cli.{name}")


def test_targets_contribute_their_own_commands():
    by_target = {spec.name: spec.commands for spec in targets.builtin()}
    assert by_target["eks"] == "edgeconform.targets.eks.cli" and by_target["local"] == "edgeconform.targets.local.cli"
    assert [c.name for c in command.of_module(by_target["eks"])] == ["plan", "cleanup"]
    assert [c.name for c in command.of_module(by_target["local"])] == ["up"]
    assert {"list", "report", "compare", "import", "manifests", "up", "plan", "cleanup"} <= set(command.registry())


@pytest.fixture
def another_package(monkeypatch):
    """A package that adds a command through the edgeconform.commands entry points."""
    module = types.ModuleType("otherpkg_commands")
    seen: dict = {}

    def run(args):
        seen.update(vars(args))
        return 7

    module.COMMAND = Command("hello", "says hello", lambda p: p.add_argument("who"), run, passthrough=True)
    monkeypatch.setitem(sys.modules, "otherpkg_commands", module)
    entry = types.SimpleNamespace(name="hello", value="otherpkg_commands")
    monkeypatch.setattr(command, "entry_points", lambda group: [entry] if group == command.ENTRY_POINT_GROUP else [])
    return seen


def test_a_command_can_come_from_another_package(another_package):
    assert cli.main(["hello", "world", "--", "-m", "nlb"]) == 7
    assert another_package["who"] == "world" and another_package["passthrough"] == ["-m", "nlb"]


def test_two_commands_of_one_name_are_refused(another_package, monkeypatch):
    sys.modules["otherpkg_commands"].COMMAND = Command("list", "again", lambda p: None, lambda a: 0)
    with pytest.raises(ValueError, match="two commands named 'list'"):
        command.registry()


def test_a_module_without_a_command_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "not_a_command", types.ModuleType("not_a_command"))
    with pytest.raises(TypeError, match="not_a_command defines no COMMAND or COMMANDS"):
        command.of_module("not_a_command")
