"""The kind target's client relays, run for real on loopback in front of the local stand-ins.

On kind the probes cannot bind the client addresses (they belong to containers): each probe goes through a
relay that connects from its own address. Here the same relay configuration runs as real HAProxy processes on
loopback addresses the probes never bind, in front of a real local edge, and the verdicts must be the same
as with direct source binding: if a probe bypassed its relay the backend would see 127.0.0.1 and fail.
"""

from __future__ import annotations

import socket

import pytest

from edgeconform import behaviours, binaries, catalog
from edgeconform.behaviours import client_ip
from edgeconform.supervisor import Supervisor, http_ok
from edgeconform.targets.kind.target import client_relay_config
from edgeconform.targets.local import LocalTarget, transparent_source_available
from edgeconform.verdicts import check_or_raise

pytestmark = pytest.mark.integration  # a real local edge, and the relays as real HAProxy processes
RELAYS = 3


def free_port(ip: str) -> int:
    with socket.socket() as sock:
        sock.bind((ip, 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["nlb-proxy-v2", "alb", "nlb-instance-local"])
def relayed_edge(request, tmp_path):
    t = catalog.load()[request.param]
    if t.preserves_client_ip and not transparent_source_available():
        pytest.skip("client-IP preservation needs HAProxy's transparent source: run as root")
    edge = LocalTarget(isolation="loopback").build(t)  # the relays run on this machine's loopback
    supervisor = Supervisor(tmp_path)
    try:
        lb_ip = edge.endpoints["http"].ip
        # the relays' own addresses: the slot's client range, above what the probes would bind themselves
        relay_ips = [ip.rsplit(".", 1)[0] + f".{int(ip.rsplit('.', 1)[1]) + 5}" for ip in edge.client_addresses[:RELAYS]]
        relays = {}
        for i, ip in enumerate(relay_ips):
            served = {endpoint.public_port: endpoint.port for endpoint in edge.endpoints.values()}
            ports = {item.port: (free_port(ip), served[item.port]) for item in t.lb.listeners}
            stats = free_port(ip)
            config = tmp_path / f"client-relay-{i}.cfg"
            config.write_text(client_relay_config(i, lb_ip, list(ports), 60, bind_ip=ip, source_ip=ip, ports=ports,
                                           stats_port=stats))
            supervisor.start(f"relay-{i} (haproxy)", [binaries.find("haproxy"), "-db", "-f", str(config)],
                             http_ok(f"http://{ip}:{stats}/stats;csv"))
            relays[ip] = {public: (ip, bind) for public, (bind, _) in ports.items()}
        supervisor.wait_ready()
        edge.transport.relays, edge.client_addresses = relays, relay_ips
        yield edge
    finally:
        supervisor.stop()
        edge.close()


@pytest.mark.parametrize("behaviour,variant", [("client_ip", ""), ("redirect", ""), ("websocket", "wss"),
                                               ("websocket", "ws"), ("sni", "")])
def test_verdicts_through_relays(relayed_edge, behaviour, variant):
    edge = relayed_edge
    expectation = behaviours.expectation(edge.topology, behaviour, variant)
    if expectation.outcome == "n/a":
        pytest.skip(expectation.reason)
    source = edge.client_addresses[0]
    # the cell's own probe, as the suites run it: client_ip from the first 3 (= RELAYS) client addresses, the
    # others from the first one
    verdict = check_or_raise(edge, expectation)
    assert verdict.verdict == ("pass" if expectation.outcome == "works" else "limited"), verdict.message
    assert edge.transport.relayed(source)  # the probes never bound the client address themselves


def test_a_probe_that_bypasses_its_relay_is_caught(relayed_edge):
    """Routes that skip the relays (straight to the load balancer, unbound): the backend sees 127.0.0.1, and
    the client-IP check must fail, not pass."""
    edge = relayed_edge
    if edge.topology.layer == "l7":
        pytest.skip("behind an L7 load balancer the client comes from X-Forwarded-For either way")
    lb = {e.public_port: (e.ip, e.port) for e in edge.endpoints.values()}
    edge.transport.relays = {ip: dict(lb) for ip in edge.transport.relays}
    edge.converge = type(edge.converge)("test", timeout=0.3, consecutive=1, interval=0.05)
    verdict = check_or_raise(edge, client_ip.rule(edge.topology), lambda e: client_ip.samples(e, 1))
    assert verdict.verdict == "fail", verdict.message
    assert "the backend saw 127.0.0.1" in verdict.message
