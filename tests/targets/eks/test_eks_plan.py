"""`edgeconform plan --target eks`: every object of every catalog topology, for both controllers, validated
against the real schemas, and the printed plan golden-tested.

- Kubernetes objects: kubernetes-validate (the API's OpenAPI schemas, strict: unknown fields fail).
- Emissary objects: the openAPIV3Schema of Emissary v4.1.0's CRDs (shared/schemas, as the kind tests use).
- Goldens: tests/targets/eks/golden/eks-plan/<topology>.<controller>.yaml. Regenerate after an intended change with
  EDGECONFORM_UPDATE_GOLDEN=1 pytest tests/targets/eks/test_eks_plan.py, and review the diff: it is what a run
  would create.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from edgeconform import catalog, controllers
from edgeconform.cli import main
from edgeconform.controllers import for_place
from tests.cases import runs
from edgeconform.controllers.base import versions
from edgeconform.kube import manifests
from edgeconform.targets.eks import plan as eks_plan, settings as eks_settings
from tests.targets.kind.kind_helpers import crd_schemas, emissary_crds
from tests.schema_check import validate_crd, validate_kubernetes

K8S_VERSION = str(versions()["kubernetes"])
TOPOLOGIES = catalog.load()
GOLDEN = Path(__file__).parent / "golden" / "eks-plan"
CLI = [sys.executable, "-m", "edgeconform.cli"]
ARNS = {  # certificate name -> a made-up ARN (account 123456789012 is AWS's documentation account)
    "default.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000001",
    "app.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000002",
    "api.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000003",
    "*.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000004",
}
CONTROLLERS = for_place("cluster", "eks")  # the controllers the eks target configures
# a topology that names its controller (none: the load balancer straight to the application) runs with that one only
CASES = [(name, controller) for name in TOPOLOGIES for controller in CONTROLLERS if runs(TOPOLOGIES[name], controller)]


def settings(controller: str) -> eks_settings.EksSettings:
    return eks_settings.load(None, controller=controller, client_ip="203.0.113.7",
                             acm_cert=[f"{name}={arn}" for name, arn in ARNS.items()])


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    out = {}
    for name, controller in CASES:
        s = settings(controller)
        out[(name, controller)] = eks_plan.build(TOPOLOGIES[name], s, "golden", tmp_path_factory.mktemp(name))
    return out


def test_every_kubernetes_object_of_every_plan_is_valid(plans):
    checked = 0
    for (name, controller), p in plans.items():
        for obj in p.objects():
            if obj["apiVersion"].startswith(("getambassador.io/", "traefik.io/")):  # custom resources: their CRDs
                continue
            try:
                validate_kubernetes(obj, K8S_VERSION)
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{name}/{controller}: {obj['kind']} {obj['metadata']['name']}: {exc.message} "
                            f"at {list(exc.path)}")
            checked += 1
    assert checked > 100


def test_every_emissary_object_of_every_plan_matches_its_crd(plans):
    path = emissary_crds()
    if not path.is_file():
        pytest.skip(f"Emissary v4.1.0 CRDs not found at {path} (shared/schemas)")
    schemas = crd_schemas(path)
    kinds = set()
    for p in plans.values():
        for obj in p.objects():
            if obj["apiVersion"].startswith("getambassador.io/"):
                validate_crd(obj, schemas[(obj["apiVersion"], obj["kind"])])
                kinds.add(obj["kind"])
    assert kinds == {"Listener", "Host", "Mapping", "TLSContext", "Module"}


def test_the_load_balancer_object_is_what_the_validator_rejects_when_broken(plans):
    """The validator is not a rubber stamp for our Service: a misspelt field fails."""
    p = plans[("nlb-proxy-v2", "emissary")]
    svc = next(o for o in p.edge if o["metadata"]["name"] == p.load_balancer.name)
    broken = {**svc, "spec": {**svc["spec"], "externalTrafficPolicyy": "Local"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_everything_carries_the_run_label_and_stays_in_the_namespace_or_the_controllers(plans):
    for (name, controller), p in plans.items():
        namespaces = {obj["metadata"].get("namespace") for obj in p.objects()}
        controller_ns = controllers.controller_class(controller).namespace
        assert namespaces <= {None, manifests.NAMESPACE, controller_ns}, (name, namespaces)
        cluster_scoped = [o for o in p.objects() if o["metadata"].get("namespace") is None]
        assert [o["kind"] for o in cluster_scoped] == ["Namespace"], (name, cluster_scoped)
        for obj in p.objects():
            assert obj["metadata"]["labels"][eks_plan.RUN_LABEL] == "golden", (name, obj["kind"])
        # the kind target's fixed-NodePort Service is not created on a real cluster
        assert not [o for o in p.objects() if o["metadata"]["name"] == eks_plan.KIND_EDGE_SERVICE]


def test_ip_targets_allocate_no_node_ports_and_the_lb_admits_only_the_runner(plans):
    p = plans[("nlb-ip", "emissary")]
    svc = next(o for o in p.edge if o["metadata"]["name"] == p.load_balancer.name)
    assert svc["spec"]["allocateLoadBalancerNodePorts"] is False
    assert svc["spec"]["loadBalancerSourceRanges"] == ["203.0.113.7/32"]
    p = plans[("nlb-instance-local", "emissary")]
    svc = next(o for o in p.edge if o["metadata"]["name"] == p.load_balancer.name)
    assert "allocateLoadBalancerNodePorts" not in svc["spec"]


def normalize(text: str) -> str:
    """What differs between machines and releases without changing the plan: the echo source's hash and size,
    and the websockets version installed here."""
    text = re.sub(r"[0-9a-f]{64}", "<sha256>", text)
    text = re.sub(r"echo\.py: \d+ lines", "echo.py: <n> lines", text)
    return re.sub(r"websockets==[0-9][0-9.]*", "websockets==<version>", text)


def plan_as_golden(capsys, golden: Path, *options: str) -> str:
    """`edgeconform plan --target eks` with the golden run's fixed id, client address and ARNs plus ``options``,
    compared with (or, with EDGECONFORM_UPDATE_GOLDEN=1, written to) ``golden``; returns what it printed."""
    code = main(["plan", "--target", "eks", *options, "--run-id", "golden", "--client-ip", "203.0.113.7",
                 *[f"--acm-cert={n}={a}" for n, a in ARNS.items()]])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    out = normalize(stdout)
    if os.environ.get("EDGECONFORM_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert golden.is_file(), f"no golden file {golden}: run with EDGECONFORM_UPDATE_GOLDEN=1 and review it"
    assert out == golden.read_text(), f"plan {' '.join(options)} differs from {golden} (see the docstring)"
    return stdout


@pytest.mark.parametrize("name, controller", CASES)
def test_plan_output_matches_the_golden_file(name, controller, capsys):
    stdout = plan_as_golden(capsys, GOLDEN / f"{name}.{controller}.yaml", "--topology", name, "--controller",
                            controller)
    docs = [doc for doc in yaml.load_all(stdout, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if doc]
    assert docs and all("apiVersion" in doc for doc in docs)


@pytest.mark.integration
def test_plan_without_arns_shows_placeholders_and_says_so():
    run = subprocess.run([*CLI, "plan", "--target", "eks", "--topology", "nlb-tls", "--run-id", "x"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    assert "<missing: --acm-cert default.edgeconform.test=ARN>" in run.stdout
    assert "no ARN for certificate default.edgeconform.test" in run.stderr


@pytest.mark.integration
@pytest.mark.parametrize("args, words", [
    (["--topology", "nope"], "unknown topology 'nope'"),
    (["--topology", "alb", "--acm-cert", "default.edgeconform.test=arn:aws:s3:::bucket"], "is not an ACM certificate ARN"),
    (["--topology", "alb", "--acm-cert", "oops"], "--acm-cert 'oops': expected NAME=ARN"),
    (["--topology", "alb", "--eks-config", "/nonexistent.yaml"], "--eks-config /nonexistent.yaml: cannot read it"),
])
def test_plan_refuses_bad_input_with_the_cause(args, words):
    run = subprocess.run([*CLI, "plan", "--target", "eks", *args], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and words in run.stderr, run.stderr


@pytest.mark.integration
def test_plan_refuses_a_topology_aws_cannot_build(tmp_path):
    edges = tmp_path / "edges.yaml"
    edges.write_text("topologies:\n  clb-ip:\n    hostnames: [a.edgeconform.test]\n    load_balancer:\n"
                     "      model: clb\n      listeners: [{port: 80, protocol: TCP, target: http}]\n"
                     "      target_type: ip\n")
    run = subprocess.run([*CLI, "plan", "--target", "eks", "--topology", "clb-ip", "--topology-file", str(edges)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert ("topology 'clb-ip' cannot be built on AWS (clb, mode lbc-annotations): a Classic ELB registers instances "
            "only") in run.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("topologies:\n  x:\n    hostnames: [a.test]\n    load_balancer: {model: elb, listeners: []}\n")
    run = subprocess.run([*CLI, "plan", "--target", "eks", "--topology", "x", "--topology-file", str(broken)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.startswith(f"edgeconform: {broken}: topology 'x'"), run.stderr


@pytest.mark.integration
def test_the_config_file_carries_domain_certificates_and_scheme(tmp_path):
    config = tmp_path / "eks.yaml"
    config.write_text("scheme: internal\ndomain: edge.example.com\ncontroller: ingress-nginx\n"
                      "certificates:\n  default.edge.example.com: " + ARNS["default.edgeconform.test"] + "\n")
    run = subprocess.run([*CLI, "plan", "--target", "eks", "--topology", "nlb-tls", "--eks-config", str(config),
                          "--run-id", "x"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    svc = next(d for d in yaml.safe_load_all(run.stdout) if d and d["metadata"]["name"] == "edgeconform-nlb-tls")
    a = svc["metadata"]["annotations"]
    assert a["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert a["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"].startswith(ARNS["default.edgeconform.test"] + ",<missing: --acm-cert app.edge.example.com=ARN>")
    assert "controller ingress-nginx" in run.stdout.splitlines()[0]
    assert "app.edge.example.com" in run.stdout and "app.edgeconform.test" not in run.stdout
