"""Cleartext redirect: what a plain http:// request gets, where it happened, and that following it ends over TLS
without a loop (edgeconform/behaviours/redirect.py)."""

import pytest

pytestmark = pytest.mark.redirect


def test_cleartext_is_redirected_without_loop(conformance):
    conformance.check()
