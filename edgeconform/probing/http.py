"""HTTP probing mechanics: one GET through an edge (or straight to one of its listeners), with one connection per
probe and one deadline for the whole exchange; following redirects; what the echo backend reported.

Every probe binds its source address where the edge allows it (so the backend's view can be compared with the
truth), sets Host and SNI for a hostname while connecting to the load balancer's address (like
``curl --resolve``), uses one connection per probe (httpx pools by origin only, so a connection made with one
SNI name would otherwise carry another), and has a bounded timeout.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from httpcore._backends.sync import SyncStream  # httpcore's own socket stream (httpx is pinned below 0.29)

from .. import headers as H
from ..certs import PeerCert, client_context
from ..echo import BACKEND_HEADER
from ..echo import SERVER as ECHO_NAME
from ..edge import Edge

TIMEOUT = 5.0

@lru_cache(maxsize=64)
def client_tls(ca: Path, verify_hostname: bool, client_cert: Path | None = None) -> ssl.SSLContext:
    return client_context(ca, verify_hostname=verify_hostname, client_cert=client_cert)


# --- what the backend reported ----------------------------------------------------------------------
@dataclass(frozen=True)
class BackendView:
    """The echo backend's report, read for what the controller concluded."""

    client: str | None  # the client address the controller determined
    peer: str | None  # the controller's TCP peer
    connection: str | None  # the controller's connection address after PROXY (its header, or the XFF entry it appended)
    xff: tuple[str, ...]
    xfp: str | None
    tls: str | None  # TLS version the controller saw; None when the controller received cleartext
    sni: str | None
    port: str | None  # controller port kind
    backend_peer: str | None  # the echo's own TCP peer
    headers: tuple[tuple[str, str], ...] = ()
    connection_stated: bool = False  # the controller named its connection's address (x-edgeconform-connection)
    # The PROXY header the backend itself read in front of the request (straight behind the load balancer, with no
    # controller): (version, command, source address), None where none arrived
    proxy: tuple[str, str, str | None] | None = None

    @classmethod
    def from_echo(cls, report: dict[str, Any]) -> BackendView:
        hdrs = {name: value for name, value in report.get("headers", [])}
        xff = tuple(report.get("forwarded", {}).get("for", []))
        own_tls = report.get("tls") or {}  # the TLS the backend ended itself (the application, TLS passed through)
        header = report.get("proxy")
        proxy = ((header["version"], header["command"], (header.get("source") or {}).get("ip"))
                 if header else None)
        return cls(client=report.get("client") or None, peer=hdrs.get(H.PEER) or None,
                   connection=hdrs.get(H.CONNECTION) or (xff[-1] if xff else None), xff=xff,
                   xfp=report.get("forwarded", {}).get("proto"),
                   tls=hdrs.get(H.TLS) or own_tls.get("version") or None,
                   sni=hdrs.get(H.SNI) or own_tls.get("sni") or None, port=hdrs.get(H.PORT) or None,
                   backend_peer=(report.get("peer") or {}).get("ip"),
                   headers=tuple((n, v) for n, v in report.get("headers", [])),
                   connection_stated=bool(hdrs.get(H.CONNECTION)), proxy=proxy)

    @property
    def proxy_source(self) -> str | None:
        """The client address a PROXY header the backend read carries (a PROXY command; LOCAL carries none)."""
        return self.proxy[2] if self.proxy and self.proxy[1] == "PROXY" else None


# --- HTTP -------------------------------------------------------------------------------------------
@dataclass
class HttpResult:
    url: str
    source: str | None
    host: str
    sni: str | None
    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    report: dict[str, Any] | None = None  # the echo backend's JSON, when the response came from it
    error: str | None = None
    tls_version: str | None = None
    cert: PeerCert | None = None
    elapsed: float = 0.0

    @property
    def server(self) -> str | None:
        return self.headers.get("server")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @property
    def view(self) -> BackendView | None:
        return BackendView.from_echo(self.report) if self.report else None

    def describe(self) -> str:
        if self.error:
            return f"GET {self.url} (Host {self.host}) from {self.source}: {self.error}"
        extra = f" -> {self.location}" if self.location else ""
        who = "the backend" if self.report else f"server {self.server!r}"
        return f"GET {self.url} (Host {self.host}) from {self.source}: {self.status}{extra} from {who}"


