"""The Classic ELB's stand-in, by the topology's layer: HAProxy on TCP/SSL listeners, sending PROXY v1 itself where
the instance port has the ProxyProtocolPolicyType [CLB-PP] (edgeconform.load_balancers.l4); Envoy on HTTP/HTTPS
listeners: X-Forwarded-For appended, one certificate and no SNI, no TLS 1.3, the WebSocket Upgrade broken
(edgeconform.load_balancers.l7, from the model's facts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...render import render as render_template
from .. import l4, l7
from ..standins import AddressBook, StandIn

if TYPE_CHECKING:
    from ... import certs
    from ...topology import Topology


def render(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
           transparent: bool) -> list[StandIn]:
    template = t.lb_model.standins[t.layer]
    if t.layer == "l4":
        context = l4.context(t, book, workdir, lb_certs, transparent)
        return [StandIn(f"{t.lb.model} stand-in (haproxy)", "haproxy", l4.CONFIG_NAME,
                        render_template(template, **context))]
    return [StandIn(f"{t.lb.model} stand-in (envoy)", "envoy", l7.CONFIG_NAME,
                    render_template(template, **l7.context(t, book, lb_certs)))]


def listening(t: Topology, book: AddressBook) -> list[tuple[str, tuple[str, int]]]:
    return []  # no helpers: the stand-in alone
