"""WebSocket probing mechanics: the Upgrade through an edge, then one text and one binary frame echoed back."""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import threading
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus, WebSocketException

from ..edge import Edge
from ..interrupts import interrupting
from .http import TIMEOUT, client_tls

@dataclass
class WebSocketResult:
    url: str
    source: str | None
    status: int | None = None  # 101 when upgraded
    location: str | None = None
    report: dict[str, Any] | None = None
    text_echoed: bool = False
    binary_echoed: bool = False
    error: str | None = None

    def describe(self) -> str:
        if self.status == 101:
            return (f"{self.url} from {self.source}: upgraded (101); text echo "
                    f"{'ok' if self.text_echoed else 'FAILED'}, binary echo {'ok' if self.binary_echoed else 'FAILED'}"
                    + (f"; {self.error}" if self.error else ""))
        where = f" -> {self.location}" if self.location else ""
        return f"{self.url} from {self.source}: not upgraded: {self.error or self.status}{where}"


TEXT_FRAME = "edgeconform text frame: héllo ✓"
BINARY_FRAME = bytes(range(256)) * 4


def websocket(edge: Edge, scheme: str, *, source: str | None = None, timeout: float = TIMEOUT) -> WebSocketResult:
    """Open ws(s)://host/ws through the edge and echo one text and one binary frame.

    The asyncio client is used (its TLS runs on memory buffers, so a record that arrives together with the 101
    cannot stall it) and the whole exchange has one hard deadline.
    """
    http_scheme = "https" if scheme == "wss" else "http"
    host = edge.hostnames[0]
    ip, port = edge.resolve(http_scheme, None, source)
    # Through a relay the URL (and so the Host header) names the AWS listener port, not the relay's.
    shown = edge.endpoints[http_scheme].public_port if edge.transport.relayed(source) else port
    result = WebSocketResult(url=f"{scheme}://{host}:{shown}/ws", source=source)

    async def exchange() -> None:
        sock = edge.transport.connect(ip, port, source=source, timeout=timeout)  # the edge decides where sockets are made
        sock.setblocking(False)
        async with ws_connect(result.url, sock=sock,
                              ssl=client_tls(edge.ca, True, edge.client_cert) if scheme == "wss" else None,
                              server_hostname=host if scheme == "wss" else None, open_timeout=timeout,
                              close_timeout=1, proxy=None, max_size=2**20, ping_interval=None) as ws:
            result.status = 101
            result.report = json.loads(await ws.recv())
            await ws.send(TEXT_FRAME)
            result.text_echoed = await ws.recv() == TEXT_FRAME
            await ws.send(BINARY_FRAME)
            result.binary_echoed = await ws.recv() == BINARY_FRAME

    try:
        run_interruptibly(asyncio.wait_for(exchange(), timeout * 2))
    except (WebSocketException, OSError, ssl.SSLError, TimeoutError, ValueError) as exc:
        refused = _invalid_status(exc)
        if refused is not None:  # the client library may wrap it while trying to follow a redirect
            result.status = refused.response.status_code
            result.location = refused.response.headers.get("Location")
            result.error = f"HTTP {result.status} instead of 101"
        else:
            result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return result


def run_interruptibly(coroutine) -> Any:
    """asyncio.run, except that Ctrl-C raises KeyboardInterrupt where the loop is, as everywhere else in a run.

    asyncio.run turns SIGINT into a cancellation of its task and raises KeyboardInterrupt only if that cancellation
    comes back out; a library that absorbs it (a close handshake on the way out, wait_for racing a finished inner
    task) made the signal vanish, and a Ctrl-C'd suite ran on to its end (seen in tests/test_supervisor.py). With a
    handler of our own installed, asyncio leaves SIGINT alone."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return asyncio.run(coroutine)
    with interrupting(signal.SIGINT):
        return asyncio.run(coroutine)


def _invalid_status(exc: BaseException | None) -> InvalidStatus | None:
    while exc is not None and not isinstance(exc, InvalidStatus):
        exc = exc.__cause__ or exc.__context__
    return exc

