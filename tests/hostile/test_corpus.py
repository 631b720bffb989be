"""The hostile corpus (corpus.yaml: files/ and generated.py) through every command that reads files.

Each case must be refused by every command with exit 2 and one clear line (one per problem, for a file with several
wrong fields), naming the cause where corpus.yaml says what it is, with nothing on stdout and nothing left behind;
or, for the commands corpus.yaml says accept it, be taken (exit 0) with its injection strings shown as text.

- test_every_case_through_every_command: each case x command in a subprocess of its own (the CLI's code, with
  tests/netguard.py loaded), under RLIMIT_AS 1 GB, killed after 10 s, in a TMPDIR of its own that must stay empty,
  in a session of its own that must have no process left. Integration: ~250 processes.
- test_each_case_in_process: each case through the first command corpus.yaml names for it, in this process (fast;
  no resource bounds): the unit tier's share.

COMMANDS is a table: one row per command; ``edgeconform check`` reads through import, so import's words are its too.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog
from edgeconform.cli import main

from . import generated, payloads
from .test_escaping import check_html, check_markdown, check_terminal

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FILES = HERE / "files"
INDEX: dict[str, dict] = yaml.safe_load((HERE / "corpus.yaml").read_text())
COMMANDS = {
    "import": ["import", "{path}"],
    "import --kubeconfig": ["import", "--kubeconfig", "{path}"],
    "list": ["list", "--topology-file", "{path}"],
    "compare": ["compare", "{path}", "{path}"],
    "report merge": ["report", "merge", "{path}", "-o", "{out}"],
    "check": ["check", "{path}"],
}
# check reads what import reads, through import: import's words are check's too
GROUPS = {"all": tuple(COMMANDS), "yaml": ("import", "import --kubeconfig", "list", "compare", "check"),
          "files": ("import", "import --kubeconfig", "list", "report merge", "check"), "import": ("import", "check")}
SECONDS, MEMORY = 10, 1 << 30
CLI = "import sys, tests.netguard; from edgeconform.cli import main; sys.exit(main(sys.argv[1:]))"


def refusal_words(case: str, command: str) -> str | None:
    for key, words in (INDEX[case].get("refused") or {}).items():
        if command in GROUPS.get(key, (key,)):
            return words
    return None


def own_commands(case: str) -> list[str]:
    """The commands corpus.yaml names for a case (the in-process test runs the first)."""
    entry = INDEX[case]
    named = [c for key in (entry.get("refused") or {}) for c in GROUPS.get(key, (key,))]
    return list(dict.fromkeys([*named, *entry.get("accepted", [])]))


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str
    folder: Path  # the command's working folder (report merge writes out/ there)
    seconds: float = 0.0
    peak_kb: int = 0


def case_path(case: str, folder: Path) -> Path:
    if case in generated.CASES:
        return generated.CASES[case](folder)
    return FILES / case


def argv(command: str, path: Path, folder: Path) -> list[str]:
    return [part.format(path=path, out=folder / "out") for part in COMMANDS[command]]


def check(case: str, command: str, outcome: Outcome) -> None:
    entry = INDEX[case]
    where = f"{case} through {command}: exit {outcome.status}\n{outcome.stderr[-3000:]}"
    assert "Traceback" not in outcome.stderr, where
    for line in outcome.stderr.splitlines() + outcome.stdout.splitlines():
        assert "\x1b" not in line.replace("\x1b[0m", "") and "\u202e" not in line, (where, line)
    if command in entry.get("accepted", []):
        assert outcome.status == 0, where
        accepted(case, command, outcome)
        return
    assert outcome.status == 2, where
    lines = outcome.stderr.splitlines()
    assert lines and lines[0].startswith("edgeconform"), where
    assert entry.get("lines") == "many" or len(lines) == 1, where
    assert all(len(line) <= 2500 for line in lines), where
    words = refusal_words(case, command)
    assert words is None or words in outcome.stderr, f"{where}\nexpected: {words}"
    assert outcome.stdout == "", f"{where}\nstdout: {outcome.stdout[:500]}"
    assert not (outcome.folder / "out").exists(), where


def accepted(case: str, command: str, outcome: Outcome) -> None:
    if case == "report-injection.json":
        check_markdown((outcome.folder / "out" / "report.md").read_text())
        check_html((outcome.folder / "out" / "report.html").read_text())
        check_terminal(outcome.stdout)
    elif case == "topology-injection.yaml":
        check_terminal(outcome.stdout)
        assert "[bold red]term-markup[/]" in outcome.stdout, outcome.stdout
    elif case == "manifests-injection.yaml" and command == "compare":  # the same manifests on both sides
        assert "nothing changes at the edge" in outcome.stdout and outcome.stdout.count("\n") == 1, outcome.stdout
    elif case == "manifests-injection.yaml":
        written = outcome.folder / "imported.yaml"
        written.write_text(outcome.stdout)
        assert list(catalog.load_file(written)) == ["shop"]
        record = yaml.safe_load(outcome.stdout)["imported"]
        assert {n["value"] for n in record["not_understood"]} >= set(payloads.HTML)
    else:
        raise AssertionError(f"corpus.yaml accepts {case} for {command}: say here what to check")


def test_the_corpus_is_what_corpus_yaml_says_and_holds_30_cases():
    on_disk = {p.name for p in FILES.iterdir()}
    assert on_disk | set(generated.CASES) == set(INDEX), (on_disk | set(generated.CASES)) ^ set(INDEX)
    assert len(INDEX) >= 30
    for name, make in payloads.FILES.items():  # the injection files are what payloads.py writes
        assert (FILES / name).read_text(encoding="utf-8") == make(), \
            f"{name} is stale: python -m tests.hostile.payloads"
    for path in FILES.iterdir():  # nothing here may send a packet anywhere but loopback
        for line in path.read_bytes().splitlines():
            if b"server:" in line:
                assert b"https://127.0.0.1:1" in line, (path, line)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Each case's path, built once for the module (generated cases in a folder of their own)."""
    folder = tmp_path_factory.mktemp("corpus")
    built: dict[str, Path] = {}

    def get(case: str) -> Path:
        if case not in built:
            built[case] = case_path(case, folder)
        return built[case]
    return get


