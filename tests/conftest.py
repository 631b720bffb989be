"""Shared helpers for the harness's own tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from edgeconform import catalog

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def topologies():
    return catalog.load()


@pytest.fixture
def write_topologies(tmp_path):
    """Write a catalog-format file from YAML text; returns its path."""
    def write(text: str, name: str = "edges.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write
