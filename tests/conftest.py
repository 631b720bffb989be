"""Shared helpers for the harness's own tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

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


@pytest.fixture
def synthetic():
    """A topology from the YAML text of one catalog entry (hostnames default to [a.example.test])."""
    def parse(text: str):
        data = yaml.safe_load(textwrap.dedent(text).strip())
        data.setdefault("hostnames", ["a.example.test"])
        data.setdefault("name", "synthetic")
        return catalog.parse(data)
    return parse
