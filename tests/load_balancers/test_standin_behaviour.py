"""Each load-balancer stand-in does what its model claims, shown against the real processes.

Here the stand-in under test is started alone (from the same plan the local target uses) and the test itself
plays the next hop: a raw socket or the echo backend on the controller's address. That way what we read is
exactly what the stand-in sent, before any controller interprets it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeconform.probing.http import http_get
from edgeconform.probing.tls import tls_handshake
from edgeconform.probing.websocket import websocket
from edgeconform.supervisor import Supervisor, tcp_open

from tests.load_balancers.conftest import listen, read_proxy_header

pytestmark = pytest.mark.integration  # HAProxy, Envoy and the echo backend run for real


@pytest.mark.parametrize("name, version", [("nlb-proxy-v2", 2), ("clb-tcp-proxy-v1", 1)])
def test_proxy_header_carries_the_clients_address(topologies, stand_in, name, version):
    t = topologies[name]
    t = t.model_copy(update={"kubernetes": t.kubernetes.model_copy(update={"external_traffic_policy": "Local"}),
                             "load_balancer": t.lb.model_copy(update={"target_type": "ip"})})
    slot, edge = stand_in(t, ("nlb stand-in", "clb stand-in", "relay"))
    server = listen(slot, slot.controller, slot.controller_port("http"))
    client = slot.connect(slot.lb, slot.listener_port(80), slot.client(2), 5)
    client.sendall(b"payload after the header")
    conn, peer = server.accept()
    with client, conn, server:
        header, raw = read_proxy_header(conn)
        payload = conn.recv(100)
        assert (str(header.source[0]), header.source[1]) == client.getsockname()
        assert str(header.dest[0]) == slot.lb and header.dest[1] == slot.listener_port(80)
        assert peer[0] == slot.lb  # the connection itself comes from the load balancer
        assert payload == b"payload after the header"
        signature = b"\r\n\r\n\x00\r\nQUIT\n" if version == 2 else b"PROXY TCP4 "
        assert raw.startswith(signature), raw
        if version == 1:  # the Classic ELB's documented format [CLB-PP]
            src, dst = client.getsockname(), (slot.lb, slot.listener_port(80))
            assert raw == f"PROXY TCP4 {src[0]} {dst[0]} {src[1]} {dst[1]}\r\n".encode()


def test_nlb_with_preservation_keeps_the_client_source(topologies, stand_in):
    slot, edge = stand_in(topologies["nlb-instance-local"], ("nlb stand-in",))
    server = listen(slot, slot.controller, slot.controller_port("http"))
    client = slot.connect(slot.lb, slot.listener_port(80), slot.client(1), 5)
    conn, peer = server.accept()
    with client, conn, server:
        assert peer[0] == slot.client(1)


def _echo_behind(t, stand_in):
    """An L7 stand-in with the echo backend listening where the controller would be."""
    slot, edge = stand_in(t, (f"{t.lb.model} stand-in",))
    return t, slot, edge


def _echo_process(slot, tmp_path):
    import sys
    supervisor = Supervisor(tmp_path, connect=lambda ip, port, timeout: slot.connect(ip, port, None, timeout),
                            popen_kwargs=slot.popen_kwargs)
    supervisor.start("echo backend", [sys.executable, "-m", "edgeconform.echo", "--listen",
                                      f"{slot.controller}:{slot.controller_port('http')}"],
                     ready=tcp_open(slot.controller, slot.controller_port("http")))
    supervisor.wait_ready()
    return supervisor


ALB = """
load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http},
                {port: 443, protocol: HTTPS, target: http}], certificates: [a.example.test, b.example.test],
                target_type: ip}
