"""What the CI action (action.yml) runs on a pull request: for each edge's path, ``edgeconform compare BASE:PATH
HEAD:PATH`` (both revisions read with git as data: edgeconform.compare.git), or ``edgeconform check PATH`` for an
edge the base does not have yet; the Markdown report of each appended to the job summary; exit 1 when a behaviour
regressed (or a new edge fails), 2 when an input is unusable.

    EDGECONFORM_PATHS="deploy/edge" EDGECONFORM_BASE=origin/main python -I -m edgeconform.ci

Safe on a pull request from anyone (docs/ci.md):
- nothing of the pull request runs: its files are data, imported through the reading layer (limits, no symlink out,
  no network); the action's code is the action's own, installed from the action's checkout into a venv of its own,
  and started with ``python -I`` (the workspace is not on sys.path, so a file of the pull request cannot stand in
  for a module);
- each command runs under a memory bound (RLIMIT_AS on every process of the run) and a time bound (its process
  group killed after EDGECONFORM_TIMEOUT_MINUTES);
- the summary quotes what it shows from the user's files as text (edgeconform.report.escaping: the reports are
  escaped by their renderers; a refusal's line is shown in a code span), and is cut to GitHub's 1 MiB.

Environment (the action's inputs): EDGECONFORM_PATHS (one per line), EDGECONFORM_BASE, EDGECONFORM_HEAD (HEAD),
EDGECONFORM_CONTROLLERS (none, one, or two: before then after), EDGECONFORM_PYTEST_ARGS, EDGECONFORM_REPORT (the
folder, default edgeconform-report), EDGECONFORM_MEMORY_MB (4096), EDGECONFORM_TIMEOUT_MINUTES (30); GitHub's
GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (regressed=true|false, status=0|1|2), where set. The summary is also written
to the report folder (summary.md), where GitLab shows it (expose_as).
"""

from __future__ import annotations

import os
import resource
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .report.escaping import md, md_code

SUMMARY_BYTES = 1024 * 1024 - 4096  # GitHub refuses a step summary over 1 MiB


@dataclass
class Outcome:
    path: str
    command: list[str]
    status: int
    markdown: str
    said: str  # the command's last line on stderr (a refusal)


def main() -> int:
    env = os.environ
    paths = [p.strip() for p in env.get("EDGECONFORM_PATHS", "").splitlines() if p.strip()]
    base, head = env.get("EDGECONFORM_BASE", "").strip(), env.get("EDGECONFORM_HEAD", "").strip() or "HEAD"
    if not paths or not base:
        print("edgeconform ci: give the edge's paths (input paths) and the base revision (input base; on a "
              "pull_request event it defaults to the pull request's base)", file=sys.stderr)
        return 2
    report = Path(env.get("EDGECONFORM_REPORT", "") or "edgeconform-report")
    controllers = env.get("EDGECONFORM_CONTROLLERS", "").split()
    pytest_args = shlex.split(env.get("EDGECONFORM_PYTEST_ARGS", ""))
    memory = int(env.get("EDGECONFORM_MEMORY_MB", "") or 4096) * 1024 * 1024
    seconds = float(env.get("EDGECONFORM_TIMEOUT_MINUTES", "") or 30) * 60
    outcomes = []
    for i, path in enumerate(paths, 1):
        out = report / (str(i) if len(paths) > 1 else ".")
        command = plan(path, base, head, controllers, pytest_args, out)
        print(f"edgeconform ci: {' '.join(shlex.quote(c) for c in command)}", file=sys.stderr, flush=True)
        status, said = bounded(command, memory, seconds)
        outcomes.append(Outcome(path, command, status, _markdown(out), said))
    status = 2 if any(o.status not in (0, 1) for o in outcomes) else max(o.status for o in outcomes)
    summary = render(outcomes, base, head)
    report.mkdir(parents=True, exist_ok=True)
    (report / "summary.md").write_text(summary, encoding="utf-8")
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
            f.write(summary)
    else:
        print(summary)
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
            f.write(f"regressed={'true' if any(o.status == 1 for o in outcomes) else 'false'}\nstatus={status}\n")
    return status


def plan(path: str, base: str, head: str, controllers: list[str], pytest_args: list[str], out: Path) -> list[str]:
    """compare BASE:PATH HEAD:PATH, or check PATH when the base has no such path (a new edge)."""
    program = [sys.executable, "-I", "-m", "edgeconform.cli"]
    passthrough = ["--", *pytest_args] if pytest_args else []
    if _exists(base, path):
        chosen = [arg for c in controllers for arg in ("--controller", c)]
        return [*program, "compare", f"{base}:{path}", f"{head}:{path}", *chosen, "--report", str(out),
                *passthrough]
    return [*program, "check", path, "--report", str(out), *passthrough]


def _exists(rev: str, path: str) -> bool:
    from .compare import git

    return git._git(["cat-file", "-e", "--end-of-options", f"{rev}:{path.strip('/')}"], None, check=False) is not None


def bounded(command: list[str], memory: int, seconds: float) -> tuple[int, str]:
    """Run ``command`` with RLIMIT_AS ``memory`` on each of its processes, its group killed after ``seconds``;
    (exit status, its last line on stderr). Its stderr goes on to ours (progress reads as it comes)."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                            start_new_session=True, preexec_fn=limits)
    last = ""
    timer = _Timer(seconds, proc.pid)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            if line.strip():
                last = line.strip()
        status = proc.wait()
    finally:
        timer.cancel()
    if timer.fired:
        return 2, f"edgeconform ci: stopped after {seconds / 60:g} minutes (input timeout-minutes)"
    if status < 0:
        return 2, f"edgeconform ci: ended by signal {-status} (out of memory under input memory-mb?)"
    return status, last


class _Timer:
    """Kills a process group after ``seconds`` (SIGTERM, then SIGKILL 30 s later): a bound, not a wait."""

    def __init__(self, seconds: float, pgid: int):
        import threading

        self.fired = False
        self._pgid = pgid
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        import threading

        self.fired = True
        _signal(self._pgid, signal.SIGTERM)
        threading.Timer(30, lambda: _signal(self._pgid, signal.SIGKILL)).start()

    def cancel(self) -> None:
        self._timer.cancel()


def _signal(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _markdown(out: Path) -> str:
    for name in ("migration.md", "report.md"):
        path = out / name
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return ""


VERDICT = {0: "no regression", 1: "**regression**", 2: "**could not be checked**"}


def render(outcomes: list[Outcome], base: str, head: str) -> str:
    """The job summary: one line per edge first, then each edge's report (their renderers escape what they quote)."""
    lines = ["# edgeconform", "", f"{md_code(base)} -> {md_code(head)}", "", "| edge | verdict |", "|---|---|"]
    for o in outcomes:
        kind = "check (new edge)" if "check" in o.command else "compare"
        lines.append(f"| {md_code(o.path, table=True)} | {VERDICT.get(o.status, VERDICT[2])} ({kind}, exit "
                     f"{o.status}) |")
    lines.append("")
    for o in outcomes:
        lines += [f"## {md(o.path)}", ""]
        if o.status not in (0, 1):
            lines += [f"{md_code(o.said or 'no output')}", ""]
        if o.markdown:
            lines += ["<details><summary>report</summary>", "", o.markdown.strip(), "", "</details>", ""]
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    if len(data) > SUMMARY_BYTES:
        text = data[:SUMMARY_BYTES].decode("utf-8", errors="ignore") + \
            "\n\n*(cut: the whole report is in the artifact)*\n"
    return text


if __name__ == "__main__":
    sys.exit(main())
