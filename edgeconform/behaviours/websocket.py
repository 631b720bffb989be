"""WebSocket: the Upgrade through the edge, then text and binary frames echoed back unchanged.

Over wss:// wherever the topology has a TLS listener and over ws:// wherever it has a cleartext one; on an edge
that redirects cleartext, the ws:// handshake must get that redirect (never a 101 that bypasses it). A Classic
ELB HTTP listener breaks the Upgrade: a documented limitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

from . import redirect
from .base import Behaviour, Cell, Expectation, Fact, Facts

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.websocket import WebSocketResult
    from ..topology import Topology

NAME = "websocket"
SCHEMES = ("ws", "wss")


@dataclass(frozen=True)
class WebSocketWant:
    result: Literal["echo", "refused", "redirected"]
    code: int | None = None


def rule(t: Topology, scheme: Literal["ws", "wss"]) -> Expectation:
    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, variant=scheme, **kw)  # noqa: E731
    listener = t.http_listener if scheme == "ws" else t.https_listener
    if listener is None:
        kind = "cleartext" if scheme == "ws" else "TLS"
        return make(outcome="n/a", want=None, sources=model.cite("listeners"), summary="",
                    reason=f"the topology offers no {kind} listener for {scheme}://")
    if model.breaks_upgrade and t.layer == "l7":
        return make(outcome="limited", want=WebSocketWant("refused"), ideal=WebSocketWant("echo"),
                    sources=model.cite("websocket_break"),
                    summary="the Upgrade is refused before it reaches the backend",
                    reason=f"{model.title} HTTP/HTTPS listeners break the WebSocket Upgrade (a TCP listener passes it)")
    if scheme == "ws" and t.redirect_intended:
        cleartext = redirect.rule(t)  # the ws:// handshake meets the same redirect as any cleartext request
        code = cleartext.want.code
        return make(outcome="works", want=WebSocketWant("redirected", code), sources=cleartext.sources,
                    summary=f"the ws:// handshake gets the cleartext redirect ({code}), like any cleartext request")
    return make(outcome="works", want=WebSocketWant("echo"), sources=model.cite("websocket"),
                summary=f"the {scheme}:// Upgrade succeeds and text and binary frames echo back unchanged")


def probe(edge: Edge, scheme: str) -> WebSocketResult:
    from ..probing import websocket  # the WebSocket stack loads when a probe runs

    return websocket.websocket(edge, scheme, source=edge.client_addresses[0])


def compare(edge: Edge, want: WebSocketWant, result: WebSocketResult) -> list[str]:
    if want.result == "echo":
        if result.status != 101:
            return [f"the Upgrade failed: {result.describe()}"]
        problems = []
        if not result.text_echoed:
            problems.append("the text frame did not come back unchanged")
        if not result.binary_echoed:
            problems.append("the binary frame did not come back unchanged")
        if not (result.report or {}).get("websocket"):
            problems.append("the backend did not report a WebSocket connection")
        return problems
    if want.result == "redirected":
        if result.status == want.code and result.location and result.location.startswith("https://"):
            return []
        return [f"expected the ws:// handshake to be redirected ({want.code} to https): {result.describe()}"]
    # refused: anything but a working upgrade
    return [] if result.status != 101 else [f"expected the Upgrade to be refused, but it worked: {result.describe()}"]


def facts(edge: Edge, result: WebSocketResult) -> dict[str, object]:
    """The handshake's status (101: upgraded; a redirect's code) and whether frames came back unchanged."""
    return {"handshake": result.status, "location": redirect.location(result.location),
            "echo": result.status == 101 and result.text_echoed and result.binary_echoed}


FACTS = Facts(facts, (Fact("echo", "whether text and binary frames echo back", ideal=True),
                      Fact("handshake", "the status the handshake gets", keep=True),
                      Fact("location", "where a redirected handshake is sent", keep=True)))

BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: WebSocket upgrade and echo through the edge",
    cells={scheme: Cell(partial(rule, scheme=scheme), partial(probe, scheme=scheme), compare, facts=FACTS)
           for scheme in SCHEMES},
    variant_param="scheme",
)
