"""The CRD validator the cluster targets' tests use (tests/crds.py) is not a rubber stamp: it accepts a valid
custom resource and refuses a broken one with the API server's own words."""

from __future__ import annotations

import pytest

from tests import crds

pytestmark = pytest.mark.integration  # `go mod download` fills the Go module cache the CRDs are read from


@pytest.fixture(scope="module")
def gateway_api():
    try:
        return crds.registry("gateway-api-standard")
    except crds.CrdsUnavailable as exc:
        pytest.skip(str(exc))


GATEWAY = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "edge"},
           "spec": {"gatewayClassName": "eg", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}


def test_a_valid_gateway_passes(gateway_api):
    assert crds.validate(gateway_api, GATEWAY).errors == []


def test_an_unknown_field_a_bad_enum_and_a_cel_rule_are_refused(gateway_api):
    unknown = {**GATEWAY, "spec": {**GATEWAY["spec"], "colour": "blue"}}
    assert crds.validate(gateway_api, unknown).errors == ['unknown field "spec.colour"']
    bad = {**GATEWAY, "spec": {**GATEWAY["spec"], "listeners": [{"name": "x", "protocol": "HTTPS", "port": 0}]}}
    assert any("spec.listeners[0].port" in e for e in crds.validate(gateway_api, bad).errors)
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
             "spec": {"rules": [{"filters": [{"type": "RequestRedirect"}]}]}}
    assert crds.validate(gateway_api, route).errors  # a RequestRedirect filter without requestRedirect (CEL)
    assert crds.validate(gateway_api, {**GATEWAY, "kind": "Gatewy"}).errors == [
        'no matches for kind "Gatewy" in version "gateway.networking.k8s.io/v1"']
