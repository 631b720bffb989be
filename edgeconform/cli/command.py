"""What a command of ``edgeconform`` is, and where the commands come from.

A command is one module: ``COMMAND = Command(...)`` (or ``COMMANDS``, several) naming it, its arguments and what it
runs. They come from

- edgeconform/cli/: every module there that defines COMMAND or COMMANDS (adding one is adding its module; a
  module whose name starts with "_" is what several commands share, e.g. _inputs: import's and check's inputs);
- the targets: a TargetSpec's ``commands`` names the module of its own (eks: plan, cleanup; local: up);
- other packages: the ``edgeconform.commands`` entry points (name = "module", defining COMMAND or COMMANDS).

Modules load to build the parser, so a command's heavy imports belong inside its ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "edgeconform.commands"


@dataclass(frozen=True)
class Command:
    name: str  # what follows ``edgeconform``
    help: str  # one line in ``edgeconform --help``
    arguments: Callable[[argparse.ArgumentParser], None]  # adds its arguments (and subcommands) to its parser
    run: Callable[[argparse.Namespace], int]  # the exit status
    description: str | None = None
    epilog: str | None = None
    # What follows ``--`` reaches ``run`` as ``args.passthrough`` (compare: the suites' pytest arguments).
    passthrough: bool = False


def of_module(name: str) -> tuple[Command, ...]:
    """The commands a module defines (COMMAND, or COMMANDS)."""
    module = importlib.import_module(name)
    found = getattr(module, "COMMANDS", None) or ((module.COMMAND,) if hasattr(module, "COMMAND") else ())
    if not found or not all(isinstance(c, Command) for c in found):
        raise TypeError(f"{name} defines no COMMAND or COMMANDS of edgeconform.cli.command.Command")
    return tuple(found)


def modules() -> list[str]:
    """Every module commands come from: edgeconform/cli/'s, the built-in targets', other packages'."""
    from ..targets import builtin

    here = [f"{__package__}.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent)])
            if not m.name.startswith("_") and m.name != "command"]
    targets = [spec.commands for spec in builtin() if spec.commands]
    others = [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return [*sorted(here), *targets, *others]


def registry() -> dict[str, Command]:
    """Command name -> Command, each name once."""
    out: dict[str, Command] = {}
    for module in modules():
        for command in of_module(module):
            if command.name in out:
                raise ValueError(f"two commands named {command.name!r} (the second from {module})")
            out[command.name] = command
    return out
