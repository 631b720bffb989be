"""Probes of the security suite: a client that forges headers, speaks PROXY where it should not, offers old TLS
versions, and sends hostile input; each with a bounded timeout, and each with a control request.

HTTP and TLS stay library code: requests that must start with raw bytes (a PROXY header before or inside TLS)
go through httpcore with a network backend that writes those bytes first. Only deliberately malformed input is
written to a plain socket (raw_exchange), with a deadline.
"""

from __future__ import annotations

import errno
import functools
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from functools import cache

from . import certs, probes, proxy_header, security
from .edge import Edge
from .probes import ClientIpSample, Handshake, Hop, HttpResult, RedirectTrail, direct_get
from .outcomes import Unmeasurable

TIMEOUT = 3.0
_http_get = functools.partial(probes.http_get, timeout=TIMEOUT)  # the security probes' own, shorter deadline
RAW_TIMEOUT = 2.0  # a malformed header or half-open connection is given this long to be closed
_CLOSED_BY_PEER = {errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN}
OVERSIZED_HEADER = 96 * 1024  # above the ALB's 16 KiB per header and Envoy's 60 KiB of headers [ALB-Q]


# --- raw bytes with a deadline ----------------------------------------------------------------------------------
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


def raw_exchange(label: str, ip: str, port: int, payload: bytes, *, source: str | None = None,
                 timeout: float = RAW_TIMEOUT, half_close: bool = True) -> RawResult:
    """Send ``payload`` (then FIN when ``half_close``) and read until the peer closes or ``timeout`` passes."""
    result = RawResult(label, f"{ip}:{port}")
    started = time.monotonic()
    deadline = started + timeout
    try:
        with socket.create_connection((ip, port), timeout=timeout,
                                      source_address=(source, 0) if source else None) as sock:
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


# --- observations -----------------------------------------------------------------------------------------------
def _lines(items) -> str:
    return "\n".join(f"  {item}" for item in items)


@dataclass
class ForgedProtoObservation:
    hop: Hop
    forged: dict[str, str]

    def describe(self) -> str:
        sent = ", ".join(f"{k}: {v}" for k, v in self.forged.items())
        return _lines([f"{self.hop.result.describe()} [at {self.hop.at}] (sent {sent})"])


@dataclass
class ProxyRequiredObservation:
    without_header: dict[str, HttpResult]
    with_header: dict[str, HttpResult]

    def describe(self) -> str:
        return _lines([f"{kind} listener, no PROXY header: {r.describe()}" for kind, r in self.without_header.items()]
                      + [f"{kind} listener, valid PROXY v2 header: {r.describe()}" for kind, r in self.with_header.items()])


@dataclass
class ProxyLocalObservation:
    kind: str
    source: str
    local: HttpResult
    local_with_addresses: HttpResult
    health_check: RawResult

    def describe(self) -> str:
        out = []
        for label, r in (("LOCAL header", self.local), ("LOCAL header carrying an address block", self.local_with_addresses)):
            view = r.view
            seen = (f"; controller concluded client={view.client}, X-Forwarded-For={list(view.xff)}" if view else "")
            out.append(f"{label} on the {self.kind} listener from {self.source}: {r.describe()}{seen}")
        out.append(f"health-check style (LOCAL header, then close): {self.health_check.describe()}")
        return _lines(out)


@dataclass
class ProxyForgedObservation:
    control: ClientIpSample
    forged: dict[str, HttpResult]  # PROXY version -> result

    def describe(self) -> str:
        out = [f"control (no forged header): {self.control.result.describe()}"
               + (f"; backend saw client={self.control.view.client}" if self.control.view else "")]
        for version, r in self.forged.items():
            seen = f"; backend saw client={r.view.client}" if r.view else ""
            out.append(f"client sent its own PROXY {version} header naming {security.FORGED_PROXY_SOURCE}: "
                       f"{r.describe()}{seen}")
        return _lines(out)


@dataclass
class TlsVersionsObservation:
    by_version: dict[str, Handshake]

    def describe(self) -> str:
        return _lines(f"offered only {version}: " + (f"refused ({shake.error})" if shake.error else
                                                      f"accepted ({shake.version}, certificate {shake.cert.name!r})")
                      for version, shake in self.by_version.items())


@dataclass
class DefaultCertObservation:
    unknown: Handshake
    no_sni: Handshake

    def describe(self) -> str:
        return _lines([self.unknown.describe(), "no SNI: " + self.no_sni.describe().split(": ", 1)[1]])


@dataclass
class HostSniObservation:
    result: HttpResult

    def describe(self) -> str:
        r = self.result
        return _lines([f"SNI {r.sni}, Host {r.host}: {r.describe()}"
                       + (f" (backend saw Host {r.report.get('host')})" if r.report else "")])


