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


def test_a_controller_that_passes_x_forwarded_for_on_finds_the_client_where_cloudfront_appended_it(topologies):
    """Traefik concludes no client from X-Forwarded-For: behind an ALB the client is the entry just before the
    peer's; behind CloudFront and the ALB one further left (the ALB appended CloudFront's address)."""
    assert rule(topologies["alb"].with_controller("traefik")).want.forwarded_at == 2
    want = rule(topologies["cloudfront-alb"].with_controller("traefik")).want
    assert (want.seen_as, want.forwarded, want.forwarded_at) == ("lb", "client", 3)


CLIENT, LB, CDN = "198.51.100.11", "10.0.1.17", "203.0.113.250"


def _edge(t):
    from pathlib import Path

    from edgeconform.edge import Edge

    return Edge(topology=t, target="local", endpoints={}, ca=Path("ca.pem"), roles={LB: "lb", CDN: "cdn"},
                client_cidr="198.51.100.0/24", client_addresses=[CLIENT])


def _sample(client, peer, xff, proxy_version=None):
    from edgeconform import headers
    from edgeconform.behaviours.client_ip import ClientIpSample
    from edgeconform.probing.http import HttpResult

    report = {"client": client, "headers": [[headers.PEER, peer]], "forwarded": {"for": list(xff)}}
    return ClientIpSample(CLIENT, HttpResult(url="https://a.example.test/", source=CLIENT, host="a.example.test",
                                             sni=None, status=200, report=report), proxy_version)


def test_the_entry_before_the_peers_is_read_where_the_want_says(topologies):
    from edgeconform.behaviours.client_ip import compare

    edge = _edge(topologies["cloudfront-alb"].with_controller("traefik"))
    behind_cloudfront = _sample(LB, LB, (CLIENT, CDN, LB))
    assert compare(edge, ClientIpWant("lb", "peer", forwarded="client", forwarded_at=3), [behind_cloudfront]) == []
    [problem] = compare(edge, ClientIpWant("lb", "peer", forwarded="client"), [behind_cloudfront])
    assert "does not carry the client's address before the controller's own entry" in problem


def test_proxy_and_peer_with_one_address_are_not_a_wrong_via(topologies):
    """PROXY v2 with client-IP preservation: the header and the TCP peer both carry the client's address; without
    the controller's PROXY counters the backend cannot tell them apart. Where the backend saw another way (an
    X-Forwarded-For entry), the via is still checked."""
    from edgeconform.behaviours.client_ip import compare

    edge = _edge(topologies["nlb-proxy-v2"])
    want = ClientIpWant("client", "proxy-v2")
    assert compare(edge, want, [_sample(CLIENT, CLIENT, ())]) == []
    [problem] = compare(edge, want, [_sample(CLIENT, LB, (CLIENT, LB))])
    assert "via xff, expected via proxy-v2" in problem
