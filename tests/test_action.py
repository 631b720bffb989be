"""The action's own steps (action.yml), run here as GitHub would run them, on a repository of three commits: the
base edge, a clean change of it (Classic ELB with PROXY v1 -> NLB with PROXY v2, ingress-nginx following), and a
regression (the ConfigMap stops expecting PROXY). Each run: steps with ``run:`` in order, their ``env:`` expressions
filled from the inputs, ``runner.temp``, ``github.action_path``; a ``uses:`` step (the artifact upload) is
GitHub's. The action's venv is this test's (the install step finds edgeconform at this version in it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cmarkgfm
import pytest
import yaml

pytestmark = pytest.mark.integration  # git, and two suites runs per comparison

REPO = Path(__file__).resolve().parent.parent
PAIR = REPO / "examples" / "migrations" / "clean-clb-proxy-v1-to-nlb-proxy-v2"
EXPRESSION = re.compile(r"\$\{\{\s*([a-z_.-]+)\s*\}\}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    repo = tmp_path_factory.mktemp("team-repo")
    git(repo, "init", "-q", "-b", "main")
    edge = repo / "deploy" / "edge"
    commits = {}
    shutil.copytree(PAIR / "before" / "manifests", edge)
    git(repo, "add", "-A"), git(repo, "commit", "-qm", "base: Classic ELB with PROXY v1")
    commits["base"] = git(repo, "rev-parse", "HEAD")
    shutil.rmtree(edge)
    shutil.copytree(PAIR / "after" / "manifests", edge)
    git(repo, "add", "-A"), git(repo, "commit", "-qm", "clean: NLB with PROXY v2")
    commits["clean"] = git(repo, "rev-parse", "HEAD")
    config = edge / "configmap.yaml"
    config.write_text(config.read_text().replace('use-proxy-protocol: "true"', 'use-proxy-protocol: "false"'))
    git(repo, "commit", "-qam", "regression: the controller no longer expects PROXY")
    commits["regression"] = git(repo, "rev-parse", "HEAD")
    return repo, commits


def run_action(repo: Path, work: Path, inputs: dict[str, str], event_base: str) -> tuple[int, Path, dict[str, str]]:
    """Every run: step of action.yml in order, as GitHub runs a composite action; (status, summary, outputs)."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    given.update(inputs)
    runner = work / "runner"
    runner.mkdir(parents=True)
    (runner / "edgeconform-venv").symlink_to(Path(sys.prefix))  # the install step finds this version there
    summary, output = work / "summary.md", work / "output"
    context = {"runner.temp": str(runner), "github.action_path": str(REPO),
               "github.event.pull_request.base.sha": event_base}

    def fill(text: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            value = given[name.removeprefix("inputs.")] if name.startswith("inputs.") else context[name]
            return EXPRESSION.sub(one, value)
        return EXPRESSION.sub(one, text)

    for key, value in list(given.items()):
        given[key] = fill(value)
    status = 0
    for step in action["runs"]["steps"]:
        if "run" not in step:
            assert step["uses"].startswith("actions/upload-artifact@"), step
            continue
        env = {**os.environ, "GITHUB_ACTION_PATH": str(REPO), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner),
               **{k: fill(str(v)) for k, v in (step.get("env") or {}).items()}}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=repo,
                              env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
        print(step["name"], done.returncode, done.stdout[-2000:], done.stderr[-4000:], sep="\n")
        status = done.returncode
        if status != 0:
            break
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return status, summary, outputs


def test_a_clean_change_passes_and_a_regression_fails(fixture_repo, tmp_path):
    repo, commits = fixture_repo
    report = tmp_path / "report-clean"
    status, summary, outputs = run_action(repo, tmp_path / "clean", {"paths": "deploy/edge\n", "report": str(report),
                                                                      "head": commits["clean"]}, commits["base"])
    assert status == 0 and outputs == {"regressed": "false", "status": "0"}
    text = summary.read_text()
    assert "| `deploy/edge` | no regression (compare, exit 0) |" in text, text
    assert (report / "migration.json").is_file() and (report / "migration.html").is_file()
    assert (report / "summary.md").read_text() == text

    report = tmp_path / "report-regression"
    status, summary, outputs = run_action(repo, tmp_path / "regression",
                                          {"paths": "deploy/edge", "report": str(report),
                                           "head": commits["regression"]}, commits["clean"])
    assert status == 1 and outputs == {"regressed": "true", "status": "1"}
    text = summary.read_text()
    assert "| `deploy/edge` | **regression** (compare, exit 1) |" in text
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=cmarkgfm.Options.CMARK_OPT_UNSAFE)
    assert "<details>" in html and "<table>" in html and "use-proxy-protocol" in html
    assert git(repo, "status", "--porcelain") == ""  # nothing was checked out or written in the repository


def test_an_unchanged_edge_says_so_without_running(fixture_repo, tmp_path):
    repo, commits = fixture_repo
    report = tmp_path / "report"
    status, summary, outputs = run_action(repo, tmp_path / "same", {"paths": "deploy/edge", "report": str(report),
                                                                     "head": commits["clean"]}, commits["clean"])
    assert status == 0 and outputs["regressed"] == "false"
    assert "no change at the edge" in (report / "migration.md").read_text()
    assert not (report / "before").exists()  # nothing ran