@dataclass
class RedirectLoopObservation:
    https: RedirectTrail
    cleartext: RedirectTrail | None

    def describe(self) -> str:
        text = f"  from https:\n{self.https.describe()}"
        if self.cleartext:
            text += f"\n  from http:\n{self.cleartext.describe()}"
        return text


@dataclass
class HostileInputObservation:
    oversized: HttpResult
    half_open: str  # what the held connection sent, and for how long it was held
    served_meanwhile: HttpResult
    malformed_proxy: list[RawResult] = field(default_factory=list)
    control: HttpResult | None = None

    def describe(self) -> str:
        out = [f"one {OVERSIZED_HEADER // 1024} KiB header: {self.oversized.describe()}",
               f"half-open connection: {self.half_open}",
               f"request while it was open: {self.served_meanwhile.describe()}"]
        out += [f"malformed PROXY: {r.describe()}" for r in self.malformed_proxy]
        if self.control:
            out.append(f"afterwards: {self.control.describe()}")
        return _lines(out)


# --- the probes -------------------------------------------------------------------------------------------------
def _main_scheme(edge: Edge) -> str:
    return "https" if edge.endpoint("https") else "http"


def _source(edge: Edge, i: int = 0) -> str | None:
    """The i-th client address (wrapping: a target may offer only a few, like kind's relays)."""
    addresses = edge.client_addresses
    return addresses[i % len(addresses)] if addresses else None


def forged_client(edge: Edge) -> list[ClientIpSample]:
    forged = {"X-Forwarded-For": ", ".join(security.FORGED_XFF), "X-Real-IP": security.FORGED_REAL_IP,
              "Forwarded": f"for={security.FORGED_FORWARDED};proto=https"}
    # two clients, each must be seen as itself
    return probes.client_ip(edge, sources=2, path="/forged-client", extra_headers=forged, timeout=TIMEOUT)


FORGED_PROTO = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Forwarded": "proto=https"}


def forged_proto(edge: Edge) -> ForgedProtoObservation:
    result = _http_get(edge, "http", edge.hostnames[0], "/forged-proto?q=1", source=_source(edge),
                        extra_headers=FORGED_PROTO)
    return ForgedProtoObservation(Hop(result, probes.responder(edge, result)), FORGED_PROTO)


def _controller_listeners(edge: Edge) -> dict[str, tuple[str, int]]:
    if not edge.controller_listeners:
        raise Unmeasurable(f"the {edge.target} target does not expose the controller's listeners to probes")
    return edge.controller_listeners


def _scheme_of(kind: str) -> str:
    return "https" if kind == "https" else "http"


def proxy_required(edge: Edge) -> ProxyRequiredObservation:
    source, host = _source(edge), edge.hostnames[0]
    without, with_header = {}, {}
    for kind, (ip, port) in _controller_listeners(edge).items():
        scheme = _scheme_of(kind)
        without[kind] = direct_get(edge, ip, port, scheme, host, "/no-proxy-header", source=source)
        honest = proxy_header.proxy("v2", source or "127.0.0.1", ip, dest_port=port)  # claims its own address
        with_header[kind] = direct_get(edge, ip, port, scheme, host, "/proxy-header", source=source, prefix=honest)
    return ProxyRequiredObservation(without, with_header)


def _serving_listener(edge: Edge) -> str:
    """The controller listener whose requests reach the backend (so its conclusion can be read)."""
    listeners = _controller_listeners(edge)
    if "https" in listeners:
        return "https"
    if "http" in listeners and edge.topology.controller.cleartext == "serve":
        return "http"
    return next(iter(listeners))


def proxy_local(edge: Edge) -> ProxyLocalObservation:
    kind = _serving_listener(edge)
    ip, port = edge.controller_listeners[kind]
    source, host = _source(edge, 1), edge.hostnames[0]
    plain = direct_get(edge, ip, port, _scheme_of(kind), host, "/proxy-local", source=source,
                       prefix=proxy_header.local())
    decoy = direct_get(edge, ip, port, _scheme_of(kind), host, "/proxy-local-addresses", source=source,
                       prefix=proxy_header.local_with_addresses(security.LOCAL_DECOY_SOURCE, ip))
    health = raw_exchange("LOCAL header then FIN", ip, port, proxy_header.local(), source=edge.bind(source))
    edge.check_alive()
    return ProxyLocalObservation(kind, source or "?", plain, decoy, health)


