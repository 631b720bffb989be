"""The AWS annotation sets (clusters/eks/annotations.yaml) checked against aws-lb-facts.md §4, per topology.

For every catalog topology the annotations (and the Service/Ingress fields) are decoded back into load-balancer
fields by the rules of the facts sheet, written out here independently of the data file, and compared with the
topology's own fields. Each annotation must cite the §4 source that documents it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from edgeconform import catalog, sources
from edgeconform.targets.eks import annotations, plan, settings as eks_settings
from edgeconform.topology import Topology

TOPOLOGIES = catalog.load()
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/{}"
SECTION_4 = {"CPA", "LBC-SA", "LBC-IA", "LBC-NLB", "K8S-ETP"}  # aws-lb-facts.md §4 "Kubernetes side"
LBC = "service.beta.kubernetes.io/aws-load-balancer-"
ALB = "alb.ingress.kubernetes.io/"


def settings_for(t: Topology, **extra) -> eks_settings.EksSettings:
    certs = [f"{name}={ARN.format(i)}" for i, name in enumerate(t.lb.certificates)]
    return eks_settings.load(None, acm_cert=certs, client_ip="203.0.113.7", **extra)


def objects_for(t: Topology, controller: str = "emissary"):
    s = settings_for(t, controller=controller)
    with tempfile.TemporaryDirectory() as workdir:
        p = plan.build(t, s, "test", Path(workdir))
    lb = next(o for o in p.edge if o["kind"] == p.load_balancer.kind and o["metadata"]["name"] == p.load_balancer.name)
    return p, lb


# --- decoders: aws-lb-facts.md §4, independent of clusters/eks/annotations.yaml ---------------------------
def decode_service(svc: dict, container_ports: dict[str, int]) -> dict:
    """What AWS builds from a Service of type LoadBalancer [CPA][LBC-SA]."""
    a = svc["metadata"].get("annotations", {})
    spec = svc["spec"]
    lbc = a.get(LBC + "type") in ("external", "nlb-ip")  # LBC reconciles these; the legacy provider the rest
    assert spec.get("loadBalancerClass") is None
    by_port = {v: k for k, v in container_ports.items()}
    ports = {p["port"]: by_port[p["targetPort"]] for p in spec["ports"]}
    cert = a.get(LBC + "ssl-cert")
    ssl_ports = a.get(LBC + "ssl-ports", "*")  # CPA: defaults to '*'; LBC: absent means every port
    tls = {port for port in ports if cert and (ssl_ports == "*" or str(port) in ssl_ports.split(","))}
    if lbc:
        model = "nlb"
        protocol = {port: "TLS" if port in tls else "TCP" for port in ports}
        tga = dict(item.split("=") for item in a.get(LBC + "target-group-attributes", "").split(",") if item)
        preservation = tga.get("preserve_client_ip.enabled")
        pp = "v2" if a.get(LBC + "proxy-protocol") == "*" or tga.get("proxy_protocol_v2.enabled") == "true" else None
        target_type = a.get(LBC + "nlb-target-type", "instance")  # instance: the default with loadBalancerClass
        scheme = a.get(LBC + "scheme", "internal")  # LBC: internal by default
    else:
        model = "nlb" if a.get(LBC + "type") == "nlb" else "clb"
        backend = a.get(LBC + "backend-protocol")
        if backend in ("http", "https"):  # the CPA table: HTTP/HTTP, HTTPS with ssl-cert
            protocol = {port: "HTTPS" if port in tls else "HTTP" for port in ports}
        else:
            protocol = {port: "SSL" if port in tls else "TCP" for port in ports}
        preservation = None
        pp = "v1" if a.get(LBC + "proxy-protocol") == "*" else None  # CLB only [CPA]
        target_type = "instance"
        scheme = "internal" if a.get(LBC + "internal") == "true" else "internet-facing"
    return {"model": model, "listeners": sorted((port, protocol[port], ports[port]) for port in ports),
            "certificates": cert.split(",") if cert else [], "proxy_protocol": pp, "target_type": target_type,
            "preservation": preservation, "etp": spec.get("externalTrafficPolicy", "Cluster"), "scheme": scheme,
            "xff": None, "ssl_redirect": False, "node_ports": spec.get("allocateLoadBalancerNodePorts", True)}


def decode_ingress(ing: dict, svc: dict, container_ports: dict[str, int]) -> dict:
    """What the AWS Load Balancer Controller builds from an ALB Ingress [LBC-IA]."""
    a = ing["metadata"]["annotations"]
    by_port = {v: k for k, v in container_ports.items()}
    target = by_port[svc["spec"]["ports"][0]["targetPort"]]
    certs = a.get(ALB + "certificate-arn", "")
    default_ports = [{"HTTPS": 443}] if certs else [{"HTTP": 80}]
    listen = json.loads(a.get(ALB + "listen-ports", json.dumps(default_ports)))
    listeners = sorted((port, proto, target) for item in listen for proto, port in item.items())
    attributes = dict(item.split("=") for item in a.get(ALB + "load-balancer-attributes", "").split(",") if item)
    assert a.get(ALB + "backend-protocol", "HTTP") == ("HTTPS" if target == "https" else "HTTP")
    return {"model": "alb", "listeners": listeners, "certificates": certs.split(",") if certs else [],
            "proxy_protocol": None, "target_type": a.get(ALB + "target-type", "instance"), "preservation": None,
            "etp": svc["spec"].get("externalTrafficPolicy", "Cluster"), "scheme": a.get(ALB + "scheme", "internal"),
            "xff": attributes.get("routing.http.xff_header_processing.mode", "append"),
            "ssl_redirect": ALB + "ssl-redirect" in a, "node_ports": svc["spec"]["type"] == "NodePort"}


def expected(t: Topology) -> dict:
    lb = t.lb
    return {"model": lb.model, "listeners": sorted((item.port, item.protocol, item.target) for item in lb.listeners),
            "certificates": [ARN.format(i) for i in range(len(lb.certificates))],
            "proxy_protocol": lb.proxy_protocol, "target_type": lb.target_type,
            "preservation": None if lb.model != "nlb" else ("true" if t.preserves_client_ip else "false"),
            "etp": t.kubernetes.external_traffic_policy, "scheme": "internet-facing",
            "xff": t.xff_mode if lb.model == "alb" else None, "ssl_redirect": lb.ssl_redirect,
            "node_ports": lb.target_type == "instance"}


@pytest.mark.parametrize("name", list(TOPOLOGIES))
def test_the_annotations_encode_every_field_of_the_topology(name):
    t = TOPOLOGIES[name]
    p, lb = objects_for(t)
    ports = p.controller.container_ports
    if lb["kind"] == "Service":
        seen = decode_service(lb, ports)
    else:
        svc = next(o for o in p.edge if o["kind"] == "Service" and o["metadata"]["name"] == lb["metadata"]["name"])
        seen = decode_ingress(lb, svc, ports)
    assert seen == expected(t)


@pytest.mark.parametrize("name", list(TOPOLOGIES))
def test_every_annotation_cites_its_kubernetes_side_source(name):
    t = TOPOLOGIES[name]
    lb_set = annotations.for_topology(t, settings_for(t))
    if not lb_set.items:  # no annotation at all is the legacy provider's TCP/TCP Classic ELB [CPA]
        assert (t.lb.model, t.layer, t.lb.proxy_protocol) == ("clb", "l4", None)
    for item in lb_set.items:
        assert set(item.sources) <= set(sources.SOURCES), item
        assert set(item.sources) & SECTION_4, f"{item.key} cites no §4 source: {item.sources}"
        assert item.why, item.key


def test_each_topology_field_is_encoded_by_some_annotation_with_the_fields_own_sources():
    """The fields a topology cites sources for, and that AWS settles, are named by an annotation's `encodes`."""
    encoded: dict[str, set[str]] = {}
    for t in TOPOLOGIES.values():
        for item in annotations.for_topology(t, settings_for(t)).items:
            for path in item.encodes:
                encoded.setdefault(path, set()).update(item.sources)
    for path in ("load_balancer.target_type", "load_balancer.client_ip_preservation", "load_balancer.proxy_protocol",
                 "load_balancer.certificates", "load_balancer.listeners", "load_balancer.xff",
                 "load_balancer.ssl_redirect", "load_balancer.tls_policy"):
        assert path in encoded, path
    # where the catalog cites a Kubernetes-side source (§4) for a field, the annotation encoding it cites one too
    for t in TOPOLOGIES.values():
        for item in annotations.for_topology(t, settings_for(t)).items:
            for path in item.encodes:
                kube_side = set(t.sources.get(path, [])) & SECTION_4
                if kube_side:
                    assert set(item.sources) & kube_side, (t.name, item.key, path, t.sources[path])


