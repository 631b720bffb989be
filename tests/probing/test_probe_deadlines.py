"""Hostile input never hangs a run, and a crashed proxy becomes a failing test with its log.

- Probes against a server that accepts and never answers, or trickles bytes forever, end within their timeout.
- A controller killed in the middle of a suite run turns every later test of that edge into a failure whose
  message carries the process's exit code and log tail; the run ends, and no process of the edge is left.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from edgeconform import catalog, certs
from edgeconform.behaviours.security import CHECKS
from edgeconform.edge import Edge, Endpoint
from edgeconform.probing import http, raw, tls

# Real sockets, real servers (threads) and real deadlines: each test waits out a probe's bound.
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class MisbehavingServer:
    """A loopback TCP server that accepts and then stays silent, or trickles one byte every 50 ms (after the
    header of a 16 KiB TLS handshake record, so a TLS client keeps waiting for the rest)."""

    def __init__(self, trickle: bool):
        self.trickle = trickle
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.clients.append(conn)
                if self.trickle:
                    conn.send(b"\x16\x03\x03\x40\x00")
            except TimeoutError:
                pass
            if self.trickle:
                for conn in list(self.clients):
                    try:
                        conn.send(b"x")
                    except OSError:
                        self.clients.remove(conn)
            self.stop.wait(0.05)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)  # before closing its socket: an accept() on a closed socket raises in the thread
        for conn in self.clients:
            conn.close()
        self.sock.close()


@pytest.fixture(params=[False, True], ids=["silent", "trickling"])
def server(request):
    srv = MisbehavingServer(trickle=request.param)
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def bare_edge(tmp_path_factory) -> Edge:
    """An Edge object without processes: enough for probes that only need its CA."""
    workdir = tmp_path_factory.mktemp("edge")
    return Edge(topology=catalog.load()["nlb-ip"], target="test", endpoints={}, ca=certs.write_ca(workdir), roles={},
                client_cidr=None, client_addresses=[])


def test_raw_exchange_ends_at_its_deadline(server):
    started = time.monotonic()
    result = raw.raw_exchange("malformed PROXY", "127.0.0.1", server.port, b"PROXY garbage\r\n",
                                          timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert not result.closed and not result.answered_http
    assert "still open at the deadline" in result.describe()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_direct_request_times_out_instead_of_hanging(server, bare_edge, scheme):
    started = time.monotonic()
    result = http.direct_get(bare_edge, "127.0.0.1", server.port, scheme, "app.edgeconform.test",
                               prefix=b"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", timeout=0.5)
    assert time.monotonic() - started < 2.5
    assert result.status is None and result.error


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_suites_request_probe_ends_at_its_deadline(server, bare_edge, scheme):
    """http_get (the client IP, redirect and SNI probes) has one deadline for the whole exchange too."""
    port = 80 if scheme == "http" else 443
    edge = dataclasses.replace(bare_edge, endpoints={scheme: Endpoint(scheme, port, "127.0.0.1", server.port)})
    started = time.monotonic()
    result = http.http_get(edge, scheme, "app.edgeconform.test", "/slow", timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.status is None and result.error  # a silent peer times out; a trickle of TLS bytes is not HTTP


def test_tls_handshake_ends_at_its_deadline(server, bare_edge):
    edge = dataclasses.replace(bare_edge, endpoints={"https": Endpoint("https", 443, "127.0.0.1", server.port)})
    started = time.monotonic()
    shake = tls.tls_handshake(edge, "app.edgeconform.test", timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert shake.error and shake.cert is None


KILLER = '''
import os, signal, time
from pathlib import Path
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    edge = item.funcargs.get("edge")
    if edge is None or "{at}" not in item.name:
        return
    Path("{record}").write_text(str(edge.workdir))
    config = str(edge.workdir / "controller-envoy.yaml").encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{{pid}}/cmdline").read_bytes().split(b"\\0")
        except OSError:
            continue
        if config in argv:
            os.kill(int(pid), signal.SIGKILL)
            for _ in range(200):  # until the kernel has ended it (a zombie until the supervisor reaps it)
                try:
                    if Path(f"/proc/{{pid}}/stat").read_text().split(") ")[1][0] in "ZX":
                        break
                except OSError:
                    break
                time.sleep(0.01)
'''


@pytest.mark.integration
def test_controller_killed_mid_run_fails_with_its_log(tmp_path):
    record = tmp_path / "workdir.txt"
    (tmp_path / "edge_killer.py").write_text(KILLER.format(at="tls-versions", record=record))
    report = tmp_path / "junit.xml"
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suites" / "test_security.py"), "-p", "no:cacheprovider",
            "-p", "edge_killer", "-q", "--no-matrix", "--topology", "nlb-proxy-v2", "--converge-timeout", "0.3",
            f"--junitxml={report}"]
    # the edge's work folder is kept (to look for its processes afterwards), under tmp_path
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path), "EDGECONFORM_KEEP_WORKDIR": "1",
           "TMPDIR": str(tmp_path)}
    started = time.monotonic()
    subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert time.monotonic() - started < 60
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        outcomes[case.get("name")] = (failure.get("message", "") + (failure.text or "")) if failure is not None else None
    killed_at = CHECKS.index("tls-versions")
    for i, check in enumerate(CHECKS):
        message = outcomes[f"test_security[nlb-proxy-v2-{check}]"]
        if i < killed_at:
            assert message is None, f"{check} failed before the kill: {message}"
        else:
            assert message is not None, f"{check} passed with the controller dead"
            assert "controller (envoy) crashed (exit code -9)" in message
            assert "last lines of" in message  # the process log travels with the failure
    workdir = record.read_text()
    leftovers = [pid for pid in filter(str.isdigit, __import__("os").listdir("/proc"))
                 if workdir.encode() in _cmdline(pid)]
    assert not leftovers, f"processes of the edge still running: {leftovers}"


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_ctrl_c_during_a_websocket_exchange_stops_the_run_even_where_a_library_absorbs_the_cancellation():
    """asyncio.run would turn SIGINT into a cancellation; a coroutine that absorbs it (as a close handshake on the
    way out can) then returned normally and the Ctrl-C was lost. run_interruptibly raises KeyboardInterrupt."""
    import asyncio
    import os
    import signal
    import threading

    from edgeconform.probing.websocket import run_interruptibly

    async def absorbing() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            return "absorbed"
        return "slept"

    def interrupt_soon():
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a run (an xdist worker may differ)
    try:
        interrupt_soon()
        assert asyncio.run(absorbing()) == "absorbed"  # the failure mode: asyncio.run loses the Ctrl-C
        interrupt_soon()
        with pytest.raises(KeyboardInterrupt):
            run_interruptibly(absorbing())
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
