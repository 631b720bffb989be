"""The echo backend: it answers every request with JSON describing exactly what reached it.

Run it with ``python -m edgeconform.echo --listen 127.1.4.1:9000``. The same file runs unchanged inside a
cluster (it needs only the ``websockets`` package).

It plays two parts. Behind an ingress controller it is the backend, and reports what the controller told it.
Behind a load balancer alone (controller ``none``) it is the application itself, and reports what an application
sees: the TCP peer, the raw X-Forwarded-* headers, any PROXY header in front of the request (v1 or v2, read when
present, never required: what the application would make of it is its own business), and, where the load balancer
passes TLS through (``--listen-tls``), the TLS version and SNI name of the client's own handshake.

HTTP (any path, GET/HEAD/...): a JSON object (documented in docs/echo.md)::

    {"backend": "edgeconform-echo", "websocket": false,
     "peer": {"ip": ..., "port": ...},        # the TCP peer of the backend: whoever connected to it
     "local": {"ip": ..., "port": ...},
     "client": "127.1.10.11",                 # the client address as the controller determined it
     "client_header": "x-edgeconform-client", # where "client" was read from
     "method": "GET", "host": ..., "path": "/probe?x=1",
     "headers": [["host", "..."], ...],       # every request header, in order, repeated names kept
     "forwarded": {"for": [...], "proto": ..., "port": ...},
     "proxy": null,                           # or {"version": "v2", "command": "PROXY", "source": {"ip", "port"},
                                              #     "destination": {...}, "tlvs": [[type, "hex"], ...]}
     "tls": null}                             # or {"version": "TLSv1.3", "sni": "app.example.test"}

WebSocket (any request with ``Upgrade: websocket``): after the handshake the backend first sends the same JSON
as a text frame (with ``"websocket": true``), then echoes every frame back unchanged: text as text, binary as
binary.

The PROXY header is read here by hand (its spec, haproxy's doc/proxy-protocol.txt, is a text line or a fixed binary
layout) because the cluster runs this file with websockets alone; it is read exactly, byte for byte, before any
TLS, so the TLS handshake that follows it (an NLB sends its header first [PP-BLOG]) is left untouched.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import signal
import socket
import ssl
import struct
import threading
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

SERVER = "edgeconform-echo"
# Proxies rewrite Server; this response header survives them and says "the backend answered".
BACKEND_HEADER = "X-Edgeconform-Backend"
HANDSHAKE_SECONDS = 10.0  # a client has this long for its PROXY header and TLS handshake
V1_PREFIX = b"PROXY "
V1_MAX = 107  # the longest v1 line, CRLF included
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
TLS_VERSIONS = {"TLSv1.0": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


class ProxyHeaderError(ValueError):
    """A PROXY header that does not parse: the connection is closed without a response."""


# --- PROXY: read exactly the header, never a byte of what follows -------------------------------------------------
def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ProxyHeaderError("the connection ended inside a PROXY header")
        data += chunk
    return data


def _peek(sock: socket.socket, count: int) -> bytes:
    """Up to ``count`` bytes without taking them (fewer only where the peer stops sending)."""
    return sock.recv(count, socket.MSG_PEEK | socket.MSG_WAITALL)


def read_proxy_header(sock: socket.socket) -> dict[str, Any] | None:
    """The PROXY header at the start of ``sock``, if one is there (consumed), as the report describes it."""
    first = sock.recv(1, socket.MSG_PEEK)
    if first == V1_PREFIX[:1] and _peek(sock, len(V1_PREFIX)) == V1_PREFIX:
        line = b""
        while not line.endswith(b"\r\n"):
            if len(line) >= V1_MAX:
                raise ProxyHeaderError(f"a PROXY v1 line longer than {V1_MAX} bytes")
            line += _recv_exactly(sock, 1)
        return _parse_v1(line[:-2].decode("ascii", "replace"))
    if first == V2_SIGNATURE[:1] and _peek(sock, len(V2_SIGNATURE)) == V2_SIGNATURE:
        fixed = _recv_exactly(sock, 16)
        length = struct.unpack("!H", fixed[14:16])[0]
        return _parse_v2(fixed, _recv_exactly(sock, length))
    return None


def _parse_v1(line: str) -> dict[str, Any]:
    parts = line.split(" ")
    if parts[:2] == ["PROXY", "UNKNOWN"]:
        return {"version": "v1", "command": "UNKNOWN", "source": None, "destination": None, "tlvs": []}
    if len(parts) != 6 or parts[1] not in ("TCP4", "TCP6"):
        raise ProxyHeaderError(f"not a PROXY v1 line: {line!r}")
    try:
        source, destination = (str(ipaddress.ip_address(ip)) for ip in parts[2:4])
        ports = [int(port) for port in parts[4:6]]
    except ValueError:
        raise ProxyHeaderError(f"a PROXY v1 line with a bad address or port: {line!r}") from None
    return {"version": "v1", "command": "PROXY", "source": {"ip": source, "port": ports[0]},
            "destination": {"ip": destination, "port": ports[1]}, "tlvs": []}


def _parse_v2(fixed: bytes, rest: bytes) -> dict[str, Any]:
    version, command, family = fixed[12] >> 4, fixed[12] & 0x0F, fixed[13] >> 4
    if version != 2 or command not in (0, 1):
        raise ProxyHeaderError(f"a PROXY v2 header with version {version}, command {command}")
    sizes = {1: (4, 12), 2: (16, 36)}  # AF_INET, AF_INET6: address length, address block length
    source = destination = None
    block = 0
    if family in sizes:
        size, block = sizes[family]
        if len(rest) < block:
            raise ProxyHeaderError("a PROXY v2 header shorter than its address block")
        addresses = [str(ipaddress.ip_address(rest[i:i + size])) for i in (0, size)]
        ports = struct.unpack("!HH", rest[2 * size:block])
        source = {"ip": addresses[0], "port": ports[0]}
        destination = {"ip": addresses[1], "port": ports[1]}
    tlvs, at = [], block
    while at + 3 <= len(rest):
        kind, length = rest[at], struct.unpack("!H", rest[at + 1:at + 3])[0]
        tlvs.append([kind, rest[at + 3:at + 3 + length].hex()])
        at += 3 + length
    if command == 0:  # LOCAL: the receiver uses the connection's own addresses, whatever the header carries
        source = destination = None
    return {"version": "v2", "command": "PROXY" if command == 1 else "LOCAL", "source": source,
            "destination": destination, "tlvs": tlvs}


# --- TLS: the application's own certificates, chosen by SNI --------------------------------------------------------
def tls_context(certificates: list[tuple[str, str]], minimum: str) -> ssl.SSLContext:
    """A server context for ``certificates`` ((name, PEM file with chain and key); the first is the default): an
    SNI name gets its exact certificate, else a wildcard over its first label, else the default (RFC 6125)."""
    def load(pem: str) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = TLS_VERSIONS[minimum]
        if TLS_VERSIONS[minimum] < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # old protocol versions need the lowest level to be offered
        ctx.set_alpn_protocols(["http/1.1"])
        chain, _, key = pem.partition(",")
        ctx.load_cert_chain(chain, key or None)
        return ctx

    by_name = {name.lower(): load(pem) for name, pem in certificates}
    default = by_name[certificates[0][0].lower()]

    def choose(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        sslobj.edgeconform_sni = name  # type: ignore[union-attr]
        if name:
            name = name.lower()
            chosen = by_name.get(name) or by_name.get("*." + name.partition(".")[2])
            if chosen is not None:
                sslobj.context = chosen

    default.sni_callback = choose
    return default


class AppConnection(ServerConnection):
    """A connection that may start with a PROXY header and may be TLS (``tls``: the listener's context), read before
    websockets reads a byte of HTTP."""

    tls: ssl.SSLContext | None = None

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any):
        sock.settimeout(HANDSHAKE_SECONDS)
        self.proxy_header = read_proxy_header(sock)
        self.tls_info = None
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)  # handshakes within the timeout above
            self.tls_info = {"version": sock.version(), "sni": getattr(sock, "edgeconform_sni", None)}
        sock.settimeout(None)
        super().__init__(sock, *args, **kwargs)


def describe(connection: ServerConnection, request: Request, client_header: str, websocket: bool) -> dict[str, Any]:
    headers = [[name.lower(), value] for name, value in request.headers.raw_items()]
    xff = ",".join(request.headers.get_all("X-Forwarded-For"))
    peer = connection.remote_address or ("", 0)
    local = connection.local_address or ("", 0)
    return {
        "backend": SERVER,
        "websocket": websocket,
        "peer": {"ip": peer[0], "port": peer[1]},
        "local": {"ip": local[0], "port": local[1]},
        "client": request.headers.get(client_header),
        "client_header": client_header,
        "method": getattr(request, "method", "GET"),
        "host": request.headers.get("Host"),
        "path": request.path,
        "headers": headers,
        "forwarded": {
            "for": [entry.strip() for entry in xff.split(",") if entry.strip()],
            "proto": request.headers.get("X-Forwarded-Proto"),
            "port": request.headers.get("X-Forwarded-Port"),
        },
        "proxy": getattr(connection, "proxy_header", None),
        "tls": getattr(connection, "tls_info", None),
    }


def _is_upgrade(request: Request) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower()


def make_server(host: str, port: int, client_header: str, tls: ssl.SSLContext | None = None):
    """One listener: plain, or TLS with ``tls``; a PROXY header in front is read either way."""
    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if _is_upgrade(request):
            connection.echo_meta = describe(connection, request, client_header, websocket=True)  # type: ignore[attr-defined]
            return None  # go on with the WebSocket handshake
        body = json.dumps(describe(connection, request, client_header, websocket=False), indent=1).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                           ("Server", SERVER), (BACKEND_HEADER, SERVER), ("Connection", "close"),
                           ("Cache-Control", "no-store")])
        return Response(200, "OK", headers, body)

    def handler(connection: ServerConnection) -> None:
        connection.send(json.dumps(getattr(connection, "echo_meta", {})))
        for message in connection:
            connection.send(message)

    connection_class = type("ListenerConnection", (AppConnection,), {"tls": tls})
    return serve(handler, host, port, process_request=process_request, server_header=SERVER, max_size=2**20,
                 ping_interval=None, compression=None, create_connection=connection_class,
                 family=socket.AF_INET6 if ":" in host else socket.AF_INET)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m edgeconform.echo", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", action="append", default=[], metavar="HOST:PORT",
                        help="a plain listener (repeatable; default 0.0.0.0:8080 when no listener is given)")
    parser.add_argument("--listen-tls", action="append", default=[], metavar="HOST:PORT",
                        help="a listener that terminates TLS itself with --cert (repeatable)")
    parser.add_argument("--cert", action="append", default=[], metavar="NAME=PEM[,KEY]",
                        help="a certificate of the TLS listeners: its name (a hostname or *.suffix) and a PEM file "
                             "with the chain and the key (or the chain, a comma, and the key's file); the first is "
                             "the default (repeatable)")
    parser.add_argument("--tls-min-version", default="TLSv1.2", choices=sorted(TLS_VERSIONS),
                        help="the oldest TLS version the TLS listeners accept")
    parser.add_argument("--client-header", default="x-edgeconform-client",
                        help="request header in which the controller states the client address it determined")
    args = parser.parse_args(argv)
    if args.listen_tls and not args.cert:
        parser.error("--listen-tls needs at least one --cert NAME=PEM")
    listeners = [(_address(item), None) for item in args.listen or ([] if args.listen_tls else ["0.0.0.0:8080"])]
    if args.listen_tls:
        context = tls_context([tuple(item.split("=", 1)) for item in args.cert], args.tls_min_version)
        listeners += [(_address(item), context) for item in args.listen_tls]
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    servers = [make_server(host, port, args.client_header, tls) for (host, port), tls in listeners]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    for ((host, port), tls) in listeners:
        print(f"edgeconform echo listening on {host}:{port}{' (TLS)' if tls else ''}", flush=True)
    while not stop.wait(timeout=3600):
        pass
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
