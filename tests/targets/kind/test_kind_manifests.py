"""Every manifest the kind target would apply, validated against the real schemas.

- Kubernetes objects: kubernetes-validate (the API's own OpenAPI schemas, strict: unknown fields fail) at the
  version of the pinned kind node image.
- Emissary objects (Listener, Host, Mapping, TLSContext, Module): the openAPIV3Schema of Emissary v4.1.0's own
  CRDs, read from ../shared/schemas/ (or $EDGECONFORM_SHARED/schemas/); skipped with the reason when absent.
"""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from edgeconform.controllers.emissary import cluster as emissary
from edgeconform.controllers.ingress_nginx import cluster as ingress_nginx
from edgeconform.controllers.base import versions
from edgeconform.kube import manifests

from kind_helpers import crd_schemas, emissary_crds, plans
from tests.schema_check import validate_crd, validate_kubernetes

K8S_VERSION = str(versions()["kubernetes"])
EMISSARY_KINDS = {"Listener", "Host", "Mapping", "TLSContext", "Module"}


@pytest.fixture(scope="module")
def all_plans(tmp_path_factory):
    return plans(tmp_path_factory.mktemp("certs"))


# Custom resources: Emissary's below, Gateway API's and Envoy Gateway's against their CRDs from the Go module cache
# (tests/controllers/test_envoy_gateway_resources.py).
CUSTOM = ("getambassador.io/", "gateway.networking.k8s.io/", "gateway.envoyproxy.io/", "traefik.io/")


def _k8s_objects(all_plans):
    for t, controller, plan in all_plans:
        for obj in plan.manifests:
            if not obj["apiVersion"].startswith(CUSTOM):
                yield f"{t.name}/{controller}/{obj['kind']}/{obj['metadata']['name']}", obj


def test_every_kubernetes_object_is_valid(all_plans):
    objects = list(_k8s_objects(all_plans))
    objects += [(f"echo/{o['kind']}", o) for o in manifests.echo("python:3.12-slim")]
    objects.append(("webhook-probe", ingress_nginx.webhook_probe(manifests.NAMESPACE)))
    assert len(objects) > 40
    for where, obj in objects:
        try:
            validate_kubernetes(obj, K8S_VERSION)
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{where}: {exc.message} at {list(exc.path)}")


def test_validation_catches_a_broken_object(all_plans):
    """The validator is not a rubber stamp: a misspelt field and a wrong type fail."""
    _, obj = next(_k8s_objects(all_plans))
    broken = {**obj, "metadata": {**obj["metadata"], "lables": {"a": "b"}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
    with pytest.raises(jsonschema.ValidationError):  # the cached validators of the sweep agree
        validate_kubernetes(broken, K8S_VERSION)
    service = next(o for _, o in _k8s_objects(all_plans) if o["kind"] == "Service")
    bad = {**service, "spec": {**service["spec"], "externalTrafficPolicy": 7}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
    with pytest.raises(jsonschema.ValidationError):
        validate_kubernetes(bad, K8S_VERSION)


@pytest.fixture(scope="module")
def emissary_schemas():
    path = emissary_crds()
    if not path.is_file():
        pytest.skip(f"Emissary v4.1.0 CRDs not found at {path}: put emissary-crds-v4.1.0.yaml under "
                    "<repo>/../shared/schemas/ or set EDGECONFORM_SHARED")
    return crd_schemas(path)


def _emissary_objects(all_plans):
    for t, controller, plan in all_plans:
        for obj in plan.manifests:
            if obj["apiVersion"].startswith("getambassador.io/"):
                yield f"{t.name}/{obj['kind']}/{obj['metadata']['name']}", obj


def test_every_emissary_object_matches_its_crd(all_plans, emissary_schemas):
    seen = set()
    for where, obj in _emissary_objects(all_plans):
        schema = emissary_schemas.get((obj["apiVersion"], obj["kind"]))
        assert schema is not None, f"{where}: Emissary v4.1.0 serves no {obj['apiVersion']} {obj['kind']}"
        try:
            validate_crd(obj, schema)
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{where}: {exc.message} at {list(exc.absolute_path)}")
        seen.add(obj["kind"])
    assert seen == EMISSARY_KINDS


def test_emissary_schema_catches_a_broken_listener(all_plans, emissary_schemas):
    _, listener = next((w, o) for w, o in _emissary_objects(all_plans) if o["kind"] == "Listener")
    schema = emissary_schemas[(listener["apiVersion"], "Listener")]
    for spec in ({**listener["spec"], "protocolStack": ["PROXY", "QUIC"]},
                 {k: v for k, v in listener["spec"].items() if k != "securityModel"},
                 {**listener["spec"], "securityModel": "TRUSTED"}):
        with pytest.raises(jsonschema.ValidationError):
            validate_crd({**listener, "spec": spec}, schema)


def test_the_echo_backend_runs_the_harness_own_echo():
    config_map = next(o for o in manifests.echo("python:3.12-slim") if o["kind"] == "ConfigMap")
    assert config_map["data"]["echo.py"] == manifests.echo_source()
    deployment = next(o for o in manifests.echo("python:3.12-slim") if o["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"][:2] == ["python", "/app/echo.py"]
    assert pod["initContainers"][0]["command"][-1].startswith("websockets==")


def test_ingress_nginx_manifest_gets_the_default_certificate():
    upstream = [{"kind": "Deployment", "metadata": {"name": ingress_nginx.DEPLOYMENT}, "spec": {"template": {"spec": {
        "containers": [{"name": "controller", "args": ["/nginx-ingress-controller", "--election-id=x"]}]}}}}]
    prepared = ingress_nginx.prepare_manifest(upstream)
    args = prepared[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == "--default-ssl-certificate=ingress-nginx/edgeconform-default-tls"
    assert upstream[0]["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--election-id=x"
    with pytest.raises(ValueError, match="versions.yaml"):
        ingress_nginx.prepare_manifest([{"kind": "Namespace", "metadata": {"name": "ingress-nginx"}}])


def test_secret_names_are_dns_labels():
    assert manifests.secret_name("*.edgeconform.test") == "edgeconform-tls-wildcard-edgeconform-test"
    assert manifests.secret_name("app.edgeconform.test") == "edgeconform-tls-app-edgeconform-test"
    assert emissary.TLS_VERSIONS["TLSv1.2"] == "v1.2"


def test_echo_pip_mirror(monkeypatch):
    monkeypatch.setenv("EDGECONFORM_PIP_INDEX_URL", "https://pypi.mirror.example/simple")
    echo = manifests.echo("python:3.12-slim")
    init = next(o for o in echo if o["kind"] == "Deployment")["spec"]["template"]["spec"]["initContainers"][0]
    assert init["env"] == [{"name": "PIP_INDEX_URL", "value": "https://pypi.mirror.example/simple"}]
    kubernetes_validate.validate(next(o for o in echo if o["kind"] == "Deployment"), K8S_VERSION, strict=True)
