"""`edgeconform compare` on the command line: bad input is one error (exit 2) before anything starts; pytest
arguments pass through after --; an interrupted comparison stops both runs and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeconform import cli

ROOT = Path(__file__).resolve().parents[2]


def test_bad_input_is_one_error_before_anything_runs(capsys, tmp_path):
    assert cli.main(["compare", "nope.yaml", "nlb-ip"]) == 2
    assert capsys.readouterr().err == ("edgeconform compare: nope.yaml: no such file; give a topology file, FILE:NAME "
                                       "(one topology of it), the name of a catalog topology (edgeconform list), a "
                                       "folder or file of manifests, or REV:PATH (a git revision of one, e.g. "
                                       "origin/main:deploy/edge)\n")
    assert cli.main(["compare", "nlb-ip", "--controller", "envoy"]) == 2
    assert "nothing to compare" in capsys.readouterr().err
    (tmp_path / "taken").write_text("")
    assert cli.main(["compare", "nlb-ip", "nlb-tls", "--report", str(tmp_path / "taken")]) == 2
    assert "--report" in capsys.readouterr().err and not list(Path("/tmp").glob("edgeconform-compare-*"))


def test_a_broken_topology_file_names_file_entry_and_field(capsys, write_topologies):
    broken = write_topologies("topologies:\n  x:\n    hostnames: [a.test]\n    load_balancer: {model: elb}\n")
    assert cli.main(["compare", str(broken), "nlb-ip"]) == 2
    assert "topology 'x': field 'load_balancer.model'" in capsys.readouterr().err


def test_pytest_arguments_go_after_a_double_dash(capsys, monkeypatch):
    seen = {}

    def fake_compare(before, after, controllers, directory, pytest_args, progress=None):
        seen.update(before=before, after=after, controllers=controllers, pytest_args=pytest_args)
        raise cli_compare.CompareError("stop here")

    from edgeconform import compare as cli_compare
    monkeypatch.setattr(cli_compare, "compare", fake_compare)
    assert cli.main(["compare", "a.yaml", "--controller", "envoy", "--", "-m", "security", "-k", "forged"]) == 2
    assert seen == {"before": "a.yaml", "after": None, "controllers": ["envoy"],
                    "pytest_args": ["-m", "security", "-k", "forged"]}
    with pytest.raises(SystemExit) as exited:
        cli.main(["compare", "a.yaml", "b.yaml", "-n", "2"])
    assert exited.value.code == 2 and "unrecognized arguments: -n" in capsys.readouterr().err


def _running(marker: str) -> list[str]:
    """Command lines of live processes that mention ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in argv and proc.name.isdigit() and int(proc.name) != os.getpid():
            found.append(argv)
    return found


@pytest.mark.integration
def test_sigterm_stops_both_runs_and_leaves_nothing(tmp_path):
    out = tmp_path / "migration"
    proc = subprocess.Popen([sys.executable, "-m", "edgeconform.cli", "compare", "nlb-instance-local", "nlb-ip",
                             "--report", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60  # both runs have started measuring: bounded, polled
        while time.monotonic() < deadline:
            logs = [out / side / "pytest.log" for side in ("before", "after")]
            if all(log.is_file() and "edgeconform: topologies" in log.read_text() for log in logs):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            pytest.fail("the two runs did not start within 60 s")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted; both runs were stopped" in stderr
    assert _running(str(out)) == []  # neither pytest run outlives compare