hostnames: [b.example.test]
controller: {trusted_hops: 1}
"""


def test_alb_appends_xff_and_overwrites_forwarded_proto(stand_in, synthetic, tmp_path):
    t, slot, edge = _echo_behind(synthetic(ALB), stand_in)
    echo = _echo_process(slot, tmp_path / "")
    try:
        forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "1"}
        for scheme, proto in (("http", "http"), ("https", "https")):
            r = http_get(edge, scheme, "b.example.test", "/xff", source=slot.client(3), extra_headers=forged)
            assert r.report is not None, r.describe()
            assert r.report["forwarded"]["for"] == ["203.0.113.7", slot.client(3)]  # appended, forged kept left
            assert r.report["forwarded"]["proto"] == proto  # overwritten from the listener
            assert r.report["forwarded"]["port"] == str(slot.listener_port(80 if scheme == "http" else 443))
            assert r.report["peer"]["ip"] == slot.lb  # the ALB's own connection
    finally:
        echo.stop()


def test_sni_selects_the_certificate_at_each_tls_stand_in(topologies, stand_in, tmp_path):
    for name in ("alb", "nlb-tls"):
        slot, edge = stand_in(topologies[name], (f"{topologies[name].lb.model} stand-in",))
        got = {n: tls_handshake(edge, n, source=slot.client(0)).cert for n in
               ("app.edgeconform.test", "api.edgeconform.test", "unknown.example.net")}
        assert got["app.edgeconform.test"].name == "app.edgeconform.test"
        assert got["api.edgeconform.test"].name == "api.edgeconform.test"
        assert got["unknown.example.net"].name == "default.edgeconform.test"
        assert {cert.served_by for cert in got.values()} == {"lb"}


def test_classic_elb_http_listener_refuses_an_upgrade(stand_in, synthetic, tmp_path):
    t, slot, edge = _echo_behind(synthetic("""
load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}], target_type: ip}
controller: {trusted_hops: 1, cleartext: serve}
"""), stand_in)
    echo = _echo_process(slot, tmp_path)
    try:
        ws = websocket(edge, "ws", source=slot.client(0))
        assert ws.status not in (None, 101), ws.describe()
        plain = http_get(edge, "http", "a.example.test", "/plain", source=slot.client(0))
        assert plain.status == 200 and plain.report is not None  # the listener works; only the Upgrade fails
    finally:
        echo.stop()
    log = Path(tmp_path / "echo.log").read_text()
    assert "Upgrade" not in log and "websocket" not in log.lower()


def test_classic_elb_http_listener_sends_proxy_v1_where_the_topology_claims_it(stand_in, synthetic):
    """The in-tree provider's proxy-protocol annotation on an HTTP listener (UNVERIFIED, a claim the topology states):
    the stand-in puts a PROXY v1 header in front of the back-end connection, and appends X-Forwarded-For too."""
    t, slot, edge = _echo_behind(synthetic("""
load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}], target_type: ip,
                proxy_protocol: v1, unverified: {proxy_protocol_http_back_end: the stand-in sends it}}
controller: {proxy_protocol: true, cleartext: serve}
"""), stand_in)
    server = listen(slot, slot.controller, slot.controller_port("http"))
    client = slot.connect(slot.lb, slot.listener_port(80), slot.client(1), 5)
    client.sendall(b"GET /pp HTTP/1.1\r\nHost: a.example.test\r\n\r\n")
    conn, peer = server.accept()
    with client, conn, server:
        header, raw = read_proxy_header(conn)
        request = conn.recv(4096)
    assert raw.startswith(b"PROXY TCP4 ") and str(header.source[0]) == slot.client(1), raw
    assert peer[0] == slot.lb and request.startswith(b"GET /pp HTTP/1.1")
    assert f"x-forwarded-for: {slot.client(1)}".encode() in request.lower()


def test_alb_passes_the_upgrade(stand_in, synthetic, tmp_path):
    t, slot, edge = _echo_behind(synthetic(ALB), stand_in)
    echo = _echo_process(slot, tmp_path / "")
    try:
        ws = websocket(edge, "wss", source=slot.client(0))
        assert ws.status == 101 and ws.text_echoed and ws.binary_echoed, ws.describe()
        assert ws.report["peer"]["ip"] == slot.lb and ws.report["forwarded"]["for"] == [slot.client(0)]
    finally:
        echo.stop()


@pytest.mark.parametrize("model, protocol", [("alb", "HTTPS"), ("nlb", "TLS")])
def test_a_wildcard_of_the_sni_list_is_served_where_no_exact_name_matches(stand_in, synthetic, model, protocol):
    t = synthetic(f"""
hostnames: [x.app.test]
load_balancer: {{model: {model}, listeners: [{{port: 443, protocol: {protocol}, target: http}}],
                certificates: [default.test, "*.app.test", api.app.test], target_type: ip}}
controller: {{trusted_hops: {1 if model == "alb" else 0}, cleartext: serve}}
""")
    slot, edge = stand_in(t, (f"{model} stand-in",))
    got = {name: tls_handshake(edge, name, source=slot.client(0)).cert.name
           for name in ("x.app.test", "api.app.test", "a.b.app.test", "other.test")}
    assert got == {"x.app.test": "*.app.test", "api.app.test": "api.app.test", "a.b.app.test": "default.test",
                   "other.test": "default.test"}
