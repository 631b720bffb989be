"""The client-IP rule (edgeconform.behaviours.client_ip): whose address the backend sees, and how it arrives."""

import pytest

from edgeconform.behaviours.client_ip import ClientIpWant, rule


@pytest.mark.parametrize("name, want", [
    ("nlb-instance-local", ClientIpWant("client", "peer")),
    ("nlb-instance-cluster", ClientIpWant("node", "peer")),
    ("nlb-ip", ClientIpWant("lb", "peer")),
    ("nlb-proxy-v2", ClientIpWant("client", "proxy-v2")),
    ("nlb-tls", ClientIpWant("client", "proxy-v2")),
    ("clb-tcp", ClientIpWant("node", "peer")),
    ("clb-tcp-proxy-v1", ClientIpWant("client", "proxy-v1")),
    ("clb-http", ClientIpWant("client", "xff")),
    ("alb", ClientIpWant("client", "xff")),
])
def test_client_ip_observable(topologies, name, want):
    assert rule(topologies[name]).want == want


def test_alb_preserve_and_remove_modes_are_limited(synthetic):
    for mode in ("preserve", "remove"):
        t = synthetic(f"""
            load_balancer: {{model: alb, listeners: [{{port: 80, protocol: HTTP, target: http}}], xff: {mode},
                             target_type: ip}}
            controller: {{trusted_hops: 1}}
        """)
        e = rule(t)
        assert (e.outcome, e.want) == ("limited", ClientIpWant("lb", "peer"))
        assert "ALB-XFH" in e.sources


def test_nlb_instance_targets_preserve_by_default_and_ip_targets_do_not(synthetic):
    base = "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], target_type: %s}"
    assert synthetic(base % "instance").preserves_client_ip
    assert not synthetic(base % "ip").preserves_client_ip