def proxy_forged(edge: Edge) -> ProxyForgedObservation:
    scheme, host, source = _main_scheme(edge), edge.hostnames[0], _source(edge, 2)
    control = ClientIpSample(_source(edge), _http_get(edge, scheme, host, "/proxy-forged-control",
                                                       source=_source(edge)), None)
    ip, _ = edge.resolve(scheme, None, source)
    forged = {}
    for version in ("v1", "v2"):
        header = proxy_header.proxy(version, security.FORGED_PROXY_SOURCE, ip)
        forged[version] = _http_get(edge, scheme, host, f"/proxy-forged-{version}", prefix=header, source=source)
    return ProxyForgedObservation(control, forged)


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


def tls_versions(edge: Edge) -> TlsVersionsObservation:
    missing = [version for version in TLS_VERSIONS if not client_offers(version)]
    if missing:
        raise Unmeasurable(f"this Python's OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {', '.join(missing)}, so "
                           "the edge's refusal could not be told from the client's")
    shakes = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for version, tls_version in TLS_VERSIONS.items():
            ctx = certs.client_context(edge.ca, verify_hostname=False, minimum=tls_version, maximum=tls_version)
            shakes[version] = probes.tls_handshake(edge, edge.hostnames[0], source=_source(edge), context=ctx,
                                                   timeout=TIMEOUT)
            if shakes[version].error:
                edge.check_alive()  # a refusal, or a dead terminator: tell them apart before the next try
    return TlsVersionsObservation(shakes)


def default_cert(edge: Edge) -> DefaultCertObservation:
    unknown = probes.tls_handshake(edge, probes.UNKNOWN_NAME, source=_source(edge), timeout=TIMEOUT)
    no_sni = probes.tls_handshake(edge, None, source=_source(edge), timeout=TIMEOUT)  # type: ignore[arg-type]
    return DefaultCertObservation(unknown, no_sni)


def host_sni(edge: Edge) -> HostSniObservation:
    names = edge.hostnames
    host = names[1] if len(names) > 1 else probes.UNKNOWN_NAME
    return HostSniObservation(_http_get(edge, "https", host, "/host-sni", sni=names[0], source=_source(edge)))


def redirect_loop(edge: Edge) -> RedirectLoopObservation:
    host, source = edge.hostnames[0], _source(edge)
    https = probes.follow_redirects(edge, host, "/redirect-loop?q=1", source=source, scheme="https")
    cleartext = (probes.follow_redirects(edge, host, "/redirect-loop?q=1", source=source)
                 if edge.endpoint("http") else None)
    return RedirectLoopObservation(https, cleartext)


def hostile_input(edge: Edge) -> HostileInputObservation:
    scheme, host, source = _main_scheme(edge), edge.hostnames[0], _source(edge, 3)
    oversized = _http_get(edge, scheme, host, "/oversized", source=source,
                           extra_headers={"X-Edgeconform-Oversized": "a" * OVERSIZED_HEADER})
    # A client that opens a connection and stops half-way through its first bytes (a partial request line, or
    # the first bytes of a TLS record), while another client is served.
    ip, port = edge.resolve(scheme, None, source)
    partial = b"\x16\x03\x01\x02\x00" if scheme == "https" else f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode()
    started = time.monotonic()
    try:
        bound = edge.bind(source)
        with socket.create_connection((ip, port), timeout=TIMEOUT,
                                      source_address=(bound, 0) if bound else None) as held:
            held.sendall(partial)
            meanwhile = _http_get(edge, scheme, host, "/while-half-open", source=_source(edge))
        half_open = (f"{len(partial)} first bytes to {ip}:{port}, held open for {time.monotonic() - started:.2f} s "
                     "while another client was served")
    except OSError as exc:
        meanwhile = HttpResult(url=f"{scheme}://{host}:{port}/while-half-open", source=_source(edge), host=host,
                               sni=None, error="not attempted: the half-open connection could not be made")
        half_open = f"could not connect to {ip}:{port}: {exc}"
    malformed = []
    if edge.topology.controller.proxy_protocol and edge.controller_listeners:
        for label, payload in proxy_header.malformed().items():
            for kind, (cip, cport) in edge.controller_listeners.items():
                malformed.append(raw_exchange(f"{label} ({kind})", cip, cport, payload, source=edge.bind(source)))
    control = _http_get(edge, scheme, host, "/after-hostile-input", source=_source(edge))
    edge.check_alive()
    return HostileInputObservation(oversized, half_open, meanwhile, malformed, control)


PROBES = {"forged-client": forged_client, "forged-proto": forged_proto, "proxy-required": proxy_required,
          "proxy-local": proxy_local, "proxy-forged": proxy_forged, "tls-versions": tls_versions,
          "default-cert": default_cert, "host-sni": host_sni, "redirect-loop": redirect_loop,
          "hostile-input": hostile_input}
assert list(PROBES) == security.CHECKS


def probe(check: str):
    """The probe function (edge -> observation) of one security check."""
    return PROBES[check]
