"""The echo backend: it answers every request with JSON describing exactly what reached it.

Run it with ``python -m edgeconform.echo --listen 127.1.4.1:9000``. The same file runs unchanged inside a
cluster (it needs only the ``websockets`` package).

HTTP (any path, GET/HEAD/...): a JSON object (documented in docs/echo.md)::

    {"backend": "edgeconform-echo", "websocket": false,
     "peer": {"ip": ..., "port": ...},        # the TCP peer of the backend: whoever connected to it
     "local": {"ip": ..., "port": ...},
     "client": "127.1.10.11",                 # the client address as the controller determined it
     "client_header": "x-edgeconform-client", # where "client" was read from
     "method": "GET", "host": ..., "path": "/probe?x=1",
     "headers": [["host", "..."], ...],       # every request header, in order, repeated names kept
     "forwarded": {"for": [...], "proto": ..., "port": ...}}

WebSocket (any request with ``Upgrade: websocket``): after the handshake the backend first sends the same JSON
as a text frame (with ``"websocket": true``), then echoes every frame back unchanged: text as text, binary as
binary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

SERVER = "edgeconform-echo"
# Proxies rewrite Server; this response header survives them and says "the backend answered".
BACKEND_HEADER = "X-Edgeconform-Backend"


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
    }


def _is_upgrade(request: Request) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower()


def make_server(host: str, port: int, client_header: str):
    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if _is_upgrade(request):
            connection.echo_meta = describe(connection, request, client_header, websocket=True)  # type: ignore[attr-defined]
            return None  # go on with the WebSocket handshake
        body = json.dumps(describe(connection, request, client_header, websocket=False), indent=1).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                           ("Server", SERVER), (BACKEND_HEADER, SERVER), ("Connection", "close"),
                           ("Cache-Control", "no-store")])
        return Response(200, "OK", headers, body)

    async def handler(connection: ServerConnection) -> None:
        await connection.send(json.dumps(getattr(connection, "echo_meta", {})))
        async for message in connection:
            await connection.send(message)

    return serve(handler, host, port, process_request=process_request, server_header=SERVER,
                 max_size=2**20, ping_interval=None)


async def _main(host: str, port: int, client_header: str) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with make_server(host, port, client_header):
        print(f"edgeconform echo listening on {host}:{port}", flush=True)
        await stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m edgeconform.echo", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="0.0.0.0:8080", help="HOST:PORT to listen on")
    parser.add_argument("--client-header", default="x-edgeconform-client",
                        help="request header in which the controller states the client address it determined")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(_main(host, int(port), args.client_header))


if __name__ == "__main__":
    main()
