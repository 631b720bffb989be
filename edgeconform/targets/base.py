"""What a target is: where edges are built (``local``, ``kind``, ``eks``, or one another package adds).

A target is described by a light ``TargetSpec`` (name, description, command-line options, the class to load) and
implemented by a ``Target`` subclass that loads only when the target is used. Neither imports pytest: the plugin
(edgeconform.plugin) turns options into pytest options and calls the few methods below. Another package adds a
target by implementing the ``pytest_edgeconform_add_targets`` hook (edgeconform.hookspecs).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..edge import Edge
from ..topology import Topology


class TargetUnavailable(Exception):
    """The target cannot run on this machine; the message says what to install or configure (a skip)."""


class TargetUsageError(Exception):
    """The target's options are wrong; the message names the option and the fix (a usage error, nothing runs)."""


class BuildFailed(Exception):
    """Building one edge failed on a real cluster; the message carries the diagnostics (logs, pod states)."""


@dataclass(frozen=True)
class Option:
    """One command-line option of a target, as argparse (and pytest) take it."""

    flag: str  # "--kubeconfig"
    help: str
    default: Any = None
    metavar: str | None = None
    action: str = "store"  # store, append, store_true
    choices: tuple[str, ...] | None = None
    type: Callable[[str], Any] | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def argparse_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dest": self.dest, "help": self.help, "action": self.action}
        if self.action != "store_true":
            kwargs.update(default=self.default, metavar=self.metavar)
            if self.choices:
                kwargs["choices"] = list(self.choices)
            if self.type:
                kwargs["type"] = self.type
        return kwargs


@dataclass(frozen=True)
class TargetSpec:
    name: str
    description: str
    load: str  # "module:Class" of its Target, imported when the target is used
    options: tuple[Option, ...] = ()
    default_controller: str | None = None  # None: the first controller that runs at its place
    place: str = "local"  # where its controllers run: "local" processes, or installed in a "cluster"
    parallel: bool = True  # whether pytest-xdist workers may each build edges
    # The module of its own `edgeconform` commands (COMMANDS: edgeconform.cli.command.Command), loaded by the CLI;
    # a target of another package names it in the ``edgeconform.commands`` entry points instead.
    commands: str | None = None

    def target_class(self) -> type[Target]:
        module, _, attr = self.load.partition(":")
        return getattr(importlib.import_module(module), attr)


class Target:
    """Builds Edges. Subclasses set ``name`` and implement ``build``; the rest has harmless defaults."""

    name: ClassVar[str]

    @classmethod
    def from_options(cls, options: Mapping[str, Any], controller: str) -> Target:
        """The session's target. ``options``: the values of its spec's options (by dest). Raise TargetUsageError
        for bad values (nothing runs) and TargetUnavailable when this machine cannot run the target (its tests
        skip with the message)."""
        raise NotImplementedError

    def prepare(self, topologies: dict[str, Topology]) -> dict[str, Topology]:
        """The topologies as this target will build them (eks: renamed to the cluster's domain)."""
        return topologies

    def will_build(self, topologies: list[Topology]) -> None:
        """The topologies this session's tests will ask ``build`` for, in the order they run (called once the tests
        are collected, before any is built, also by --collect-only: build nothing here). A target whose edges take
        minutes to come up (eks) can start them all at the first ``build`` and hand each out when asked; the
        default builds each on demand."""

    def header(self) -> str:
        """One line for pytest's header: where the edges go."""
        return ""

    def runs_first(self, topology: Topology) -> bool:
        """Whether this topology's tests should run before the others (eks: an edge that learns the client IP)."""
        return False

    def build(self, topology: Topology) -> Edge:
        raise NotImplementedError

    def before_check(self, edge: Edge, behaviour: str) -> str | None:
        """A reason the check cannot be judged fairly right now (it fails with this message), or None."""
        return None

    def summary(self) -> list[str]:
        """Lines for the end of the run (times to ready, cleanup problems)."""
        return []

    def close(self) -> None:
        """The session's end: remove what the session created."""
