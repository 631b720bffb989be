"""Real conformance runs the report tests read (see suiterun.py)."""

from __future__ import annotations

import pytest
from suiterun import BROKEN, EDGES, NO_CLEARTEXT, SuiteRun, run_suites


@pytest.fixture(scope="session")
def full_run(tmp_path_factory) -> SuiteRun:
    """Every catalog topology plus the two test edges, on the local target, under pytest-xdist (two workers), so
    the report is assembled on the controller from the workers' results."""
    from edgeconform import catalog

    names = [*catalog.load(), BROKEN, NO_CLEARTEXT]
    selection = [arg for name in names for arg in ("--topology", name)]
    run = run_suites(tmp_path_factory.mktemp("full"), "-n", "2", "--topology-file", str(EDGES), *selection)
    assert run.proc.returncode == 1, run.output  # the misconfigured edge fails: exit status 1, nothing else
    return run
