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
