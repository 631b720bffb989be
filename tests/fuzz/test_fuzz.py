"""The fuzzers' findings stay fixed, and the import fuzz target runs for a bounded time in every ./dev test.

- Every input the fuzzers ever crashed on is kept in tests/fuzz/crashes/ (named after what it broke) and must now
  be imported or refused, never crash (a unit test: in-process, milliseconds). Each also has a readable
  regression test beside the code it broke (tests/importing/test_import_hostile.py).
- test_fuzz_import_for_a_bounded_time runs the atheris target (import_target.py) on a copy of the kept corpus for
  EDGECONFORM_FUZZ_SECONDS (default 20) under 1 GB; a crash fails it, naming the input libFuzzer wrote and the
  traceback. The nightly workflow (.github/workflows/fuzz.yml) runs the same target for 30 minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .targets import import_manifests

HERE = Path(__file__).resolve().parent
CRASHES = sorted((HERE / "crashes").iterdir())
SECONDS = int(os.environ.get("EDGECONFORM_FUZZ_SECONDS", "20"))


@pytest.mark.parametrize("crash", CRASHES, ids=[p.name for p in CRASHES])
def test_an_input_the_fuzzer_crashed_on_is_now_imported_or_refused(crash):
    import_manifests(crash.read_bytes())  # an exception other than the refusal fails the test


@pytest.mark.integration  # a few seconds: ./dev test's bounded run replays it too
def test_the_kept_corpus_imports_or_is_refused_without_crashing():
    units = sorted((HERE / "corpus" / "import").iterdir())
    imported = [unit.name for unit in units if import_manifests(unit.read_bytes()) is not None]
    assert len(units) >= 300 and len(imported) >= 50, (len(units), len(imported))


@pytest.mark.integration
def test_fuzz_import_for_a_bounded_time(tmp_path):
    pytest.importorskip("atheris", reason="atheris (pip install 'edgeconform[test]', Linux) runs the fuzz target")
    corpus = tmp_path / "corpus"
    shutil.copytree(HERE / "corpus" / "import", corpus)
    artifacts = tmp_path / "crashes"
    artifacts.mkdir()
    argv = [sys.executable, str(HERE / "import_target.py"), str(corpus), f"-dict={HERE / 'yaml.dict'}",
            f"-max_total_time={SECONDS}", "-rss_limit_mb=1024", "-timeout=10", f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1"]
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=SECONDS + 120)
    found = sorted(artifacts.iterdir())
    assert run.returncode == 0 and not found, (
        f"the import fuzz target crashed (exit {run.returncode}); input: {[str(p) for p in found]}; keep it in "
        f"tests/fuzz/crashes/ with a regression test. Its output:\n{run.stderr[-6000:]}")
    assert "Done" in run.stderr and "cov:" in run.stderr, run.stderr[-2000:]
