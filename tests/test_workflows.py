"""The CI workflows, the action and the examples are checked like code: actionlint (built by ./dev tools from
tools/actionlint/go.mod) on .github/workflows/ and examples/ci/github-actions.yml, with shellcheck (Debian's) on
their shell steps; shellcheck on the action's scripts and the other shell programs of the repository, and on the
GitLab example's script lines. Without actionlint or shellcheck the tests skip, naming the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from edgeconform import binaries

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SCRIPTS = [REPO / "dev", REPO / "tools" / "build", REPO / ".ci" / "run", REPO / ".ci" / "kind-smoke",
           REPO / ".ci" / "install-browser",
           *sorted((REPO / ".ci" / "action").iterdir())]


def _shellcheck() -> str:
    found = shutil.which("shellcheck")
    if not found:
        if os.environ.get("EDGECONFORM_REQUIRE_SHELLCHECK") == "1":  # .ci/run installed it: its absence is a failure
            pytest.fail("shellcheck is not installed though EDGECONFORM_REQUIRE_SHELLCHECK=1: apt-get install shellcheck")
        pytest.skip("shellcheck is not installed: apt-get install shellcheck")
    return found


def _actionlint() -> str:
    try:
        return binaries.find("actionlint")
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))


@pytest.mark.integration
def test_the_workflows_and_the_github_example_pass_actionlint_and_shellcheck():
    _shellcheck()  # actionlint runs it on every run: step when it is on the PATH
    files = [*WORKFLOWS, REPO / "examples" / "ci" / "github-actions.yml"]
    done = subprocess.run([_actionlint(), "-no-color", *map(str, files)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "nightly.yml", "fuzz.yml"}


@pytest.mark.integration
def test_actionlint_finds_a_broken_step(tmp_path):
    """The check can fail: an unquoted untrusted expression in a run: step, and a shell mistake, are both found."""
    shellcheck = _shellcheck()
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.pull_request.title }}\n      - run: cd $HOME/x; echo $1\n")
    done = subprocess.run([_actionlint(), "-no-color", "-shellcheck", shellcheck, str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "potentially untrusted" in done.stdout and "shellcheck reported issue" in done.stdout, done.stdout


@pytest.mark.integration
def test_the_shell_programs_pass_shellcheck():
    done = subprocess.run([_shellcheck(), *map(str, SCRIPTS)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout


@pytest.mark.integration
def test_the_gitlab_example_script_passes_shellcheck(tmp_path):
    job = yaml.safe_load((REPO / "examples" / "ci" / "gitlab-ci.yml").read_text())["edgeconform"]
    script = tmp_path / "job.sh"
    exports = "".join(f"export {k}={v!r}\n" for k, v in job["variables"].items() if "$" not in str(v))
    script.write_text("#!/bin/sh\nset -eu\n" + exports + "\n".join(job["script"]) + "\n")
    done = subprocess.run([_shellcheck(), str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
    assert job["variables"]["EDGECONFORM_BASE"] == "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    assert any("-I -m edgeconform.ci" in line for line in job["script"])


def test_the_action_runs_nothing_of_the_pull_request():
    """action.yml: no input is expanded inside a run: script (each goes through env:), edgeconform comes from the
    action's own checkout, and the program is started with python -I (the workspace not on sys.path)."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    for step in steps:
        assert "${{" not in step.get("run", ""), step
    runs = " ".join(step.get("run", "") for step in steps)
    assert '"$VENV/bin/python" -I -m edgeconform.ci' in runs
    install = (REPO / ".ci" / "action" / "install").read_text()
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install
    assert set(action["inputs"]) >= {"paths", "controller", "pytest-args", "base", "memory-mb", "timeout-minutes"}
