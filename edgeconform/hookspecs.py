"""Hooks other pytest plugins implement to extend edgeconform (registered by edgeconform.plugin, in the style of
pytest-xdist's newhooks.py).

A package that adds a target implements, in its own pytest plugin (a ``pytest11`` entry point)::

    def pytest_edgeconform_add_targets(targets):
        targets.add(TargetSpec(name="mycloud", description="...", load="mypkg.target:MyTarget",
                               options=(Option("--mycloud-account", "..."),)))

Its Target subclass (edgeconform.targets.base.Target) builds Edges; its options become pytest options and reach
``Target.from_options``. Controllers need no hook: they come from the ``edgeconform.controllers`` entry points; a
target's own ``edgeconform`` commands (the CLI runs no pytest hooks) from ``TargetSpec.commands`` or the
``edgeconform.commands`` entry points (edgeconform.cli.command).
"""

from __future__ import annotations

import pytest


@pytest.hookspec(historic=True)
def pytest_edgeconform_add_targets(targets) -> None:
    """Register targets with ``targets.add(spec)`` (an edgeconform.targets.TargetRegistry). Historic: a plugin
    registered later is called too, while options can still be added."""
