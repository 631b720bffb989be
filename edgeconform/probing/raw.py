"""Raw bytes with a deadline: for input that is malformed on purpose (HTTP and TLS stay library code)."""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

RAW_TIMEOUT = 2.0  # a malformed header or half-open connection is given this long to be closed
_CLOSED_BY_PEER = {errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN}


@dataclass
class RawResult:
    label: str
    target: str
    reply: bytes = b""
    closed: bool = False  # the peer closed (FIN or reset) before the deadline
    error: str | None = None
    elapsed: float = 0.0

    @property
    def first_line(self) -> str:
        return self.reply.split(b"\r\n", 1)[0].decode(errors="replace") if self.reply else ""

    @property
    def answered_http(self) -> bool:
        return self.reply.startswith(b"HTTP/")

    def describe(self) -> str:
        got = f"answered {self.first_line!r}" if self.reply else "no reply"
        end = "closed by the peer" if self.closed else "still open at the deadline"
        extra = f" ({self.error})" if self.error else ""
        return f"{self.label} -> {self.target}: {got}, {end} after {self.elapsed:.2f} s{extra}"


def _host_connect(ip: str, port: int, *, source: str | None = None, timeout: float) -> socket.socket:
    return socket.create_connection((ip, port), timeout=timeout, source_address=(source, 0) if source else None)


def raw_exchange(label: str, ip: str, port: int, payload: bytes, *, source: str | None = None,
                 timeout: float = RAW_TIMEOUT, half_close: bool = True,
                 connect: Callable[..., socket.socket] = _host_connect) -> RawResult:
    """Send ``payload`` (then FIN when ``half_close``) and read until the peer closes or ``timeout`` passes.
    ``connect(ip, port, source=, timeout=)`` opens the connection (an edge's Transport.connect)."""
    result = RawResult(label, f"{ip}:{port}")
    started = time.monotonic()
    deadline = started + timeout
    try:
        with connect(ip, port, source=source, timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(payload)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0 and len(result.reply) < 65536:
                sock.settimeout(left)
                chunk = sock.recv(4096)
                if not chunk:
                    result.closed = True
                    break
                result.reply += chunk
    except TimeoutError:
        pass  # still open at the deadline: reported, never waited on further
    except OSError as exc:
        if exc.errno in _CLOSED_BY_PEER:  # reset before (or while) we sent: the peer closed it
            result.closed, result.error = True, f"closed by the peer: {exc.strerror}"
        else:
            result.error = f"{type(exc).__name__}: {exc}"
    result.elapsed = time.monotonic() - started
    return result

