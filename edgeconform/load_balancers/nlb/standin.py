"""The NLB's stand-in: HAProxy on its listeners (edgeconform.load_balancers.l4), and the relay that writes its PROXY
v2 header as AWS does (edgeconform.load_balancers.nlb.relay, the header in .proxy).

HAProxy 2.8 sends a bare PROXY v2 header when it connects; a real NLB's carries TLVs and, by default, goes out with
the client's first data [NLB-TG23][GO-PP4]. So where the target group has PROXY v2 and the target runs helpers
(the local target; kind's containers do without: HAProxy's own header goes straight to the target), HAProxy hands
each connection to the relay on the NLB's own address, which connects to the target (from the client's address
where client-IP preservation is on) and writes the NLB's header. The target groups' HTTP health checks take the same
way: the relay turns HAProxy's LOCAL header into the NLB's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...render import render as render_template
from .. import l4
from ..standins import AddressBook, StandIn

if TYPE_CHECKING:
    from ... import certs
    from ...topology import Topology

RELAY = "edgeconform.load_balancers.nlb.relay"


def render(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
           transparent: bool) -> list[StandIn]:
    via = _relay_addresses(t, book)
    config = render_template(t.lb_model.standins[t.layer], **l4.context(t, book, workdir, lb_certs, transparent, via))
    out = [StandIn(f"{t.lb.model} stand-in (haproxy)", "haproxy", l4.CONFIG_NAME, config)]
    relay = relay_config(t, book, transparent)
    if relay is not None:
        out.append(StandIn("relay (NLB PROXY v2 writer)", "python", "relay.json", json.dumps(relay, indent=2),
                           module=RELAY, listens=tuple(tuple(item["listen"]) for item in relay["listeners"])))
    return out


def listening(t: Topology, book: AddressBook) -> list[tuple[str, tuple[str, int]]]:
    via = _relay_addresses(t, book) or {}
    return [(f"PROXY v2 writer ({'health checks' if key == 'healthz' else key})", where) for key, where in via.items()]


def uses_relay(t: Topology, book: AddressBook) -> bool:
    """Whether the NLB's PROXY v2 header is written by the relay (AWS's shape and placement) rather than HAProxy."""
    return t.lb.proxy_protocol == "v2" and book.relay_ports is not None


def _relay_addresses(t: Topology, book: AddressBook) -> dict[int | str, tuple[str, int]] | None:
    """Where the relay listens: per AWS listener port, and "healthz" (in front of kube-proxy's health port)."""
    if not uses_relay(t, book):
        return None
    lb = book.lb_source or book.lb_bind
    return {key: (lb, port) for key, port in book.relay_ports.items()}  # type: ignore[union-attr]


def relay_config(t: Topology, book: AddressBook, transparent: bool) -> dict[str, Any] | None:
    """The relay's configuration (edgeconform.load_balancers.nlb.relay), or None where HAProxy writes the header.
    ``transparent``: connect from the client's own address (client-IP preservation)."""
    via = _relay_addresses(t, book)
    if via is None:
        return None
    common = {"source": book.lb_source, "vpce_id": t.lb.privatelink_endpoint, "placement": t.lb.proxy_protocol_placement}
    listeners = [{"listen": list(via[item.port]), "target": list(book.targets[item.target]),
                  "transparent": transparent, **common} for item in t.lb.listeners]
    check = t.health_check
    if book.health_checks and check.protocol == "HTTP" and check.port == "health-check-node-port":
        # the health checks' own way to kube-proxy's health port (they come from the NLB's address)
        listeners.append({"listen": list(via["healthz"]), "target": list(book.health_node),  # type: ignore[arg-type]
                          "transparent": False, **common})
    return {"topology": t.name, "listeners": listeners}
