"""Verdict logic: pass, limited (strict), fail with diagnosis, required-but-limited, unexpected success.

The observations here are written out by hand to pin the judge's rules; the same judge runs on real
observations in the suites.
"""

from pathlib import Path

import pytest

from edgeconform import verdicts
from edgeconform.behaviours import client_ip
from edgeconform.behaviours.client_ip import ClientIpSample
from edgeconform.edge import Converge, Edge
from edgeconform.probing.http import HttpResult
from edgeconform.targets.local.addresses import Slot

SLOT = Slot(200)


def edge_for(topology):
    return Edge(topology=topology, target="local", endpoints={}, ca=Path("/nonexistent"), roles=SLOT.roles(),
                client_cidr=SLOT.client_cidr, client_addresses=[SLOT.client(i) for i in range(3)],
                converge=Converge("test", timeout=0, consecutive=1, interval=0))


def sample(source, client, peer, xff, proxy=None):
    report = {"client": client, "headers": [["x-edgeconform-peer", peer]], "forwarded": {"for": xff}}
    return ClientIpSample(source, HttpResult(url="https://x/", source=source, host="x", sni="x", status=200,
                                             report=report), proxy)


def judge(topology, observation):
    e = edge_for(topology)
    return verdicts.judge(e, client_ip.rule(topology), verdicts.Measurement(
        observation, client_ip.compare(e, client_ip.rule(topology).want, observation), 1, 0.0, False))


def test_works_and_observed_is_a_pass(topologies):
    c = SLOT.client(0)
    v = judge(topologies["nlb-proxy-v2"], [sample(c, c, SLOT.lb, [c], "v2")])
    assert v.verdict == "pass"


def test_limitation_observed_is_limited(topologies):
    c = SLOT.client(0)
    v = judge(topologies["nlb-ip"], [sample(c, SLOT.lb, SLOT.lb, [SLOT.lb])])
    assert v.verdict == "limited" and "preservation is off" in v.message and "[NLB-TGA]" in v.message


def test_ideal_outcome_on_a_limited_edge_is_an_unexpected_success(topologies):
    c = SLOT.client(0)
    v = judge(topologies["nlb-ip"], [sample(c, c, c, [c])])
    assert v.verdict == "fail" and "unexpected success (strict)" in v.message


def test_required_behaviour_with_a_limitation_fails(topologies):
    t = topologies["nlb-ip"].model_copy(update={"requires": ["client_ip"]})
    v = judge(t, [sample(SLOT.client(0), SLOT.lb, SLOT.lb, [SLOT.lb])])
    assert v.verdict == "fail" and "requires client_ip" in v.message


def test_wrong_proxy_version_fails(topologies):
    c = SLOT.client(0)
    v = judge(topologies["nlb-proxy-v2"], [sample(c, c, SLOT.lb, [c], "v1")])
    assert v.verdict == "fail" and "via proxy-v1, expected via proxy-v2" in v.message


def test_another_clients_address_is_not_the_client(topologies):
    v = judge(topologies["nlb-instance-local"], [sample(SLOT.client(0), SLOT.client(1), SLOT.client(1), [SLOT.client(1)])])
    assert v.verdict == "fail" and "another client" in v.message


def test_failure_names_expected_observed_and_likely_misconfiguration(topologies):
    t = topologies["nlb-proxy-v2"].model_copy(
        update={"controller": topologies["nlb-proxy-v2"].controller.model_copy(update={"proxy_protocol": False})})
    broken = ClientIpSample(SLOT.client(0), HttpResult(url="https://x/", source=SLOT.client(0), host="x", sni="x",
                                                       error="the connection was reset"), None)
    v = judge(t, [broken])
    assert v.verdict == "fail"
    assert "expected: works: the backend sees the client's address, carried by PROXY v2" in v.message
    assert "the connection was reset" in v.message
    assert "likely misconfiguration" in v.message and "PROXY_NOT_EXPECTED" in v.message


def test_measure_retries_only_within_its_bound(topologies):
    e = edge_for(topologies["nlb-ip"])
    e.converge = Converge("test", timeout=0.2, consecutive=2, interval=0.01)
    calls = []

    def probe(edge):
        calls.append(1)
        c = SLOT.client(0)
        return [sample(c, c, c, [c])]  # never what nlb-ip documents

    m = verdicts.measure(e, client_ip.rule(e.topology), probe)
    assert not m.converged and m.mismatches and 2 <= m.attempts == len(calls) < 40
    assert 0.2 <= m.seconds < 1.0


@pytest.mark.parametrize("good_after", [0, 3])
def test_measure_needs_consecutive_matches(topologies, good_after):
    e = edge_for(topologies["nlb-ip"])
    e.converge = Converge("test", timeout=5, consecutive=2, interval=0.0)
    n = []

    def probe(edge):
        n.append(1)
        c = SLOT.client(0)
        return [sample(c, SLOT.lb, SLOT.lb, [SLOT.lb])] if len(n) > good_after else [sample(c, c, c, [c])]

    m = verdicts.measure(e, client_ip.rule(e.topology), probe)
    assert m.converged and m.attempts == good_after + 2
