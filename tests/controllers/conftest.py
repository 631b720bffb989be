"""Fixtures the controllers' tests share."""

from __future__ import annotations

import pytest

from edgeconform.targets import TargetUnavailable


@pytest.fixture(scope="module")
def envoy_gateway_target():
    """A local target whose controller is the real Envoy Gateway (its tests skip, naming why, where it cannot run
    here); closed at the module's end, with the Envoy Gateway it started ahead for a next edge."""
    from edgeconform.targets.local import LocalTarget

    try:
        local = LocalTarget("envoy-gateway")
    except TargetUnavailable as exc:
        pytest.skip(str(exc))
    yield local
    local.close()
