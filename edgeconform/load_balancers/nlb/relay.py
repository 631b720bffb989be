"""The NLB stand-in's PROXY v2 writer: a relay between HAProxy (the NLB's listeners) and the targets.

HAProxy 2.8 cannot send custom TLVs nor hold its header back until the client speaks [HAPROXY-28], so for a
target group with ``proxy_protocol_v2.enabled`` HAProxy hands each connection here, announced by its own bare
PROXY v2 header, and this relay plays the NLB's side towards the target:

1. it connects to the target at once (the NLB's handshake with the target is not delayed), from the NLB's address,
   or from the client's own address where client-IP preservation is on (IP_TRANSPARENT inside the edge's namespace);
2. placement ``on_first_ack_with_payload`` (the default [GO-PP25][#4326]): nothing is sent until the client's first
   bytes arrive, then the NLB-shaped header (edgeconform.load_balancers.nlb.proxy) and those bytes go out in one
   write; bytes the target sends before that are dropped, as users report of real NLBs; a connection the client
   closes without sending anything gets no header at all (a TCP health check). ``on_first_ack``: the header right
   after connecting;
3. HAProxy's LOCAL header (its health checks) becomes the NLB's LOCAL form: no address block, CRC32C and NOOP.

    python -m edgeconform.load_balancers.nlb.relay CONFIG.json

CONFIG: {"listeners": [{"listen": [ip, port], "target": [ip, port], "source": ip, "transparent": bool,
"vpce_id": str | null, "placement": "on_first_ack_with_payload" | "on_first_ack"}]}. Standard library, the
proxy-protocol package (to read HAProxy's header) and crc32c only; one line per connection on stderr.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import socket
import sys

from proxyprotocol.result import ProxyResultLocal
from proxyprotocol.v2 import ProxyProtocolV2

from .proxy import header

IP_TRANSPARENT = 19  # linux/in.h; also IPV6_TRANSPARENT (75) for IPv6 sockets
IPV6_TRANSPARENT = 75
CHUNK = 65536


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def read_haproxy_header(reader: asyncio.StreamReader):
    """HAProxy's own PROXY v2 header: (client, listener) addresses, or None for its LOCAL (health-check) form."""
    prefix = await reader.readexactly(16)
    rest = await reader.readexactly(int.from_bytes(prefix[14:16], "big"))
    result = ProxyProtocolV2().unpack(prefix + rest)
    if isinstance(result, ProxyResultLocal):
        return None
    return (str(result.source[0]), result.source[1]), (str(result.dest[0]), result.dest[1])


async def connect(target: tuple[str, int], source: str | None) -> socket.socket:
    family = socket.AF_INET6 if ipaddress.ip_address(target[0]).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if source is not None and ipaddress.ip_address(source).version != ipaddress.ip_address(target[0]).version:
            source = None  # an IPv6 client of an IPv4 target: the NLB's own address (the caller's fallback)
        if source is not None:
            try:
                sock.bind((source, 0))  # the NLB's own address: local, no privilege needed (the loopback fallback)
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
                # the client's address (preservation): only a transparent socket may use it (inside the edge's
                # namespace, where the harness is root)
                sock.setsockopt(socket.SOL_IP if family == socket.AF_INET else socket.SOL_IPV6,
                                IP_TRANSPARENT if family == socket.AF_INET else IPV6_TRANSPARENT, 1)
                sock.bind((source, 0))
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, target)
        return sock
    except BaseException:
        sock.close()
        raise


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event | None = None) -> None:
    """Copy until end of stream, then half-close; with ``gate``, drop what arrives before the gate opens."""
    try:
        while data := await reader.read(CHUNK):
            if gate is not None and not gate.is_set():
                continue  # the target spoke before the NLB sent its header: dropped
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


class Listener:
    def __init__(self, spec: dict):
        self.listen = tuple(spec["listen"])
        self.target = tuple(spec["target"])
        self.source = spec.get("source")
        self.transparent = bool(spec.get("transparent"))
        self.vpce_id = spec.get("vpce_id")
        self.placement = spec.get("placement", "on_first_ack_with_payload")

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = None
        try:
            addresses = await read_haproxy_header(reader)
            client = addresses[0] if addresses else None
            source = client[0] if (client and self.transparent) else self.source
            if client and self.transparent and ipaddress.ip_address(client[0]).version != \
                    ipaddress.ip_address(self.target[0]).version:
                source = self.source  # [NLB-TGA]: an IPv6 client of an IPv4 target shows the NLB's address
            sock = await connect(self.target, source)
            t_reader, upstream = await asyncio.open_connection(sock=sock)
            nlb_header = header(*addresses, vpce_id=self.vpce_id) if addresses else header(None)
            gate = asyncio.Event()
            if self.placement == "on_first_ack":
                upstream.write(nlb_header)
                await upstream.drain()
                gate.set()
                first = b""
            else:
                back = asyncio.ensure_future(pump(t_reader, writer, gate))
                first = await reader.read(CHUNK)
                if not first:  # the client sent nothing (a TCP health check): no header at all
                    log(f"{client or 'LOCAL'} -> {self.target}: closed before any payload; no header sent")
                    upstream.close()
                    await back
                    return
                upstream.write(nlb_header + first)
                await upstream.drain()
                gate.set()
                log(f"{client or 'LOCAL'} -> {self.target}: header ({len(nlb_header)} bytes) with the first "
                    f"{len(first)} bytes of payload")
                await asyncio.gather(back, pump(reader, upstream))
                return
            await asyncio.gather(pump(t_reader, writer), pump(reader, upstream))
        except asyncio.IncompleteReadError as exc:
            if exc.partial:  # a connection without any bytes is a readiness probe: not worth a line
                log(f"{self.listen} -> {self.target}: the connection ended inside HAProxy's header")
        except (ConnectionError, OSError, ValueError) as exc:
            log(f"{self.listen} -> {self.target}: {type(exc).__name__}: {exc}")
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()


async def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    servers = []
    for spec in config["listeners"]:
        listener = Listener(spec)
        servers.append(await asyncio.start_server(listener.serve, *listener.listen, reuse_address=True))
        log(f"listening on {listener.listen} -> {listener.target} ({listener.placement}"
            f"{', transparent' if listener.transparent else ''}{', vpce ' + listener.vpce_id if listener.vpce_id else ''})")
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1]))
    except KeyboardInterrupt:
        pass
