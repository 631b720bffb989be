"""The comparison of a topology with the AWS model read back: agreement, and each kind of difference naming the
expected value, what was built and the plan's setting responsible (edgeconform/rehearsal/compare.py)."""

from __future__ import annotations

import pytest

from edgeconform import catalog
from edgeconform.rehearsal.compare import compare
from edgeconform.rehearsal.model import Action, HealthCheck, Listener, LoadBalancer, Target, TargetGroup
from edgeconform.targets.eks.modes import Setting


@pytest.fixture(scope="module")
def topologies():
    return catalog.load([])


def agreeing(t) -> LoadBalancer:
    """The load balancer a topology means, as the read-back model would show it."""
    hc = t.health_check
    http = hc.protocol == "HTTP"
    port = "traffic-port" if hc.port == "traffic-port" else "32000"
    group = TargetGroup(
        name="k8s-tg", protocol="TCP" if t.lb.model == "nlb" else "HTTP", port=8080, target_type=t.lb.target_type,
        health_check=HealthCheck(protocol=hc.protocol, port=port, path=hc.path if http else None,
                                 matcher=hc.success_codes if http else None),
        attributes={"proxy_protocol_v2.enabled": str(t.lb.proxy_protocol == "v2").lower(),
                    "preserve_client_ip.enabled": str(t.preserves_client_ip).lower()} if t.lb.model == "nlb" else {},
        targets=[Target(id="10.0.1.32", port=8080) if t.lb.target_type == "ip" else Target(id="i-1", port=31000)])
    listeners = []
    policy = t.lb_tls_policy.name if t.lb_tls_policy else None
    for item in t.lb.listeners:
        tls = item.terminates_tls
        redirect = t.lb.ssl_redirect and item.protocol == "HTTP"
        actions = [Action(type="redirect", redirect={"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"})] \
            if redirect else [Action(type="forward", target_groups=["k8s-tg"])]
        listeners.append(Listener(
            port=item.port, protocol=item.protocol, ssl_policy=policy if tls else None,
            default_certificate=t.lb.certificates[0] if tls else None,
            sni_certificates=sorted(set(t.lb.certificates[1:])) if tls else [],
            mutual_authentication={"Mode": t.lb.mutual_tls} if tls and t.lb.mutual_tls != "off" else {},
            default_actions=actions))
    attributes = {}
    if t.lb.model == "alb":
        attributes = {"routing.http.xff_header_processing.mode": t.xff_mode,
                      "routing.http.preserve_host_header.enabled": str(t.lb.preserve_host_header).lower(),
                      "idle_timeout.timeout_seconds": str(t.lb.idle_timeout or 60)}
    return LoadBalancer(name="k8s-lb", arn="arn", dns_name="k8s-lb.elb.amazonaws.com",
                        type={"nlb": "network", "alb": "application"}[t.lb.model], scheme="internet-facing",
                        ip_address_type=t.lb.ip_address_type, attributes=attributes, listeners=listeners,
                        target_groups=[group])


SETTINGS = [Setting("Service annotation", "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol", "*",
                    ("load_balancer.proxy_protocol",), ("LBC-SA",))]
TARGETS = {"instance": {"i-1"}, "ip": {"10.0.1.32"}}


@pytest.mark.parametrize("name", ["nlb-instance-local", "nlb-instance-cluster", "nlb-ip", "nlb-proxy-v2", "nlb-tls",
                                  "alb", "cloudfront-alb", "alb-mtls"])
def test_the_load_balancer_a_topology_means_agrees_with_it(topologies, name):
    t = topologies[name]
    assert compare(t, agreeing(t), [], scheme="internet-facing", expected_targets=TARGETS) == []


def test_a_target_group_without_proxy_v2_is_one_line_naming_the_annotation(topologies):
    t = topologies["nlb-proxy-v2"]
    lb = agreeing(t)
    lb.target_groups[0].attributes["proxy_protocol_v2.enabled"] = "false"
    (difference,) = compare(t, lb, SETTINGS, scheme="internet-facing", expected_targets=TARGETS)
    assert difference.field == "load_balancer.proxy_protocol"
    assert (difference.expected, difference.built) == ("on", "off")
    assert "aws-load-balancer-proxy-protocol: *" in difference.responsible
    assert difference.line().startswith("nlb-proxy-v2: load_balancer.proxy_protocol: expected on, the LBC built off")


def test_each_field_that_differs_is_named(topologies):
    t = topologies["nlb-tls"]
    lb = agreeing(t)
    tls = next(item for item in lb.listeners if item.protocol == "TLS")
    tls.ssl_policy, tls.sni_certificates = "ELBSecurityPolicy-2016-08", []
    lb.ip_address_type, lb.scheme = "dualstack", "internal"
    lb.target_groups[0].target_type = "instance"
    lb.target_groups[0].targets = [Target(id="10.9.9.9", port=8080)]
    fields = {d.field for d in compare(t, lb, [], scheme="internet-facing", expected_targets=TARGETS)}
    assert fields == {"load_balancer.tls_policy", "load_balancer.certificates", "load_balancer.ip_address_type",
                      "scheme", "load_balancer.target_type", "targets"}


def test_an_alb_that_forwards_cleartext_has_no_ssl_redirect(topologies):
    t = topologies["alb"]
    lb = agreeing(t)
    http = next(item for item in lb.listeners if item.protocol == "HTTP")
    http.default_actions = [Action(type="forward", target_groups=["k8s-tg"])]
    (difference,) = compare(t, lb, [], scheme="internet-facing", expected_targets=TARGETS)
    assert (difference.field, difference.expected, difference.built) == ("load_balancer.ssl_redirect", "on", "off")


def test_nothing_built_is_a_difference_of_the_model(topologies):
    (difference,) = compare(topologies["nlb-ip"], None, [], scheme="internet-facing")
    assert difference.built == "no load balancer"


def test_a_documented_deviation_of_the_plan_is_reported_not_failed(topologies):
    t = topologies["nlb-instance-local"]
    lb = agreeing(t)
    lb.target_groups[0].health_check = HealthCheck(protocol="TCP", port="traffic-port")
    deviation = Setting("TargetGroupConfiguration", "healthCheckConfig", "healthCheckProtocol=TCP",
                        ("load_balancer.health_check",), (), "deviates from the topology: no healthCheckNodePort")
    (difference,) = compare(t, lb, [deviation], scheme="internet-facing", expected_targets=TARGETS)
    assert difference.documented and "documented deviation" in difference.line()
