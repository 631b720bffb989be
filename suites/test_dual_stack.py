"""Dual stack: an IPv6 client of a dual-stack load balancer; what the backend learns about it (PROXY TCP6,
X-Forwarded-For with the IPv6 address, or the load balancer's IPv4 address where AWS documents it)
(edgeconform/behaviours/dual_stack.py)."""

import pytest

pytestmark = pytest.mark.dual_stack


def test_ipv6_client(conformance):
    conformance.check()