@pytest.mark.parametrize("field, value, words", [
    ("proxy_protocol", "v1", "PROXY v2 only"),
    ("xff", "append", "no X-Forwarded-For mode"),
    ("ssl_redirect", True, "cannot redirect"),
])
def test_an_nlb_refuses_what_aws_cannot_build(field, value, words):
    t = TOPOLOGIES["nlb-proxy-v2"]
    bad = t.model_copy(update={"load_balancer": t.lb.model_copy(update={field: value})})
    with pytest.raises(annotations.CannotExpress, match=words):
        annotations.for_topology(bad, settings_for(bad))


def test_a_classic_elb_with_two_certificates_is_refused_it_has_no_sni():
    t = TOPOLOGIES["clb-http"]
    bad = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"certificates": ["a.test", "b.test"]})})
    with pytest.raises(annotations.CannotExpress, match=r"exactly one certificate .*\[CLB-HTTPS23\]"):
        annotations.for_topology(bad, settings_for(bad))


def test_a_classic_elb_http_listener_with_the_proxy_claim_gets_the_legacy_providers_annotation():
    """The legacy provider attaches the ProxyProtocol policy to HTTP listeners' instance ports too [CPA-LB]: the plan
    writes the annotation, and a run on EKS checks the topology's UNVERIFIED claim about what the ELB then sends."""
    t = TOPOLOGIES["clb-http"]
    claimed = t.model_copy(update={"load_balancer": t.lb.model_copy(update={
        "proxy_protocol": "v1", "unverified": {"proxy_protocol_http_back_end": "as the stand-in does"}})})
    a = annotations.for_topology(claimed, settings_for(claimed)).as_dict()
    assert a[LBC + "proxy-protocol"] == "*" and a[LBC + "backend-protocol"] == "http"


