"""Every Gateway API and Envoy Gateway document edgeconform generates (locally, for kind, and for the examples written
in Envoy Gateway's terms) is valid against the real CRDs of the pinned versions, read from the Go module cache
(tests/crds.py): what Envoy Gateway's own loader (kubectl-validate, CEL included) and an API server would accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeconform import catalog, certs
from edgeconform.controllers.envoy_gateway import EnvoyGateway, cluster, resources, settings
from edgeconform.controllers.base import EdgeFacts
from tests import crds

pytestmark = pytest.mark.integration  # `go mod download` fills the module cache the CRDs are read from

EG = EnvoyGateway()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "misconfigured" / "envoy-gateway"


@pytest.fixture(scope="module")
def registry():
    try:
        return crds.registry("gateway-api-standard", "envoy-gateway")
    except crds.CrdsUnavailable as exc:
        pytest.skip(str(exc))


def topologies():
    found = {name: t.with_controller("envoy-gateway") for name, t in catalog.load().items()}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        found.update(catalog.load_file(path))
    return found


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """(where, document) for everything generated for every catalog topology and example, locally and for kind."""
    out = []
    for name, t in topologies().items():
        issued = certs.issue(tmp_path_factory.mktemp(name), "controller", t.controller.certificates)
        local = resources.resources(t, ports={kind: 8080 + i for i, kind in enumerate(t.controller_kinds)},
                                    certificates=issued, backend_ref={"group": "gateway.envoyproxy.io",
                                                                      "kind": "Backend", "name": "echo"},
                                    backend_ip=("10.0.4.31", 9000))
        out += [(f"{name} (local)", doc) for doc in local]
        out += [(f"{name} (kind)", doc) for doc in EG.translate(t, EdgeFacts(("172.18.0.9",), issued)).manifests]
    out += [("install", doc) for doc in cluster.install_objects()]
    return [(where, doc) for where, doc in out if doc["apiVersion"].startswith(("gateway.", "gateway.envoyproxy"))]


def test_every_generated_document_is_valid_against_its_crd(registry, documents):
    kinds = set()
    for where, doc in documents:
        result = crds.validate(registry, doc)
        assert result.ok, f"{where}: {result.ref}: {result.errors}"
        kinds.add(doc["kind"])
    assert kinds == {"GatewayClass", "Gateway", "HTTPRoute", "ClientTrafficPolicy", "Backend", "EnvoyProxy"}


@pytest.mark.parametrize("broken, words", [
    ({"proxyProtocol": {"optionl": True}}, 'unknown field "spec.proxyProtocol.optionl"'),
    ({"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1, "trustedCIDRs": ["10.0.0.0/8"]}}},
     "only one of numTrustedHops or trustedCIDRs must be set"),
    ({"tls": {"minVersion": "1.4"}}, "spec.tls.minVersion: Unsupported value"),
])
def test_the_crd_refuses_what_the_settings_model_refuses(registry, broken, words):
    """The settings model and the CRD agree on these mistakes (the model names them at load time)."""
    ctp = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
           "metadata": {"name": "x", "namespace": "edgeconform"},
           "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edgeconform"}],
                    **broken}}
    errors = crds.validate(registry, ctp).errors
    assert any(words in error for error in errors), errors
    with pytest.raises(ValueError):
        settings.ClientTrafficPolicySpec.model_validate(broken)
