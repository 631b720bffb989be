"""TLS probing mechanics: a handshake with a chosen SNI name (and protocol versions) against an edge, bounded by one
deadline; and whether this Python's OpenSSL can offer a protocol version at all."""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from dataclasses import dataclass
from functools import cache

from .. import certs
from ..certs import PeerCert
from ..edge import Edge
from .http import TIMEOUT, client_tls

UNKNOWN_NAME = "no-such-name.edgeconform.test"  # a name no certificate covers: it gets the default

# --- TLS / SNI ---------------------------------------------------------------------------------------
@dataclass
class Handshake:
    sni: str
    source: str | None
    version: str | None = None
    cert: PeerCert | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.error:
            return f"SNI {self.sni}: handshake failed: {self.error}"
        assert self.cert is not None
        by = f", served by the {self.cert.served_by}" if self.cert.served_by else ""
        return f"SNI {self.sni}: certificate {self.cert.name!r}{by} ({self.version})"


def tls_handshake(edge: Edge, sni: str, *, source: str | None = None, timeout: float = TIMEOUT,
                  context: ssl.SSLContext | None = None) -> Handshake:
    """A TLS handshake with ``sni`` against the edge's https listener; the chain is verified, the name is not
    (the point is to see which certificate each name gets). ``timeout`` bounds the whole handshake: a watchdog
    shuts the socket down at the deadline, so a peer that trickles bytes cannot stretch it."""
    ip, port = edge.resolve("https", None, source)
    shake = Handshake(sni, source)
    ctx = context or client_tls(edge.ca, False, edge.client_cert)
    try:
        with edge.transport.connect(ip, port, source=source, timeout=timeout) as raw:
            watchdog = threading.Timer(timeout, _shut, args=(raw,))
            watchdog.start()
            try:
                with ctx.wrap_socket(raw, server_hostname=sni) as tls:
                    shake.version = tls.version()
                    shake.cert = PeerCert.from_der(tls.getpeercert(True))
            finally:
                watchdog.cancel()
    except (ssl.SSLError, OSError) as exc:
        shake.error = f"{type(exc).__name__}: {exc}"
    return shake


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass

TLS_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@cache
def client_offers(version: str) -> bool:
    """Whether this Python/OpenSSL can complete a handshake at ``version`` at all (against itself, in memory):
    a refusal by the edge only means something when the client could have offered the version."""
    tls_version = TLS_VERSIONS[version]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        try:
            for ctx in (server, client):
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                ctx.minimum_version = ctx.maximum_version = tls_version
        except (ValueError, ssl.SSLError):
            return False
    certs.authority().issue_cert("capability.edgeconform.test").configure_cert(server)
    s_in, s_out, c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    s_tls = server.wrap_bio(s_in, s_out, server_side=True)
    c_tls = client.wrap_bio(c_in, c_out, server_hostname="capability.edgeconform.test")
    done = {"s": False, "c": False}
    for _ in range(20):  # a handshake takes a handful of flights
        for key, tls in (("c", c_tls), ("s", s_tls)):
            if not done[key]:
                try:
                    tls.do_handshake()
                    done[key] = True
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLError:
                    return False
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return c_tls.version() == version
    return False

