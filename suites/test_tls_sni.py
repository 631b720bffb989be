"""TLS and SNI: which certificate each hostname gets, what an unknown name gets, and where TLS terminated
(edgeconform/behaviours/sni.py)."""

import pytest

pytestmark = pytest.mark.sni


def test_certificate_per_hostname(conformance):
    conformance.check()