# --- HTTP: one connection per probe, one deadline for the whole exchange ---------------------------------------
class _ProbeBackend(httpcore.NetworkBackend):
    """httpcore's socket stream over a connection the edge opens (Transport.connect: here, or inside the edge's network
    namespace), with two additions: ``prefix`` is written right after connecting (or right after the TLS
    handshake: a client speaking PROXY inside a TLS listener that the load balancer terminates), and every read
    and write shares one deadline, so a server that trickles bytes cannot stretch the probe."""

    def __init__(self, edge: Edge, source: str | None, prefix: bytes, inside_tls: bool, deadline: float):
        self.edge, self.source = edge, source
        self.prefix, self.inside_tls, self.deadline = prefix, inside_tls, deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            sock = self.edge.transport.connect(host, port, source=self.source, timeout=_left(self.deadline, timeout))
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stream = _Bounded(SyncStream(sock), self.deadline, self.prefix if self.inside_tls else b"")
        if self.prefix and not self.inside_tls:
            stream.write(self.prefix, timeout)
        return stream

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:  # pragma: no cover - retries are off
        time.sleep(seconds)


def _left(deadline: float, timeout: float | None) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the probe's deadline passed")
    return min(left, timeout) if timeout else left


class _Bounded(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: float, after_tls: bytes = b""):
        self._stream, self._deadline, self._after_tls = stream, deadline, after_tls

    def read(self, max_bytes, timeout=None):
        return self._stream.read(max_bytes, _left(self._deadline, timeout))

    def write(self, buffer, timeout=None):
        self._stream.write(buffer, _left(self._deadline, timeout))

    def close(self):
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        tls = _Bounded(self._stream.start_tls(ssl_context, server_hostname, _left(self._deadline, timeout)),
                       self._deadline)
        if self._after_tls:
            tls.write(self._after_tls, timeout)
        return tls

    def get_extra_info(self, info):
        return self._stream.get_extra_info(info)


def direct_get(edge: Edge, ip: str, port: int, scheme: str, host: str, path: str = "/", *, sni: str | None = None,
               prefix: bytes = b"", inside_tls: bool = False, source: str | None = None,
               extra_headers: dict[str, str] | None = None, timeout: float = TIMEOUT) -> HttpResult:
    """GET ``scheme://ip:port/path`` with Host ``host``, optionally after raw bytes; never retried, and over
    within ``timeout`` seconds from start to end (each step, and the whole exchange)."""
    sni = (sni or host) if scheme == "https" else None
    result = HttpResult(url=f"{scheme}://{host}:{port}{path} at {ip}", source=source, host=host, sni=sni)
    context = client_tls(edge.ca, True, edge.client_cert) if scheme == "https" else None
    headers = [("Host", host), ("Connection", "close"), *(extra_headers or {}).items()]
    extensions: dict = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    if sni:
        extensions["sni_hostname"] = sni
    started = time.monotonic()
    try:
        backend = _ProbeBackend(edge, source, prefix, inside_tls, started + timeout)
        with httpcore.ConnectionPool(ssl_context=context, retries=0, max_connections=1,
                                     network_backend=backend) as pool:
            at = f"[{ip}]" if ":" in ip else ip  # an IPv6 address in a URL
            with pool.stream("GET", f"{scheme}://{at}:{port}{path}", headers=headers, extensions=extensions) as response:
                if scheme == "https":
                    tls = response.extensions["network_stream"].get_extra_info("ssl_object")
                    result.tls_version = tls.version()
                    result.cert = PeerCert.from_der(tls.getpeercert(True))
                result.status = response.status
                result.reason = response.extensions.get("reason_phrase", b"").decode(errors="replace")
                result.headers = {k.decode().lower(): v.decode(errors="replace") for k, v in response.headers}
                result.body = response.read()
        if result.headers.get(BACKEND_HEADER.lower()) == ECHO_NAME:
            result.report = json.loads(result.body)
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError,
            ValueError) as exc:
        result.error = describe_error(exc)
    result.elapsed = time.monotonic() - started
    return result


