"""security[hostile-input]: malformed PROXY headers, an oversized header and a half-open connection end within
bounded time, other clients are still served, and the edge keeps serving."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..base import Cell, Expectation, straight_to_app
from .common import TIMEOUT, get, lines, main_scheme, make, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...probing.raw import RawResult
    from ...topology import Topology

NAME = "hostile-input"
OVERSIZED_HEADER = 96 * 1024  # above the ALB's 16 KiB per header and Envoy's 60 KiB of headers [ALB-Q]


@dataclass(frozen=True)
class HostileInputWant:
    proxy_listeners: tuple[str, ...]  # controller listeners that get malformed PROXY headers (may be empty)


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
        return lines(out)


def rule(t: Topology) -> Expectation:
    kinds = tuple(t.controller_kinds) if t.controller.proxy_protocol else ()
    proxy = "; malformed PROXY headers are closed by the controller" if kinds else ""
    if straight_to_app(t) and t.layer == "l4":  # nothing in front of the application parses HTTP
        return make(t, NAME, outcome="works", want=HostileInputWant(()), sources=("ALB-Q", *t.lb_model.cite("listeners")),
                    summary=f"the {t.lb_title} passes an oversized header and a half-open connection to the "
                            "application, which must bound them itself: it refuses the header (4xx or closed) and "
                            "serves other clients meanwhile; every probe ends within its timeout and the edge keeps "
                            "serving")
    return make(t, NAME, outcome="works", want=HostileInputWant(kinds), sources=("ALB-Q", "ENVOY-PP"),
                summary="an oversized header is refused (4xx or closed), a half-open connection does not stop other "
                        f"clients from being served{proxy}; every probe ends within its timeout and the edge keeps "
                        "serving")


def probe(edge: Edge) -> HostileInputObservation:
    import time

    from ...probing import http, proxy_header, raw  # the HTTP stack loads when a probe runs

    scheme, host, client = main_scheme(edge), edge.hostnames[0], source(edge, 3)
    oversized = get(edge, scheme, host, "/oversized", source=client,
                    extra_headers={"X-Edgeconform-Oversized": "a" * OVERSIZED_HEADER})
    # A client that opens a connection and stops half-way through its first bytes (a partial request line, or
    # the first bytes of a TLS record), while another client is served.
    ip, port = edge.resolve(scheme, None, client)
    partial = b"\x16\x03\x01\x02\x00" if scheme == "https" else f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode()
    started = time.monotonic()
    try:
        with edge.transport.connect(ip, port, source=client, timeout=TIMEOUT) as held:
            held.sendall(partial)
            meanwhile = get(edge, scheme, host, "/while-half-open", source=source(edge))
        half_open = (f"{len(partial)} first bytes to {ip}:{port}, held open for {time.monotonic() - started:.2f} s "
                     "while another client was served")
    except OSError as exc:
        meanwhile = http.HttpResult(url=f"{scheme}://{host}:{port}/while-half-open", source=source(edge), host=host,
                                    sni=None, error="not attempted: the half-open connection could not be made")
        half_open = f"could not connect to {ip}:{port}: {exc}"
    malformed = []
    if edge.topology.controller.proxy_protocol and edge.controller.listeners:
        for label, payload in proxy_header.malformed().items():
            for kind, (cip, cport) in edge.controller.listeners.items():
                malformed.append(raw.raw_exchange(f"{label} ({kind})", cip, cport, payload, source=client,
                                                  connect=edge.transport.connect))
    control = get(edge, scheme, host, "/after-hostile-input", source=source(edge))
    edge.lifecycle.check_alive()
    return HostileInputObservation(oversized, half_open, meanwhile, malformed, control)


def compare(edge: Edge, want: HostileInputWant, seen: HostileInputObservation) -> list[str]:
    problems = []
    big = seen.oversized
    if big.status is not None and not 400 <= big.status < 500:
        problems.append(f"a {big.status} answered a request with an oversized header: expected a 4xx refusal")
    if big.report is not None:
        problems.append("a request with an oversized header reached the backend")
    if seen.served_meanwhile.status is None:
        problems.append(f"while one client held a half-open connection, another was not served: "
                        f"{seen.served_meanwhile.describe()}")
    for result in seen.malformed_proxy:
        if result.answered_http and not result.first_line.split(" ")[1:2] == ["400"]:
            problems.append(f"a malformed PROXY header was served: {result.describe()}")
        if not result.closed and not result.answered_http:
            problems.append(f"a malformed PROXY header left the connection open: {result.describe()}")
    if seen.control is None or seen.control.status is None:
        problems.append(f"after the hostile input the edge no longer answers: "
                        f"{seen.control.describe() if seen.control else 'not probed'}")
    return problems


CHECK = Cell(rule, probe, compare)
