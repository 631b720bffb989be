"""The echo backend's report: the contract docs/echo.md documents."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

import httpx
import pytest
from websockets.asyncio.client import connect

from edgeconform.supervisor import Supervisor, http_ok
from edgeconform.targets.local import addresses

pytestmark = pytest.mark.integration  # the echo backend runs as a real process


@pytest.fixture
def echo(tmp_path):
    slot = addresses.claim(lambda s: [("echo backend", (s.echo, s.echo_port))])  # a loopback slot of the host
    supervisor = Supervisor(tmp_path)
    supervisor.start("echo backend", [sys.executable, "-m", "edgeconform.echo", "--listen",
                                      f"{slot.echo}:{slot.echo_port}", "--client-header", "x-test-client"],
                     ready=http_ok(f"http://{slot.echo}:{slot.echo_port}/healthz"))
    supervisor.wait_ready()
    yield slot
    supervisor.stop()
    slot.release()


def test_http_report(echo):
    source = echo.client(5)
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), trust_env=False) as client:
        r = client.get(f"http://{echo.echo}:{echo.echo_port}/some/path?q=1",
                       headers=[("Host", "app.example.test"), ("X-Test-Client", "192.0.2.9"),
                                ("X-Forwarded-For", "198.51.100.1, 198.51.100.2"), ("X-Dup", "1"), ("X-Dup", "2"),
                                ("X-Forwarded-Proto", "https")])
    report = r.json()
    assert r.headers["x-edgeconform-backend"] == "edgeconform-echo"
    assert report["peer"]["ip"] == source and report["local"] == {"ip": echo.echo, "port": echo.echo_port}
    assert report["client"] == "192.0.2.9" and report["client_header"] == "x-test-client"
    assert (report["method"], report["host"], report["path"]) == ("GET", "app.example.test", "/some/path?q=1")
    assert ["x-dup", "1"] in report["headers"] and ["x-dup", "2"] in report["headers"]
    assert report["forwarded"] == {"for": ["198.51.100.1", "198.51.100.2"], "proto": "https", "port": None}
    assert report["websocket"] is False


def test_websocket_report_then_echo(echo):
    async def exchange():
        async with connect(f"ws://{echo.echo}:{echo.echo_port}/ws", proxy=None,
                           additional_headers={"X-Test-Client": "192.0.2.10"}) as ws:
            meta = json.loads(await ws.recv())
            await ws.send("text ✓")
            text = await ws.recv()
            await ws.send(b"\x00\x01binary")
            binary = await ws.recv()
            return meta, text, binary

    meta, text, binary = asyncio.run(asyncio.wait_for(exchange(), 10))
    assert meta["websocket"] is True and meta["client"] == "192.0.2.10" and meta["path"] == "/ws"
    assert text == "text ✓" and binary == b"\x00\x01binary"


def test_no_client_header_means_null(echo):
    with socket.create_connection((echo.echo, echo.echo_port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert json.loads(data.split(b"\r\n\r\n", 1)[1])["client"] is None


# --- the echo as the application (controller none): PROXY headers and TLS of its own ------------------------------
@pytest.fixture
def app(tmp_path):
    """The echo with a plain and a TLS listener, as controller ``none`` runs it (certificates: default first)."""
    from edgeconform import certs

    certs.write_ca(tmp_path)
    issued = certs.issue(tmp_path / "certs", "controller", ["default.example.test", "app.example.test",
                                                            "*.wild.example.test"])
    slot = addresses.claim(lambda s: [("app", (s.echo, s.echo_port)), ("app tls", (s.echo, s.echo_port + 1))])
    supervisor = Supervisor(tmp_path)
    argv = [sys.executable, "-m", "edgeconform.echo", "--listen", f"{slot.echo}:{slot.echo_port}",
            "--listen-tls", f"{slot.echo}:{slot.echo_port + 1}"]
    argv += [f"--cert={name}={cert.combined_pem}" for name, cert in issued.items()]
    supervisor.start("app", argv, ready=http_ok(f"http://{slot.echo}:{slot.echo_port}/healthz"))
    supervisor.wait_ready()
    yield slot, tmp_path / "ca.pem"
    supervisor.stop()
    slot.release()


def exchange(ip: str, port: int, first: bytes, *, tls_ca=None, sni: str | None = None, source: str | None = None):
    """Send ``first`` (raw bytes), then, over TLS when ``tls_ca`` is given, one GET; the status and the report."""
    import ssl

    with socket.create_connection((ip, port), timeout=5, source_address=(source, 0) if source else None) as raw:
        raw.sendall(first)
        conn = raw
        if tls_ca is not None:
            ctx = ssl.create_default_context(cafile=str(tls_ca))
            ctx.check_hostname = False
            conn = ctx.wrap_socket(raw, server_hostname=sni)
        conn.sendall(b"GET /x HTTP/1.1\r\nHost: app.example.test\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:  # closed with our request unread: no answer either
                break
            if not chunk:
                break
            data += chunk
    if not data:
        return None, None
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, (json.loads(body) if status == 200 else None)


def test_the_application_reports_a_proxy_header_and_the_raw_forwarded_headers(app):
    from edgeconform.probing import proxy_header

    slot, _ = app
    source = slot.client(3)
    for version in ("v1", "v2"):
        header = proxy_header.proxy(version, "198.51.100.77", slot.echo, source_port=40001, dest_port=80)
        status, report = exchange(slot.echo, slot.echo_port, header, source=source)
        assert status == 200 and report["peer"]["ip"] == source
        assert report["proxy"]["version"] == version and report["proxy"]["command"] == "PROXY"
        assert report["proxy"]["source"] == {"ip": "198.51.100.77", "port": 40001}
        assert report["proxy"]["destination"] == {"ip": slot.echo, "port": 80}
        assert report["forwarded"]["for"] == ["203.0.113.7"] and report["tls"] is None
    status, report = exchange(slot.echo, slot.echo_port, b"", source=source)  # no header: the TCP peer alone
    assert status == 200 and report["proxy"] is None and report["peer"]["ip"] == source


def test_a_local_header_carries_no_addresses_even_when_it_has_a_block(app):
    from edgeconform.probing import proxy_header

    slot, _ = app
    for header in (proxy_header.local(), proxy_header.local_with_addresses("203.0.113.66", slot.echo)):
        status, report = exchange(slot.echo, slot.echo_port, header)
        assert status == 200 and report["proxy"]["command"] == "LOCAL" and report["proxy"]["source"] is None


def test_the_application_terminates_tls_after_a_proxy_header_and_chooses_by_sni(app):
    from edgeconform.probing import proxy_header

    slot, ca = app
    port = slot.echo_port + 1
    for sni, served in (("app.example.test", "app.example.test"), ("x.wild.example.test", "*.wild.example.test"),
                        ("nope.example.test", "default.example.test"), (None, "default.example.test")):
        status, report = exchange(slot.echo, port, b"", tls_ca=ca, sni=sni)
        assert status == 200 and report["tls"]["sni"] == sni and report["tls"]["version"] == "TLSv1.3", sni
    # the NLB's PROXY v2 header comes before the TLS handshake [PP-BLOG]
    header = proxy_header.proxy("v2", "198.51.100.78", slot.echo, dest_port=443)
    status, report = exchange(slot.echo, port, header, tls_ca=ca, sni="app.example.test")
    assert status == 200 and report["proxy"]["source"]["ip"] == "198.51.100.78"
    assert report["tls"] == {"version": "TLSv1.3", "sni": "app.example.test"}


def test_a_malformed_proxy_header_is_closed_without_an_answer_and_the_application_keeps_serving(app):
    from edgeconform.probing import proxy_header

    slot, _ = app
    for label, payload in proxy_header.malformed().items():
        if b"65535" in label.encode():  # announces more bytes than it sends: ends when the client closes
            continue
        assert exchange(slot.echo, slot.echo_port, payload) == (None, None), label
    assert exchange(slot.echo, slot.echo_port, b"")[0] == 200
