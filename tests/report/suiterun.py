"""Running the conformance suites in a subprocess with --report, as a user would, for the report tests.

Each run builds real edges (HAProxy, Envoy, the echo backend) on loopback. tests/report/edges.yaml adds two
edges to the catalog: one misconfigured (PROXY v2 sent, not expected: its cells must fail with a diagnosis)
and one without a cleartext listener (n/a cells).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from edgeconform.report import schema

REPO = Path(__file__).resolve().parents[2]
EDGES = Path(__file__).with_name("edges.yaml")
BROKEN, NO_CLEARTEXT = "nlb-proxy-v2-not-expected", "nlb-tls-only"
RUN_TIMEOUT = 300  # a full local matrix takes ~10 s; this bounds a hung run, it is not a wait


@dataclass
class SuiteRun:
    directory: Path
    proc: subprocess.CompletedProcess

    @property
    def json(self) -> dict:
        return json.loads((self.directory / "report.json").read_text())

    @property
    def junit(self) -> Path:
        return self.directory / "junit.xml"

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr


def run_suites(directory: Path, *args: str, env: dict[str, str] | None = None, report: bool = True,
               timeout: float = RUN_TIMEOUT) -> SuiteRun:
    """pytest suites ARGS --report DIRECTORY --junitxml DIRECTORY/junit.xml, from the repository root (``timeout``:
    the bound on a hung run)."""
    directory.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pytest", "suites", "-p", "no:cacheprovider", "-q", "-rfE", "--color=no",
            "--junitxml", str(directory / "junit.xml"), *args]
    if report:
        argv += ["--report", str(directory)]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})
    return SuiteRun(directory, proc)


def validate(document: dict) -> None:
    """Validate a report.json document against the committed JSON Schema."""
    jsonschema.Draft202012Validator(schema.load(), format_checker=jsonschema.FormatChecker()).validate(document)
