"""Work folders of the loopback fallback (edgeconform/targets/local/workdirs.py): private, and swept by the next run
when a killed one could not remove them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from edgeconform.targets.local import workdirs


def test_a_work_folder_is_private_and_names_its_owner():
    path = workdirs.make("edgeconform-unit-")
    try:
        assert path.stat().st_mode & 0o777 == 0o700
        pid, started = (path / workdirs.OWNER).read_text().split()
        assert int(pid) == os.getpid() and started
        assert path not in workdirs.sweep()  # its owner lives: kept
    finally:
        shutil.rmtree(path)


@pytest.mark.integration
def test_the_next_run_sweeps_what_a_killed_one_left():
    made = subprocess.run([sys.executable, "-c", "from edgeconform.targets.local import workdirs\n"
                           "print(workdirs.make('edgeconform-killed-'))"], capture_output=True, text=True, check=True)
    left = Path(made.stdout.strip())  # its owner has exited: as after a kill -9
    assert left.is_dir() and left.parent == Path(tempfile.gettempdir())
    assert left in workdirs.sweep()
    assert not left.exists()