IN_PROCESS = [(case, own_commands(case)[0]) for case in INDEX if not INDEX[case].get("slow")]


@pytest.mark.parametrize("case, command", IN_PROCESS, ids=[f"{c}|{m}" for c, m in IN_PROCESS])
def test_each_case_in_process(case, command, cases, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(argv(command, cases(case), tmp_path))
    out = capsys.readouterr()
    check(case, command, Outcome(status, out.out, out.err, tmp_path))


EVERY = [(case, command) for case in INDEX for command in COMMANDS if command not in INDEX[case].get("not run", {})]


@pytest.mark.integration
@pytest.mark.parametrize("case, command", EVERY, ids=[f"{c}|{m}" for c, m in EVERY])
def test_every_case_through_every_command(case, command, cases, tmp_path):
    outcome = run_bounded(argv(command, cases(case), tmp_path), tmp_path)
    check(case, command, outcome)
    assert outcome.seconds < SECONDS and outcome.peak_kb * 1024 < MEMORY, (outcome.seconds, outcome.peak_kb)


def run_bounded(args: list[str], folder: Path) -> Outcome:
    """The CLI in a process of its own: RLIMIT_AS 1 GB, killed after 10 s; then its TMPDIR must be empty and its
    session hold no process."""
    tmp = folder / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO), "COLUMNS": "120"}

    def bounds():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    out, err = folder / "stdout", folder / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", CLI, *args], cwd=folder, env=env, stdout=stdout,
                                stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=bounds)
        timer = threading.Timer(SECONDS, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        os.killpg(proc.pid, 0)
        left = True
    except ProcessLookupError:
        left = False
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"{args}: processes of its session are still running"
    assert not list(tmp.iterdir()), f"{args} left {list(tmp.iterdir())} behind"
    return Outcome(proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"), folder,
                   seconds, usage.ru_maxrss)