def http_get(edge: Edge, scheme: str, host: str, path: str = "/", *, source: str | None = None,
             port: int | None = None, sni: str | None = None, extra_headers: dict[str, str] | None = None,
             prefix: bytes = b"", timeout: float = TIMEOUT) -> HttpResult:
    """GET ``scheme://host[:port]path`` through the edge, connecting to the load balancer's address, within one
    deadline. ``prefix`` (raw bytes a hostile client sends first) goes where a client's own bytes go: inside TLS
    when the load balancer terminates it, before TLS when TLS passes through to the controller."""
    ip, port = edge.resolve(scheme, port, source)
    inside = scheme == "https" and edge.topology.tls_terminates_at == "lb"
    result = direct_get(edge, ip, port, scheme, host, path, sni=sni, prefix=prefix, inside_tls=inside, source=source,
                        extra_headers=extra_headers, timeout=timeout)
    result.url = f"{scheme}://{host}:{port}{path}"
    return result



def describe_error(exc: BaseException) -> str:
    """A short, specific description of a failed connection (what a user would see with curl)."""
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    detail = str(cause) if cause and str(cause) and str(cause) not in text else ""
    # httpx's exceptions, and httpcore's for probes that use it directly (direct_get)
    if isinstance(exc, (httpx.TimeoutException, httpcore.TimeoutException)):
        kind = "timed out"
    elif isinstance(exc, (httpx.ConnectError, httpcore.ConnectError)) and "refused" in text.lower():
        kind = "connection refused"
    elif isinstance(exc, (httpx.ConnectError, httpcore.ConnectError)) and ("SSL" in text or "TLS" in text
                                                                            or "certificate" in text):
        kind = "TLS handshake failed"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpcore.RemoteProtocolError)) and "without sending" in text:
        kind = "the connection was closed without a response"
    elif isinstance(exc, (httpx.ReadError, httpcore.ReadError, ConnectionResetError)):
        kind = "the connection was reset"
    else:
        kind = type(exc).__name__
    return f"{kind}: {text}{' (' + detail + ')' if detail else ''}"



def proxy_counters(edge: Edge) -> dict[str, int]:
    """The controller's PROXY-protocol counters (local target: Envoy admin stats), summed over listeners."""
    from ..supervisor import admin_get

    if not edge.controller.admin:
        return {}
    try:
        _, text = admin_get(edge.transport.admin_connect, f"{edge.controller.admin}/stats?filter=proxy_proto", timeout=2)
    except (OSError, ValueError):
        return {}
    counters = {"v1": 0, "v2": 0}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        for version in counters:
            if name.endswith(f"versions.{version}.found"):
                counters[version] += int(value)
    return counters



# --- redirect ----------------------------------------------------------------------------------------
@dataclass
class Hop:
    result: HttpResult
    at: str  # "lb", "controller", "backend" or "none" (no response)


@dataclass
class RedirectTrail:
    start: str
    hops: list[Hop]
    loop: bool
    limit: int

    @property
    def first(self) -> Hop:
        return self.hops[0]

    @property
    def last(self) -> Hop:
        return self.hops[-1]

    def describe(self) -> str:
        lines = [f"  {i + 1}. {hop.result.describe()} [at {hop.at}]" for i, hop in enumerate(self.hops)]
        tail = f"\n  stopped: more than {self.limit} redirects (a loop)" if self.loop else ""
        return "\n".join(lines) + tail


def responder(edge: Edge, result: HttpResult) -> str:
    if result.status is None:
        return "none"
    if result.report is not None:
        return "backend"
    if edge.lb_server_header and result.server == edge.lb_server_header:
        return "lb"
    return "controller"


def follow_redirects(edge: Edge, host: str, path: str = "/redirect-check?q=1", *, source: str | None = None,
                     limit: int = 5, scheme: str = "http") -> RedirectTrail:
    """Start at scheme://host/path (http unless told) and follow Location headers, at most ``limit`` times."""
    port, current = None, path
    start = f"{scheme}://{host}{path}"
    hops: list[Hop] = []
    seen: set[str] = set()
    while True:
        result = http_get(edge, scheme, host, current, source=source, port=port)
        hops.append(Hop(result, responder(edge, result)))
        if result.status is None or not (300 <= result.status < 400) or not result.location:
            return RedirectTrail(start, hops, loop=False, limit=limit)
        key = f"{scheme}://{host}:{port}{current}"
        if len(hops) > limit or key in seen:
            return RedirectTrail(start, hops, loop=True, limit=limit)
        seen.add(key)
        target = urlsplit(result.location)
        scheme = target.scheme or scheme
        host = target.hostname or host
        port = target.port
        current = (target.path or "/") + (f"?{target.query}" if target.query else "")

