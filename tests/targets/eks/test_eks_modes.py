"""The three eks modes, for every catalog topology and every controller that runs in a cluster:

- what each mode refuses, before anything is created, and that every refusal names a field (or annotation) and a
  source that can be followed;
- every object of every plan it builds, validated against the real schemas: Kubernetes' own (kubernetes-validate,
  strict) for core kinds, the Gateway API v1.6.3 and AWS Load Balancer Controller CRDs (tests/crds.py, read from
  the Go module cache) for custom resources. EKS Auto Mode's IngressClassParams (eks.amazonaws.com/v1) has no
  published schema: it is the one object not validated, and the test says so by name;
- lbc-gateway's objects decoded back into load-balancer fields by the LBC's documented rules (written out here,
  independently of clusters/eks/gateway.yaml) and compared with the topology, plus the references between them
  the API server does not check (class, parametersRef, sectionName, backend port, TargetGroupConfiguration target);
- auto-mode's objects checked against AWS's "Not supported" tables for Auto Mode (written out here from the AWS
  pages, independently of clusters/eks/auto-mode.yaml);
- `edgeconform plan --target eks --eks-mode M` against golden files (tests/targets/eks/golden/eks-plan/<mode>/).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest

from edgeconform import catalog, sources
from edgeconform.cli import main
from edgeconform.controllers import for_place
from tests.cases import runs
from edgeconform.controllers.base import versions
from edgeconform.targets.eks import auto_mode, builders, modes, plan as eks_plan, settings as eks_settings
from edgeconform.targets.eks.annotations import Annotation, AnnotationSet
from edgeconform.targets.eks.modes import CannotBuild
from edgeconform.topology import Topology
from tests import crds
from tests.schema_check import validate_kubernetes

from test_eks_plan import ARNS, plan_as_golden

TOPOLOGIES = catalog.load()
K8S_VERSION = str(versions()["kubernetes"])
CONTROLLERS = for_place("cluster", "eks")  # the controllers the eks target configures
GOLDEN = Path(__file__).parent / "golden" / "eks-plan"
NO_SCHEMA = {("eks.amazonaws.com/v1", "IngressClassParams")}  # EKS Auto Mode publishes no CRD for it
# What each mode cannot build of the catalog (and only that): Classic ELBs come from the legacy provider only.
REFUSED = {"lbc-annotations": set(), "lbc-gateway": {"clb-tcp", "clb-tcp-proxy-v1", "clb-http"},
           "auto-mode": {"clb-tcp", "clb-tcp-proxy-v1", "clb-http"}}


def settings(controller: str = "emissary", **extra) -> eks_settings.EksSettings:
    return eks_settings.load(None, controller=controller, client_ip="203.0.113.7",
                             acm_cert=[f"{name}={arn}" for name, arn in ARNS.items()], **extra)


def build(t: Topology, mode: str, controller: str = "emissary", **extra) -> eks_plan.Plan:
    with tempfile.TemporaryDirectory() as workdir:
        return eks_plan.build(t, settings(controller, **extra), "golden", Path(workdir), mode)


@pytest.fixture(scope="module")
def plans():
    out = {}
    for mode in modes.NAMES:
        for name, t in TOPOLOGIES.items():
            if name in REFUSED[mode]:
                continue
            for controller in CONTROLLERS:
                if runs(t, controller):  # a topology that names its controller (none) runs with that one only
                    out[(mode, name, controller)] = build(t, mode, controller)
    return out


@pytest.fixture(scope="module")
def registry():
    try:
        return crds.registry("gateway-api-standard", "lbc-gateway")
    except crds.CrdsUnavailable as exc:
        pytest.skip(str(exc))


# --- refusals ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", modes.NAMES)
def test_each_mode_refuses_exactly_what_it_cannot_build_naming_the_field_and_the_source(mode):
    refused = {}
    for name, t in TOPOLOGIES.items():
        problems = builders.get(mode).refusals(t, settings())
        if problems:
            refused[name] = problems
    assert set(refused) == REFUSED[mode]
    for name, problems in refused.items():
        for problem in problems:
            assert problem.field and problem.sources, (mode, name, problem)
            assert not sources.unknown(list(problem.sources)), problem.sources
        with pytest.raises(CannotBuild, match=rf"topology '{name}' cannot be built on AWS \(clb, mode {mode}\): "
                                              r"load_balancer.model: .*\[(LBC-GW|EKS-AUTO-NLB)\]"):
            build(TOPOLOGIES[name], mode)


def _with_lb(name: str, **fields) -> Topology:
    t = TOPOLOGIES[name]
    return t.model_copy(update={"load_balancer": t.lb.model_copy(update=fields)})


@pytest.mark.parametrize("t, words", [
    (_with_lb("nlb-tls", idle_timeout=400), r"load_balancer.idle_timeout: the idle timeout of an NLB TLS listener is "
                                            r"fixed at 350 s .*\[NLB-IT\]"),
    (_with_lb("nlb-proxy-v2", proxy_protocol="v1"), r"load_balancer.proxy_protocol: .*PROXY v2 only.*\[NLB-TG23\]"),
    (_with_lb("nlb-proxy-v2", xff="append"), r"load_balancer.xff: .*\[NLB-TLS23\]"),
    (_with_lb("alb", proxy_protocol="v2"), r"load_balancer.proxy_protocol: an ALB does not send PROXY protocol \[ALB-L\]"),
    (_with_lb("alb", certificates=[]), r"load_balancer.certificates: an HTTPS listener needs a default certificate"),
])
def test_lbc_gateway_refuses_what_aws_does_not_support(t, words):
    with pytest.raises(CannotBuild, match=words):
        build(t, "lbc-gateway")


def test_lbc_gateway_builds_a_tcp_idle_timeout_that_the_annotations_cannot():
    t = _with_lb("nlb-ip", idle_timeout=400)
    p = build(t, "lbc-gateway")
    config = next(o for o in p.lb_objects if o["kind"] == "LoadBalancerConfiguration")
    assert [c["listenerAttributes"] for c in config["spec"]["listenerConfigurations"]] == [
        [{"key": "tcp.idle_timeout.seconds", "value": "400"}]] * 2


def test_auto_mode_refuses_an_annotation_it_does_not_support_naming_it_and_the_source():
    lb_set = AnnotationSet("nlb", "Service", "x", (
        Annotation("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal", (), ("LBC-SA",), ""),
        Annotation("service.beta.kubernetes.io/aws-load-balancer-access-log-enabled", "true", (), ("LBC-SA",), ""),
    ), ())
    refused = auto_mode.translate(lb_set).refusals
    assert [r.describe() for r in refused] == [
        "annotation service.beta.kubernetes.io/aws-load-balancer-access-log-enabled: EKS Auto Mode does not support "
        "this annotation (use aws-load-balancer-attributes) [EKS-AUTO-NLB]"]


def test_auto_mode_passes_on_what_the_annotation_sets_cannot_express():
    bad = _with_lb("nlb-proxy-v2", proxy_protocol="v1")
    problems = builders.get("auto-mode").refusals(bad, settings())
    assert problems and "PROXY v2 only" in problems[0].describe()


# --- the real schemas -------------------------------------------------------------------------------------------
@pytest.mark.integration  # `go mod download` fills the Go module cache the CRDs are read from
def test_every_object_of_every_mode_is_valid_against_its_real_schema(plans, registry):
    checked, unvalidated = {}, set()
    for (mode, name, controller), p in plans.items():
        for obj in [*p.shared, *p.lb_objects]:
            key = (obj["apiVersion"], obj["kind"])
            if key in NO_SCHEMA:
                unvalidated.add(key)
                continue
            if "/" not in obj["apiVersion"] or obj["apiVersion"].startswith(("networking.k8s.io/", "apps/")):
                validate_kubernetes(obj, K8S_VERSION)
                by = "kubernetes"
            else:
                result = crds.validate(registry, obj)
                assert result.ok, (mode, name, result.ref, result.checked_by, result.errors)
                by = result.checked_by
            checked.setdefault(mode, set()).add((obj["kind"], by.split(":")[0]))
    assert checked["lbc-gateway"] >= {("GatewayClass", "crd"), ("Gateway", "crd"), ("TCPRoute", "crd"),
                                      ("HTTPRoute", "crd"), ("LoadBalancerConfiguration", "crd"),
                                      ("TargetGroupConfiguration", "crd"), ("Service", "kubernetes")}
    assert checked["auto-mode"] >= {("Service", "kubernetes"), ("Ingress", "kubernetes"), ("IngressClass", "kubernetes")}
    assert unvalidated == NO_SCHEMA


@pytest.mark.integration  # `go mod download` fills the Go module cache the CRDs are read from
def test_the_crd_validator_catches_a_broken_gateway_object(plans, registry):
    """Not a rubber stamp: the same objects, broken the ways the LBC docs warn about, are refused."""
    p = plans[("lbc-gateway", "nlb-tls", "emissary")]
    gateway = next(o for o in p.lb_objects if o["kind"] == "Gateway")
    tls = [dict(item) for item in gateway["spec"]["listeners"]]
    tls[1] = {**tls[1], "tls": {"mode": "Terminate"}}  # no certificateRefs: the Gateway CRD's CEL rule
    errors = crds.validate(registry, {**gateway, "spec": {**gateway["spec"], "listeners": tls}}).errors
    assert any("certificateRefs or options must be specified when mode is Terminate" in e for e in errors), errors
    config = next(o for o in p.lb_objects if o["kind"] == "LoadBalancerConfiguration")
    errors = crds.validate(registry, {**config, "spec": {**config["spec"], "vpcId": "vpc-1"}}).errors
    assert errors == ['unknown field "spec.vpcId"']  # documented in loadbalancerconfig.md, absent from the CRD
    route = copy.deepcopy(next(o for o in plans[("lbc-gateway", "alb", "emissary")].lb_objects
                               if o["kind"] == "HTTPRoute" and "filters" in o["spec"]["rules"][0]))
    del route["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"]
    defaulted = crds.validate(registry, route).defaulted
    assert defaulted["spec"]["rules"][0]["filters"][0]["requestRedirect"]["statusCode"] == 302  # hence the explicit 301


# --- lbc-gateway, decoded by the LBC's documented rules ---------------------------------------------------------
CLASS_MODEL = {"gateway.k8s.aws/nlb": "nlb", "gateway.k8s.aws/alb": "alb"}  # l4gateway.md, l7gateway.md
ROUTES_OF = {"nlb": {"TCPRoute", "UDPRoute", "TLSRoute"}, "alb": {"HTTPRoute", "GRPCRoute"}}  # gateway.md

def decode_gateway(objs: list[dict], container_ports: dict[str, int]) -> dict:
    by = {(o["kind"], o["metadata"]["name"]): o for o in objs}
    gateway = next(o for o in objs if o["kind"] == "Gateway")
    cls = by[("GatewayClass", gateway["spec"]["gatewayClassName"])]
    model = CLASS_MODEL[cls["spec"]["controllerName"]]
    ns = gateway["metadata"]["namespace"]
    ref = gateway["spec"]["infrastructure"]["parametersRef"]
    config = by[(ref["kind"], ref["name"])]
    assert config["metadata"]["namespace"] == ns  # a Gateway's parametersRef is local
    configs = {c["protocolPort"]: c for c in config["spec"].get("listenerConfigurations") or []}
    routes = [o for o in objs if o["kind"].endswith("Route")]
    services = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Service"}
    by_port = {v: k for k, v in container_ports.items()}
    listeners, certificates, policies, redirect = [], [], set(), False
    for item in gateway["spec"]["listeners"]:
        mine = [r for r in routes for p in r["spec"]["parentRefs"]
                if p["name"] == gateway["metadata"]["name"] and p.get("sectionName") == item["name"]]
        assert len(mine) == 1, item
        route = mine[0]
        assert route["kind"] in ROUTES_OF[model], (route["kind"], model)  # no L4/L7 mixing on one Gateway
        # TLS + Terminate carries a TCPRoute and becomes a TLS listener; TLS + Passthrough would be a TCP one
        protocol = item["protocol"]
        if protocol == "TLS":
            assert item["tls"]["mode"] == "Terminate" and route["kind"] == "TCPRoute"
        if protocol in ("TLS", "HTTPS"):
            c = configs[f"{protocol}:{item['port']}"]
            certificates = [c["defaultCertificate"], *c.get("certificates", [])]
            policies.add(c.get("sslPolicy", "ELBSecurityPolicy-2016-08"))  # the LBC default
        rule = route["spec"]["rules"][0]
        filters = rule.get("filters") or []
        if filters:
            assert filters[0]["type"] == "RequestRedirect"
            assert filters[0]["requestRedirect"] == {"scheme": "https", "port": 443, "statusCode": 301}
            redirect = True
            listeners.append((item["port"], protocol, "redirect-at-lb"))
            continue
        backend = rule["backendRefs"][0]
        svc = services[backend["name"]]
        port = next(p for p in svc["spec"]["ports"] if p["port"] == backend["port"])
        listeners.append((item["port"], protocol, by_port[port["targetPort"]]))
    tgc = next(o for o in objs if o["kind"] == "TargetGroupConfiguration")
    svc = services[tgc["spec"]["targetReference"]["name"]]  # the TGC sits with its Service
    assert tgc["metadata"]["namespace"] == svc["metadata"]["namespace"] == ns
    default = tgc["spec"]["defaultConfiguration"]
    tga = {a["key"]: a["value"] for a in default.get("targetGroupAttributes") or []}
    lba = {a["key"]: a["value"] for a in config["spec"].get("loadBalancerAttributes") or []}
    target_type = default.get("targetType", "instance")  # "Auto-inferred as instance"
    if target_type == "instance":  # instance targets need NodePorts (the LBC: "TargetGroup port is empty")
        assert svc["spec"]["type"] in ("NodePort", "LoadBalancer")
    return {"model": model, "listeners": sorted(listeners), "certificates": certificates,
            "proxy_protocol": "v2" if tga.get("proxy_protocol_v2.enabled") == "true" else None,
            "target_type": target_type, "preservation": tga.get("preserve_client_ip.enabled"),
            "etp": svc["spec"].get("externalTrafficPolicy", "Cluster"),
            "scheme": config["spec"].get("scheme", "internal"),  # internal by default (loadbalancerconfig.md)
            "xff": lba.get("routing.http.xff_header_processing.mode", "append") if model == "alb" else None,
            "ssl_redirect": redirect, "tls_policy": set(policies),
            "source_ranges": config["spec"].get("sourceRanges")}


def expected_gateway(t: Topology) -> dict:
    lb = t.lb
    arn = dict(ARNS)
    listeners = sorted((item.port, item.protocol, "redirect-at-lb" if lb.ssl_redirect and not item.terminates_tls
                        else item.target) for item in lb.listeners)
    return {"model": lb.model, "listeners": listeners, "certificates": [arn[name] for name in lb.certificates],
            "proxy_protocol": lb.proxy_protocol, "target_type": lb.target_type,
            "preservation": None if lb.model != "nlb" else ("true" if t.preserves_client_ip else "false"),
            "etp": t.kubernetes.external_traffic_policy, "scheme": "internet-facing",
            "xff": t.xff_mode if lb.model == "alb" else None, "ssl_redirect": lb.ssl_redirect,
            "tls_policy": {t.lb_tls_policy.name} if t.lb_tls_policy else set(), "source_ranges": ["203.0.113.7/32"]}


@pytest.mark.parametrize("controller, name", [(c, n) for c in CONTROLLERS for n in TOPOLOGIES
                                              if n not in REFUSED["lbc-gateway"] and runs(TOPOLOGIES[n], c)])
def test_the_gateway_objects_encode_every_field_of_the_topology(plans, name, controller):
    p = plans[("lbc-gateway", name, controller)]
    assert decode_gateway([*p.shared, *p.lb_objects], p.controller.container_ports) == expected_gateway(TOPOLOGIES[name])
    assert p.load_balancer.kind == "Gateway"


def test_every_gateway_setting_cites_known_sources_and_says_why(plans):
    for (mode, name, _), p in plans.items():
        for item in p.lb.settings:
            assert item.sources and not sources.unknown(list(item.sources)), (mode, name, item)
            if mode == "lbc-gateway":
                assert item.why, (name, item)


def test_gateway_health_checks_follow_the_target_type(plans):
    tgc = lambda name: next(o for o in plans[("lbc-gateway", name, "emissary")].lb_objects  # noqa: E731
                            if o["kind"] == "TargetGroupConfiguration")["spec"]["defaultConfiguration"]
    # instance + Local: a NodePort Service has no healthCheckNodePort, so the port is named
    assert tgc("nlb-instance-local")["healthCheckConfig"] == {"healthCheckPort": "traffic-port",
                                                               "healthCheckProtocol": "TCP"}
    assert "healthCheckConfig" not in tgc("nlb-instance-cluster")
    assert tgc("alb")["healthCheckConfig"]["matcher"] == {"httpCode": "200-399"}


@pytest.mark.integration  # `go mod download` fills the Go module cache the CRDs are read from
def test_a_cluster_that_serves_only_v1beta1_gets_v1beta1(registry):
    with tempfile.TemporaryDirectory() as workdir:
        p = eks_plan.build(TOPOLOGIES["nlb-ip"], settings(), "x", Path(workdir), "lbc-gateway",
                           modes.ModeFacts(lbc_gateway_api_version="gateway.k8s.aws/v1beta1"))
    lbc = [o for o in p.lb_objects if o["apiVersion"].startswith("gateway.k8s.aws/")]
    assert {o["apiVersion"] for o in lbc} == {"gateway.k8s.aws/v1beta1"}
    assert all(crds.validate(registry, o).ok for o in lbc)


# --- auto-mode, against AWS's tables ----------------------------------------------------------------------------
# auto-configure-nlb.html / auto-configure-alb.html, "Not supported" (written out here from the pages)
AUTO_NOT_SUPPORTED = {
    "service.beta.kubernetes.io/load-balancer-source-ranges", "service.beta.kubernetes.io/aws-load-balancer-type",
    "service.beta.kubernetes.io/aws-load-balancer-internal", "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol",
    "service.beta.kubernetes.io/aws-load-balancer-access-log-enabled",
    "service.beta.kubernetes.io/aws-load-balancer-access-log-s3-bucket-name",
    "service.beta.kubernetes.io/aws-load-balancer-access-log-s3-bucket-prefix",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled",
    "kubernetes.io/ingress.class", "alb.ingress.kubernetes.io/group.name", "alb.ingress.kubernetes.io/waf-acl-id",
    "alb.ingress.kubernetes.io/web-acl-id", "alb.ingress.kubernetes.io/shield-advanced-protection",
}


@pytest.mark.parametrize("name", [n for n in TOPOLOGIES if n not in REFUSED["auto-mode"]])
def test_auto_mode_objects_use_auto_modes_classes_and_nothing_it_does_not_support(plans, name):
    t = TOPOLOGIES[name]
    p = plans[("auto-mode", name, t.controller.kind or "emissary")]
    for obj in p.lb_objects:
        assert not set(obj["metadata"].get("annotations") or {}) & AUTO_NOT_SUPPORTED, obj["metadata"]
    lb = next(o for o in p.lb_objects if o["kind"] == p.load_balancer.kind)
    if t.lb.model == "nlb":
        assert lb["spec"]["loadBalancerClass"] == "eks.amazonaws.com/nlb"
        tga = dict(item.split("=") for item in lb["metadata"]["annotations"][
            "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"].split(","))
        assert tga.get("proxy_protocol_v2.enabled") == ("true" if t.lb.proxy_protocol == "v2" else None)
        # Auto Mode's default target type is ip: always stated
        assert lb["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == \
            t.lb.target_type
    else:
        cls = next(o for o in p.lb_objects if o["kind"] == "IngressClass")
        params = next(o for o in p.lb_objects if o["kind"] == "IngressClassParams")
        assert cls["spec"]["controller"] == "eks.amazonaws.com/alb" and not cls["metadata"].get("annotations")
        assert cls["spec"]["parameters"] == {"apiGroup": "eks.amazonaws.com", "kind": "IngressClassParams",
                                             "name": params["metadata"]["name"]}
        assert lb["spec"]["ingressClassName"] == cls["metadata"]["name"]
        assert params["spec"]["scheme"] == "internet-facing"
        assert params["spec"].get("certificateARNs", []) == [ARNS[n] for n in t.lb.certificates]
        assert {"key": "routing.http.xff_header_processing.mode", "value": t.xff_mode} in \
            params["spec"]["loadBalancerAttributes"]


def test_auto_mode_says_what_rests_on_undocumented_ground(plans):
    notes = " ".join(plans[("auto-mode", "nlb-proxy-v2", "emissary")].notes)
    assert "aws-load-balancer-proxy-protocol is not supported by Auto Mode" in notes and "UNVERIFIED" in notes
    notes = " ".join(plans[("auto-mode", "nlb-instance-local", "emissary")].notes)
    assert "externalTrafficPolicy Local" in notes and "UNVERIFIED" in notes


# --- the printed plans ------------------------------------------------------------------------------------------
GOLDEN_CASES = [(mode, name) for mode in ("lbc-gateway", "auto-mode") for name in TOPOLOGIES
                if name not in REFUSED[mode]]


@pytest.mark.parametrize("mode, name", GOLDEN_CASES)
def test_plan_in_each_mode_matches_the_golden_file(mode, name, capsys):
    controller = TOPOLOGIES[name].controller.kind or "emissary"  # a topology that names none runs with none
    plan_as_golden(capsys, GOLDEN / mode / f"{name}.{controller}.yaml", "--eks-mode", mode, "--topology", name,
                   "--controller", controller)


@pytest.mark.parametrize("mode", ["lbc-gateway", "auto-mode"])
def test_plan_refuses_a_classic_elb_in_the_modes_without_one(mode, capsys):
    code = main(["plan", "--target", "eks", "--eks-mode", mode, "--topology", "clb-http", "--run-id", "x"])
    _, stderr = capsys.readouterr()
    assert code == 2
    assert f"topology 'clb-http' cannot be built on AWS (clb, mode {mode}): load_balancer.model:" in stderr


def test_a_topology_written_for_another_controller_is_refused_naming_both():
    t = TOPOLOGIES["nlb-ip"].with_controller("ingress-nginx")
    with pytest.raises(ValueError, match=r"topology 'nlb-ip' is written for the ingress-nginx controller "
                                         r"\(controller.kind\), but this run configures the installed emissary "
                                         r"\(--controller\): run it with --controller ingress-nginx"):
        build(t, "lbc-annotations")
    assert build(TOPOLOGIES["nlb-ip"].with_controller("emissary"), "lbc-gateway").controller.controller == "emissary"
