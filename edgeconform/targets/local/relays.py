"""A loopback relay into a namespace: 127.0.0.1:<ephemeral> in the harness's network namespace, each accepted
connection carried by a socket made inside another one (the rehearsal control plane's, the kind engine's).

Used where a client of this machine's own (the kubernetes client, an API server's kubeconfig) must reach one
address inside: nothing else inside is reachable, and nothing inside reaches out.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Protocol


class Inside(Protocol):
    def connect(self, src: str | None, dst: str, port: int, timeout: float | None = 5.0) -> socket.socket: ...


class LoopbackRelay:
    """127.0.0.1:``port`` (an ephemeral port of this namespace) -> ``ip``:``target`` inside ``inside``."""

    def __init__(self, inside: Inside, ip: str, target: int):
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    far = inside.connect(None, ip, target, timeout=10)
                except OSError:
                    return
                far.settimeout(None)
                with far:
                    pump(self.request, far)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"relay-{ip}:{target}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pump(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until both sides are done."""
    def one_way(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    other = threading.Thread(target=one_way, args=(b, a), daemon=True)
    other.start()
    one_way(a, b)
    other.join()
