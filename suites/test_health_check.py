"""Health checks: the load balancer's health checks, as AWS sends them (TCP, HTTP, with the NLB's PROXY v2 LOCAL
header where PROXY is on), pass at the controller, so its targets are healthy (edgeconform/behaviours/
health_check.py)."""

import pytest

pytestmark = pytest.mark.health_check


def test_targets_are_healthy(conformance):
    conformance.check()