def test_scheme_internal_and_source_ranges_reach_the_service():
    t = TOPOLOGIES["nlb-proxy-v2"]
    s = eks_settings.load(None, scheme="internal", allow_from=["10.20.0.0/16"])
    a = annotations.for_topology(t, s).as_dict()
    assert a[LBC + "scheme"] == "internal"
    with tempfile.TemporaryDirectory() as workdir:
        p = plan.build(t, s, "x", Path(workdir))
    svc = next(o for o in p.edge if o["kind"] == "Service" and o["metadata"]["name"] == "edgeconform-nlb-proxy-v2")
    assert svc["spec"]["loadBalancerSourceRanges"] == ["10.20.0.0/16"]
    clb = annotations.for_topology(TOPOLOGIES["clb-tcp"], s).as_dict()
    assert clb == {LBC + "internal": "true"}


def test_the_policy_annotation_carries_the_topologys_security_policy():
    t = TOPOLOGIES["nlb-tls"]
    a = annotations.for_topology(t, settings_for(t)).as_dict()
    assert a[LBC + "ssl-negotiation-policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"  # recommended, explicit
    tls13 = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"tls_min_version": "TLSv1.3"})})
    a = annotations.for_topology(tls13, settings_for(tls13)).as_dict()
    assert a[LBC + "ssl-negotiation-policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    old = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"tls_policy": "ELBSecurityPolicy-2016-08"})})
    assert annotations.for_topology(old, settings_for(old)).as_dict()[LBC + "ssl-negotiation-policy"] == \
        "ELBSecurityPolicy-2016-08"
    clb = TOPOLOGIES["clb-http"]
    assert annotations.for_topology(clb, settings_for(clb)).as_dict()[LBC + "ssl-negotiation-policy"] == \
        "ELBSecurityPolicy-TLS-1-2-2017-01"


def test_an_nlb_tcp_listener_idle_timeout_becomes_a_listener_attribute():
    t = TOPOLOGIES["nlb-proxy-v2"]
    listeners = [t.lb.listeners[0].model_copy(update={"idle_timeout": 600}), t.lb.listeners[1]]
    longer = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"listeners": listeners})})
    a = annotations.for_topology(longer, settings_for(longer)).as_dict()
    assert a["service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-80"] == "tcp.idle_timeout.seconds=600"
    assert "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-443" not in a  # AWS default 350
