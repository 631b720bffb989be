"""Host header: a client's Host with the listener's port, and what the backend receives (ALB Host preservation)
(edgeconform/behaviours/host_header.py)."""

import pytest

pytestmark = pytest.mark.host_header


def test_host_header(conformance):
    conformance.check()
