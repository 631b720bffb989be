#!/usr/bin/env python3
"""The coverage-guided fuzz target (atheris, libFuzzer) for ``edgeconform import``: each input is a manifests file
(targets.import_manifests). An ImportFailed is a refusal, as it should be; any other exception is a crash, which
libFuzzer writes to a file.

    python tests/fuzz/import_target.py CORPUS -dict=tests/fuzz/yaml.dict -max_total_time=60 -rss_limit_mb=1024

libFuzzer adds what it finds to CORPUS: give a copy of tests/fuzz/corpus/import when the kept corpus should stay
as it is (tests/fuzz/test_fuzz.py does, for a bounded run in ./dev test; .github/workflows/fuzz.yml runs it longer
every night). ``python tests/fuzz/import_target.py FILE`` replays one input (a crash libFuzzer wrote).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["edgeconform", "yaml"]):
    from targets import import_manifests  # this folder is sys.path[0] when run as a script


def one_input(data: bytes) -> None:
    import_manifests(data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
